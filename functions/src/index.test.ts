import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import type { MeResponse } from '@agent-platform/core/protocol';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAuth } from './auth/local.js';
import { registerApiFunction } from './index.js';

// The `api` Cloud Function through the real functions framework (which has read the body before
// our handler runs), served on loopback.
let dir: string;
let server: Server;
let base: string;
let credential: string;
const store = () => openSqliteStore({ file: path.join(dir, 'fn.db') });
let opened: ReturnType<typeof store>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ap-fn-'));
  opened = store();
  const clock = { now: () => Date.now() };
  const auth = new LocalAuth({ dataDir: dir, clock });
  registerApiFunction({
    store: opened,
    bus: createMemoryBus(),
    auth,
    localSignIn: auth,
    clock,
    info: { version: 'fn', modelConfigured: false, sandbox: 'host', auth: { kind: 'local' } },
    log: () => {},
  });
  credential = (await auth.exchange(auth.signInToken))!.credential;
  server = getTestServer('api');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the api Cloud Function', () => {
  const auth = () => ({ authorization: `Bearer ${credential}`, 'content-type': 'application/json' });

  it('serves the API with bodies the framework already read', async () => {
    const created = await fetch(`${base}/api/sessions`, { method: 'POST', headers: auth(), body: '{"title":"fn"}' });
    expect(created.status).toBe(201);
    const { session } = (await created.json()) as { session: { id: string; title: string } };
    expect(session.title).toBe('fn');
    const posted = await fetch(`${base}/api/sessions/${session.id}/messages`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ clientMessageId: 'fn-1', text: 'hello from a function' }),
    });
    expect(posted.status).toBe(202);
    expect((await opened.listMessages(session.id)).map((m) => m.text)).toEqual(['hello from a function']);
  });

  it('records the user and updates their settings with PATCH /api/me', async () => {
    const patched = await fetch(`${base}/api/me`, { method: 'PATCH', headers: auth(), body: '{"locale":"ko"}' });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as MeResponse).user).toMatchObject({ id: 'local', locale: 'ko' });
    const bad = await fetch(`${base}/api/me`, { method: 'PATCH', headers: auth(), body: '{"locale":"??"}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await opened.getUser('local'))?.locale).toBe('ko');
    const me = await fetch(`${base}/api/me`, { headers: auth() });
    expect(((await me.json()) as MeResponse).user.locale).toBe('ko');
  });

  it('answers with the one error envelope', async () => {
    const res = await fetch(`${base}/api/sessions/nope`, { headers: auth() });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    const anon = await fetch(`${base}/api/sessions`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
