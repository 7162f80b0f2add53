import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import { Limits } from '@agent-platform/core/domain';
import type { AuthResult, Bus, BusMessage, Principal, Store } from '@agent-platform/core/ports';
import { type ChatTurnJob, ErrorEnvelope, MeResponse, Topics } from '@agent-platform/core/protocol';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, SIGHTING_INTERVAL_MS } from './app.js';
import { LocalAuth } from './auth/local.js';
import { createPlacement, RUNNER_CACHE_MS } from './cloud.js';

let dir: string;
let store: Store;
let bus: Bus;
let auth: LocalAuth;
let api: ReturnType<typeof createApi>;
let jobs: BusMessage<ChatTurnJob>[];
let credential: string;
let now = 1_000;

beforeEach(async () => {
  now = 1_000;
  dir = mkdtempSync(path.join(tmpdir(), 'ap-api-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  bus = createMemoryBus();
  jobs = [];
  await bus.subscribe<ChatTurnJob>(Topics.runnerJobs, 'test', async (m) => {
    jobs.push(m);
  });
  const clock = { now: () => now++ };
  auth = new LocalAuth({ dataDir: dir, clock });
  api = createApi({
    store,
    bus,
    auth,
    localSignIn: auth,
    clock,
    info: { version: 't', modelConfigured: true, sandbox: 'host', auth: { kind: 'local' } },
    log: () => {},
  });
  credential = (await auth.exchange(auth.signInToken))!.credential;
});

afterEach(async () => {
  await bus.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await api.request(url, {
    method,
    headers: {
      authorization: `Bearer ${credential}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
const envelope = (body: unknown) => ErrorEnvelope.parse(body);
const newSession = async () => (await call('POST', '/api/sessions', {})).body.session.id as string;
const waitForJobs = async (n: number) => {
  for (let i = 0; i < 100 && jobs.length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return jobs;
};

describe('auth', () => {
  it('answers health without a credential', async () => {
    const res = await call('GET', '/api/health', undefined, { authorization: '' });
    expect(res).toEqual({
      status: 200,
      body: { ok: true, version: 't', modelConfigured: true, sandbox: 'host', auth: { kind: 'local' } },
    });
  });

  it('tells the signed-in user who they are and where their Claude runs', async () => {
    const res = await call('GET', '/api/me');
    expect(res.status).toBe(200);
    expect(MeResponse.parse(res.body)).toEqual({
      user: {
        id: 'local',
        name: 'Local user',
        email: null,
        photoUrl: null,
        locale: null,
        onboarding: {},
        createdAt: expect.any(Number),
        lastSeenAt: expect.any(Number),
      },
      sandbox: 'host',
      wsUrl: '/ws',
    });
  });

  it('refuses every other route without a valid credential, and stores nothing', async () => {
    for (const authorization of ['', 'Bearer', 'Basic abc', 'Bearer nope', `Bearer ${credential}x`]) {
      const res = await call('GET', '/api/sessions', undefined, { authorization });
      expect(res.status).toBe(401);
      expect(envelope(res.body).code).toBe('UNAUTHENTICATED');
      expect(res.body.message).toMatch(/sign in/i);
    }
    expect(await store.getUser('local')).toBeNull();
  });

  it('answers an expired credential with AUTH_EXPIRED, telling the browser to get a fresh one', async () => {
    const c = (await auth.exchange(auth.signInToken))!;
    now = c.expiresAt;
    const res = await call('GET', '/api/me', undefined, { authorization: `Bearer ${c.credential}` });
    expect(res.status).toBe(401);
    expect(envelope(res.body).code).toBe('AUTH_EXPIRED');
    expect(res.body.message).toMatch(/fresh/);
    expect(await store.getUser('local')).toBeNull();
  });

  it('maps each refusal of the Auth port to its code, and an outage to 500', async () => {
    const answers: Record<string, AuthResult | Error> = {
      invalid: { ok: false, reason: 'invalid' },
      expired: { ok: false, reason: 'expired' },
      revoked: { ok: false, reason: 'revoked' },
      outage: new Error('identity provider unreachable'),
    };
    const logged: string[] = [];
    const withAuth = createApi({
      store,
      bus,
      auth: {
        verify: async (cred) => {
          const a = answers[cred];
          if (a instanceof Error) throw a;
          return a ?? { ok: false, reason: 'invalid' };
        },
      },
      clock: { now: () => now },
      info: { version: 't', modelConfigured: true, sandbox: 'host', auth: { kind: 'local' } },
      log: (msg) => logged.push(msg),
    });
    const codes: Record<string, [number, string]> = {};
    for (const cred of Object.keys(answers)) {
      const res = await withAuth.request('/api/me', { headers: { authorization: `Bearer ${cred}` } });
      codes[cred] = [res.status, envelope(await res.json()).code];
    }
    expect(codes).toEqual({
      invalid: [401, 'UNAUTHENTICATED'],
      expired: [401, 'AUTH_EXPIRED'],
      revoked: [401, 'AUTH_REVOKED'],
      outage: [500, 'INTERNAL'],
    });
    expect(logged).toHaveLength(1);
  });

  it('exchanges the sign-in token, recording the user, and refuses a wrong one', async () => {
    const bad = await call('POST', '/api/auth/local', { token: 'wrong' }, { authorization: '' });
    expect(bad.status).toBe(401);
    expect(envelope(bad.body).code).toBe('UNAUTHENTICATED');
    expect(await store.getUser('local')).toBeNull();
    const ok = await call('POST', '/api/auth/local', { token: auth.signInToken }, { authorization: '' });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ id: 'local', name: 'Local user' });
    expect(await auth.verify(ok.body.credential)).toMatchObject({ ok: true, principal: { userId: 'local' } });
    expect(await store.getUser('local')).toMatchObject({ id: 'local', lastSeenAt: ok.body.user.lastSeenAt });
  });

  it('records a sighting at most once per interval, not on every request', async () => {
    now = 10_000;
    await call('GET', '/api/sessions');
    const first = (await store.getUser('local'))!;
    expect(first).toMatchObject({ createdAt: first.lastSeenAt });
    now = first.lastSeenAt + SIGHTING_INTERVAL_MS - 10;
    await call('GET', '/api/sessions');
    expect((await store.getUser('local'))!.lastSeenAt).toBe(first.lastSeenAt);
    now = first.lastSeenAt + SIGHTING_INTERVAL_MS;
    await call('GET', '/api/sessions');
    const later = (await store.getUser('local'))!;
    expect(later.lastSeenAt).toBeGreaterThanOrEqual(first.lastSeenAt + SIGHTING_INTERVAL_MS);
    expect(later.createdAt).toBe(first.createdAt);
  });

  describe('the sighting cache', () => {
    let calls: Record<string, number>;
    let principal: Principal;
    let revoked: boolean;
    let cachedApi: ReturnType<typeof createApi>;
    beforeEach(() => {
      const counted = counting(store);
      calls = counted.calls;
      principal = { userId: 'u1', name: 'Ann', email: 'ann@example.com', photoUrl: null };
      revoked = false;
      cachedApi = createApi({
        store: counted.store,
        bus,
        // Asked on every request: a revocation is never cached.
        auth: { verify: async () => (revoked ? { ok: false, reason: 'revoked' } : { ok: true, principal }) },
        clock: { now: () => now },
        info: { version: 't', modelConfigured: true, sandbox: 'host', auth: { kind: 'local' } },
        sightingCacheEntries: 3,
        log: () => {},
      });
    });
    const get = async (url: string) => {
      const res = await cachedApi.request(url, { headers: { authorization: 'Bearer t' } });
      return { status: res.status, body: await res.json() };
    };
    const profileCalls = () => ({ getUser: calls.getUser ?? 0, recordSighting: calls.recordSighting ?? 0 });

    it('reads and writes the profile once per interval, not on every request', async () => {
      now = 10_000;
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 1, recordSighting: 1 });
      now += SIGHTING_INTERVAL_MS - 1;
      await get('/api/sessions');
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 1, recordSighting: 1 });
      now += 1;
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 2, recordSighting: 2 });
      expect((await store.getUser('u1'))?.lastSeenAt).toBe(now);
    });

    it('takes a sighting another instance recorded, without writing it again', async () => {
      now = 10_000;
      await store.recordSighting({ ...principal, id: 'u1', now: now - 1000 });
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 1, recordSighting: 0 });
      now += SIGHTING_INTERVAL_MS - 1001;
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 1, recordSighting: 0 });
      now += 1;
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 2, recordSighting: 1 });
    });

    it('records a profile changed at the provider at once', async () => {
      await get('/api/sessions');
      principal = { ...principal, name: 'Ann B.' };
      await get('/api/sessions');
      expect(profileCalls()).toEqual({ getUser: 2, recordSighting: 2 });
      expect((await store.getUser('u1'))?.name).toBe('Ann B.');
    });

    it('still asks Auth on every request: a revoked credential is refused at once', async () => {
      expect((await get('/api/sessions')).status).toBe(200);
      revoked = true;
      const res = await get('/api/sessions');
      expect(res.status).toBe(401);
      expect(envelope(res.body).code).toBe('AUTH_REVOKED');
    });

    it('answers /me with the stored profile, read when the cache spared the auth step', async () => {
      await get('/api/me');
      now += 1000;
      await store.updateUserSettings('u1', { locale: 'ko' });
      const me = await get('/api/me');
      expect(me.body.user).toMatchObject({ id: 'u1', name: 'Ann', locale: 'ko' });
      expect(profileCalls()).toEqual({ getUser: 2, recordSighting: 1 });
    });

    it('keeps the people seen most recently, up to its size', async () => {
      const as = async (userId: string) => {
        principal = { ...principal, userId };
        await get('/api/sessions');
      };
      for (const id of ['a', 'b', 'c', 'a', 'd']) await as(id); // 'a' seen again: 'b' is the one forgotten
      expect(profileCalls().getUser).toBe(4);
      for (const id of ['a', 'c', 'd']) await as(id);
      expect(profileCalls().getUser).toBe(4);
      await as('b');
      expect(profileCalls().getUser).toBe(5);
    });
  });
});

/** The store, with a count of the calls of each method (the real store answers them). */
function counting(target: Store): { store: Store; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const store = new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1;
        return value.apply(t, args);
      };
    },
  });
  return { store, calls };
}

describe('LocalAuth', () => {
  it('accepts its own credential until it expires, then answers expired', async () => {
    const c = (await auth.exchange(auth.signInToken))!;
    expect(await auth.verify(c.credential)).toEqual({
      ok: true,
      principal: { userId: 'local', name: 'Local user', email: null, photoUrl: null },
    });
    now = c.expiresAt;
    expect(await auth.verify(c.credential)).toEqual({ ok: false, reason: 'expired' });
  });

  it('answers invalid for forged, tampered, malformed and overlong credentials', async () => {
    const c = (await auth.exchange(auth.signInToken))!;
    const [version, , mac] = c.credential.split('.');
    const longer = Buffer.from(JSON.stringify({ sub: 'local', exp: Number.MAX_SAFE_INTEGER })).toString('base64url');
    const otherDir = mkdtempSync(path.join(tmpdir(), 'ap-other-'));
    try {
      const other = new LocalAuth({ dataDir: otherDir, signInToken: auth.signInToken, clock: { now: () => now } });
      const foreign = (await other.exchange(auth.signInToken))!.credential;
      for (const forged of [
        `${version}.${longer}.${mac}`, // payload changed, old signature
        foreign, // signed with another secret
        `${c.credential}.extra`,
        'v1.e30.bad',
        'v2.x.y',
        'not a credential',
        'x'.repeat(5000),
      ]) {
        expect(await auth.verify(forged)).toEqual({ ok: false, reason: 'invalid' });
      }
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('PATCH /api/me', () => {
  const patch = (body: unknown) => call('PATCH', '/api/me', body);

  it('stores the person’s locale and answers, merging answers, and returns the profile', async () => {
    const res = await patch({ locale: 'ko', onboarding: { role: 'marketer' } });
    expect(res.status).toBe(200);
    expect(MeResponse.parse(res.body)).toMatchObject({
      user: { id: 'local', locale: 'ko', onboarding: { role: 'marketer' } },
      sandbox: 'host',
      wsUrl: '/ws',
    });
    const more = await patch({ onboarding: { goal: 'weekly report' } });
    expect(more.body.user).toMatchObject({ locale: 'ko', onboarding: { role: 'marketer', goal: 'weekly report' } });
    const cleared = await patch({ locale: null });
    expect(cleared.body.user.locale).toBeNull();
    expect((await call('GET', '/api/me')).body.user).toEqual(cleared.body.user);
  });

  it('refuses a bad locale, an unknown field or a non-object, naming the field, and stores nothing', async () => {
    await patch({ locale: 'en-US' });
    const before = await store.getUser('local');
    const badLocale = await patch({ locale: 'not a language!' });
    expect(badLocale.status).toBe(400);
    expect(envelope(badLocale.body).code).toBe('VALIDATION_FAILED');
    expect(badLocale.body.message).toContain('locale');
    expect(badLocale.body.details.issues[0].path).toBe('locale');
    const unknown = await patch({ locale: 'ko', isAdmin: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('isAdmin');
    const badAnswer = await patch({ onboarding: { 'Bad Id': 'x' } });
    expect(badAnswer.status).toBe(400);
    expect(badAnswer.body.message).toContain('onboarding');
    const notObject = await patch('"ko"');
    expect(notObject.status).toBe(400);
    const wrongType = await call('PATCH', '/api/me', { locale: 'ko' }, { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(await store.getUser('local')).toEqual(before);
  });

  it('needs a credential', async () => {
    const res = await call('PATCH', '/api/me', { locale: 'ko' }, { authorization: '' });
    expect(res.status).toBe(401);
    expect(await store.getUser('local')).toBeNull();
  });
});

describe('sessions', () => {
  it('creates, lists newest first and restores', async () => {
    const a = await call('POST', '/api/sessions', { title: 'A' });
    expect(a.status).toBe(201);
    expect(a.body.session).toMatchObject({ title: 'A', context: 'workspace', ownerId: 'local', claudeSessionId: null });
    await call('POST', '/api/sessions', { title: 'B', context: 'agent-create' });
    const list = await call('GET', '/api/sessions');
    expect(list.body.sessions.map((s: { title: string }) => s.title)).toEqual(['B', 'A']);
    expect(list.body.nextBefore).toBeNull();
    const page = await call('GET', '/api/sessions?limit=1');
    expect(page.body.sessions).toHaveLength(1);
    const next = await call('GET', `/api/sessions?limit=1&before=${encodeURIComponent(page.body.nextBefore)}`);
    expect(next.body.sessions[0].title).toBe('A');

    const restored = await call('GET', `/api/sessions/${a.body.session.id}`);
    expect(restored).toEqual({
      status: 200,
      body: { session: a.body.session, messages: [], events: [], lastSeq: -1 },
    });
  });

  it('answers 404 for an unknown or another user’s session', async () => {
    const other = await store.createSession({
      id: 'theirs',
      ownerId: 'someone-else',
      title: '',
      context: 'workspace',
      now: 1,
    });
    for (const id of ['nope', other.id]) {
      const res = await call('GET', `/api/sessions/${id}`);
      expect(res.status).toBe(404);
      expect(envelope(res.body).code).toBe('SESSION_NOT_FOUND');
      const post = await call('POST', `/api/sessions/${id}/messages`, { clientMessageId: 'c1', text: 'hi' });
      expect(post.status).toBe(404);
    }
    expect(await store.listMessages(other.id)).toEqual([]);
  });

  it('names a bad field and a bad query', async () => {
    const res = await call('POST', '/api/sessions', { context: 'admin' });
    expect(res.status).toBe(400);
    expect(envelope(res.body)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.body.message).toContain('context');
    const q = await call('GET', '/api/sessions?limit=0');
    expect(q.status).toBe(400);
    expect(q.body.message).toContain('limit');
  });
});

describe('messages', () => {
  it('stores first, publishes a job and answers 202; idempotent on clientMessageId', async () => {
    const id = await newSession();
    const first = await call('POST', `/api/sessions/${id}/messages`, { clientMessageId: 'c-1', text: 'Hello there' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ clientMessageId: 'c-1', created: true });
    const again = await call('POST', `/api/sessions/${id}/messages`, { clientMessageId: 'c-1', text: 'Hello there' });
    expect(again.body).toEqual({ ...first.body, created: false });

    const messages = await store.listMessages(id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: first.body.messageId, text: 'Hello there', status: 'pending' });
    // The repeat of a still-pending message is published again; the runner runs it once.
    const got = await waitForJobs(2);
    expect(got.map((j) => j.data)).toEqual([
      { v: 1, type: 'chat.turn', sessionId: id, ownerId: 'local', messageId: first.body.messageId },
      { v: 1, type: 'chat.turn', sessionId: id, ownerId: 'local', messageId: first.body.messageId },
    ]);
    expect(got[0]?.orderingKey).toBe(id);
    // The first message names an untitled session.
    expect((await call('GET', `/api/sessions/${id}`)).body.session.title).toBe('Hello there');
  });

  it('refuses a message over 32 KB with 413, and stores nothing', async () => {
    const id = await newSession();
    const text = 'a'.repeat(Limits.messageTextBytes + 1);
    const res = await call('POST', `/api/sessions/${id}/messages`, { clientMessageId: 'big', text });
    expect(res.status).toBe(413);
    expect(envelope(res.body).code).toBe('PAYLOAD_TOO_LARGE');
    const huge = await call('POST', `/api/sessions/${id}/messages`, {
      clientMessageId: 'huge',
      text: 'a'.repeat(200_000),
    });
    expect(huge.status).toBe(413);
    expect(await store.listMessages(id)).toEqual([]);
    expect(jobs).toEqual([]);
  });

  it('answers 400 for malformed JSON, a missing field or a wrong content type, and stores nothing', async () => {
    const id = await newSession();
    const url = `/api/sessions/${id}/messages`;
    const malformed = await call('POST', url, '{"clientMessageId": "x", "text": ');
    expect(malformed.status).toBe(400);
    expect(envelope(malformed.body).code).toBe('BAD_REQUEST');
    const missing = await call('POST', url, { clientMessageId: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('text');
    expect(missing.body.details.issues[0].path).toBe('text');
    const wrongType = await call('POST', url, { clientMessageId: 'x', text: 'hi' }, { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const notObject = await call('POST', url, '[1,2]');
    expect(notObject.status).toBe(400);
    expect(await store.listMessages(id)).toEqual([]);
    expect(jobs).toEqual([]);
  });

  it('retries only a failed message', async () => {
    const id = await newSession();
    const { body } = await call('POST', `/api/sessions/${id}/messages`, { clientMessageId: 'r', text: 'try' });
    const pending = await call('POST', `/api/sessions/${id}/messages/${body.messageId}/retry`);
    expect(pending.status).toBe(409);
    expect(envelope(pending.body).code).toBe('CONFLICT');
    await store.setMessageStatus(id, body.messageId, 'failed');
    const ok = await call('POST', `/api/sessions/${id}/messages/${body.messageId}/retry`);
    expect(ok.status).toBe(202);
    expect((await store.getMessage(id, body.messageId))?.status).toBe('pending');
    const missing = await call('POST', `/api/sessions/${id}/messages/nope/retry`);
    expect(missing.status).toBe(404);
  });

  it('answers unknown API paths with the envelope', async () => {
    const res = await call('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(envelope(res.body).code).toBe('NOT_FOUND');
  });
});

describe('the runner pool', () => {
  // The API as the cloud composes it: the cloud's placement over the Store's runner registry.
  let pool: ReturnType<typeof createApi>;
  let calls: Record<string, number>;
  beforeEach(() => {
    const counted = counting(store);
    calls = counted.calls;
    const clock = { now: () => now };
    pool = createApi({
      store: counted.store,
      bus,
      auth,
      clock,
      info: { version: 't', modelConfigured: true, sandbox: 'docker', auth: { kind: 'local' } },
      placement: createPlacement(counted.store, clock),
      log: () => {},
    });
  });
  const poolCall = async (method: string, url: string, body?: unknown) => {
    const res = await pool.request(url, {
      method,
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const leaseMs = 60_000;
  const beat = (id: string) =>
    store.heartbeatRunner({ id, wsUrl: `ws://127.0.0.1:9/${id}`, capacity: 5, activeSessions: 0, now, leaseMs });
  const post = async (sessionId: string, clientMessageId: string) => {
    const before = jobs.length;
    const res = await poolCall('POST', `/api/sessions/${sessionId}/messages`, { clientMessageId, text: 'hi' });
    expect(res.status).toBe(202);
    return (await waitForJobs(before + 1))[before]?.attributes.runner;
  };

  it('sends the browser to its runner and addresses the jobs to it', async () => {
    await beat('runner-a');
    const me = await poolCall('GET', '/api/me');
    expect(me.body.wsUrl).toBe('ws://127.0.0.1:9/runner-a');
    const sessionId = (await poolCall('POST', '/api/sessions', {})).body.session.id as string;
    const posted = await poolCall('POST', `/api/sessions/${sessionId}/messages`, { clientMessageId: 'p1', text: 'hi' });
    expect(posted.status).toBe(202);
    const [job] = await waitForJobs(1);
    expect(job?.attributes).toMatchObject({ type: 'chat.turn', runner: 'runner-a' });
  });

  it('keeps a message no runner can take as failed, and Retry sends it once one can', async () => {
    const sessionId = (await poolCall('POST', '/api/sessions', {})).body.session.id as string;
    const posted = await poolCall('POST', `/api/sessions/${sessionId}/messages`, { clientMessageId: 'p2', text: 'hi' });
    expect(posted.status).toBe(503);
    expect(envelope(posted.body).code).toBe('NO_RUNNER');
    const [stored] = await store.listMessages(sessionId);
    expect(stored).toMatchObject({ text: 'hi', status: 'failed' });
    expect(jobs).toHaveLength(0);

    await beat('runner-b');
    const retried = await poolCall('POST', `/api/sessions/${sessionId}/messages/${stored?.id}/retry`);
    expect(retried.status).toBe(202);
    const [job] = await waitForJobs(1);
    expect(job?.data).toMatchObject({ messageId: stored?.id });
    expect(job?.attributes.runner).toBe('runner-b');
  });

  it('keeps a user on a healthy runner without placeUser, and places one with no placement', async () => {
    await beat('runner-a');
    const sessionId = (await poolCall('POST', '/api/sessions', {})).body.session.id as string;
    expect(await post(sessionId, 'f1')).toBe('runner-a');
    expect(calls.placeUser).toBe(1);
    await beat('runner-b');
    now += 500;
    expect(await post(sessionId, 'f2')).toBe('runner-a');
    expect(await post(sessionId, 'f3')).toBe('runner-a');
    expect(calls.placeUser).toBe(1);
    // The registry is read at most once per RUNNER_CACHE_MS.
    expect(calls.listRunners).toBe(1);
    now += RUNNER_CACHE_MS;
    expect(await post(sessionId, 'f4')).toBe('runner-a');
    expect(calls.listRunners).toBe(2);
    expect(calls.placeUser).toBe(1);
    expect((await store.listRunners()).find((r) => r.id === 'runner-a')?.placedUsers).toBe(1);
  });

  it('moves a user whose runner’s lease ended at once, whatever the registry copy says', async () => {
    await beat('runner-a');
    const sessionId = (await poolCall('POST', '/api/sessions', {})).body.session.id as string;
    expect(await post(sessionId, 'l1')).toBe('runner-a');
    now += leaseMs - 100;
    await beat('runner-b');
    expect(await post(sessionId, 'l2')).toBe('runner-a');
    now += 100; // runner-a's lease ends; the copy of the registry is 100 ms old
    expect(await post(sessionId, 'l3')).toBe('runner-b');
    expect(calls.placeUser).toBe(2);
  });

  it('places again a user whose runner was taken over and came back (the placement is no longer counted)', async () => {
    await beat('runner-a');
    const sessionId = (await poolCall('POST', '/api/sessions', {})).body.session.id as string;
    expect(await post(sessionId, 't1')).toBe('runner-a');
    now += leaseMs;
    expect(await store.takeOverRunner('runner-a', now)).toBe(true);
    now += RUNNER_CACHE_MS;
    await beat('runner-a');
    expect(await post(sessionId, 't2')).toBe('runner-a');
    expect(calls.placeUser).toBe(2);
    expect((await store.listRunners())[0]).toMatchObject({ id: 'runner-a', placedUsers: 1 });
  });
});
