import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScheduledAgent } from '@agent-platform/core/ports';
import { ScheduleFire } from '@agent-platform/core/protocol';
import type { ScheduleSpec } from '@agent-platform/core/schedule';
// Google's own auth client that adds no credentials: the client then needs neither ADC nor a token
// server, and sends its requests to the local server below as it would to Google.
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudScheduler, type CloudSchedulerClientOptions } from './cloud-scheduler.js';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
}

/**
 * Cloud Scheduler's REST surface, as far as the adapter uses it, keeping jobs in memory and
 * recording every request (Cloud Scheduler has no emulator).
 */
class FakeCloudScheduler {
  readonly requests: Recorded[] = [];
  readonly jobs = new Map<string, Record<string, unknown>>();
  /** Answers the next request with this error instead. */
  failNext: { status: number; grpcStatus: string; message: string } | undefined;
  private server: Server | undefined;

  async start(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.requests.push({ method: req.method ?? '', path, query: url.searchParams, body });

    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const error = (status: number, grpcStatus: string, message: string) =>
      reply(status, { error: { code: status, message, status: grpcStatus } });
    if (this.failNext) {
      const f = this.failNext;
      this.failNext = undefined;
      return error(f.status, f.grpcStatus, f.message);
    }

    let m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+)\/jobs$/.exec(path);
    if (m && req.method === 'POST') {
      const job = body as Record<string, unknown>;
      const name = String(job['name']);
      if (this.jobs.has(name)) return error(409, 'ALREADY_EXISTS', `Job ${name} already exists.`);
      const saved = { ...job, state: 'ENABLED' };
      this.jobs.set(name, saved);
      return reply(200, saved);
    }
    m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/:]+)(?::(pause|resume))?$/.exec(path);
    if (m) {
      const [, name = '', verb] = m;
      const existing = this.jobs.get(name);
      if (!existing) return error(404, 'NOT_FOUND', `Job ${name} not found.`);
      if (req.method === 'PATCH') {
        const saved = { ...existing, ...body, state: existing['state'] };
        this.jobs.set(name, saved);
        return reply(200, saved);
      }
      if (req.method === 'POST' && verb) {
        const saved = { ...existing, state: verb === 'pause' ? 'PAUSED' : 'ENABLED' };
        this.jobs.set(name, saved);
        return reply(200, saved);
      }
      if (req.method === 'DELETE') {
        this.jobs.delete(name);
        return reply(200, {});
      }
    }
    return error(404, 'NOT_FOUND', `no route for ${req.method} ${path}`);
  }
}

const fake = new FakeCloudScheduler();
let clientOptions: CloudSchedulerClientOptions;
const open: CloudScheduler[] = [];

beforeAll(async () => {
  const port = await fake.start();
  clientOptions = {
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    fallback: true,
    authClient: new PassThroughClient() as unknown as CloudSchedulerClientOptions['authClient'],
  };
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await fake.stop();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.jobs.clear();
});

function scheduler(): CloudScheduler {
  const s = new CloudScheduler({ projectId: 'demo-proj', location: 'europe-west1', clientOptions });
  open.push(s);
  return s;
}

const jobName = 'projects/demo-proj/locations/europe-west1/jobs/agent-a1';
const jobPath = `/v1/${jobName}`;

function agent(schedule: Partial<ScheduleSpec> = {}): ScheduledAgent {
  return {
    agentId: 'a1',
    ownerId: 'u1',
    schedule: {
      cron: '0 8 * * 1',
      timeZone: 'Asia/Seoul',
      enabled: true,
      missedRunPolicy: 'skip',
      overlapPolicy: 'skip',
      ...schedule,
    },
  };
}

const calls = () => fake.requests.map((r) => `${r.method} ${r.path}`);

describe('CloudScheduler, through the real client, at the HTTP boundary', () => {
  it('creates the job: name, schedule, time zone, and a Pub/Sub target carrying the ScheduleFire', async () => {
    await scheduler().upsert(agent());

    expect(calls()).toEqual(['POST /v1/projects/demo-proj/locations/europe-west1/jobs']);
    const body = fake.requests[0]!.body!;
    expect(body).toMatchObject({
      name: jobName,
      schedule: '0 8 * * 1',
      timeZone: 'Asia/Seoul',
      pubsubTarget: { topicName: 'projects/demo-proj/topics/agent-schedules', attributes: { type: 'agent.schedule' } },
    });
    const data = (body['pubsubTarget'] as { data: string }).data;
    const fire = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    expect(fire).toEqual({ v: 1, type: 'agent.schedule', agentId: 'a1', ownerId: 'u1' });
    expect(ScheduleFire.safeParse(fire).success).toBe(true);
  });

  it('is idempotent: on ALREADY_EXISTS it updates the job, naming the fields it sets', async () => {
    const s = scheduler();
    await s.upsert(agent());
    await s.upsert(agent({ cron: '30 9 * * *', timeZone: 'Europe/London' }));

    expect(calls()).toEqual([
      'POST /v1/projects/demo-proj/locations/europe-west1/jobs',
      'POST /v1/projects/demo-proj/locations/europe-west1/jobs',
      `PATCH ${jobPath}`,
    ]);
    const update = fake.requests[2]!;
    // The job's name is in the path; the body carries the fields.
    expect(update.body).toMatchObject({ schedule: '30 9 * * *', timeZone: 'Europe/London' });
    const data = (update.body!['pubsubTarget'] as { data: string }).data;
    expect(JSON.parse(Buffer.from(data, 'base64').toString('utf8'))).toEqual({
      v: 1,
      type: 'agent.schedule',
      agentId: 'a1',
      ownerId: 'u1',
    });
    // Proto field names, as the gRPC transport needs them (the client sends them as given).
    expect(update.query.get('updateMask')?.split(',').sort()).toEqual([
      'description',
      'pubsub_target',
      'schedule',
      'time_zone',
    ]);
    expect(fake.jobs.get(jobName)).toMatchObject({ schedule: '30 9 * * *', timeZone: 'Europe/London' });
  });

  it('pauses the job when the schedule is disabled, and resumes it when enabled again', async () => {
    const s = scheduler();
    await s.upsert(agent({ enabled: false }));
    expect(calls()).toEqual(['POST /v1/projects/demo-proj/locations/europe-west1/jobs', `POST ${jobPath}:pause`]);
    expect(fake.jobs.get(jobName)?.['state']).toBe('PAUSED');

    fake.requests.length = 0;
    await s.upsert(agent({ enabled: false }));
    // Already paused: updated, not paused again.
    expect(calls()).toEqual(['POST /v1/projects/demo-proj/locations/europe-west1/jobs', `PATCH ${jobPath}`]);

    fake.requests.length = 0;
    await s.upsert(agent({ enabled: true }));
    expect(calls()).toEqual([
      'POST /v1/projects/demo-proj/locations/europe-west1/jobs',
      `PATCH ${jobPath}`,
      `POST ${jobPath}:resume`,
    ]);
    expect(fake.jobs.get(jobName)?.['state']).toBe('ENABLED');
  });

  it('deletes the job on remove(); a job already gone is fine', async () => {
    const s = scheduler();
    await s.upsert(agent());
    await s.remove('a1');
    await s.remove('a1');
    expect(calls().slice(1)).toEqual([`DELETE ${jobPath}`, `DELETE ${jobPath}`]);
    expect(fake.jobs.size).toBe(0);
  });

  it('refuses an invalid schedule or agent id before sending anything', async () => {
    const s = scheduler();
    await expect(s.upsert(agent({ cron: '0 8 * * * *' }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/seconds are not supported/),
    });
    await expect(s.upsert({ ...agent(), agentId: 'a/../b' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(fake.requests).toEqual([]);
  });

  it('turns Google errors into AppErrors that say what to do', async () => {
    const s = scheduler();
    fake.failNext = { status: 403, grpcStatus: 'PERMISSION_DENIED', message: 'The caller does not have permission' };
    await expect(s.upsert(agent())).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/could not create the job of agent a1 .*roles\/cloudscheduler\.admin/),
    });
    fake.failNext = { status: 503, grpcStatus: 'UNAVAILABLE', message: 'try later' };
    await expect(s.remove('a1')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
  });
});
