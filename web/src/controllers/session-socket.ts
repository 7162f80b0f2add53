import {
  type ClientFrame,
  type ServerFrame,
  ServerFrame as ServerFrameSchema,
  type SessionEvent,
  WsCloseCode,
} from '@agent-platform/core/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type BackoffOptions, backoffDelayMs } from './backoff.js';

/**
 * connecting: the first connection. connected: authenticated. reconnecting: the connection was
 * lost and another try is scheduled or under way. closed: stopped (signed out, or no session).
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type ServerErrorFrame = Extract<ServerFrame, { type: 'error' }>;

/** The part of a WebSocket this class uses (tests pass a fake). */
export type SocketLike = Pick<
  WebSocket,
  'readyState' | 'send' | 'close' | 'onopen' | 'onmessage' | 'onclose' | 'onerror'
>;

export interface SessionSocketOptions {
  /**
   * The runner's WebSocket address. `relocate` is true after `relocateAfterFailures` failed tries
   * in a row: ask the API again where the runner is (it may have died and the user been moved).
   * Default: `/ws` on the page's origin (ws: or wss: per the page).
   */
  url?: (relocate: boolean) => string | Promise<string>;
  /** The credential for the auth frame (a Firebase ID token refreshes itself), or null when signed out. */
  credential: () => string | null | Promise<string | null>;
  /**
   * A fresh credential, asked once when the server closes with AUTH_EXPIRED; null (or no function,
   * the default) when it cannot be renewed, and the refusal is then reported.
   */
  refreshCredential?: () => Promise<string | null>;
  /** The last seq the page holds; asked at each (re)subscribe so a reconnect gets only what it missed. */
  afterSeq: () => number;
  onEvent: (event: SessionEvent) => void;
  /**
   * The server refused the credential (close code 4401; `code` is its reason: UNAUTHENTICATED,
   * AUTH_EXPIRED after a renewal, or AUTH_REVOKED): the user must sign in again.
   */
  onUnauthenticated: (code: string) => void;
  /** An `error` frame from the server (a bad subscribe, say). */
  onServerError?: (frame: ServerErrorFrame) => void;
  /** After each `subscribed`: a good moment to catch up on anything the replay cannot carry. */
  onSubscribed?: (sessionId: string) => void;
  backoff?: BackoffOptions;
  /** How often to ping an open connection. Default 25 000 ms. */
  pingIntervalMs?: number;
  /** Without any frame for this long, the connection is taken as dead. Default 60 000 ms. */
  silenceTimeoutMs?: number;
  /** Failed tries in a row (no `ready`) before asking for the runner's address again. Default 3. */
  relocateAfterFailures?: number;
  /** Opens a socket; default `new WebSocket(url)`. */
  open?: (url: string) => SocketLike;
}

/** `/ws` on the page's origin (ws: or wss: per the page): the local shape's runner. */
export const sameOriginWsUrl = (): string => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;

/** Closes we make ourselves; the 4000–4999 range is the application's. */
const CloseCode = { normal: 1000, silent: 4000 } as const;

/** WebSocket.OPEN, without needing the global (absent in Node before 22). */
const OPEN = 1;

/**
 * The WebSocket to the runner for one session at a time: authenticates, subscribes with the last
 * seq the page has, reconnects with exponential backoff and jitter (capped at ~10 s), and hands
 * every parsed event to `onEvent`. Unknown or malformed frames are logged and dropped.
 * The events may repeat (replay after reconnect): the consumer de-duplicates by seq.
 * After a few failed tries in a row it asks for the runner's address again (`url(true)`); when the
 * server says the credential expired it renews it once and reconnects at once.
 */
export class SessionSocket implements ReactiveController {
  state: ConnectionState = 'closed';

  private ws: SocketLike | null = null;
  /** A connection being prepared (credential, address); replaced or cleared to cancel it. */
  private preparing: object | null = null;
  private ready = false;
  private sessionId: string | null = null;
  /** Reconnects since the last healthy connection; drives the backoff. */
  private attempt = 0;
  /** Tries in a row that did not reach `ready`, since the address was last asked for. */
  private failures = 0;
  /** The server said the credential expired: renew it before the next try. */
  private renewCredential = false;
  /** A renewal was tried since the last `ready` (only once, so a bad clock cannot loop). */
  private renewed = false;
  private hostIsConnected = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: SessionSocketOptions,
  ) {
    host.addController(this);
  }

  /** Follows `sessionId` (null: none, and the socket closes). */
  setSession(sessionId: string | null): void {
    if (sessionId === this.sessionId) return;
    const previous = this.sessionId;
    this.sessionId = sessionId;
    if (previous && this.ready) this.send({ v: 1, type: 'unsubscribe', sessionId: previous });
    if (!sessionId) {
      this.close();
      return;
    }
    if (this.ready) this.subscribe();
    else if (this.idle() && this.hostIsConnected) this.connect();
  }

  hostConnected(): void {
    this.hostIsConnected = true;
    window.addEventListener('online', this.reconnectNow);
    document.addEventListener('visibilitychange', this.onVisibility);
    if (this.sessionId && this.idle()) this.connect();
  }

  hostDisconnected(): void {
    this.hostIsConnected = false;
    window.removeEventListener('online', this.reconnectNow);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.close();
  }

  /** Neither open nor being prepared. */
  private idle(): boolean {
    return !this.ws && !this.preparing;
  }

  private connect(): void {
    this.clearTimers();
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const token = {};
    this.preparing = token;
    this.prepare().then(
      ({ credential, url }) => {
        if (this.preparing !== token) return;
        this.preparing = null;
        if (!this.hostIsConnected || !this.sessionId) {
          this.setState('closed');
          return;
        }
        if (!credential) {
          this.setState('closed');
          this.options.onUnauthenticated('UNAUTHENTICATED');
          return;
        }
        this.open(url, credential);
      },
      (e: unknown) => {
        if (this.preparing !== token) return;
        this.preparing = null;
        // Offline, or the API could not say where the runner is: the next try asks again.
        console.warn('Could not prepare the WebSocket; retrying', e);
        this.failures++;
        this.scheduleReconnect();
      },
    );
  }

  private async prepare(): Promise<{ credential: string | null; url: string }> {
    let credential: string | null;
    if (this.renewCredential) {
      credential = (await this.options.refreshCredential?.()) ?? null;
      this.renewCredential = false;
    } else {
      credential = await this.options.credential();
    }
    const relocate = this.failures >= (this.options.relocateAfterFailures ?? 3);
    const url = await (this.options.url ?? sameOriginWsUrl)(relocate);
    if (relocate) this.failures = 0;
    return { credential, url };
  }

  private open(url: string, credential: string): void {
    let ws: SocketLike;
    try {
      ws = this.options.open ? this.options.open(url) : new WebSocket(url);
    } catch (e) {
      console.warn('WebSocket could not be opened; retrying', e);
      this.failures++;
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => {
      this.lastFrameAt = Date.now();
      this.send({ v: 1, type: 'auth', credential });
    };
    ws.onmessage = (message) => {
      if (this.ws === ws) this.onFrame(message.data);
    };
    ws.onclose = (close) => {
      if (this.ws !== ws) return;
      const wasReady = this.ready;
      this.ws = null;
      this.ready = false;
      this.stopPing();
      if (close.code === WsCloseCode.unauthenticated) {
        const code = close.reason || 'UNAUTHENTICATED';
        if (code === 'AUTH_EXPIRED' && !this.renewed && this.options.refreshCredential && this.sessionId) {
          // Nothing is wrong with the runner: renew the credential and come back at once.
          this.renewed = true;
          this.renewCredential = true;
          this.connect();
          return;
        }
        this.setState('closed');
        this.options.onUnauthenticated(code);
        return;
      }
      if (close.code === WsCloseCode.moved) {
        // This runner no longer serves us: ask for the right one now rather than after failures.
        this.failures = this.options.relocateAfterFailures ?? 3;
        this.attempt = 0;
      } else if (!wasReady) this.failures++;
      if (this.hostIsConnected && this.sessionId) this.scheduleReconnect();
      else this.setState('closed');
    };
    // An error is always followed by a close, which decides what happens next.
    ws.onerror = () => {};
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(typeof data === 'string' ? data : '');
    } catch {
      console.warn('Dropped a WebSocket frame that is not JSON');
      return;
    }
    const parsed = ServerFrameSchema.safeParse(json);
    if (!parsed.success) {
      console.warn('Dropped an unknown or malformed WebSocket frame', json);
      return;
    }
    const frame = parsed.data;
    switch (frame.type) {
      case 'ready':
        this.ready = true;
        this.failures = 0;
        this.renewed = false;
        this.setState('connected');
        this.startPing();
        this.subscribe();
        return;
      case 'subscribed':
        // Only a connection that got this far counts as healthy enough to reset the backoff.
        this.attempt = 0;
        if (frame.sessionId === this.sessionId) this.options.onSubscribed?.(frame.sessionId);
        return;
      case 'event':
        if (frame.event.sessionId === this.sessionId) this.options.onEvent(frame.event);
        return;
      case 'error':
        if (frame.sessionId && frame.sessionId !== this.sessionId) return;
        this.options.onServerError?.(frame);
        return;
      case 'pong':
        return;
    }
  }

  private subscribe(): void {
    if (!this.sessionId) return;
    const afterSeq = this.options.afterSeq();
    this.send({ v: 1, type: 'subscribe', sessionId: this.sessionId, afterSeq: Math.max(-1, afterSeq) });
  }

  private send(frame: ClientFrame): void {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(frame));
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    this.setState('reconnecting');
    const delay = backoffDelayMs(this.attempt, this.options.backoff);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.hostIsConnected && this.sessionId && this.idle()) this.connect();
    }, delay);
  }

  /** The network came back, or the tab became visible: don't wait out the backoff. */
  private readonly reconnectNow = (): void => {
    if (this.reconnectTimer === null || !this.hostIsConnected || !this.sessionId) return;
    this.attempt = 0;
    this.connect();
  };

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.reconnectNow();
  };

  private startPing(): void {
    this.stopPing();
    const interval = this.options.pingIntervalMs ?? 25_000;
    const silence = this.options.silenceTimeoutMs ?? 60_000;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > silence) {
        // No pong, no event: the connection died without closing (sleep, network change). A close
        // handshake could take long on a dead link, so let go of it and start over now.
        const dead = this.ws;
        this.ws = null;
        this.ready = false;
        dead?.close(CloseCode.silent, 'silent');
        this.scheduleReconnect();
        return;
      }
      this.send({ v: 1, type: 'ping' });
    }, interval);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
  }

  private close(): void {
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.preparing = null;
    this.ready = false;
    this.attempt = 0;
    this.failures = 0;
    this.renewCredential = false;
    this.renewed = false;
    ws?.close(CloseCode.normal);
    this.setState('closed');
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.host.requestUpdate();
  }
}
