import type { IncomingMessage, Server } from 'node:http';
import { Limits } from '@agent-platform/core/domain';
import { type Auth, type AuthResult, authRefusalCode, type Principal, type Store } from '@agent-platform/core/ports';
import {
  ClientFrame,
  ClientFrameTypes,
  type ServerFrame,
  type SessionEvent,
  WsCloseCode,
} from '@agent-platform/core/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import type { EventLog } from '../sessions/event-log.js';

export interface WsOptions {
  server: Server;
  path?: string;
  auth: Auth;
  store: Store;
  events: EventLog;
  log: Logger;
  /**
   * In the runner pool: whether this runner serves the user. A user placed elsewhere is sent away
   * (close 4410) so the browser asks the API for its runner, instead of following a conversation
   * here that another runner is writing.
   */
  admits?: ((userId: string) => Promise<boolean>) | undefined;
  /** A connection that has not authenticated by then is closed. Default 10 s. */
  authTimeoutMs?: number;
  /** Sessions one connection may follow at once. Default 20. */
  maxSubscriptions?: number;
  /** A client this far behind (bytes queued) is dropped; it reconnects and replays. Default 8 MiB. */
  maxBufferedBytes?: number;
}

interface Conn {
  ws: WebSocket;
  principal: Principal | null;
  subs: Map<string, () => void>;
}

/**
 * The browser's live channel: `auth`, then `subscribe` to sessions it owns. A subscriber gets the
 * stored events after the seq it names, then live ones, each exactly once and in order.
 */
export function attachWebSocket(o: WsOptions): { close: () => Promise<void>; wss: WebSocketServer } {
  const wss = new WebSocketServer({ server: o.server, path: o.path ?? '/ws', maxPayload: Limits.wsFrameBytes });
  const authTimeoutMs = o.authTimeoutMs ?? 10_000;
  const maxSubs = o.maxSubscriptions ?? 20;
  const maxBuffered = o.maxBufferedBytes ?? 8 * 1024 * 1024;

  const send = (c: Conn, frame: ServerFrame): void => {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > maxBuffered) {
      c.ws.close(1013, 'client too slow; reconnect to replay');
      return;
    }
    c.ws.send(JSON.stringify(frame));
  };
  const sendError = (c: Conn, code: string, message: string, sessionId?: string): void =>
    send(c, { v: 1, type: 'error', code, message, ...(sessionId ? { sessionId } : {}) });

  wss.on('connection', (ws: WebSocket, _req: IncomingMessage) => {
    const c: Conn = { ws, principal: null, subs: new Map() };
    let alive = true;
    ws.on('pong', () => {
      alive = true;
    });
    const heartbeat = setInterval(() => {
      if (!alive) ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    heartbeat.unref();
    const authTimer = setTimeout(() => ws.close(WsCloseCode.authTimeout, 'authenticate first'), authTimeoutMs);
    authTimer.unref();

    ws.on('close', () => {
      clearInterval(heartbeat);
      clearTimeout(authTimer);
      for (const stop of c.subs.values()) stop();
      c.subs.clear();
    });
    ws.on('error', (e) => o.log.debug('ws error', { error: e.message }));

    ws.on('message', (data, isBinary) => {
      void handle(c, data, isBinary).catch((e: unknown) => {
        o.log.error('ws frame failed', { error: e });
        sendError(c, 'INTERNAL', 'That request failed on our side; try again.');
      });
    });

    async function handle(conn: Conn, data: unknown, isBinary: boolean): Promise<void> {
      if (isBinary) return sendError(conn, 'BAD_FRAME', 'Send frames as JSON text.');
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        return sendError(conn, 'BAD_FRAME', 'A frame must be a JSON object.');
      }
      const type = (json as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !(ClientFrameTypes as readonly string[]).includes(type)) {
        o.log.debug('unknown ws frame type', { type: String(type).slice(0, 40) });
        return sendError(conn, 'UNKNOWN_FRAME', `Unknown frame type; expected one of ${ClientFrameTypes.join(', ')}.`);
      }
      const parsed = ClientFrame.safeParse(json);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        return sendError(
          conn,
          'BAD_FRAME',
          `Bad ${type} frame: ${i ? `${i.path.join('.') || 'frame'}: ${i.message}` : ''}`,
        );
      }
      const frame = parsed.data;
      if (frame.type === 'auth') {
        let result: AuthResult;
        try {
          result = await o.auth.verify(frame.credential);
        } catch (e) {
          // The identity provider could not be asked: not the user's fault, so the socket stays open
          // and the browser may send its auth frame again (the auth timeout still applies).
          o.log.error('ws auth check failed', { error: e });
          return sendError(conn, 'INTERNAL', 'Your credential could not be checked right now; send it again shortly.');
        }
        // The close reason is the error code, so the browser knows whether a fresh token will do.
        if (!result.ok) return void conn.ws.close(WsCloseCode.unauthenticated, authRefusalCode[result.reason]);
        if (o.admits && !(await o.admits(result.principal.userId))) {
          return void conn.ws.close(WsCloseCode.moved, 'RUNNER_MOVED');
        }
        conn.principal = result.principal;
        clearTimeout(authTimer);
        return send(conn, { v: 1, type: 'ready', userId: result.principal.userId });
      }
      if (frame.type === 'ping') return send(conn, { v: 1, type: 'pong' });
      if (!conn.principal) {
        sendError(conn, 'UNAUTHENTICATED', 'Send an auth frame first.');
        return void conn.ws.close(WsCloseCode.unauthenticated, authRefusalCode.invalid);
      }
      if (frame.type === 'unsubscribe') {
        conn.subs.get(frame.sessionId)?.();
        conn.subs.delete(frame.sessionId);
        return;
      }
      await subscribe(conn, conn.principal, frame.sessionId, frame.afterSeq ?? -1);
    }
  });

  async function subscribe(c: Conn, principal: Principal, sessionId: string, afterSeq: number): Promise<void> {
    // A conversation, or a run of one of the person's agents (its events are stored under its id).
    const owned =
      (await o.store.getSession(principal.userId, sessionId)) ?? (await o.store.getRun(principal.userId, sessionId));
    if (!owned) return sendError(c, 'SESSION_NOT_FOUND', `No session ${sessionId} for this account.`, sessionId);
    c.subs.get(sessionId)?.();
    c.subs.delete(sessionId);
    if (c.subs.size >= maxSubs) {
      return sendError(c, 'BAD_FRAME', `At most ${maxSubs} sessions can be followed on one connection.`, sessionId);
    }
    // Listen before reading the store, buffering, so nothing appended in between is lost;
    // then send stored events and the buffer, skipping what was already sent.
    let last = afterSeq;
    let buffer: SessionEvent[] | null = [];
    const deliver = (e: SessionEvent): void => {
      if (e.seq <= last) return;
      last = e.seq;
      send(c, { v: 1, type: 'event', event: e });
    };
    const stop = o.events.listen(
      sessionId,
      (e) => (buffer ? buffer.push(e) : deliver(e)),
      (n) => sendError(c, n.code, n.message, sessionId),
    );
    c.subs.set(sessionId, stop);
    let stored: SessionEvent[];
    try {
      stored = await o.store.listEvents(sessionId, afterSeq);
    } catch (e) {
      // Without its replay the subscription would miss events; drop it (and its growing buffer).
      stop();
      if (c.subs.get(sessionId) === stop) c.subs.delete(sessionId);
      throw e;
    }
    for (const e of stored) deliver(e);
    const pending: SessionEvent[] = buffer;
    buffer = null;
    for (const e of pending) deliver(e);
    send(c, { v: 1, type: 'subscribed', sessionId, replayed: stored.length });
  }

  return {
    wss,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
