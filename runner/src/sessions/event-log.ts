import type { Clock, Store } from '@agent-platform/core/ports';
import type { SessionEvent, SessionEventDraft } from '@agent-platform/core/protocol';

export type EventListener = (event: SessionEvent) => void;

/**
 * Numbers a session's events, stores them, then fans them out to live subscribers. The runner that
 * owns a session is its only writer, so the next seq is kept in memory (loaded once from the store).
 */
export class EventLog {
  private readonly nextSeq = new Map<string, number>();
  private readonly listeners = new Map<string, Set<EventListener>>();
  /** Appends are chained per session so that seqs are stored in order even across awaits. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  append(sessionId: string, drafts: SessionEventDraft[]): Promise<SessionEvent[]> {
    const prev = this.tails.get(sessionId) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.write(sessionId, drafts));
    this.tails.set(sessionId, run);
    void run.finally(() => {
      if (this.tails.get(sessionId) === run) this.tails.delete(sessionId);
    });
    return run;
  }

  /** Live events of a session; returns the function that stops listening. */
  listen(sessionId: string, listener: EventListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  private async write(sessionId: string, drafts: SessionEventDraft[]): Promise<SessionEvent[]> {
    if (drafts.length === 0) return [];
    let seq = this.nextSeq.get(sessionId);
    if (seq === undefined) seq = (await this.store.lastEventSeq(sessionId)) + 1;
    const at = this.clock.now();
    const events = drafts.map((d, i) => ({ ...d, v: 1, sessionId, seq: seq + i, at }) as SessionEvent);
    await this.store.appendEvents(events);
    this.nextSeq.set(sessionId, seq + events.length);
    for (const e of events) {
      for (const l of this.listeners.get(sessionId) ?? []) l(e);
    }
    return events;
  }
}
