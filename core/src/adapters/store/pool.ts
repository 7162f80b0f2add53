import { isRunnerHealthy, type Placement, type RunnerRecord } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { RunnerHeartbeat } from '@agent-platform/core/ports';

/**
 * The runner pool's rules, shared by every Store adapter so that each places users the same way;
 * the adapters only read and write inside their own transaction.
 *
 * Counting: a runner's `placedUsers` counts the placements made on it since its last take-over.
 * Each runner record keeps an `epoch` (0 at first, +1 at each take-over, which also sets
 * placedUsers to 0), and each placement keeps the epoch of its runner when it was counted. A
 * placement is still counted while the two are equal, so a move never takes a user off a count
 * that a take-over has already cleared.
 */

export interface StoredRunner {
  record: RunnerRecord;
  epoch: number;
}

export interface StoredPlacement {
  placement: Placement;
  runnerEpoch: number;
}

export interface PlacementPlan {
  /** The runner that serves the user, as it is after the change. */
  runner: RunnerRecord;
  /** The runner the user moved away from; null when the user stayed or had no placement. */
  previousRunnerId: string | null;
  /** The placement to write; null when the stored one stays as it is. */
  placement: StoredPlacement | null;
  /** Runners whose placedUsers changed (their new records). */
  changed: RunnerRecord[];
}

/** The state a runner's record takes on a heartbeat (`stored` is its record before, if any). */
export function heartbeatRecord(stored: RunnerRecord | null, h: RunnerHeartbeat): RunnerRecord {
  return {
    id: h.id,
    wsUrl: h.wsUrl,
    capacity: h.capacity,
    // A runner that comes back after a take-over keeps what is stored (0 then): its users were
    // counted off and are placed again.
    placedUsers: stored?.placedUsers ?? 0,
    activeSessions: h.activeSessions,
    // A runner back from down starts a new life; one that stays up keeps its start time.
    startedAt: stored !== null && stored.state === 'up' ? stored.startedAt : h.now,
    heartbeatAt: h.now,
    leaseUntil: h.now + h.leaseMs,
    state: 'up',
  };
}

/** Whether takeOverRunner may mark the runner down now: it is up and its lease has ended (or it retired). */
export const canTakeOver = (r: RunnerRecord, now: number): boolean => r.state === 'up' && r.leaseUntil <= now;

const byLoad = (a: RunnerRecord, b: RunnerRecord): number =>
  // placedUsers / capacity compared without division, so equal loads tie exactly.
  a.placedUsers * b.capacity - b.placedUsers * a.capacity ||
  a.activeSessions - b.activeSessions ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The healthy runner with room and the lowest load (ties: fewer active sessions, then id), or undefined. */
export function leastLoadedRunner<T extends { record: RunnerRecord }>(
  runners: readonly T[],
  now: number,
): T | undefined {
  return runners
    .filter((r) => isRunnerHealthy(r.record, now) && r.record.placedUsers < r.record.capacity)
    .sort((a, b) => byLoad(a.record, b.record))[0];
}

/**
 * Whether the user simply stays where they are (healthy runner, placement still counted): then
 * placeUser changes nothing and need not look at the other runners.
 */
export const keepsPlacement = (current: StoredPlacement, placed: StoredRunner, now: number): boolean =>
  current.placement.runnerId === placed.record.id &&
  current.runnerEpoch === placed.epoch &&
  isRunnerHealthy(placed.record, now);

/**
 * Where the user goes (see Store.placeUser). Sticky while the placed runner is healthy; a placement
 * that a take-over stopped counting is counted again when its runner (healthy again) has room, else
 * the user moves. Throws NO_RUNNER when the user must move and no healthy runner has room.
 */
export function planPlacement(
  userId: string,
  now: number,
  current: StoredPlacement | null,
  runners: readonly StoredRunner[],
): PlacementPlan {
  const placed = current === null ? undefined : runners.find((r) => r.record.id === current.placement.runnerId);
  const counted = placed !== undefined && current !== null && current.runnerEpoch === placed.epoch;
  if (placed !== undefined && current !== null && isRunnerHealthy(placed.record, now)) {
    if (keepsPlacement(current, placed, now)) {
      return { runner: placed.record, previousRunnerId: null, placement: null, changed: [] };
    }
    if (placed.record.placedUsers < placed.record.capacity) {
      const runner = { ...placed.record, placedUsers: placed.record.placedUsers + 1 };
      return {
        runner,
        previousRunnerId: null,
        placement: { placement: current.placement, runnerEpoch: placed.epoch },
        changed: [runner],
      };
    }
  }
  // Here the placed runner (if any) is unhealthy, or healthy but full and no longer counting the
  // user: it is never the one chosen.
  const next = leastLoadedRunner(runners, now);
  if (next === undefined) throw noRunner(userId, runners.length);
  const runner = { ...next.record, placedUsers: next.record.placedUsers + 1 };
  const changed = [runner];
  if (placed !== undefined && counted) {
    changed.push({ ...placed.record, placedUsers: Math.max(0, placed.record.placedUsers - 1) });
  }
  return {
    runner,
    previousRunnerId: current?.placement.runnerId ?? null,
    placement: { placement: { userId, runnerId: runner.id, placedAt: now }, runnerEpoch: next.epoch },
    changed,
  };
}

function noRunner(userId: string, runners: number): AppError {
  return new AppError(
    'NO_RUNNER',
    `No runner of the pool is healthy and has room for user ${userId} (${runners} runner(s) known). ` +
      'Start another runner or raise the runners’ capacity; meanwhile the job stays queued, so try again shortly.',
    { userId, runners },
  );
}
