import type { ScheduleSpec } from '../schedule/index.js';

/** An agent with a schedule, as the scheduler needs it. */
export interface ScheduledAgent {
  agentId: string;
  ownerId: string;
  schedule: ScheduleSpec;
  /**
   * In-process schedulers only: when this agent's fire times were last handled (the platform's last
   * heartbeat, or the agent's last scheduled run), ms since the epoch. Fire times between it and now
   * are missed runs, handled by `schedule.missedRunPolicy`. Default: now (nothing missed). Cloud
   * Scheduler ignores it: it keeps firing while the platform is down, and Pub/Sub keeps the messages.
   */
  missedSinceMs?: number;
}

/** One firing of an agent's schedule, handed to the in-process scheduler's callback. */
export interface ScheduledRun {
  agentId: string;
  ownerId: string;
  /** The fire time this run is for, ms since the epoch. */
  scheduledFor: number;
  /**
   * True for the one catch-up run of a `run-once` schedule whose time passed while the platform was
   * down (or the machine slept); `scheduledFor` is then the latest of the missed times.
   */
  missed: boolean;
}

/**
 * Given to the in-process scheduler at construction. It only fires: whether a run would overlap a
 * running one (and is recorded as skipped) is the callee's call. A rejection is reported, not retried.
 */
export type OnScheduledRun = (run: ScheduledRun) => Promise<void>;

/**
 * Keeps each agent's schedule armed: in-process (croner, local) or as Cloud Scheduler jobs publishing
 * `agent.schedule` on `agent-schedules` (cloud). Both throw VALIDATION_FAILED for an invalid schedule.
 */
export interface Scheduler {
  /** Arms, re-arms or (with `enabled: false`) pauses the agent's schedule. Idempotent. */
  upsert(agent: ScheduledAgent): Promise<void>;
  /** Disarms the agent's schedule; removing one that is not there is fine. */
  remove(agentId: string): Promise<void>;
  /** Stops firing and releases the timers or the client. */
  close(): Promise<void>;
}
