import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryBus, type MemoryBus } from '@agent-platform/core/bus/memory';
import type { AgentSchedule, AgentSpec } from '@agent-platform/core/domain';
import type { BusMessage } from '@agent-platform/core/ports';
import { AgentRunJob, RunFinishedEvent, Topics } from '@agent-platform/core/protocol';
import { LocalScheduler } from '@agent-platform/core/scheduler/local';
import { ManualTime } from '@agent-platform/core/scheduler/manual-time';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runScheduled } from './schedules.js';

// The in-process scheduler on a controllable clock, firing into the real dispatcher: the SQLite
// store and the in-process bus, as `npm start` composes them.
let dir: string;
let store: SqliteStore;
let bus: MemoryBus;
let time: ManualTime;
let scheduler: LocalScheduler;
let jobs: BusMessage[];
let finished: BusMessage[];
let errors: unknown[];

const weekdays9NewYork: AgentSchedule = {
  cron: '0 9 * * 1-5',
  timeZone: 'America/New_York',
  enabled: true,
  missedRunPolicy: 'skip',
  overlapPolicy: 'skip',
};

const spec = (schedule: AgentSchedule): AgentSpec => ({
  name: 'Morning numbers',
  description: '',
  instructions: 'Summarise yesterday’s numbers.',
  schedule,
  limits: { timeoutMs: 600_000, maxTurns: 20, maxUsd: 1 },
  notifications: { webhookUrl: null, inApp: true },
});

function startScheduler(): void {
  scheduler = new LocalScheduler({
    clock: time,
    timers: time,
    onRun: async (fire) => {
      await runScheduled({ store, bus, clock: time, log: () => {} }, fire);
    },
    onRunError: (e) => errors.push(e),
  });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ap-sched-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  bus = createMemoryBus();
  jobs = [];
  finished = [];
  errors = [];
  await bus.subscribe(Topics.runnerJobs, 'jobs', async (m) => {
    jobs.push(m);
  });
  await bus.subscribe(Topics.runEvents, 'events', async (m) => {
    finished.push(m);
  });
  // Friday 2026-03-06 15:00 UTC, after that day's 09:00 EST: New York is on EST (UTC-5) until Sunday 2026-03-08.
  time = new ManualTime(Date.UTC(2026, 2, 6, 15, 0));
  startScheduler();
});

afterEach(async () => {
  await scheduler.close();
  await bus.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('scheduled runs on a controllable clock', () => {
  it('runs at 09:00 New York time across the DST change, and records a fire that overlaps a running run as skipped', async () => {
    const agent = await store.createAgent({
      id: 'morning',
      ownerId: 'u1',
      spec: spec(weekdays9NewYork),
      webhookSecret: null,
      now: time.now(),
    });
    await scheduler.upsert({ agentId: agent.id, ownerId: 'u1', schedule: weekdays9NewYork });

    // Monday 2026-03-09 09:00 EDT is 13:00 UTC (it was 14:00 UTC the week before).
    const monday = Date.UTC(2026, 2, 9, 13, 0);
    await time.advanceTo(monday - 1);
    await settle();
    expect(await store.listRuns('u1', { agentId: agent.id, limit: 10 })).toEqual([]);
    await time.advanceTo(monday);
    await settle();
    const [first] = await store.listRuns('u1', { agentId: agent.id, limit: 10 });
    expect(first).toMatchObject({ status: 'queued', trigger: 'schedule', scheduledFor: monday });
    expect(AgentRunJob.parse(jobs[0]?.data)).toMatchObject({ runId: first?.id, agentId: agent.id });

    // Still running a day later: Tuesday's fire is recorded as skipped, with the reason, and announced.
    await store.transitionRun(first!.id, ['queued'], 'running', { runnerId: 'local' }, time.now());
    const tuesday = monday + 24 * 3600_000;
    await time.advanceTo(tuesday);
    await settle();
    const runs = await store.listRuns('u1', { agentId: agent.id, limit: 10 });
    expect(runs.map((r) => [r.status, r.reason, r.scheduledFor])).toEqual([
      ['skipped', 'OVERLAP', tuesday],
      ['running', null, monday],
    ]);
    expect(jobs).toHaveLength(1);
    expect(RunFinishedEvent.parse(finished[0]?.data).run).toMatchObject({ status: 'skipped', reason: 'OVERLAP' });
    expect(errors).toEqual([]);
  });

  it('a missed fire time follows the agent’s policy when the platform comes back', async () => {
    const runOnce = { ...weekdays9NewYork, cron: '0 9 * * *', missedRunPolicy: 'run-once' as const };
    const skip = { ...weekdays9NewYork, cron: '0 9 * * *', missedRunPolicy: 'skip' as const };
    await store.createAgent({
      id: 'catch-up',
      ownerId: 'u1',
      spec: spec(runOnce),
      webhookSecret: null,
      now: time.now(),
    });
    await store.createAgent({
      id: 'no-catch-up',
      ownerId: 'u1',
      spec: spec(skip),
      webhookSecret: null,
      now: time.now(),
    });

    // The platform was down from Friday 15:00 UTC to Sunday 18:00 UTC: Saturday's and Sunday's
    // 09:00 (New York) passed. At start each agent is armed with when it was last up.
    const downSince = time.now();
    await scheduler.close();
    await time.advanceTo(Date.UTC(2026, 2, 8, 18, 0));
    startScheduler();
    for (const [id, schedule] of [
      ['catch-up', runOnce],
      ['no-catch-up', skip],
    ] as const) {
      await scheduler.upsert({ agentId: id, ownerId: 'u1', schedule, missedSinceMs: downSince });
    }
    await settle();
    const caught = await store.listRuns('u1', { agentId: 'catch-up', limit: 10 });
    // One catch-up run, for the latest missed time (Sunday 09:00 EDT = 13:00 UTC), not one per miss.
    expect(caught.map((r) => [r.status, r.scheduledFor])).toEqual([['queued', Date.UTC(2026, 2, 8, 13, 0)]]);
    expect(await store.listRuns('u1', { agentId: 'no-catch-up', limit: 10 })).toEqual([]);

    // Both keep time afterwards: Monday 09:00 EDT runs each once.
    await time.advanceTo(Date.UTC(2026, 2, 9, 13, 0));
    await settle();
    expect(await store.listRuns('u1', { agentId: 'no-catch-up', limit: 10 })).toHaveLength(1);
    expect(await store.listRuns('u1', { agentId: 'catch-up', limit: 10 })).toHaveLength(2);
  });

  it('a paused or deleted agent’s fire makes no run', async () => {
    const agent = await store.createAgent({
      id: 'paused',
      ownerId: 'u1',
      spec: spec(weekdays9NewYork),
      webhookSecret: null,
      now: time.now(),
    });
    await store.updateAgent('u1', agent.id, { status: 'paused' }, time.now());
    const fire = { agentId: agent.id, ownerId: 'u1', scheduledFor: time.now() };
    expect(await runScheduled({ store, bus, clock: time, log: () => {} }, fire)).toBeNull();
    await store.deleteAgent('u1', agent.id);
    expect(await runScheduled({ store, bus, clock: time, log: () => {} }, fire)).toBeNull();
    expect(await store.listRuns('u1', { limit: 10 })).toEqual([]);
    expect(jobs).toEqual([]);
  });
});
