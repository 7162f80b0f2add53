import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import type { Bus, ScheduledRun, Store } from '@agent-platform/core/ports';
import { AgentResponse, ErrorEnvelope } from '@agent-platform/core/protocol';
import { LocalScheduler } from '@agent-platform/core/scheduler/local';
import { ManualTime } from '@agent-platform/core/scheduler/manual-time';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../app.js';
import { LocalAuth } from '../auth/local.js';

// The agents API on the real SQLite store with the real in-process scheduler on a controllable clock.
// 2026-11-23 is a Monday; 08:00 in Seoul is 23:00 UTC the day before.
const START = Date.UTC(2026, 10, 21, 12, 0);
let dir: string;
let store: Store;
let bus: Bus;
let time: ManualTime;
let scheduler: LocalScheduler;
let fired: ScheduledRun[];
let api: ReturnType<typeof createApi>;
let credential: string;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ap-agents-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  bus = createMemoryBus();
  time = new ManualTime(START);
  fired = [];
  scheduler = new LocalScheduler({
    clock: time,
    timers: time,
    onRun: async (run) => {
      fired.push(run);
    },
    onRunError: () => {},
  });
  const auth = new LocalAuth({ dataDir: dir, clock: time });
  api = createApi({
    store,
    bus,
    auth,
    localSignIn: auth,
    clock: time,
    scheduler,
    info: { version: 't', modelConfigured: true, sandbox: 'host', auth: { kind: 'local' } },
    log: () => {},
  });
  credential = (await auth.exchange(auth.signInToken))!.credential;
});

afterEach(async () => {
  await scheduler.close();
  await bus.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, url: string, body?: unknown) => {
  const res = await api.request(url, {
    method,
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

const spec = (over: Record<string, unknown> = {}) => ({
  name: 'Weekly sales report',
  description: 'Sums last week’s sales and mails a chart.',
  instructions: 'Read sales.csv, sum by region, draw a bar chart, save report.png.',
  schedule: {
    cron: '0 8 * * 1',
    timeZone: 'Asia/Seoul',
    enabled: true,
    missedRunPolicy: 'skip',
    overlapPolicy: 'skip',
  },
  limits: { timeoutMs: 600_000, maxTurns: 30, maxUsd: 1 },
  notifications: { webhookUrl: null, inApp: true },
  ...over,
});

describe('the agents API', () => {
  it('creates an agent, says when it runs in words, and arms its schedule', async () => {
    const created = await call('POST', '/api/agents', spec());
    expect(created.status).toBe(201);
    const { summary } = AgentResponse.parse(created.body);
    expect(summary.scheduleText).toEqual({
      en: 'every Monday at 08:00 (Asia/Seoul)',
      ko: expect.stringContaining('월요일'),
    });
    expect(summary.nextRunAt).toBe(Date.UTC(2026, 10, 22, 23, 0));
    expect(summary).toMatchObject({ lastRun: null, monthCostUsd: 0 });

    await time.advanceTo(Date.UTC(2026, 10, 22, 23, 0) + 1000);
    expect(fired).toMatchObject([
      { agentId: summary.agent.id, scheduledFor: Date.UTC(2026, 10, 22, 23, 0), missed: false },
    ]);

    const list = await call('GET', '/api/agents');
    expect(list.body.agents.map((a: { agent: { name: string } }) => a.agent.name)).toEqual(['Weekly sales report']);
  });

  it('refuses a bad schedule, time zone, budget or name, naming the field, and stores nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ schedule: { ...spec().schedule, cron: '0 25 * * 1' } }, 'schedule.cron'],
      [{ schedule: { ...spec().schedule, timeZone: 'Asia/Seul' } }, 'schedule.timeZone'],
      [{ limits: { ...spec().limits, maxUsd: -1 } }, 'limits.maxUsd'],
      [{ name: 'x'.repeat(81) }, 'name'],
    ];
    for (const [over, field] of cases) {
      const res = await call('POST', '/api/agents', spec(over));
      expect(res.status, field).toBe(400);
      const error = ErrorEnvelope.parse(res.body);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain(field);
    }
    expect((await call('GET', '/api/agents')).body.agents).toEqual([]);
    expect(time.pendingTimers).toBe(0);
  });

  it('pauses (no next run, nothing fires), keeps instruction versions, and deletes with its schedule', async () => {
    const { summary } = AgentResponse.parse((await call('POST', '/api/agents', spec())).body);
    const id = summary.agent.id;

    const paused = AgentResponse.parse((await call('PATCH', `/api/agents/${id}`, { status: 'paused' })).body);
    expect(paused.summary.nextRunAt).toBeNull();
    await time.advanceTo(Date.UTC(2026, 10, 23, 0, 0));
    expect(fired).toEqual([]);

    const edited = AgentResponse.parse(
      (
        await call('PATCH', `/api/agents/${id}`, {
          instructions: 'Also compare with the week before.',
          status: 'active',
        })
      ).body,
    );
    expect(edited.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(edited.summary.nextRunAt).toBe(Date.UTC(2026, 10, 29, 23, 0));
    expect(time.pendingTimers).toBeGreaterThan(0);

    expect((await call('DELETE', `/api/agents/${id}`)).status).toBe(204);
    expect(time.pendingTimers).toBe(0);
    expect((await call('GET', `/api/agents/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/agents/${id}`)).status).toBe(404);
  });

  it('shows a webhook secret once, at creation, and only its last four characters after', async () => {
    const created = AgentResponse.parse(
      (
        await call(
          'POST',
          '/api/agents',
          spec({ notifications: { webhookUrl: 'https://example.com/hook', inApp: false } }),
        )
      ).body,
    );
    expect(created.webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = AgentResponse.parse((await call('GET', `/api/agents/${created.summary.agent.id}`)).body);
    expect(again.webhookSecret).toBeUndefined();
    expect(again.summary.agent.notifications.webhookSecretLast4).toBe(created.webhookSecret?.slice(-4));
  });

  it('lists an agent’s runs newest first and answers 404 for unknown agents and runs', async () => {
    const { summary } = AgentResponse.parse((await call('POST', '/api/agents', spec())).body);
    const agent = summary.agent;
    for (let i = 0; i < 3; i++) {
      await store.createRun({
        id: `run-${i}`,
        agentId: agent.id,
        ownerId: agent.ownerId,
        trigger: 'manual',
        sessionId: `run-session-${i}`,
        now: START + i,
      });
    }
    const page1 = await call('GET', `/api/agents/${agent.id}/runs?limit=2`);
    expect(page1.body.runs.map((r: { id: string }) => r.id)).toEqual(['run-2', 'run-1']);
    const page2 = await call('GET', `/api/agents/${agent.id}/runs?limit=2&before=${page1.body.nextBefore}`);
    expect(page2.body).toMatchObject({ runs: [{ id: 'run-0' }], nextBefore: null });
    expect((await call('GET', '/api/runs/run-1')).body.run).toMatchObject({ id: 'run-1', status: 'queued' });
    expect((await call('GET', '/api/runs/nope')).status).toBe(404);
    expect((await call('GET', '/api/agents/nope/runs')).status).toBe(404);
    expect((await call('GET', `/api/agents/${agent.id}/runs?status=bogus`)).status).toBe(400);
  });
});
