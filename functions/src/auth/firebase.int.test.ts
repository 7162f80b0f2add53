/**
 * Firebase Auth against the real Auth emulator, on both doors a browser uses: the API (with the
 * SQLite store) and the runner's WebSocket. Accepted tokens make a profile; every refusal has its
 * own code and stores nothing; an outage is an error, not a refusal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import type { Bus, Store } from '@agent-platform/core/ports';
import { systemClock } from '@agent-platform/core/ports';
import { ErrorEnvelope, MeResponse, WsCloseCode } from '@agent-platform/core/protocol';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Logger } from '../../../runner/src/log.js';
import { EventLog } from '../../../runner/src/sessions/event-log.js';
import { attachWebSocket } from '../../../runner/src/ws/server.js';
import { type AuthEmulator, decodeIdToken, startAuthEmulator } from '../../../test/fixtures/auth-emulator.js';
import { EventStream } from '../../../test/fixtures/platform-client.js';
import { createApi } from '../app.js';
import { FirebaseAuth } from './firebase.js';

let emu: AuthEmulator;
let auth: FirebaseAuth;
let dir: string;
let store: Store;
let bus: Bus;
let api: ReturnType<typeof createApi>;
let server: Server;
let ws: ReturnType<typeof attachWebSocket>;
let wsUrl: string;
const apiErrors: string[] = [];
const wsErrors: string[] = [];

beforeAll(async () => {
  emu = await startAuthEmulator({ projectId: 'demo-auth-int' });
  auth = new FirebaseAuth({ projectId: emu.projectId, emulatorHost: emu.host });
  dir = mkdtempSync(path.join(tmpdir(), 'ap-firebase-auth-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  bus = createMemoryBus();
  api = createApi({
    store,
    bus,
    auth,
    clock: systemClock,
    info: {
      version: 't',
      modelConfigured: true,
      sandbox: 'host',
      auth: { kind: 'firebase', apiKey: 'fake', authDomain: 'x', projectId: emu.projectId, emulatorUrl: emu.url },
    },
    log: (msg) => apiErrors.push(msg),
  });
  const quiet = () => {};
  const log: Logger = { debug: quiet, info: quiet, warn: quiet, error: (msg) => wsErrors.push(msg) };
  server = createServer();
  ws = attachWebSocket({ server, auth, store, events: new EventLog(store, systemClock), log });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
});

afterAll(async () => {
  await ws?.close();
  await new Promise((r) => server?.close(r));
  await auth?.close();
  await bus?.close();
  await store?.close();
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, url: string, token: string, body?: unknown) => {
  const res = await api.request(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
};

const socket = async (): Promise<EventStream> => {
  const s = new EventStream(new WebSocket(wsUrl));
  await new Promise((r, j) => {
    s.ws.once('open', r);
    s.ws.once('error', j);
  });
  return s;
};

/** Sends an auth frame; resolves with `ready`'s user id, or the close code and reason. */
const wsAuth = async (credential: string) => {
  const s = await socket();
  s.sendRaw(JSON.stringify({ v: 1, type: 'auth', credential }));
  const outcome = await Promise.race([
    s.waitForFrame((f) => f.type === 'ready').then((f) => ({ ready: (f as { userId: string }).userId })),
    s.waitForClose().then((c) => ({ closed: c })),
  ]);
  s.close();
  return outcome;
};

/** The API's and the WebSocket's answers to a credential that must be refused with `code`. */
const expectRefused = async (token: string, code: 'UNAUTHENTICATED' | 'AUTH_EXPIRED' | 'AUTH_REVOKED') => {
  for (const [method, url, body] of [
    ['GET', '/api/me', undefined],
    ['POST', '/api/sessions', { title: 'should not exist' }],
    ['PATCH', '/api/me', { locale: 'ko' }],
  ] as const) {
    const res = await call(method, url, token, body);
    expect(res.status, `${method} ${url}`).toBe(401);
    expect(ErrorEnvelope.parse(res.body).code).toBe(code);
  }
  expect(await wsAuth(token)).toEqual({ closed: { code: WsCloseCode.unauthenticated, reason: code } });
};

/** Nothing was written for this account: no profile, no session. */
const expectNothingStored = async (uid: string) => {
  expect(await store.getUser(uid)).toBeNull();
  expect(await store.listSessions(uid, { limit: 10 })).toEqual([]);
};

describe('an accepted Google sign-in', () => {
  it('creates the profile with name, email and photo, and opens the WebSocket', async () => {
    const minji = await emu.signInWithGoogle({
      sub: 'google-minji',
      email: 'minji@example.com',
      name: 'Minji Kim',
      picture: 'https://photos.example.com/minji.png',
    });
    expect(decodeIdToken(minji.idToken)).toMatchObject({ firebase: { sign_in_provider: 'google.com' } });

    const me = await call('GET', '/api/me', minji.idToken);
    expect(me.status).toBe(200);
    const { user } = MeResponse.parse(me.body);
    expect(user).toMatchObject({
      id: minji.uid,
      name: 'Minji Kim',
      email: 'minji@example.com',
      photoUrl: 'https://photos.example.com/minji.png',
      locale: null,
      onboarding: {},
    });
    expect(await store.getUser(minji.uid)).toEqual(user);

    const patched = await call('PATCH', '/api/me', minji.idToken, { locale: 'ko' });
    expect(MeResponse.parse(patched.body).user).toMatchObject({ id: minji.uid, locale: 'ko' });

    expect(await wsAuth(minji.idToken)).toEqual({ ready: minji.uid });
  });

  it('names a person without a display name after their email', async () => {
    const jun = await emu.signUpWithPassword('jun.park@example.com', 'correct horse battery');
    const me = await call('GET', '/api/me', jun.idToken);
    expect(MeResponse.parse(me.body).user).toMatchObject({ name: 'jun.park', photoUrl: null });
  });
});

describe('a refused token', () => {
  it('revoked: 401 AUTH_REVOKED and close reason AUTH_REVOKED; nothing stored', async () => {
    const bora = await emu.signInWithGoogle({ sub: 'google-bora', email: 'bora@example.com', name: 'Bora' });
    expect(await auth.verify(bora.idToken)).toMatchObject({ ok: true });
    await emu.revokeTokens(bora.uid);
    expect(await auth.verify(bora.idToken)).toEqual({ ok: false, reason: 'revoked' });
    await expectRefused(bora.idToken, 'AUTH_REVOKED');
    await expectNothingStored(bora.uid);
  });

  it('of a disabled account: AUTH_REVOKED', async () => {
    const dae = await emu.signInWithGoogle({ sub: 'google-dae', email: 'dae@example.com', name: 'Dae' });
    await emu.disableUser(dae.uid);
    await expectRefused(dae.idToken, 'AUTH_REVOKED');
    await expectNothingStored(dae.uid);
  });

  it('expired: 401 AUTH_EXPIRED and close reason AUTH_EXPIRED; nothing stored', async () => {
    const seo = await emu.signInWithGoogle({ sub: 'google-seo', email: 'seo@example.com', name: 'Seo' });
    const nowS = Math.floor(Date.now() / 1000);
    const expired = emu.craftIdToken({
      ...decodeIdToken(seo.idToken),
      auth_time: nowS - 7200,
      iat: nowS - 7200,
      exp: nowS - 3600,
    });
    expect(await auth.verify(expired)).toEqual({ ok: false, reason: 'expired' });
    await expectRefused(expired, 'AUTH_EXPIRED');
    await expectNothingStored(seo.uid);
  });

  it('for another project: UNAUTHENTICATED; nothing stored', async () => {
    const hana = await emu.signInWithGoogle({ sub: 'google-hana', email: 'hana@example.com', name: 'Hana' });
    const claims = decodeIdToken(hana.idToken);
    const otherAudience = emu.craftIdToken({ ...claims, aud: 'demo-other' });
    const otherIssuer = emu.craftIdToken({ ...claims, iss: 'https://securetoken.google.com/demo-other' });
    const otherProject = emu.craftIdToken({
      ...claims,
      aud: 'demo-other',
      iss: 'https://securetoken.google.com/demo-other',
    });
    for (const token of [otherAudience, otherIssuer, otherProject]) await expectRefused(token, 'UNAUTHENTICATED');
    // The same real token, checked by a server of another project on the same emulator.
    const otherServer = new FirebaseAuth({ projectId: 'demo-other', emulatorHost: emu.host });
    try {
      expect(await otherServer.verify(hana.idToken)).toEqual({ ok: false, reason: 'invalid' });
    } finally {
      await otherServer.close();
    }
    await expectNothingStored(hana.uid);
  });

  it('forged or garbage: UNAUTHENTICATED; nothing stored', async () => {
    const yuna = await emu.signInWithGoogle({ sub: 'google-yuna', email: 'yuna@example.com', name: 'Yuna' });
    const [, payload] = yuna.idToken.split('.');
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const forged = [
      'garbage',
      'a.b.c',
      `${b64({ alg: 'none' })}.${b64({ hello: 'world' })}.`, // a JWT, but no Firebase claims
      `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${payload}.${'A'.repeat(342)}`, // a made-up signature
      emu.craftIdToken({ ...decodeIdToken(yuna.idToken), sub: '' }), // no subject
    ];
    for (const token of forged) await expectRefused(token, 'UNAUTHENTICATED');
    const overlong = emu.craftIdToken({ ...decodeIdToken(yuna.idToken), pad: 'x'.repeat(5000) });
    expect(await auth.verify(overlong)).toEqual({ ok: false, reason: 'invalid' });
    expect((await call('GET', '/api/me', overlong)).status).toBe(401);
    await expectNothingStored(yuna.uid);
    expect(apiErrors).toEqual([]);
    expect(wsErrors).toEqual([]);
  });
});

// Last: it stops the emulator.
describe('when the Auth emulator is down', () => {
  it('throws instead of refusing: the API answers 500 and the WebSocket stays open', async () => {
    const kai = await emu.signInWithGoogle({ sub: 'google-kai', email: 'kai@example.com', name: 'Kai' });
    await emu.stop();
    await expect(auth.verify(kai.idToken)).rejects.toThrow();

    const res = await call('GET', '/api/me', kai.idToken);
    expect(res.status).toBe(500);
    expect(ErrorEnvelope.parse(res.body).code).toBe('INTERNAL');
    expect(apiErrors).toEqual(['unhandled error in API']);

    const s = await socket();
    s.sendRaw(JSON.stringify({ v: 1, type: 'auth', credential: kai.idToken }));
    expect(await s.waitForFrame((f) => f.type === 'error')).toMatchObject({ code: 'INTERNAL' });
    s.sendRaw(JSON.stringify({ v: 1, type: 'ping' }));
    await s.waitForFrame((f) => f.type === 'pong');
    expect(s.closed).toBeNull();
    s.close();
    await expectNothingStored(kai.uid);
  });
});
