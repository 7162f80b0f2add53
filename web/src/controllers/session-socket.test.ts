import type { ServerFrame } from '@agent-platform/core/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionSocket, type SessionSocketOptions, type SocketLike } from './session-socket.js';

class FakeHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  readonly updateComplete = Promise.resolve(true);
  addController(controller: ReactiveController): void {
    this.controllers.push(controller);
  }
  removeController(): void {}
  requestUpdate(): void {}
}

/** A WebSocket the test drives: it opens, answers and closes when told to. */
class FakeSocket {
  readyState = 0;
  readonly sent: Array<Record<string, unknown>> = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closedWith: number | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.readyState = 3;
    this.closedWith = code;
  }
  /** The connection opens (the client then sends its auth frame). */
  accept(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  receive(frame: ServerFrame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  /** The server (or the network) ends the connection. */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** Opens, authenticates and subscribes. */
  establish(userId = 'u1'): void {
    this.accept();
    this.receive({ v: 1, type: 'ready', userId });
    const subscribe = this.sent.find((f) => f['type'] === 'subscribe');
    this.receive({ v: 1, type: 'subscribed', sessionId: String(subscribe?.['sessionId']), replayed: 0 });
  }
}

/** Settles the socket's async preparation (credential, address) and any due timers. */
const flush = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

function setup(overrides: Partial<SessionSocketOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const refused: string[] = [];
  let afterSeq = -1;
  let token = 'token-1';
  const urls = vi.fn(async (relocate: boolean) => (relocate ? 'ws://runner-b:8081/ws' : 'ws://runner-a:8081/ws'));
  const refreshCredential = vi.fn(async () => {
    token = `fresh-${refreshCredential.mock.calls.length}`;
    return token;
  });
  const host = new FakeHost();
  const socket = new SessionSocket(host, {
    url: urls,
    credential: async () => token,
    refreshCredential,
    afterSeq: () => afterSeq,
    onEvent: () => {},
    onUnauthenticated: (code) => refused.push(code),
    backoff: { baseDelayMs: 100, maxDelayMs: 100 },
    open: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake as unknown as SocketLike;
    },
    ...overrides,
  });
  const last = (): FakeSocket => {
    const s = sockets.at(-1);
    if (!s) throw new Error('no socket was opened');
    return s;
  };
  return {
    socket,
    sockets,
    last,
    refused,
    urls,
    refreshCredential,
    setAfterSeq: (seq: number) => {
      afterSeq = seq;
    },
    start: async (sessionId = 's1') => {
      socket.hostConnected();
      socket.setSession(sessionId);
      await flush();
      return last();
    },
  };
}

describe('SessionSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('window', new EventTarget());
    vi.stubGlobal('document', Object.assign(new EventTarget(), { visibilityState: 'visible' }));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('authenticates at the address it is given and resubscribes after a drop with the last seq it holds', async () => {
    const t = setup();
    const first = await t.start();
    expect(first.url).toBe('ws://runner-a:8081/ws');
    first.establish();
    expect(t.socket.state).toBe('connected');
    expect(first.sent).toEqual([
      { v: 1, type: 'auth', credential: 'token-1' },
      { v: 1, type: 'subscribe', sessionId: 's1', afterSeq: -1 },
    ]);

    t.setAfterSeq(41);
    first.drop();
    expect(t.socket.state).toBe('reconnecting');
    await flush(100);
    const second = t.last();
    expect(second).not.toBe(first);
    second.establish();
    // Replay by seq: only what the page has not seen.
    expect(second.sent.at(-1)).toEqual({ v: 1, type: 'subscribe', sessionId: 's1', afterSeq: 41 });
    expect(t.urls.mock.calls.map(([relocate]) => relocate)).toEqual([false, false]);
  });

  it('renews an expired credential once and reconnects at once', async () => {
    const t = setup();
    const first = await t.start();
    first.establish();
    first.drop(4401, 'AUTH_EXPIRED');
    await flush();
    expect(t.refreshCredential).toHaveBeenCalledTimes(1);
    const second = t.last();
    expect(second).not.toBe(first);
    second.accept();
    expect(second.sent[0]).toEqual({ v: 1, type: 'auth', credential: 'fresh-1' });
    expect(t.refused).toEqual([]);

    // The renewed credential is refused as expired too: no loop, the user signs in again.
    second.drop(4401, 'AUTH_EXPIRED');
    await flush(1_000);
    expect(t.refreshCredential).toHaveBeenCalledTimes(1);
    expect(t.refused).toEqual(['AUTH_EXPIRED']);
    expect(t.socket.state).toBe('closed');
    expect(t.sockets).toHaveLength(2);
  });

  it('renews again after a healthy connection (tokens expire every hour)', async () => {
    const t = setup();
    const first = await t.start();
    first.establish();
    first.drop(4401, 'AUTH_EXPIRED');
    await flush();
    t.last().establish();
    t.last().drop(4401, 'AUTH_EXPIRED');
    await flush();
    expect(t.refreshCredential).toHaveBeenCalledTimes(2);
    t.last().accept();
    expect(t.last().sent[0]).toEqual({ v: 1, type: 'auth', credential: 'fresh-2' });
    expect(t.refused).toEqual([]);
  });

  it('reports a revoked or invalid credential without renewing it', async () => {
    for (const reason of ['AUTH_REVOKED', 'UNAUTHENTICATED', '']) {
      const t = setup();
      const first = await t.start();
      first.establish();
      first.drop(4401, reason);
      await flush(1_000);
      expect(t.refreshCredential).not.toHaveBeenCalled();
      expect(t.refused).toEqual([reason || 'UNAUTHENTICATED']);
      expect(t.sockets).toHaveLength(1);
      t.socket.hostDisconnected();
    }
  });

  it('reports an expired credential when it cannot be renewed', async () => {
    const t = setup({ refreshCredential: undefined });
    const first = await t.start();
    first.drop(4401, 'AUTH_EXPIRED');
    await flush(1_000);
    expect(t.refused).toEqual(['AUTH_EXPIRED']);
  });

  it('asks where the runner is after three failed tries in a row, then keeps the new address', async () => {
    const t = setup();
    const first = await t.start();
    first.establish();
    // The runner dies: the connection drops, and the next tries cannot connect.
    first.drop();
    for (let i = 0; i < 3; i++) {
      await flush(100);
      t.last().drop();
    }
    await flush(100);
    expect(t.urls.mock.calls.map(([relocate]) => relocate)).toEqual([false, false, false, false, true]);
    const moved = t.last();
    expect(moved.url).toBe('ws://runner-b:8081/ws');
    moved.establish();
    expect(t.socket.state).toBe('connected');
    expect(moved.sent.at(-1)).toMatchObject({ type: 'subscribe', sessionId: 's1' });

    // Healthy again: one drop is not a reason to ask again.
    moved.drop();
    await flush(100);
    expect(t.urls.mock.calls.at(-1)).toEqual([false]);
  });

  it('asks where the runner is at once when the runner says the user was moved', async () => {
    const t = setup();
    const first = await t.start();
    first.accept();
    // A runner that no longer serves this user closes with 4410 right after the auth frame.
    first.drop(4410, 'RUNNER_MOVED');
    await flush(100);
    expect(t.urls.mock.calls.map(([relocate]) => relocate)).toEqual([false, true]);
    t.last().establish();
    expect(t.socket.state).toBe('connected');
    expect(t.refused).toEqual([]);
  });

  it('asks again at the next try when asking failed', async () => {
    let calls = 0;
    const urls = vi.fn(async (relocate: boolean) => {
      calls++;
      if (relocate && calls === 4) throw new Error('NETWORK_ERROR');
      return relocate ? 'ws://runner-b:8081/ws' : 'ws://runner-a:8081/ws';
    });
    const t = setup({ url: urls });
    await t.start();
    for (let i = 0; i < 3; i++) {
      t.last().drop();
      await flush(100);
    }
    // The fourth call (relocate) failed; no socket was opened for it, and the next try asks again.
    expect(t.sockets).toHaveLength(3);
    await flush(100);
    expect(urls.mock.calls.map(([relocate]) => relocate)).toEqual([false, false, false, true, true]);
    expect(t.last().url).toBe('ws://runner-b:8081/ws');
  });

  it('stops when the session goes away while it prepares', async () => {
    const t = setup();
    t.socket.hostConnected();
    t.socket.setSession('s1');
    t.socket.setSession(null);
    await flush(1_000);
    expect(t.sockets).toHaveLength(0);
    expect(t.socket.state).toBe('closed');
  });

  it('reports no credential as unauthenticated', async () => {
    const t = setup({ credential: async () => null });
    t.socket.hostConnected();
    t.socket.setSession('s1');
    await flush();
    expect(t.sockets).toHaveLength(0);
    expect(t.refused).toEqual(['UNAUTHENTICATED']);
  });
});
