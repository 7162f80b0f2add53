/**
 * Headless agent runs, for real: the local platform (SQLite, in-process bus, host sandbox) runs the
 * agent's instructions through the real Claude Code CLI and Agent SDK against the scripted model;
 * the run's events stream over the WebSocket, and its status, result, files, tokens and cost are
 * recorded. Limits (budget, turns, timeout), cancel, run-now idempotency, a lost runner's runs and
 * the signed webhook are covered here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentRun, AgentSpec } from '@agent-platform/core/domain';
import { RunFileContent, RunResponse, type SessionEvent } from '@agent-platform/core/protocol';
import { verifyWebhookSignature } from '@agent-platform/runner/notify/webhook';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import type { PlatformClient } from '../fixtures/platform-client.js';
import { type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';

let model: ScriptedModel;
let test: TestPlatform;
let client: PlatformClient;

beforeAll(async () => {
  model = await startScriptedModel();
  test = await startTestPlatform({ ...modelEnv(model.url), RUN_RETRY_BASE_MS: '300' });
  ({ client } = test);
});

afterAll(async () => {
  await test?.close();
  await model?.close();
});

afterEach(() => {
  const failures = [...model.failures];
  model.reset();
  expect(failures).toEqual([]);
});

const spec = (over: Partial<AgentSpec> = {}): AgentSpec => ({
  name: 'Sales table',
  description: 'Writes the sales table.',
  instructions: 'Write report.csv with the totals per region, then summarise it.',
  schedule: null,
  limits: { timeoutMs: 120_000, maxTurns: 10, maxUsd: 1 },
  notifications: { webhookUrl: null, inApp: true },
  ...over,
});

async function createAgent(over: Partial<AgentSpec> = {}): Promise<{ id: string; webhookSecret?: string }> {
  const res = await client.request('POST', '/api/agents', spec(over));
  expect(res.status).toBe(201);
  const body = res.body as { summary: { agent: { id: string } }; webhookSecret?: string };
  return { id: body.summary.agent.id, ...(body.webhookSecret ? { webhookSecret: body.webhookSecret } : {}) };
}

async function runNow(agentId: string, requestId = crypto.randomUUID()): Promise<AgentRun> {
  const res = await client.request('POST', `/api/agents/${agentId}/runs`, { requestId });
  expect(res.status).toBe(202);
  return RunResponse.parse(res.body).run;
}

async function getRun(id: string): Promise<AgentRun> {
  const res = await client.request('GET', `/api/runs/${id}`);
  expect(res.status).toBe(200);
  return RunResponse.parse(res.body).run;
}

async function waitForEnd(id: string, timeoutMs = 60_000): Promise<AgentRun> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(id);
    if (!['queued', 'running'].includes(run.status)) return run;
    if (Date.now() > end) throw new Error(`run ${id} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const REPORT = 'region,total\nnorth,10\nsouth,"1,200"\n';

describe('a headless run', () => {
  it('runs the agent in its folder, streams live, and records result, files, tokens and cost', async () => {
    const agent = await createAgent();
    model.script([
      {
        expect: (req) => {
          // The instructions are the prompt; the run prompt says nobody is watching.
          expect(JSON.stringify(req.body?.messages)).toContain('Write report.csv');
          expect(JSON.stringify(req.body?.system)).toContain('Unattended run of the agent');
        },
        text: 'Writing the table.',
        toolUse: [
          { name: 'Bash', input: { command: `printf '${REPORT.replaceAll('\n', '\\n')}' > report.csv && pwd` } },
        ],
        usage: { input_tokens: 1200, output_tokens: 80 },
      },
      { text: 'Done: report.csv has 2 regions; south sold 1,200.', usage: { input_tokens: 1400, output_tokens: 30 } },
    ]);
    const ws = await client.connect();
    const requestId = crypto.randomUUID();
    const run = await runNow(agent.id, requestId);
    expect(run).toMatchObject({ status: 'queued', trigger: 'manual', attempt: 1, agentId: agent.id });
    // The same click again (a double click, a retried POST) is the same run.
    const again = await client.request('POST', `/api/agents/${agent.id}/runs`, { requestId });
    expect(again.status).toBe(200);
    expect(RunResponse.parse(again.body).run.id).toBe(run.id);

    ws.subscribe(run.sessionId);
    const ended = (await ws.waitForEvent((e) => e.type === 'run.ended', 90_000)) as Extract<
      SessionEvent,
      { type: 'run.ended' }
    >;
    expect(ended).toMatchObject({ runId: run.id, status: 'succeeded', reason: null });
    const types = ws.events.filter((e) => e.sessionId === run.id).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['status', 'assistant.delta', 'tool.use', 'tool.result', 'turn.result']),
    );
    expect(types.at(-1)).toBe('run.ended');
    const toolResult = ws.events.find((e) => e.type === 'tool.result');
    // Claude ran in the agent's own folder.
    expect(JSON.stringify(toolResult)).toContain(`/agents/${agent.id}`);

    const done = await getRun(run.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      result: 'Done: report.csv has 2 regions; south sold 1,200.',
      runnerId: 'local',
    });
    expect(done.durationMs).toBeGreaterThan(0);
    expect(done.tokens.inputTokens).toBeGreaterThanOrEqual(1400);
    expect(done.tokens.outputTokens).toBeGreaterThanOrEqual(30);
    expect(done.costUsd).toBeGreaterThan(0);
    const file = done.files.find((f) => f.path === `~/agents/${agent.id}/report.csv`);
    expect(file).toEqual({
      path: `~/agents/${agent.id}/report.csv`,
      bytes: Buffer.byteLength(REPORT),
      changeKind: 'created',
      contentType: 'text/csv',
      stored: true,
    });
    const content = await client.request('GET', `/api/runs/${run.id}/file?path=${encodeURIComponent(file!.path)}`);
    expect(RunFileContent.parse(content.body)).toEqual({
      path: file!.path,
      contentType: 'text/csv',
      bytes: Buffer.byteLength(REPORT),
      encoding: 'utf8',
      content: REPORT,
    });

    // The dashboard's summary shows it as the last run, with the month's cost.
    const list = (await client.request('GET', '/api/agents')).body as {
      agents: Array<{ agent: { id: string }; lastRun: AgentRun | null; monthCostUsd: number }>;
    };
    const summary = list.agents.find((a) => a.agent.id === agent.id);
    expect(summary?.lastRun?.id).toBe(run.id);
    expect(summary?.monthCostUsd).toBeCloseTo(done.costUsd, 9);
    ws.close();
  }, 120_000);

  it('ends a run over its budget as failed BUDGET_EXCEEDED, and one over its turns as MAX_TURNS', async () => {
    const costly = await createAgent({ name: 'Costly', limits: { timeoutMs: 120_000, maxTurns: 10, maxUsd: 0.01 } });
    // Every answer asks for another tool call: only the budget stops it.
    model.fallback = {
      text: 'Again.',
      toolUse: [{ name: 'Bash', input: { command: 'echo again' } }],
      usage: { input_tokens: 10, output_tokens: 200_000 },
    };
    const overBudget = await waitForEnd((await runNow(costly.id)).id, 90_000);
    expect(overBudget).toMatchObject({ status: 'failed', reason: 'BUDGET_EXCEEDED' });
    expect(overBudget.costUsd).toBeGreaterThan(0.01);

    const chatty = await createAgent({ name: 'Chatty', limits: { timeoutMs: 120_000, maxTurns: 2, maxUsd: 5 } });
    model.fallback = { text: 'Again.', toolUse: [{ name: 'Bash', input: { command: 'echo again' } }] };
    const tooLong = await waitForEnd((await runNow(chatty.id)).id, 90_000);
    expect(tooLong).toMatchObject({ status: 'failed', reason: 'MAX_TURNS' });
  }, 200_000);

  it('ends a run over its time as timed_out, and a cancelled run as cancelled', async () => {
    const slow = await createAgent({ name: 'Slow', limits: { timeoutMs: 10_000, maxTurns: 5, maxUsd: 1 } });
    model.fallback = { text: 'Thinking slowly.', firstTokenDelayMs: 30_000 };
    const started = Date.now();
    const timedOut = await waitForEnd((await runNow(slow.id)).id, 60_000);
    expect(timedOut).toMatchObject({ status: 'timed_out', reason: 'TIMEOUT', result: null });
    expect(Date.now() - started).toBeLessThan(25_000);

    const cancelMe = await createAgent({ name: 'Cancel me', limits: { timeoutMs: 120_000, maxTurns: 5, maxUsd: 1 } });
    const run = await runNow(cancelMe.id);
    // Wait until Claude is working on it, then cancel.
    for (let i = 0; i < 200 && (await getRun(run.id)).status !== 'running'; i++)
      await new Promise((r) => setTimeout(r, 100));
    const cancelled = await client.request('POST', `/api/runs/${run.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(RunResponse.parse(cancelled.body).run).toMatchObject({ status: 'cancelled', reason: 'CANCELLED' });
    // Cancelling twice says it has ended; a new run of the agent can start at once.
    const twice = await client.request('POST', `/api/runs/${run.id}/cancel`);
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'CONFLICT' });
    // The runner notices and stops Claude: the agent is free again within seconds.
    const end = Date.now() + 15_000;
    while (test.platform.runs.activeCount > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(test.platform.runs.activeCount).toBe(0);
  }, 120_000);

  it('ends the runs of a lost runner as RUNNER_LOST and retries them', async () => {
    const agent = await createAgent({ name: 'Survivor' });
    const store = test.platform.store;
    const me = (await client.request('GET', '/api/me')).body as { user: { id: string } };
    const { run } = await store.createRun({
      id: `lost-${crypto.randomUUID()}`,
      agentId: agent.id,
      ownerId: me.user.id,
      trigger: 'manual',
      sessionId: `lost-${crypto.randomUUID()}`,
      now: Date.now(),
    });
    await store.transitionRun(run.id, ['queued'], 'running', { runnerId: 'runner-that-died' }, Date.now());
    model.fallback = { text: 'Recovered and done.' };
    expect(await test.platform.runs.failLostRuns('runner-that-died')).toBe(1);
    expect(await getRun(run.id)).toMatchObject({ status: 'failed', reason: 'RUNNER_LOST' });
    // An infrastructure failure is retried (after RUN_RETRY_BASE_MS here): attempt 2 succeeds.
    const end = Date.now() + 60_000;
    let retry: AgentRun | undefined;
    while (!retry && Date.now() < end) {
      const page = (await client.request('GET', `/api/agents/${agent.id}/runs?status=succeeded`)).body as {
        runs: AgentRun[];
      };
      retry = page.runs.find((r) => r.trigger === 'retry');
      if (!retry) await new Promise((r) => setTimeout(r, 200));
    }
    expect(retry).toMatchObject({ attempt: 2, status: 'succeeded', result: 'Recovered and done.' });
  }, 120_000);

  it('posts a signed run.finished to the agent’s webhook and stores an in-app notification', async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const agent = await createAgent({ name: 'Hooked', notifications: { webhookUrl: url, inApp: true } });
      expect(agent.webhookSecret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
      model.fallback = { text: 'All good.' };
      const run = await waitForEnd((await runNow(agent.id)).id);
      expect(run.status).toBe('succeeded');
      // The first delivery is answered 503: the notifier tries again.
      const end = Date.now() + 30_000;
      while (received.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(2);
      const last = received[1]!;
      const signature = last.headers['x-agent-platform-signature'] as string;
      expect(verifyWebhookSignature(agent.webhookSecret!, signature, last.body, Math.floor(Date.now() / 1000))).toBe(
        true,
      );
      expect(
        verifyWebhookSignature(agent.webhookSecret!, signature, `${last.body} `, Math.floor(Date.now() / 1000)),
      ).toBe(false);
      expect(JSON.parse(last.body)).toMatchObject({
        run: { id: run.id, status: 'succeeded' },
        agent: { id: agent.id, name: 'Hooked' },
      });

      const notes = (await client.request('GET', '/api/notifications')).body as {
        notifications: Array<{ runId: string; status: string }>;
        unread: number;
      };
      expect(notes.notifications.find((n) => n.runId === run.id)).toMatchObject({ status: 'succeeded' });
      expect(notes.unread).toBeGreaterThan(0);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  }, 120_000);
});
