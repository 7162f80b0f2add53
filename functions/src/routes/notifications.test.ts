import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Notification } from '@agent-platform/core/domain';
import type { Clock } from '@agent-platform/core/ports';
import { ErrorEnvelope, NotificationListResponse } from '@agent-platform/core/protocol';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEnv } from '../app.js';
import { errorResponse } from '../http/errors.js';
import { NOTIFICATIONS_LISTED, registerNotificationRoutes } from './notifications.js';

// The notifications API on the real SQLite store.
const NOW = Date.UTC(2026, 10, 23, 12, 0);
const OWNER = 'user-1';
const OTHER = 'user-2';
const clock: Clock = { now: () => NOW };

let dir: string;
let store: SqliteStore;
let app: Hono<ApiEnv>;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ap-notifications-'));
  store = openSqliteStore({ file: path.join(dir, 'test.db') });
  app = new Hono<ApiEnv>().basePath('/api');
  app.onError((err, c) => errorResponse(c, err, () => {}));
  app.use('*', async (c, next) => {
    const userId = c.req.header('x-test-user') ?? OWNER;
    c.set('principal', { userId, name: userId, email: null, photoUrl: null });
    c.set('user', undefined);
    await next();
  });
  registerNotificationRoutes(app, { store, clock });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const notification = (runId: string, atMs: number, userId = OWNER): Notification => ({
  id: `run:${runId}`,
  userId,
  kind: 'run.finished',
  runId,
  agentId: 'agent-1',
  agentName: 'Weekly report',
  status: 'succeeded',
  reason: null,
  costUsd: 0.04,
  at: atMs,
  readAt: null,
});

const list = async (user = OWNER) => {
  const res = await app.request('/api/notifications', { headers: { 'x-test-user': user } });
  expect(res.status).toBe(200);
  return NotificationListResponse.parse(await res.json());
};

const markRead = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  app.request('/api/notifications/read', {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('notifications API', () => {
  it('lists the caller’s notifications newest first, with the unread count', async () => {
    await store.addNotification(notification('r1', NOW - 3000));
    await store.addNotification(notification('r2', NOW - 2000));
    await store.addNotification(notification('r3', NOW - 1000));
    await store.addNotification(notification('theirs', NOW, OTHER));
    const body = await list();
    expect(body.unread).toBe(3);
    expect(body.notifications.map((n) => n.runId)).toEqual(['r3', 'r2', 'r1']);
    expect(body.notifications[0]).toEqual(notification('r3', NOW - 1000));
    expect(await list(OTHER)).toMatchObject({ unread: 1, notifications: [{ runId: 'theirs' }] });
  });

  it(`lists at most ${NOTIFICATIONS_LISTED}, and counts every unread one`, async () => {
    for (let i = 0; i < NOTIFICATIONS_LISTED + 5; i++) await store.addNotification(notification(`r${i}`, NOW - i));
    const body = await list();
    expect(body.notifications).toHaveLength(NOTIFICATIONS_LISTED);
    expect(body.notifications[0]?.runId).toBe('r0');
    expect(body.unread).toBe(NOTIFICATIONS_LISTED + 5);
  });

  it('marks the caller’s notifications up to a time as read, now, and answers 204', async () => {
    await store.addNotification(notification('r1', NOW - 3000));
    await store.addNotification(notification('r2', NOW - 2000));
    await store.addNotification(notification('r3', NOW - 1000));
    await store.addNotification(notification('theirs', NOW - 3000, OTHER));
    const res = await markRead({ upTo: NOW - 2000 });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const body = await list();
    expect(body.unread).toBe(1);
    expect(body.notifications.map((n) => [n.runId, n.readAt])).toEqual([
      ['r3', null],
      ['r2', NOW],
      ['r1', NOW],
    ]);
    expect((await list(OTHER)).unread).toBe(1);
  });

  it.each([
    [{}, 'upTo'],
    [{ upTo: -1 }, 'upTo'],
    [{ upTo: 1.5 }, 'upTo'],
    [{ upTo: 'now' }, 'upTo'],
    [{ upTo: 1, ids: ['x'] }, 'ids'],
  ])('refuses the body %j with 400 naming %s', async (body, field) => {
    const res = await markRead(body);
    expect(res.status).toBe(400);
    const envelope = ErrorEnvelope.parse(await res.json());
    expect(envelope.code).toBe('VALIDATION_FAILED');
    expect(envelope.message).toContain(field);
  });

  it('refuses a body that is not JSON', async () => {
    expect((await markRead('{upTo')).status).toBe(400);
    const res = await markRead({ upTo: 1 }, { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(ErrorEnvelope.parse(await res.json()).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
