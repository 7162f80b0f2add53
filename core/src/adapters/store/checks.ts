import { AppError } from '@agent-platform/core/errors';
import type { UsageRecord } from '@agent-platform/core/ports';
import { SessionEvent } from '@agent-platform/core/protocol';

/** Checks every Store adapter makes before it writes, so each refuses bad input the same way. */

/**
 * Parses a batch of events before a store writes it, so that a malformed event is refused with its
 * position rather than stored and found later by every reader replaying the session.
 */
export function parseEventBatch(events: SessionEvent[]): SessionEvent[] {
  return events.map((e, i) => {
    const r = SessionEvent.safeParse(e);
    if (!r.success) {
      throw new AppError('INTERNAL', `appendEvents: event ${i} of the batch is not a valid SessionEvent.`, {
        index: i,
        issues: r.error.issues,
      });
    }
    return r.data;
  });
}

/** Refused here with the field's name, rather than by a constraint of the database that names none. */
export function validateUsage(u: UsageRecord): void {
  const counts = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheCreationTokens', 'at'] as const;
  for (const k of counts) {
    if (!Number.isSafeInteger(u[k]) || u[k] < 0) {
      throw new RangeError(`recordUsage: ${k} must be a non-negative integer, got ${u[k]}.`);
    }
  }
  if (!Number.isFinite(u.costUsd) || u.costUsd < 0) {
    throw new RangeError(`recordUsage: costUsd must be a finite non-negative number, got ${u.costUsd}.`);
  }
}
