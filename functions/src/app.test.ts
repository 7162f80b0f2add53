import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Limits } from '@agent-platform/core/domain';
import type { Bus, BusMessage, Store } from '@agent-platform/core/ports';
import { type ChatTurnJob, ErrorEnvelope, Topics } from '@agent-platform/core/protocol';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from './app.js';
import { LocalAuth } from './auth/local.js';

let dir: string;
let store: Store;
let bus: Bus;
let auth: LocalAuth;
let api: ReturnType<typeof createApi>;
let jobs: BusMessage<ChatTurnJob>[];
let credential: string;
let now = 1_000;

beforeEach(async () => {
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
    expect(res).toEqual({ status: 200, body: { ok: true, version: 't', modelConfigured: true, sandbox: 'host' } });
  });

  it('tells the signed-in user who they are and where their Claude runs', async () => {
    const res = await call('GET', '/api/me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { id: 'local' }, sandbox: 'host' });
  });

  it('refuses every other route without a valid credential', async () => {
    for (const authorization of ['', 'Bearer nope', `Bearer ${credential}x`]) {
      const res = await call('GET', '/api/sessions', undefined, { authorization });
      expect(res.status).toBe(401);
      expect(envelope(res.body).code).toBe('UNAUTHENTICATED');
    }
  });

  it('exchanges the sign-in token and refuses a wrong one', async () => {
    const ok = await call('POST', '/api/auth/local', { token: auth.signInToken }, { authorization: '' });
    expect(ok.status).toBe(200);
    expect(await auth.verify(ok.body.credential)).toMatchObject({ userId: 'local' });
    const bad = await call('POST', '/api/auth/local', { token: 'wrong' }, { authorization: '' });
    expect(bad.status).toBe(401);
    expect(envelope(bad.body).code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired credential', async () => {
    const c = (await auth.exchange(auth.signInToken))!;
    now = c.expiresAt + 1;
    expect(await auth.verify(c.credential)).toBeNull();
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
