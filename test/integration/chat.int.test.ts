/**
 * The chat path for real: HTTP API → SQLite → in-process bus → session manager → the real Claude Code
 * CLI through the real Agent SDK → the scripted model → events stored and streamed over the WebSocket.
 */
import type { SessionEvent } from '@agent-platform/core/protocol';
import type { LocalPlatform } from '@agent-platform/runner/local';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import type { PlatformClient } from '../fixtures/platform-client.js';
import { type ScriptedModel, startScriptedModel, toolResults, transcriptText } from '../fixtures/scripted-model.js';

let model: ScriptedModel;
let test: TestPlatform;
let platform: LocalPlatform;
let client: PlatformClient;

beforeAll(async () => {
  model = await startScriptedModel();
  test = await startTestPlatform(modelEnv(model.url));
  ({ platform, client } = test);
});

afterAll(async () => {
  await test?.close();
  await model?.close();
});

afterEach(() => {
  // A scripted turn's own assertion failing must fail the test that scripted it.
  const failures = [...model.failures];
  model.reset();
  expect(failures).toEqual([]);
});

const turnEnd = (messageId: string) => (e: SessionEvent) => e.type === 'turn.result' && e.messageId === messageId;

describe('a conversation with Claude Code', () => {
  it('serves two messages with one Claude process, streaming text as it comes', async () => {
    const sessionId = await client.createSession();
    const ws = await client.connect();
    ws.subscribe(sessionId);
    await ws.waitForFrame((f) => f.type === 'subscribed');

    model.script([{ chunks: ['Hello ', 'there, ', 'friend.'] }]);
    const m1 = await client.send(sessionId, 'first message');
    await ws.waitForEvent(turnEnd(m1));
    const pid1 = platform.sessions.processOf(sessionId)?.pid;
    expect(pid1).toBeTypeOf('number');

    model.script([{ text: 'Second answer.' }]);
    const m2 = await client.send(sessionId, 'second message');
    await ws.waitForEvent(turnEnd(m2));
    expect(platform.sessions.processOf(sessionId)?.pid).toBe(pid1);

    const deltas = ws.events.filter((e) => e.type === 'assistant.delta' && e.messageId === m1);
    expect(deltas.map((e) => (e as { text: string }).text).join('')).toBe('Hello there, friend.');
    expect(deltas.length).toBe(3);
    // Every event is numbered in order, without gaps.
    expect(ws.events.map((e) => e.seq)).toEqual(ws.events.map((_, i) => i));
    // The second request carries the first exchange.
    const texts = transcriptText(model.requests.at(-1)!);
    expect(texts).toContain('first message');
    expect(texts).toContain('Hello there, friend.');
    ws.close();
  });

  it('runs a Bash tool and shows 42 in a tool result event', async () => {
    const sessionId = await client.createSession();
    const ws = await client.connect();
    ws.subscribe(sessionId);
    model.script([
      { text: 'Let me compute that.', toolUse: [{ name: 'Bash', input: { command: 'python3 -c "print(6*7)"' } }] },
      {
        expect: (req) => expect(toolResults(req)[0]?.text).toContain('42'),
        text: 'The answer is 42.',
      },
    ]);
    const m = await client.send(sessionId, 'what is 6*7? use python');
    await ws.waitForEvent(turnEnd(m));
    const use = ws.events.find((e) => e.type === 'tool.use');
    expect(use).toMatchObject({ name: 'Bash', input: { command: 'python3 -c "print(6*7)"' }, messageId: m });
    const result = ws.events.find((e) => e.type === 'tool.result');
    expect(result).toMatchObject({ isError: false, messageId: m });
    expect((result as { output: string }).output.trim()).toBe('42');
    expect(ws.events.some((e) => e.type === 'status' && e.state === 'tool' && e.tool === 'Bash')).toBe(true);
    expect(model.failures).toEqual([]);
    ws.close();
  });

  it('resumes the same conversation after the Claude process is killed', async () => {
    const sessionId = await client.createSession();
    const ws = await client.connect();
    ws.subscribe(sessionId);
    model.script([{ text: 'Noted: the code word is PELICAN.' }]);
    const m1 = await client.send(sessionId, 'remember the code word PELICAN');
    await ws.waitForEvent(turnEnd(m1));
    const before = await platform.store.getSession('local', sessionId);
    expect(before?.claudeSessionId).toBeTruthy();

    const proc = platform.sessions.processOf(sessionId);
    expect(proc?.pid).toBeTypeOf('number');
    process.kill(proc!.pid!, 'SIGKILL');
    await ws.waitForEvent((e) => e.type === 'status' && e.state === 'stopped');
    expect(platform.sessions.processOf(sessionId)).toBeUndefined();

    model.script([
      {
        expect: (req) => expect(transcriptText(req)).toContain('PELICAN'),
        text: 'The code word was PELICAN.',
      },
    ]);
    const m2 = await client.send(sessionId, 'what was the code word?');
    await ws.waitForEvent(turnEnd(m2));
    expect(model.failures).toEqual([]);
    const after = await platform.store.getSession('local', sessionId);
    expect(after?.claudeSessionId).toBe(before?.claudeSessionId);
    const newPid = platform.sessions.processOf(sessionId)?.pid;
    expect(newPid).toBeTypeOf('number');
    expect(newPid).not.toBe(proc!.pid);
    ws.close();
  });

  it('gives a reconnecting subscriber exactly the events it missed, in order, once', async () => {
    const sessionId = await client.createSession();
    const first = await client.connect();
    first.subscribe(sessionId);
    model.script([{ text: 'One.' }]);
    const m1 = await client.send(sessionId, 'one');
    await first.waitForEvent(turnEnd(m1));
    const lastSeen = first.events.at(-1)!.seq;
    first.close();

    model.script([{ chunks: ['Two ', 'and ', 'more.'] }]);
    const m2 = await client.send(sessionId, 'two');
    // Wait until the turn is stored while nobody listens.
    const watcher = await client.connect();
    watcher.subscribe(sessionId);
    await watcher.waitForEvent(turnEnd(m2));
    watcher.close();

    const again = await client.connect();
    again.subscribe(sessionId, lastSeen);
    await again.waitForFrame((f) => f.type === 'subscribed');
    const stored = await platform.store.listEvents(sessionId, lastSeen);
    expect(stored.length).toBeGreaterThan(0);
    expect(again.events).toEqual(stored);
    const seqs = again.events.map((e) => e.seq);
    expect(seqs).toEqual(stored.map((_, i) => lastSeen + 1 + i));
    again.close();
  });
});
