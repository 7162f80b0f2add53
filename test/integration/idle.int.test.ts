/** An idle conversation's Claude process ends after SESSION_IDLE_MS; the next message resumes it. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import { type ScriptedModel, startScriptedModel, transcriptText } from '../fixtures/scripted-model.js';

let model: ScriptedModel;
let test: TestPlatform;

beforeAll(async () => {
  model = await startScriptedModel();
  test = await startTestPlatform({ ...modelEnv(model.url), SESSION_IDLE_MS: '300' });
});

afterAll(async () => {
  await test?.close();
  await model?.close();
});

it('stops an idle Claude process and resumes the conversation on the next message', async () => {
  const { platform, client } = test;
  const sessionId = await client.createSession();
  const ws = await client.connect();
  ws.subscribe(sessionId);
  model.script([{ text: 'I will remember ORCHID.' }]);
  const m1 = await client.send(sessionId, 'remember ORCHID');
  await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m1);
  const claudeSessionId = (await platform.store.getSession('local', sessionId))?.claudeSessionId;

  await ws.waitForEvent((e) => e.type === 'status' && e.state === 'stopped', 10_000);
  expect(platform.sessions.activeCount).toBe(0);

  model.script([
    {
      expect: (req) => expect(transcriptText(req)).toContain('ORCHID'),
      text: 'It was ORCHID.',
    },
  ]);
  const m2 = await client.send(sessionId, 'what was the word?');
  await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m2);
  expect(model.failures).toEqual([]);
  expect((await platform.store.getSession('local', sessionId))?.claudeSessionId).toBe(claudeSessionId);
  const statuses = ws.events.filter((e) => e.type === 'status').map((e) => (e as { state: string }).state);
  // Started, stopped when idle, started again for the resumed turn.
  expect(statuses.filter((s) => s === 'starting')).toHaveLength(2);
  ws.close();
});
