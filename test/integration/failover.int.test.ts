/**
 * The runner pool on Google's emulators: two runner processes, the API through the functions
 * framework, Firestore, Pub/Sub and the Firebase Auth emulator. A conversation goes on on one
 * runner; that runner is killed (SIGKILL: the VM is gone); the next message is answered by the
 * other runner in the same conversation, with the earlier turns in the model's request, and no
 * message lost or answered twice.
 */
import type { MeResponse, RestoreSessionResponse, SessionEvent } from '@agent-platform/core/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type CloudShape, startCloudShape } from '../fixtures/cloud-shape.js';
import { modelEnv } from '../fixtures/platform.js';
import { PlatformClient } from '../fixtures/platform-client.js';
import {
  classifyRequest,
  lastUserText,
  type ScriptedModel,
  startScriptedModel,
  transcriptText,
} from '../fixtures/scripted-model.js';

let model: ScriptedModel;
let shape: CloudShape;

beforeAll(async () => {
  model = await startScriptedModel();
  shape = await startCloudShape({
    runners: 2,
    runnerEnv: { ...modelEnv(model.url), SANDBOX: 'host', LOG_LEVEL: 'info' },
    heartbeatMs: 1000,
    leaseMs: 4000,
    onOutput: process.env.DEBUG_SHAPE ? (who, line) => console.log(`[${who}] ${line}`) : undefined,
  });
}, 240_000);

afterAll(async () => {
  await shape?.stop();
  await model?.close();
}, 60_000);

afterEach((ctx) => {
  // A failed test shows what the processes said (they are separate processes: their logs are not in ours).
  if (ctx.task.result?.state === 'fail') {
    for (const r of shape.runners) console.error(`--- ${r.id} ---\n${r.output().slice(-6000)}`);
  }
  const failures = [...model.failures];
  model.reset();
  expect(failures).toEqual([]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function signedIn(email: string, name: string): Promise<PlatformClient> {
  const client = new PlatformClient(shape.apiUrl);
  client.credential = (await shape.auth.signInWithGoogle({ email, name })).idToken;
  return client;
}

async function me(client: PlatformClient): Promise<MeResponse> {
  const res = await client.request('GET', '/api/me');
  expect(res.status).toBe(200);
  return res.body as MeResponse;
}

/** Polls the API until the message's turn is over; returns the session as the browser would restore it. */
async function settled(client: PlatformClient, sessionId: string, messageId: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.request('GET', `/api/sessions/${sessionId}`);
    const body = res.body as RestoreSessionResponse;
    const status = body.messages?.find((m) => m.id === messageId)?.status;
    if (status === 'done' || status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`message ${messageId} still ${status} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

const turnResults = (events: SessionEvent[], messageId: string) =>
  events.filter((e) => e.type === 'turn.result' && e.messageId === messageId);

describe('the runner pool', () => {
  it('places two users on different runners and streams each one from its own runner', async () => {
    const a = await signedIn('minji@example.com', 'Minji Kim');
    const b = await signedIn('tom@example.com', 'Tom Lee');
    const [meA, meB] = [await me(a), await me(b)];
    const urls = shape.runners.map((r) => r.url.replace(/^http/, 'ws'));
    expect(urls.some((u) => meA.wsUrl.startsWith(u))).toBe(true);
    expect(urls.some((u) => meB.wsUrl.startsWith(u))).toBe(true);
    expect(meA.wsUrl).not.toBe(meB.wsUrl);
    expect(meA.user).toMatchObject({ name: 'Minji Kim', email: 'minji@example.com' });

    // A runner that does not serve the user sends them away (4410) instead of following their sessions.
    const wrong = new WebSocket(meB.wsUrl);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      wrong.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    wrong.on('open', () => wrong.send(JSON.stringify({ v: 1, type: 'auth', credential: a.credential })));
    expect(await closed).toEqual({ code: 4410, reason: 'RUNNER_MOVED' });

    // Each user's turn runs on their runner and streams over that runner's WebSocket.
    for (const [client, info, text] of [
      [a, meA, 'hello from Minji'],
      [b, meB, 'hello from Tom'],
    ] as const) {
      const sessionId = await client.createSession();
      const ws = await client.connect(info.wsUrl);
      ws.subscribe(sessionId);
      await ws.waitForFrame((f) => f.type === 'subscribed');
      const m = await client.send(sessionId, text);
      await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m);
      const reply = ws.events.find((e) => e.type === 'assistant.message' && e.messageId === m);
      expect(reply).toMatchObject({ text: `You said: ${text}` });
      ws.close();
    }
  });

  it('moves a conversation to the other runner when its runner dies, losing and doubling nothing', async () => {
    const client = await signedIn('ana@example.com', 'Ana Souza');
    const first = await me(client);
    const dying = shape.runners.find((r) => first.wsUrl.startsWith(r.url.replace(/^http/, 'ws')));
    const survivor = shape.runners.find((r) => r !== dying);
    if (!dying || !survivor) throw new Error(`no runner serves ${first.wsUrl}`);

    const sessionId = await client.createSession();
    model.script([{ text: 'Noted: your cat is called Nabi.' }]);
    const m1 = await client.send(sessionId, 'remember that my cat is called Nabi');
    const before = await settled(client, sessionId, m1);
    expect(before.messages.find((m) => m.id === m1)?.status).toBe('done');

    await dying.kill();
    // Sent at once, while the dead runner still holds its lease: the job goes to the dead runner's
    // id and must be re-routed when the survivor takes the user over.
    model.script([
      {
        expect: (req) => {
          const text = transcriptText(req);
          expect(text).toContain('remember that my cat is called Nabi');
          expect(text).toContain('Noted: your cat is called Nabi.');
        },
        text: 'Your cat is Nabi.',
      },
    ]);
    const m2 = await client.send(sessionId, 'what is my cat called?');
    const after = await settled(client, sessionId, m2);

    expect(after.messages.map((m) => [m.text, m.status])).toEqual([
      ['remember that my cat is called Nabi', 'done'],
      ['what is my cat called?', 'done'],
    ]);
    expect(turnResults(after.events, m1)).toHaveLength(1);
    expect(turnResults(after.events, m2)).toHaveLength(1);
    const replies = after.events.filter((e) => e.type === 'assistant.message' && e.messageId === m2);
    expect(replies).toMatchObject([{ text: 'Your cat is Nabi.' }]);
    // Events stayed numbered in order without gaps across the two runners.
    expect(after.events.map((e) => e.seq)).toEqual(after.events.map((_, i) => i));

    // The browser asks again and is sent to the survivor; its WebSocket replays the conversation.
    const moved = await me(client);
    expect(moved.wsUrl.startsWith(survivor.url.replace(/^http/, 'ws'))).toBe(true);
    const ws = await client.connect(moved.wsUrl);
    ws.subscribe(sessionId);
    await ws.waitForFrame((f) => f.type === 'subscribed');
    expect(ws.events.map((e) => e.seq)).toEqual(after.events.map((e) => e.seq));
    ws.close();

    // No job ran twice: the model was asked the second message once, even after redeliveries settle.
    await sleep(1500);
    const asked = model.requests.filter(
      (r) => classifyRequest(r) === 'main' && lastUserText(r) === 'what is my cat called?',
    );
    expect(asked).toHaveLength(1);
  }, 180_000);
});
