/**
 * A user's monthly budget, enforced by the model proxy between Claude Code and the model: once the
 * month's metered cost reaches MONTHLY_BUDGET_USD the next turn stops with a clear error event, the
 * message is kept, and nothing reaches the model.
 */
import type { SessionEvent } from '@agent-platform/core/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import { type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';

let model: ScriptedModel;
let test: TestPlatform;

beforeAll(async () => {
  model = await startScriptedModel();
  test = await startTestPlatform({ ...modelEnv(model.url), MONTHLY_BUDGET_USD: '0.05' });
});

afterAll(async () => {
  await test?.close();
  await model?.close();
});

it('stops the next turn once the month is spent, with an error event that says so', async () => {
  // 50,000 input tokens cost more than $0.05 at any Claude price: the budget is spent. (Far more
  // would look like a full context to Claude Code, which then tries to compact first.)
  model.fallback = { text: 'expensive answer', usage: { input_tokens: 50_000, output_tokens: 10 } };
  const sessionId = await test.client.createSession();
  const ws = await test.client.connect();
  ws.subscribe(sessionId);
  const first = await test.client.send(sessionId, 'first');
  await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === first);
  await test.platform.proxy.idle();
  const spent = await test.platform.store.usageSince('local', 0);
  expect(spent.costUsd).toBeGreaterThan(0.05);

  const answered = model.allRequests.length;
  const second = await test.client.send(sessionId, 'second');
  const error = (await ws.waitForEvent((e) => e.type === 'error' && e.messageId === second, 30_000)) as Extract<
    SessionEvent,
    { type: 'error' }
  >;
  expect(error.code).toBe('BUDGET_EXCEEDED');
  expect(error.message).toMatch(/budget/i);
  // Refused at the proxy: the model saw nothing of the second message.
  expect(model.allRequests.slice(answered).some((r) => JSON.stringify(r.raw).includes('second'))).toBe(false);
  const stored = await test.platform.store.getMessage(sessionId, second);
  expect(stored?.status).toBe('failed');
});
