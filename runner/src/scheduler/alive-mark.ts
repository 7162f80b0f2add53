import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock } from '@agent-platform/core/ports';

/**
 * When this one-machine platform was last known to be up, kept in a file: at the next start the
 * schedules' fire times since then are missed runs (the scheduler applies each agent's missed-run
 * policy). Written every `everyMs`, so at most that much of a down time goes unnoticed.
 */
export class AliveMark {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly clock: Clock,
    private readonly everyMs = 30_000,
  ) {}

  /** The last mark, ms since the epoch; null on a first start (or an unreadable mark). */
  read(): number | null {
    try {
      const n = Number(readFileSync(this.file, 'utf8').trim());
      return Number.isSafeInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  start(): void {
    this.write();
    this.timer = setInterval(() => this.write(), this.everyMs);
    this.timer.unref();
  }

  /** Stops marking and marks now: a clean stop is "up until now". */
  stop(): void {
    clearInterval(this.timer);
    this.write();
  }

  private write(): void {
    try {
      // Written whole, then renamed: a crash mid-write leaves the previous mark, not half of one.
      writeFileSync(`${this.file}.tmp`, String(this.clock.now()), { mode: 0o600 });
      renameSync(`${this.file}.tmp`, this.file);
    } catch {
      // A full disk must not stop the platform; the next write tries again.
    }
  }
}
