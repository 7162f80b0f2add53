/**
 * Bad input on the WebSocket, and a platform with no model configured: clear errors, the
 * connection stays up, nothing stored is lost or half-written.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Limits } from '@agent-platform/core/domain';
import { WsCloseCode } from '@agent-platform/core/protocol';
import type { LocalPlatform } from '@agent-platform/runner/local';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import { EventStream, type PlatformClient } from '../fixtures/platform-client.js';

let test: TestPlatform;
let platform: LocalPlatform;
let client: PlatformClient;

beforeAll(async () => {
  // No ANTHROPIC_* at all: the app must still start, and turns fail clearly.
  test = await startTestPlatform({}, {});
  ({ platform, client } = test);
});

afterAll(async () => {
  await test?.close();
});

const rawSocket = async (): Promise<EventStream> => {
  const ws = new WebSocket(`${platform.url.replace('http', 'ws')}/ws`);
  const s = new EventStream(ws);
  await new Promise((r) => ws.once('open', r));
  return s;
};

describe('WebSocket input', () => {
  it('answers an unknown frame type and a bad shape with an error frame and stays open', async () => {
    const ws = await client.connect();
    ws.sendRaw(JSON.stringify({ v: 1, type: 'shout', loud: true }));
    expect(await ws.waitForFrame((f) => f.type === 'error')).toMatchObject({ code: 'UNKNOWN_FRAME' });
    ws.sendRaw(JSON.stringify({ v: 1, type: 'subscribe', sessionId: 42 }));
    const bad = await ws.waitForFrame((f) => f.type === 'error' && f.code === 'BAD_FRAME');
    expect((bad as { message: string }).message).toContain('sessionId');
    ws.sendRaw('not json {');
    await ws.waitForFrame((f) => f.type === 'error' && f.code === 'BAD_FRAME' && f.message.includes('JSON'));
    ws.sendRaw(JSON.stringify({ v: 1, type: 'ping' }));
    await ws.waitForFrame((f) => f.type === 'pong');
    expect(ws.closed).toBeNull();
    ws.close();
  });

  it('closes with 1009 on an oversized frame', async () => {
    const ws = await client.connect();
    ws.sendRaw(JSON.stringify({ v: 1, type: 'ping', pad: 'x'.repeat(Limits.wsFrameBytes + 1) }));
    expect((await ws.waitForClose()).code).toBe(1009);
  });

  it('refuses a forged credential and frames before auth', async () => {
    const forged = await rawSocket();
    forged.sendRaw(JSON.stringify({ v: 1, type: 'auth', credential: 'v1.e30.bad' }));
    expect((await forged.waitForClose()).code).toBe(WsCloseCode.unauthenticated);

    const early = await rawSocket();
    early.sendRaw(JSON.stringify({ v: 1, type: 'subscribe', sessionId: 'x' }));
    expect((await early.waitForClose()).code).toBe(WsCloseCode.unauthenticated);
  });

  it('does not reveal another user’s session', async () => {
    await platform.store.createSession({ id: 'foreign', ownerId: 'other', title: '', context: 'workspace', now: 1 });
    const ws = await client.connect();
    ws.subscribe('foreign');
    expect(await ws.waitForFrame((f) => f.type === 'error')).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      sessionId: 'foreign',
    });
    ws.close();
  });
});

describe('a replay that fails', () => {
  it('answers with an error, keeps the connection, and leaves no half-made subscription behind', async () => {
    // Corrupt rows, written behind the store's back: the ownership check passes, the replay fails.
    const broken: string[] = [];
    const db = new Database(path.join(platform.dataDir, 'platform.db'));
    for (let i = 0; i < 21; i++) {
      const id = await client.createSession();
      db.prepare(
        'INSERT INTO events (session_id, seq, type, message_id, at, payload) VALUES (?, 0, ?, NULL, 1, ?)',
      ).run(id, 'status', '{"v":1,"type":"status","state":"dancing"}');
      broken.push(id);
    }
    db.close();
    const ws = await client.connect();
    const failures = () => ws.frames.filter((f) => f.type === 'error' && f.code === 'INTERNAL').length;
    for (const [i, id] of broken.entries()) {
      ws.subscribe(id);
      await ws.waitForFrame(() => failures() > i);
    }
    expect(ws.frames.filter((f) => f.type === 'error' && f.code === 'INTERNAL')).toHaveLength(21);
    expect(ws.frames.some((f) => f.type === 'subscribed')).toBe(false);
    // Failed subscriptions hold no place: a good one is still accepted (at most 20 may be live).
    const good = await client.createSession();
    ws.subscribe(good);
    await ws.waitForFrame((f) => f.type === 'subscribed' && f.sessionId === good);
    expect(ws.closed).toBeNull();
    ws.close();
  });
});

describe('no model configured', () => {
  it('reports it in health, fails the turn with MODEL_NOT_CONFIGURED and keeps the message for a retry', async () => {
    const health = await client.request('GET', '/api/health');
    expect(health.body).toMatchObject({ ok: true, modelConfigured: false });

    const sessionId = await client.createSession();
    const ws = await client.connect();
    ws.subscribe(sessionId);
    const messageId = await client.send(sessionId, 'please work');
    const err = await ws.waitForEvent((e) => e.type === 'error' && e.messageId === messageId);
    expect(err).toMatchObject({ code: 'MODEL_NOT_CONFIGURED', retryable: true });
    const stored = await platform.store.getMessage(sessionId, messageId);
    expect(stored).toMatchObject({ text: 'please work', status: 'failed' });

    const retry = await client.request('POST', `/api/sessions/${sessionId}/messages/${messageId}/retry`);
    expect(retry.status).toBe(202);
    await ws.waitForEvent((e) => e.type === 'error' && e.messageId === messageId && e.seq > err.seq);
    const restored = await client.request('GET', `/api/sessions/${sessionId}`);
    const body = restored.body as { messages: unknown[]; events: Array<{ type: string }> };
    expect(body.messages).toHaveLength(1);
    expect(body.events.filter((e) => e.type === 'error')).toHaveLength(2);
    ws.close();
  });
});

describe('a sandbox that cannot be made', () => {
  it('fails the turn with a clear error event and keeps the message', async () => {
    // A model is configured (never reached): the failure must come from the sandbox.
    const t = await startTestPlatform({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ANTHROPIC_API_KEY: 'k' });
    try {
      // A file where the users' workspaces folder must go: creating the sandbox fails for real.
      writeFileSync(path.join(t.platform.dataDir, 'workspaces'), 'not a folder');
      const sessionId = await t.client.createSession();
      const ws = await t.client.connect();
      ws.subscribe(sessionId);
      const messageId = await t.client.send(sessionId, 'hello');
      const err = await ws.waitForEvent((e) => e.type === 'error' && e.messageId === messageId);
      expect(err).toMatchObject({ code: 'CLAUDE_PROCESS_FAILED', retryable: true });
      expect((err as { message: string }).message).toContain('could not be started');
      await ws.waitForEvent((e) => e.type === 'status' && e.state === 'idle' && e.messageId === messageId);
      expect(await t.platform.store.getMessage(sessionId, messageId)).toMatchObject({
        text: 'hello',
        status: 'failed',
      });
      expect(t.platform.sessions.activeCount).toBe(0);
      ws.close();
    } finally {
      await t.close();
    }
  });
});
