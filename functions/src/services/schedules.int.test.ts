import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPubSubBus, type PubSubBus } from '@agent-platform/core/bus/pubsub';
import type { BusMessage } from '@agent-platform/core/ports';
import { AgentRunJob, Topics } from '@agent-platform/core/protocol';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PubsubEmulator, startPubsubEmulator } from '../../../test/fixtures/pubsub-emulator.js';
import { registerSchedulesFunction } from '../schedules-function.js';

// What Cloud Scheduler publishes reaches the `schedules` function the way Pub/Sub delivers it in the
// cloud: a push subscription on the emulator posts to the function, served by the real functions
// framework on loopback; the function sends an agent.run job to the owner's runner.
let emulator: PubsubEmulator;
let bus: PubSubBus;
let server: Server;
let endpoint: string;
const placed: string[] = [];
const jobs: BusMessage[] = [];
const logged: string[] = [];

beforeAll(async () => {
  emulator = await startPubsubEmulator();
  bus = await createPubSubBus({
    projectId: emulator.projectId,
    emulatorHost: emulator.host,
    topics: [Topics.runnerJobs],
  });
  registerSchedulesFunction({
    bus,
    clock: { now: () => 1_700_000_000_000 },
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
}, 120_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await bus?.close();
  await emulator?.stop();
});

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
  it('turns a Cloud Scheduler message into an agent.run job for the owner’s runner', async () => {
    const pubsub = await pushSubscription();
    await pubsub
      .topic(Topics.agentSchedules)
      .publishMessage({ json: { v: 1, type: 'agent.schedule', agentId: 'agent-1', ownerId: 'user-1' } });
    await until(() => jobs.length > 0);
    const job = jobs[0];
    expect(AgentRunJob.parse(job?.data)).toEqual({
      v: 1,
      type: 'agent.run',
      agentId: 'agent-1',
      ownerId: 'user-1',
      trigger: 'schedule',
      requestedAt: 1_700_000_000_000,
    });
    expect(job?.attributes).toMatchObject({ type: 'agent.run', runner: 'runner-7' });
    expect(job?.orderingKey).toBe('agent:agent-1');
    expect(placed).toEqual(['user-1']);

    // A message that is not a schedule (edited by hand in the console) is dropped with a log line,
    // not redelivered forever, and sends no job.
    await pubsub.topic(Topics.agentSchedules).publishMessage({ json: { v: 1, type: 'agent.schedule', agentId: '' } });
    await until(() => logged.length > 0);
    expect(logged).toEqual(['dropping a malformed schedule message']);
    await new Promise((r) => setTimeout(r, 500));
    expect(jobs).toHaveLength(1);
    await pubsub.close();
  }, 60_000);
});
