import { AppError } from '@agent-platform/core/errors';
import type { Sandbox } from '@agent-platform/core/ports';

/** Starts of sandboxes under way, one per user: concurrent callers share it. */
export class PendingStarts {
  private readonly starts = new Map<string, Promise<Sandbox>>();

  /** The start under way for the user, or a new one made by `start`. */
  run(userId: string, start: () => Promise<Sandbox>): Promise<Sandbox> {
    const running = this.starts.get(userId);
    if (running) return running;
    const p = start().finally(() => this.starts.delete(userId));
    this.starts.set(userId, p);
    return p;
  }

  /** Waits for the user's start under way, if any (its failure is the starter's to report). */
  async settled(userId: string): Promise<void> {
    await this.starts.get(userId)?.catch(() => {});
  }
}

/** A spawn into a sandbox that has stopped since the caller ensured it. */
export function sandboxGone(): AppError {
  return new AppError('SANDBOX_UNAVAILABLE', 'The sandbox stopped; it is started again with the next message.', {
    reason: 'exited',
  });
}
