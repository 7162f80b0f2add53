import type { Clock } from '@agent-platform/core/ports';
import type { Timers } from './local.js';

interface PendingTimer {
  id: number;
  dueMs: number;
  fn: () => void;
}

/**
 * A clock and timers that move only when told, for tests: `advanceTo` walks time forward and runs
 * each timer at its due time, as if the process had been awake; `jumpTo` moves time at once and then
 * runs what is due, as after the machine slept. Both let the promises the timers start settle.
 */
export class ManualTime implements Clock, Timers {
  private nowMs: number;
  private nextId = 1;
  private readonly pending = new Map<number, PendingTimer>();

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): number {
    const id = this.nextId++;
    this.pending.set(id, { id, dueMs: this.nowMs + Math.max(0, delayMs), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** How many timers are armed. */
  get pendingTimers(): number {
    return this.pending.size;
  }

  /** Runs every timer due up to `targetMs`, in order, each with the clock at its due time. */
  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      const due = this.earliest();
      if (!due || due.dueMs > targetMs) break;
      this.nowMs = Math.max(this.nowMs, due.dueMs);
      this.pending.delete(due.id);
      due.fn();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await settle();
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.nowMs + ms);
  }

  /** Sets the clock to `targetMs` at once, then runs the timers that are due (late, all at `targetMs`). */
  async jumpTo(targetMs: number): Promise<void> {
    this.nowMs = Math.max(this.nowMs, targetMs);
    await this.advanceTo(this.nowMs);
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.pending.values()) if (!best || t.dueMs < best.dueMs) best = t;
    return best;
  }
}

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
