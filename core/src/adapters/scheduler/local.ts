import { AppError } from '@agent-platform/core/errors';
import {
  type Clock,
  type OnScheduledRun,
  type ScheduledAgent,
  type Scheduler,
  systemClock,
} from '@agent-platform/core/ports';
import { nextRuns, previousRun, ScheduleSpec } from '@agent-platform/core/schedule';

/** The timer functions the scheduler arms; tests give controllable ones (see `ManualTime`). */
export interface Timers {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd: the scheduler alone does not keep the process alive. */
export const systemTimers: Timers = {
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface LocalSchedulerOptions {
  /** Called for each run; the scheduler does not wait for it before arming the next one. */
  onRun: OnScheduledRun;
  /** Called when `onRun` rejects (the run is not retried). */
  onRunError: (error: unknown, agentId: string) => void;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: `systemTimers`. */
  timers?: Timers;
  /**
   * Longest single wait, in ms. A longer wait is cut into pieces so that a clock that jumps forward
   * (the machine slept; timers do not count sleep) is noticed within this long. Default 60 000.
   */
  maxWaitMs?: number;
  /**
   * How late a run may start and still count as on time, in ms; later, it is a missed run. Covers a
   * busy event loop and short naps. Default 60 000.
   */
  missedAfterMs?: number;
}

interface Entry {
  agent: ScheduledAgent & { schedule: ScheduleSpec };
  /** Fire times at or before this (ms since the epoch) are handled. */
  doneUntilMs: number;
  /** The first fire time after `doneUntilMs`, once known; undefined when there is none. */
  nextMs?: number | undefined;
  timer?: unknown;
}

/**
 * The in-process Scheduler: one timer per enabled agent, armed for its next fire time (from croner,
 * in the schedule's time zone). When a timer wakes it looks at the clock, not at why it woke: a fire
 * time at most `missedAfterMs` ago runs on time; older ones (the platform was down, the machine
 * slept) are missed: `run-once` fires one catch-up run for the latest of them with `missed: true`,
 * `skip` fires none. A run on time makes a catch-up for older misses pointless, so there is none then.
 */
export class LocalScheduler implements Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly maxWaitMs: number;
  private readonly missedAfterMs: number;
  private closed = false;

  constructor(private readonly options: LocalSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.missedAfterMs = options.missedAfterMs ?? 60_000;
  }

  async upsert(agent: ScheduledAgent): Promise<void> {
    if (this.closed) throw new Error('LocalScheduler.upsert after close(): create a new scheduler');
    const parsed = ScheduleSpec.safeParse(agent.schedule);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => i.message).join('; ');
      throw new AppError('VALIDATION_FAILED', `The schedule of agent ${agent.agentId} is invalid: ${message}`, {
        agentId: agent.agentId,
      });
    }
    const schedule = parsed.data;
    const now = this.clock.now();
    const previous = this.entries.get(agent.agentId);
    if (previous) this.disarm(previous);

    // Re-saving the same, still enabled schedule keeps its place; anything else starts from now, so
    // that a new or re-enabled schedule does not make up for times it was not armed.
    const sameWhen =
      previous?.agent.schedule.enabled &&
      schedule.enabled &&
      previous.agent.schedule.cron === schedule.cron &&
      previous.agent.schedule.timeZone === schedule.timeZone;
    const doneUntilMs =
      agent.missedSinceMs !== undefined
        ? Math.min(agent.missedSinceMs, now)
        : sameWhen
          ? Math.min(previous.doneUntilMs, now)
          : now;

    const entry: Entry = { agent: { ...agent, schedule }, doneUntilMs };
    this.entries.set(agent.agentId, entry);
    if (schedule.enabled) this.check(entry);
  }

  async remove(agentId: string): Promise<void> {
    const entry = this.entries.get(agentId);
    if (!entry) return;
    this.disarm(entry);
    this.entries.delete(agentId);
  }

  /** Disarms every schedule and waits for the runs already handed out to settle. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.entries.values()) this.disarm(entry);
    this.entries.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Fires what is due for the entry, then arms its timer for the next fire time. */
  private check(entry: Entry): void {
    entry.timer = undefined;
    if (this.entries.get(entry.agent.agentId) !== entry || !entry.agent.schedule.enabled) return;
    const { schedule } = entry.agent;
    const now = this.clock.now();
    const first = entry.nextMs ?? nextRuns(schedule, entry.doneUntilMs, 1)[0];
    if (first !== undefined && first <= now) {
      const latest = Math.max(first, previousRun(schedule, now) ?? first);
      if (now - latest <= this.missedAfterMs) this.run(entry, latest, false);
      else if (schedule.missedRunPolicy === 'run-once') this.run(entry, latest, true);
      entry.doneUntilMs = now;
      entry.nextMs = nextRuns(schedule, now, 1)[0];
    } else {
      entry.nextMs = first;
    }
    if (entry.nextMs === undefined) return;
    const waitMs = Math.min(Math.max(0, entry.nextMs - now), this.maxWaitMs);
    entry.timer = this.timers.setTimeout(() => this.check(entry), waitMs);
  }

  private disarm(entry: Entry): void {
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private run(entry: Entry, scheduledFor: number, missed: boolean): void {
    const { agentId, ownerId } = entry.agent;
    let settled: Promise<void>;
    try {
      settled = this.options.onRun({ agentId, ownerId, scheduledFor, missed });
    } catch (error) {
      settled = Promise.reject(error);
    }
    const tracked = settled
      .catch((error: unknown) => this.options.onRunError(error, agentId))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
