import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryBus, type DroppedMessage, type MemoryBus } from '@agent-platform/core/bus/memory';
import type { AgentRun, AgentSpec } from '@agent-platform/core/domain';
import type { Clock } from '@agent-platform/core/ports';
import { type RunFinishedEvent, Topics } from '@agent-platform/core/protocol';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger, LogLevel } from '../log.js';
import { startRunNotifier } from './notifier.js';
import { finishedRun, type ReceiverAnswer, startReceiver } from './test-receiver.js';
import { verifyWebhookSignature, type WebhookPayload } from './webhook.js';

// The notifier on the real SQLite store and the in-process bus, posting to a receiver on 127.0.0.1.
const NOW = Date.UTC(2026, 10, 23, 23, 2);
const SECRET = 'wH7sK2pQ9vX4mB6nR1tY8uZ3cD5fG0jL-_aE';
const OWNER = 'user-1';
const clock: Clock = { now: () => NOW };

interface LogEntry {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps its entries and lets a test wait for one. */
function captureLog() {
  const entries: LogEntry[] = [];
  const waiters: { match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];
  const make =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      const entry = { level, msg, fields };
      entries.push(entry);
      for (const w of waiters.filter((x) => x.match(entry))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    };
  const log: Logger = { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
  const waitFor = (prefix: string): Promise<LogEntry> => {
    const found = entries.find((e) => e.msg.startsWith(prefix));
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => waiters.push({ match: (e) => e.msg.startsWith(prefix), resolve }));
  };
  return { log, entries, waitFor };
}

let dir: string;
let store: SqliteStore;
let bus: MemoryBus;
let dropped: DroppedMessage[];
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let logs: ReturnType<typeof captureLog>;
let stop: (() => Promise<void>) | undefined;
let sleeps: number[];

const spec = (notifications: AgentSpec['notifications']): AgentSpec => ({
  name: 'Weekly sales report',
  description: '',
  instructions: 'Sum sales.csv by region and draw report.png.',
  schedule: null,
  limits: { timeoutMs: 600_000, maxTurns: 20, maxUsd: 1 },
  notifications,
});

const makeAgent = (id: string, notifications: AgentSpec['notifications']) =>
  store.createAgent({
    id,
    ownerId: OWNER,
    spec: spec(notifications),
    webhookSecret: notifications.webhookUrl ? SECRET : null,
    now: NOW - 86_400_000,
  });

const start = async (answers: ReceiverAnswer[] = [], opts: { allowPrivateNetworks?: boolean } = {}) => {
  receiver = await startReceiver(answers);
  stop = await startRunNotifier({
    bus,
    subscription: 'notifier-test',
    store,
    log: logs.log,
    clock,
    allowPrivateNetworks: opts.allowPrivateNetworks ?? true,
    sleep: async (ms) => void sleeps.push(ms),
  });
};

const event = (run: Partial<AgentRun> = {}): RunFinishedEvent => ({
  v: 1,
  type: 'run.finished',
  run: finishedRun({ ownerId: OWNER, ...run }),
  agentName: 'Weekly sales report',
});

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ap-notify-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  dropped = [];
  bus = createMemoryBus({ minBackoffMs: 1, maxBackoffMs: 5, onDropped: (d) => dropped.push(d) });
  logs = captureLog();
  sleeps = [];
  stop = undefined;
});

afterEach(async () => {
  await stop?.();
  await bus.close();
  await receiver?.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('startRunNotifier', () => {
  it('posts a signed webhook and stores an in-app notification for a finished run', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: `${receiver.url}?token=abc`, inApp: true });
    await bus.publish(Topics.runEvents, event());
    await logs.waitFor('webhook delivered');

    expect(receiver.posts).toHaveLength(1);
    const post = receiver.posts[0]!;
    expect(post.url).toBe('/hook?token=abc');
    expect(post.headers['x-agent-platform-delivery']).toBe('run-1');
    expect(
      verifyWebhookSignature(SECRET, post.headers['x-agent-platform-signature'] as string, post.body, NOW / 1000),
    ).toBe(true);
    const body = JSON.parse(post.body) as WebhookPayload;
    expect(body).toMatchObject({
      type: 'run.finished',
      deliveryId: 'run-1',
      agent: { id: 'agent-1', name: 'Weekly sales report' },
      run: { id: 'run-1', status: 'succeeded', costUsd: 0.0421, link: '/runs/run-1' },
    });

    expect(await store.listNotifications(OWNER, 10)).toEqual({
      unread: 1,
      notifications: [
        {
          id: 'run:run-1',
          userId: OWNER,
          kind: 'run.finished',
          runId: 'run-1',
          agentId: 'agent-1',
          agentName: 'Weekly sales report',
          status: 'succeeded',
          reason: null,
          costUsd: 0.0421,
          at: Date.UTC(2026, 10, 23, 23, 1, 31),
          readAt: null,
        },
      ],
    });
    // The log names the host only: a receiver's URL may carry its own secret.
    const delivered = logs.entries.find((e) => e.msg === 'webhook delivered');
    expect(delivered?.fields).toMatchObject({ agentId: 'agent-1', runId: 'run-1', host: `127.0.0.1:${receiver.port}` });
    expect(JSON.stringify(logs.entries)).not.toContain('token=abc');
    expect(JSON.stringify(logs.entries)).not.toContain(SECRET);
  });

  it('is idempotent when the same event comes again', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    await bus.publish(Topics.runEvents, event());
    await bus.publish(Topics.runEvents, event());
    await receiver.waitFor(2);
    await expect.poll(() => logs.entries.filter((e) => e.msg === 'webhook delivered').length).toBe(2);
    expect(new Set(receiver.posts.map((p) => p.headers['x-agent-platform-delivery']))).toEqual(new Set(['run-1']));
    expect((await store.listNotifications(OWNER, 10)).notifications).toHaveLength(1);
  });

  it('drops a malformed event with a log line, without redelivery', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    await bus.publish(Topics.runEvents, { v: 1, type: 'run.finished', run: { id: 'x' } });
    await bus.publish(Topics.runEvents, 'not even an object');
    await expect.poll(() => logs.entries.filter((e) => e.msg.startsWith('run event dropped')).length).toBe(2);
    const first = logs.entries.find((e) => e.msg.startsWith('run event dropped'));
    expect(first?.level).toBe('warn');
    expect(first?.fields?.issue).toEqual(expect.stringContaining('run.'));
    // A valid event after them is handled: nothing was stuck or redelivered.
    await bus.publish(Topics.runEvents, event());
    await logs.waitFor('webhook delivered');
    expect(receiver.posts).toHaveLength(1);
    expect(logs.entries.filter((e) => e.msg.startsWith('run event dropped'))).toHaveLength(2);
    expect(dropped).toEqual([]);
  });

  it('gives a webhook up after its tries, logs it, and keeps the in-app notification', async () => {
    await start([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 503 }]);
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    await bus.publish(Topics.runEvents, event({ status: 'failed', reason: 'TIMEOUT' }));
    const failed = await logs.waitFor('webhook failed');
    expect(failed.level).toBe('warn');
    expect(failed.fields).toMatchObject({ agentId: 'agent-1', runId: 'run-1', attempts: 5, lastStatus: 503 });
    expect(receiver.posts).toHaveLength(5);
    expect(sleeps).toHaveLength(4);
    expect(dropped).toEqual([]);
    expect((await store.listNotifications(OWNER, 10)).notifications[0]).toMatchObject({
      status: 'failed',
      reason: 'TIMEOUT',
    });
  });

  it('stops without waiting out webhook retries, leaving the event unacknowledged', async () => {
    receiver = await startReceiver([{ status: 500 }]);
    const stopNotifier = await startRunNotifier({
      bus,
      subscription: 'notifier-test',
      store,
      log: logs.log,
      clock,
      allowPrivateNetworks: true,
      sleep: () => new Promise(() => {}), // a retry wait longer than the test
    });
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    await bus.publish(Topics.runEvents, event());
    await receiver.waitFor(1);
    await stopNotifier();
    expect(logs.entries.map((e) => e.msg)).toContain('webhook interrupted by shutdown; the run event will come again');
    expect(logs.entries.map((e) => e.msg)).not.toContain('webhook failed; given up');
    // Started again, it gets the event again (nacked, not lost) and finishes the delivery.
    stop = await startRunNotifier({
      bus,
      subscription: 'notifier-test',
      store,
      log: logs.log,
      clock,
      allowPrivateNetworks: true,
      sleep: async () => {},
    });
    await logs.waitFor('webhook delivered');
    expect(receiver.posts.map((p) => p.headers['x-agent-platform-delivery'])).toEqual(['run-1', 'run-1']);
    expect((await store.listNotifications(OWNER, 10)).notifications).toHaveLength(1);
  });

  it('refuses a private webhook address unless private networks are allowed', async () => {
    await start([], { allowPrivateNetworks: false });
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: false });
    await bus.publish(Topics.runEvents, event());
    const failed = await logs.waitFor('webhook failed');
    expect(failed.fields).toMatchObject({ attempts: 1, lastStatus: null });
    expect(String(failed.fields?.error)).toMatch(/127\.0\.0\.1 \(loopback\)/);
    expect(receiver.posts).toHaveLength(0);
  });

  it('collapses skipped runs to one in-app notification per agent and day; the webhook gets each', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    const skipped = (id: string, at: number) =>
      event({
        id,
        status: 'skipped',
        reason: 'OVERLAP',
        startedAt: null,
        queuedAt: at,
        endedAt: at,
        durationMs: null,
        result: null,
        files: [],
        costUsd: 0,
      });
    await bus.publish(Topics.runEvents, skipped('s1', Date.UTC(2026, 10, 23, 10)));
    await bus.publish(Topics.runEvents, skipped('s2', Date.UTC(2026, 10, 23, 11)));
    await bus.publish(Topics.runEvents, skipped('s3', Date.UTC(2026, 10, 24, 1)));
    await receiver.waitFor(3);
    await expect.poll(() => logs.entries.filter((e) => e.msg === 'webhook delivered').length).toBe(3);
    const { notifications } = await store.listNotifications(OWNER, 10);
    expect(notifications.map((n) => [n.runId, n.status, n.reason])).toEqual([
      ['s3', 'skipped', 'OVERLAP'],
      ['s1', 'skipped', 'OVERLAP'],
    ]);
  });

  it('sends no in-app notification for a run the owner cancelled, but still the webhook', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    await bus.publish(Topics.runEvents, event({ status: 'cancelled', reason: 'CANCELLED' }));
    await logs.waitFor('webhook delivered');
    expect(JSON.parse(receiver.posts[0]!.body)).toMatchObject({ run: { status: 'cancelled', reason: 'CANCELLED' } });
    expect(await store.listNotifications(OWNER, 10)).toEqual({ notifications: [], unread: 0 });
  });

  it('notifies only in the app when there is no webhook, and nobody for a deleted agent', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: null, inApp: true });
    await makeAgent('agent-2', { webhookUrl: receiver.url, inApp: true });
    await store.deleteAgent(OWNER, 'agent-2');
    await bus.publish(Topics.runEvents, event({ id: 'run-2', agentId: 'agent-2', agentDeleted: true }));
    await logs.waitFor('run ended for a deleted agent');
    await bus.publish(Topics.runEvents, event());
    await expect.poll(async () => (await store.listNotifications(OWNER, 10)).notifications.length).toBe(1);
    expect((await store.listNotifications(OWNER, 10)).notifications[0]?.runId).toBe('run-1');
    expect(receiver.posts).toHaveLength(0);
  });

  it('ignores an event whose run has not ended', async () => {
    await start();
    await makeAgent('agent-1', { webhookUrl: receiver.url, inApp: true });
    await bus.publish(Topics.runEvents, event({ status: 'running', endedAt: null, durationMs: null }));
    await logs.waitFor('run event dropped: the run has not ended');
    expect(receiver.posts).toHaveLength(0);
    expect((await store.listNotifications(OWNER, 10)).notifications).toHaveLength(0);
  });
});
