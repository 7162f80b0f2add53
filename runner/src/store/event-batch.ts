import { AppError } from '@agent-platform/core/errors';
import { SessionEvent } from '@agent-platform/core/protocol';

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
