import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPubSubBus, type PubSubBus } from '@agent-platform/core/bus/pubsub';
import type { AgentSpec } from '@agent-platform/core/domain';
import type { BusMessage } from '@agent-platform/core/ports';
import { AgentRunJob, RunFinishedEvent, Topics } from '@agent-platform/core/protocol';
import { previousRun } from '@agent-platform/core/schedule';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PubsubEmulator, startPubsubEmulator } from '../../../test/fixtures/pubsub-emulator.js';
import { registerSchedulesFunction } from '../schedules-function.js';

// What Cloud Scheduler publishes reaches the `schedules` function the way Pub/Sub delivers it in the
// cloud: a push subscription on the emulator posts to the function, served by the real functions
// framework on loopback; the function stores the run (once per fire time) and sends an agent.run
// job to the owner's runner.
let emulator: PubsubEmulator;
let dir: string;
let store: SqliteStore;
const finished: BusMessage[] = [];
let bus: PubSubBus;
let server: Server;
let endpoint: string;
const placed: string[] = [];
const jobs: BusMessage[] = [];
const logged: string[] = [];

beforeAll(async () => {
  emulator = await startPubsubEmulator();
  dir = mkdtempSync(path.join(tmpdir(), 'ap-schedules-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  bus = await createPubSubBus({
    projectId: emulator.projectId,
    emulatorHost: emulator.host,
    topics: [Topics.runnerJobs, Topics.runEvents],
  });
  registerSchedulesFunction({
    store,
    bus,
    clock: { now: () => Date.now() },
    placement: {
      place: async (userId) => {
        placed.push(userId);
        return { runnerId: 'runner-7' };
      },
    },
    log: (msg) => logged.push(msg),
  });
  server = getTestServer('schedules');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/projects/${emulator.projectId}/topics/${Topics.agentSchedules}`;
  await bus.subscribe(Topics.runnerJobs, `jobs-${randomUUID().slice(0, 8)}`, async (m) => {
    jobs.push(m);
  });
  await bus.subscribe(Topics.runEvents, `events-${randomUUID().slice(0, 8)}`, async (m) => {
    finished.push(m);
  });
}, 120_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await bus?.close();
  await store?.close();
  await emulator?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const everyMinute: AgentSpec = {
  name: 'Minute report',
  description: '',
  instructions: 'Write the time to now.txt.',
  schedule: {
    cron: '* * * * *',
    timeZone: 'Asia/Seoul',
    enabled: true,
    missedRunPolicy: 'skip',
    overlapPolicy: 'skip',
  },
  limits: { timeoutMs: 60_000, maxTurns: 5, maxUsd: 0.5 },
  notifications: { webhookUrl: null, inApp: true },
};

/** The push request Pub/Sub sends for a message: the same body again is what a redelivery looks like. */
const pushBody = (data: unknown, messageId: string, publishTime: string) => ({
  message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), messageId, publishTime, attributes: {} },
  subscription: `projects/${emulator.projectId}/subscriptions/schedules-push`,
});
const push = (body: unknown) =>
  fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function pushSubscription(): Promise<PubSub> {
  // Stated credentials keep the auth library from looking for any (it would ask the metadata server).
  const pubsub = new PubSub({
    projectId: emulator.projectId,
    apiEndpoint: emulator.host,
    emulatorMode: true,
    credentials: { client_email: 'emulator@localhost', private_key: 'unused' },
  });
  const [topic] = await pubsub.topic(Topics.agentSchedules).get({ autoCreate: true });
  await topic.createSubscription(`schedules-push-${randomUUID().slice(0, 8)}`, {
    pushConfig: { pushEndpoint: endpoint },
  });
  return pubsub;
}

const until = async (cond: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('the schedules function', () => {
  it('turns a Cloud Scheduler message into one stored run and an agent.run job for the owner’s runner', async () => {
    const agent = await store.createAgent({
      id: 'agent-1',
      ownerId: 'user-1',
      spec: everyMinute,
      webhookSecret: null,
      now: Date.now(),
    });
    const pubsub = await pushSubscription();
    const before = Date.now();
    await pubsub
      .topic(Topics.agentSchedules)
      .publishMessage({ json: { v: 1, type: 'agent.schedule', agentId: agent.id, ownerId: 'user-1' } });
    await until(() => jobs.length > 0);
    const job = AgentRunJob.parse(jobs[0]?.data);
    expect(job).toMatchObject({ v: 1, type: 'agent.run', agentId: 'agent-1', ownerId: 'user-1' });
    expect(jobs[0]?.attributes).toMatchObject({ type: 'agent.run', runner: 'runner-7' });
    expect(jobs[0]?.orderingKey).toBe('agent:agent-1');
    expect(placed).toEqual(['user-1']);
    const run = await store.getRun('user-1', job.runId);
    expect(run).toMatchObject({ status: 'queued', trigger: 'schedule', agentId: 'agent-1', attempt: 1 });
    // The fire time is the minute the message was published in (the schedule fires every minute).
    const fire = previousRun(everyMinute.schedule!, Date.now());
    expect(run?.scheduledFor).toBeGreaterThanOrEqual(previousRun(everyMinute.schedule!, before) ?? 0);
    expect(run?.scheduledFor).toBeLessThanOrEqual(fire ?? 0);

    // A message that is not a schedule (edited by hand in the console) is dropped with a log line,
    // not redelivered forever, and sends no job.
    await pubsub.topic(Topics.agentSchedules).publishMessage({ json: { v: 1, type: 'agent.schedule', agentId: '' } });
    await until(() => logged.includes('dropping a malformed schedule message'));
    await new Promise((r) => setTimeout(r, 500));
    expect(jobs).toHaveLength(1);
    await pubsub.close();
  }, 60_000);

  it('makes one run of a redelivered message, and records an overlapping fire as skipped', async () => {
    const agent = await store.createAgent({
      id: 'agent-2',
      ownerId: 'user-2',
      spec: everyMinute,
      webhookSecret: null,
      now: Date.now(),
    });
    const fire = { v: 1, type: 'agent.schedule', agentId: agent.id, ownerId: 'user-2' };
    const minute = previousRun(everyMinute.schedule!, Date.now()) ?? 0;
    const first = pushBody(fire, 'm-1', new Date(minute + 1200).toISOString());
    expect((await push(first)).status).toBe(204);
    // Pub/Sub delivers at least once: the same message again (same id, same publish time).
    expect((await push(first)).status).toBe(204);
    const runs = await store.listRuns('user-2', { agentId: agent.id, limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'queued', scheduledFor: minute, dedupeKey: `agent-2:schedule:${minute}` });

    // The run is running when the next minute fires: that fire is recorded as skipped, with the reason.
    await store.transitionRun(runs[0]!.id, ['queued'], 'running', { runnerId: 'runner-7' }, Date.now());
    expect((await push(pushBody(fire, 'm-2', new Date(minute + 60_000 + 800).toISOString()))).status).toBe(204);
    const after = await store.listRuns('user-2', { agentId: agent.id, limit: 10 });
    expect(after.map((r) => [r.status, r.reason, r.scheduledFor])).toEqual([
      ['skipped', 'OVERLAP', minute + 60_000],
      ['running', null, minute],
    ]);
    await until(() => finished.some((m) => RunFinishedEvent.parse(m.data).run.status === 'skipped'));

    // A paused agent's fire makes no run.
    await store.updateAgent('user-2', agent.id, { status: 'paused' }, Date.now());
    expect((await push(pushBody(fire, 'm-3', new Date(minute + 120_000 + 500).toISOString()))).status).toBe(204);
    expect(await store.listRuns('user-2', { agentId: agent.id, limit: 10 })).toHaveLength(2);
  }, 60_000);
});
