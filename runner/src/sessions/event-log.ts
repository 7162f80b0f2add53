import type { Clock, Store } from '@agent-platform/core/ports';
import type { SessionEvent, SessionEventDraft } from '@agent-platform/core/protocol';

export type EventListener = (event: SessionEvent) => void;

/** Something the people watching a session should know now but that is not part of its history. */
export interface SessionNotice {
  code: string;
  message: string;
}
export type NoticeListener = (notice: SessionNotice) => void;

/**
 * Numbers a session's events, stores them, then fans them out to live subscribers. The runner that
 * owns a session is its only writer, so the next seq is kept in memory (loaded once from the store).
 */
export class EventLog {
  private readonly nextSeq = new Map<string, number>();
  private readonly listeners = new Map<string, Set<EventListener>>();
  private readonly noticeListeners = new Map<string, Set<NoticeListener>>();
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

  /** Live events of a session (and its notices, when asked); returns the function that stops listening. */
  listen(sessionId: string, listener: EventListener, onNotice?: NoticeListener): () => void {
    const stopEvents = subscribe(this.listeners, sessionId, listener);
    const stopNotices = onNotice ? subscribe(this.noticeListeners, sessionId, onNotice) : () => {};
    return () => {
      stopEvents();
      stopNotices();
    };
  }

  /**
   * Tells the session's live subscribers something that cannot be stored: above all that the store
   * itself failed (the turn will be tried again), which no stored event could say.
   */
  notice(sessionId: string, notice: SessionNotice): void {
    for (const l of this.noticeListeners.get(sessionId) ?? []) l(notice);
  }

  private async write(sessionId: string, drafts: SessionEventDraft[]): Promise<SessionEvent[]> {
    if (drafts.length === 0) return [];
    let seq = this.nextSeq.get(sessionId);
    if (seq === undefined) seq = (await this.store.lastEventSeq(sessionId)) + 1;
    const at = this.clock.now();
    const events = drafts.map((d, i) => ({ ...d, v: 1, sessionId, seq: seq + i, at }) as SessionEvent);
    try {
      await this.store.appendEvents(events);
    } catch (e) {
      // Maybe another runner wrote this session meanwhile (a takeover): read the last seq again next time.
      this.nextSeq.delete(sessionId);
      throw e;
    }
    this.nextSeq.set(sessionId, seq + events.length);
    for (const e of events) {
      for (const l of this.listeners.get(sessionId) ?? []) l(e);
    }
    return events;
  }
}

function subscribe<L>(map: Map<string, Set<L>>, key: string, listener: L): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  const own = set;
  return () => {
    own.delete(listener);
    if (own.size === 0 && map.get(key) === own) map.delete(key);
  };
}
