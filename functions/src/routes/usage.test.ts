import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentSpec } from '@agent-platform/core/domain';
import type { Clock } from '@agent-platform/core/ports';
import { ErrorEnvelope, UsageResponse } from '@agent-platform/core/protocol';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEnv } from '../app.js';
import { errorResponse } from '../http/errors.js';
import { registerUsageRoutes, type UsageRouteDeps } from './usage.js';

// GET /api/usage on the real SQLite store. Today is Monday 2026-11-23, 12:00 UTC.
const NOW = Date.UTC(2026, 10, 23, 12, 0);
const OWNER = 'user-1';
const OTHER = 'user-2';
const clock: Clock = { now: () => NOW };
const at = (day: number, hour: number, minute = 0) => Date.UTC(2026, 10, day, hour, minute);

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ap-usage-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The route on a bare API app; the caller is whoever `x-test-user` names (OWNER by default). */
const makeApi = (over: Partial<UsageRouteDeps> = {}) => {
  const app = new Hono<ApiEnv>().basePath('/api');
  app.onError((err, c) => errorResponse(c, err, () => {}));
  app.use('*', async (c, next) => {
    const userId = c.req.header('x-test-user') ?? OWNER;
    c.set('principal', { userId, name: userId, email: null, photoUrl: null });
    c.set('user', undefined);
    await next();
  });
  registerUsageRoutes(app, { store, clock, monthlyBudgetUsd: 20, ...over });
  return app;
};

const get = async (app: Hono<ApiEnv>, url: string, user = OWNER) => {
  const res = await app.request(url, { headers: { 'x-test-user': user } });
  return { status: res.status, body: (await res.json()) as unknown };
};

const spec = (name: string): AgentSpec => ({
  name,
  description: '',
  instructions: 'Do the thing.',
  schedule: null,
  limits: { timeoutMs: 600_000, maxTurns: 20, maxUsd: 5 },
  notifications: { webhookUrl: null, inApp: true },
});

const agent = (id: string, name: string, ownerId = OWNER) =>
  store.createAgent({ id, ownerId, spec: spec(name), webhookSecret: null, now: at(1, 0) });

let runs = 0;
/** A run of the agent queued at `queuedAt` that succeeded a minute later with these totals. */
const run = async (agentId: string, queuedAt: number, costUsd: number, inputTokens = 0, outputTokens = 0) => {
  const id = `run-${++runs}`;
  await store.createRun({ id, agentId, ownerId: OWNER, trigger: 'schedule', sessionId: `s-${id}`, now: queuedAt });
  await store.transitionRun(id, ['queued'], 'running', { runnerId: 'local' }, queuedAt + 1000);
  const tokens = { inputTokens, outputTokens, cacheReadTokens: 0, cacheCreationTokens: 0 };
  await store.transitionRun(id, ['running'], 'succeeded', { costUsd, tokens, result: 'ok' }, queuedAt + 60_000);
};

let usages = 0;
const usage = (userId: string, when: number, costUsd: number, inputTokens: number, outputTokens: number) =>
  store.recordUsage({
    id: `u-${++usages}`,
    userId,
    claudeSessionId: null,
    model: 'claude-sonnet-4-5',
    inputTokens,
    outputTokens,
    cacheReadTokens: 0,
    cacheCreationTokens: 0,
    costUsd,
    at: when,
  });

describe('GET /api/usage', () => {
  it('fills every day of the range, totals each agent, and adds the month and the budget', async () => {
    await usage(OWNER, Date.UTC(2026, 9, 31, 23), 7, 1, 1); // October: outside the month
    await usage(OWNER, at(20, 23, 59), 2, 200, 20); // before the range, in the month
    await usage(OWNER, at(21, 0, 0), 0.5, 100, 10);
    await usage(OWNER, at(21, 20), 0.25, 50, 5);
    await usage(OWNER, at(23, 1), 1, 300, 30);
    await usage(OTHER, at(22, 1), 100, 1, 1);

    await agent('a-report', 'Weekly report');
    await agent('a-idle', 'Never ran');
    await agent('a-gone', 'Gone soon');
    await run('a-report', at(20, 23, 59), 9, 999, 999); // before the range
    await run('a-report', at(21, 9), 0.5, 100, 10);
    await run('a-report', at(23, 1), 0.25, 50, 5);
    await store.createRun({
      id: 'run-skipped',
      agentId: 'a-report',
      ownerId: OWNER,
      trigger: 'schedule',
      sessionId: 's-skipped',
      status: 'skipped',
      reason: 'OVERLAP',
      now: at(22, 5),
    });
    await run('a-gone', at(22, 8), 1, 400, 40);
    await store.deleteAgent(OWNER, 'a-gone');

    const res = await get(makeApi(), '/api/usage?days=3');
    expect(res.status).toBe(200);
    expect(UsageResponse.parse(res.body)).toEqual({
      days: [
        { day: '2026-11-21', costUsd: 0.75, inputTokens: 150, outputTokens: 15 },
        { day: '2026-11-22', costUsd: 0, inputTokens: 0, outputTokens: 0 },
        { day: '2026-11-23', costUsd: 1, inputTokens: 300, outputTokens: 30 },
      ],
      agents: [
        {
          agentId: 'a-gone',
          name: 'Deleted agent',
          deleted: true,
          runs: 1,
          costUsd: 1,
          inputTokens: 400,
          outputTokens: 40,
          byDay: { '2026-11-22': 1 },
        },
        {
          agentId: 'a-report',
          name: 'Weekly report',
          deleted: false,
          runs: 2,
          costUsd: 0.75,
          inputTokens: 150,
          outputTokens: 15,
          byDay: { '2026-11-21': 0.5, '2026-11-23': 0.25 },
        },
      ],
      monthCostUsd: 3.75,
      monthlyBudgetUsd: 20,
    });
  });

  it('answers 30 zero days by default, with no budget when none is set', async () => {
    const res = await get(makeApi({ monthlyBudgetUsd: null }), '/api/usage');
    const body = UsageResponse.parse(res.body);
    expect(body.days).toHaveLength(30);
    expect(body.days[0]?.day).toBe('2026-10-25');
    expect(body.days.at(-1)?.day).toBe('2026-11-23');
    expect(body.days.every((d) => d.costUsd === 0 && d.inputTokens === 0)).toBe(true);
    expect(body).toMatchObject({ agents: [], monthCostUsd: 0, monthlyBudgetUsd: null });
  });

  it('counts only the caller’s own usage and runs', async () => {
    await agent('a-mine', 'Mine');
    await run('a-mine', at(23, 1), 0.3);
    await usage(OWNER, at(23, 1), 0.3, 1, 1);
    const res = await get(makeApi(), '/api/usage?days=1', OTHER);
    expect(res.body).toEqual({
      days: [{ day: '2026-11-23', costUsd: 0, inputTokens: 0, outputTokens: 0 }],
      agents: [],
      monthCostUsd: 0,
      monthlyBudgetUsd: 20,
    });
  });

  it('pages through many runs, and stops at the scan bound', async () => {
    await agent('a-busy', 'Busy');
    for (let i = 0; i < 230; i++) await run('a-busy', at(23, 0, 0) + i * 60_000, 0.01, 1, 1);
    const all = UsageResponse.parse((await get(makeApi(), '/api/usage?days=2')).body);
    expect(all.agents).toEqual([
      {
        agentId: 'a-busy',
        name: 'Busy',
        deleted: false,
        runs: 230,
        costUsd: 2.3,
        inputTokens: 230,
        outputTokens: 230,
        byDay: { '2026-11-23': 2.3 },
      },
    ]);
    const bounded = UsageResponse.parse((await get(makeApi({ maxRunsScanned: 120 }), '/api/usage?days=2')).body);
    expect(bounded.agents[0]).toMatchObject({ runs: 120, costUsd: 1.2 });
  });

  it.each([
    ['days=0', 'days'],
    ['days=abc', 'days'],
    ['days=93', 'days'],
    ['days=1.5', 'days'],
  ])('refuses %s with 400 and the error envelope', async (query, field) => {
    const res = await get(makeApi(), `/api/usage?${query}`);
    expect(res.status).toBe(400);
    const envelope = ErrorEnvelope.parse(res.body);
    expect(envelope.code).toBe('VALIDATION_FAILED');
    expect(envelope.message).toContain(field);
    expect(envelope.details).toMatchObject({ issues: [{ path: field }] });
  });
});
