import type { RestoreSessionResponse, Session, SessionEvent } from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import type { RunnerEndpoint } from '../api/runner-endpoint.js';
import { Conversation, type ConversationView, emptyConversationView } from './conversation.js';
import { FrameScheduler } from './frame-scheduler.js';
import { type ServerErrorFrame, SessionSocket, sameOriginWsUrl } from './session-socket.js';

export interface ConversationControllerOptions {
  api: () => ApiClient | undefined;
  sessionId: () => string | undefined;
  /** Where the runner's WebSocket is; without one, `/ws` on the page's origin. */
  runner: () => RunnerEndpoint | undefined;
  /** Wait before fetching messages that events mention but the page lacks. Default 300 ms. */
  catchUpDelayMs?: number;
}

export type SendResult =
  | { ok: true }
  | { ok: false; error: ApiError; text: string; clientMessageId: string; dropped: boolean };

export type LoadState = 'loading' | 'ready' | 'error';

/** A client message id: letters, digits and '-' only (the schema's rule). */
export function newClientMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // randomUUID needs a secure context; the platform may be opened over plain http on a LAN address.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One session's conversation for the workspace page: restores it over HTTP, follows it over the
 * WebSocket, sends and retries messages. Renders are coalesced to one per animation frame; the
 * page reads `view`, `loadState`, `connection` and `notice`.
 */
export class ConversationController implements ReactiveController {
  view: ConversationView = emptyConversationView;
  session: Session | null = null;
  /** The latest error frame from the WebSocket (about this session), until dismissed. */
  notice: ServerErrorFrame | null = null;

  private readonly model = new Conversation();
  private readonly socket: SessionSocket;
  private readonly frame = new FrameScheduler(() => this.flush());
  private readonly restoreTask: Task<
    readonly [ApiClient | undefined, string | undefined],
    RestoreSessionResponse | null
  >;
  private currentId: string | undefined;
  private restoredLastSeq = -1;
  private catchUpTimer: ReturnType<typeof setTimeout> | null = null;
  private catchingUp = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: ConversationControllerOptions,
  ) {
    host.addController(this);
    this.socket = new SessionSocket(host, {
      url: (relocate) => this.options.runner()?.url(relocate) ?? sameOriginWsUrl(),
      credential: () => this.options.api()?.credential() ?? null,
      refreshCredential: async () => (await this.options.api()?.refreshCredential()) ?? null,
      afterSeq: () => Math.max(this.model.lastSeq, this.restoredLastSeq),
      onEvent: (event) => this.onEvent(event),
      onUnauthenticated: (code) =>
        this.options.api()?.reportUnauthenticated(code, `The runner refused the credential (${code}).`),
      onServerError: (frame) => {
        this.notice = frame;
        this.host.requestUpdate();
      },
      onSubscribed: () => this.scheduleCatchUp(),
    });
    this.restoreTask = new Task(host, {
      args: () => [this.options.api(), this.options.sessionId()] as const,
      task: async ([api, sessionId], { signal }) => {
        if (!api || !sessionId) return null;
        return api.getSession(sessionId, signal);
      },
      onComplete: (restored) => this.start(restored),
    });
  }

  get connection(): SessionSocket['state'] {
    return this.socket.state;
  }

  get loadState(): LoadState {
    if (this.restoreTask.status === TaskStatus.ERROR) return 'error';
    return this.session && this.session.id === this.currentId ? 'ready' : 'loading';
  }

  get loadError(): ApiError | null {
    return this.restoreTask.status === TaskStatus.ERROR ? asApiError(this.restoreTask.error) : null;
  }

  /** Loads the session again (after a failed load). */
  reload(): void {
    void this.restoreTask.run();
  }

  dismissNotice(): void {
    this.notice = null;
    this.host.requestUpdate();
  }

  hostUpdate(): void {
    const sessionId = this.options.sessionId();
    if (sessionId === this.currentId) return;
    // Another session: nothing of the previous one may show or arrive.
    this.currentId = sessionId;
    this.session = null;
    this.notice = null;
    this.restoredLastSeq = -1;
    this.model.reset(sessionId ?? null);
    this.socket.setSession(null);
    this.clearCatchUp();
    this.frame.cancel();
    this.view = this.model.view();
  }

  hostDisconnected(): void {
    this.frame.cancel();
    this.clearCatchUp();
  }

  /**
   * Sends a message: shown at once, confirmed when stored. On failure the optimistic turn goes
   * away and the result carries the text (and the id: sending the same text again with it cannot
   * store it twice, should the first POST have arrived after all).
   */
  async send(text: string, clientMessageId = newClientMessageId()): Promise<SendResult> {
    const api = this.options.api();
    const sessionId = this.currentId;
    if (!api || !sessionId) throw new Error('send() before the session is loaded');
    const added = this.model.addLocal(clientMessageId, text, Date.now());
    this.frame.flushNow();
    try {
      const response = await api.postMessage(sessionId, { clientMessageId, text });
      if (sessionId === this.currentId) {
        this.model.confirmLocal(clientMessageId, response.messageId);
        this.frame.flushNow();
      }
      return { ok: true };
    } catch (e) {
      const dropped = added && sessionId === this.currentId && this.model.removeLocal(clientMessageId) !== null;
      this.frame.flushNow();
      return { ok: false, error: asApiError(e), text, clientMessageId, dropped };
    }
  }

  /** Runs a failed message again. Resolves to the error, or null when the retry was accepted. */
  async retry(messageId: string): Promise<ApiError | null> {
    const api = this.options.api();
    const sessionId = this.currentId;
    if (!api || !sessionId) return null;
    try {
      await api.retryMessage(sessionId, messageId);
      if (sessionId === this.currentId) {
        this.model.markRetrying(messageId);
        this.frame.flushNow();
      }
      return null;
    } catch (e) {
      return asApiError(e);
    }
  }

  private start(restored: RestoreSessionResponse | null): void {
    if (!restored || restored.session.id !== this.currentId) return;
    this.session = restored.session;
    this.restoredLastSeq = restored.events.length > 0 ? restored.lastSeq : -1;
    this.model.restore(restored.session.id, restored.messages, restored.events);
    this.frame.flushNow();
    this.socket.setSession(restored.session.id);
  }

  private onEvent(event: SessionEvent): void {
    if (!this.model.applyEvent(event)) return;
    this.frame.schedule();
    if (event.messageId !== null && this.model.unknownMessageIds().length > 0) this.scheduleCatchUp();
  }

  /**
   * Events can name a message the page does not hold (sent from another window, or ours whose
   * POST has not answered yet). After a short wait, fetch the session to learn its text.
   */
  private scheduleCatchUp(): void {
    if (this.catchUpTimer !== null || this.catchingUp) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = null;
      void this.catchUp();
    }, this.options.catchUpDelayMs ?? 300);
  }

  private async catchUp(): Promise<void> {
    const api = this.options.api();
    const sessionId = this.currentId;
    if (!api || !sessionId || this.model.unknownMessageIds().length === 0) return;
    this.catchingUp = true;
    try {
      const restored = await api.getSession(sessionId);
      if (sessionId !== this.currentId) return;
      this.model.mergeMessages(restored.messages);
      this.model.applyEvents(restored.events);
      this.frame.schedule();
    } catch (e) {
      // Only the text of someone else's message is missing; the conversation itself goes on.
      console.warn('Could not fetch the session’s messages', e);
    } finally {
      this.catchingUp = false;
    }
  }

  private clearCatchUp(): void {
    if (this.catchUpTimer !== null) clearTimeout(this.catchUpTimer);
    this.catchUpTimer = null;
  }

  private flush(): void {
    this.view = this.model.view();
    this.host.requestUpdate();
  }
}

export interface SessionEventsControllerOptions {
  api: () => ApiClient | undefined;
  /** The session whose events to follow; undefined: none (the socket closes). */
  sessionId: () => string | undefined;
  /** Where the runner's WebSocket is; without one, `/ws` on the page's origin. */
  runner: () => RunnerEndpoint | undefined;
  /** Each event that was new to the page, after it was applied (a run page reloads the run on `run.ended`). */
  onEvent?: (event: SessionEvent) => void;
}

/**
 * Follows one session's events over the WebSocket alone, with no HTTP restore: subscribing replays
 * the stored events, then live ones follow. For an agent run, whose events are stored under the
 * run's sessionId as one turn (messageId = the run's id) and which has no messages to fetch.
 * The page reads `view`, `replayed`, `connection` and `notice`.
 */
export class SessionEventsController implements ReactiveController {
  view: ConversationView = emptyConversationView;
  /** The stored events were replayed (the server answered the subscription at least once). */
  replayed = false;
  /** The latest error frame from the WebSocket about this session (it could not be followed), until dismissed. */
  notice: ServerErrorFrame | null = null;

  private readonly model = new Conversation();
  private readonly socket: SessionSocket;
  private readonly frame = new FrameScheduler(() => this.flush());
  private currentId: string | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: SessionEventsControllerOptions,
  ) {
    host.addController(this);
    this.socket = new SessionSocket(host, {
      url: (relocate) => this.options.runner()?.url(relocate) ?? sameOriginWsUrl(),
      credential: () => this.options.api()?.credential() ?? null,
      refreshCredential: async () => (await this.options.api()?.refreshCredential()) ?? null,
      afterSeq: () => this.model.lastSeq,
      onEvent: (event) => this.onEvent(event),
      onUnauthenticated: (code) =>
        this.options.api()?.reportUnauthenticated(code, `The runner refused the credential (${code}).`),
      onServerError: (frame) => {
        this.notice = frame;
        this.host.requestUpdate();
      },
      onSubscribed: (sessionId) => {
        if (sessionId !== this.currentId) return;
        // Everything stored has arrived: show it at once rather than on the next frame.
        this.replayed = true;
        this.notice = null;
        this.frame.flushNow();
      },
    });
  }

  get connection(): SessionSocket['state'] {
    return this.socket.state;
  }

  dismissNotice(): void {
    this.notice = null;
    this.host.requestUpdate();
  }

  hostUpdate(): void {
    const sessionId = this.options.sessionId();
    if (sessionId === this.currentId) return;
    // Another session: nothing of the previous one may show or arrive.
    this.currentId = sessionId;
    this.replayed = false;
    this.notice = null;
    this.model.reset(sessionId ?? null);
    this.frame.cancel();
    this.view = this.model.view();
    this.socket.setSession(sessionId ?? null);
  }

  hostDisconnected(): void {
    this.frame.cancel();
  }

  private onEvent(event: SessionEvent): void {
    if (!this.model.applyEvent(event)) return;
    this.frame.schedule();
    this.options.onEvent?.(event);
  }

  private flush(): void {
    this.view = this.model.view();
    this.host.requestUpdate();
  }
}
