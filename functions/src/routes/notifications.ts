import type { Clock, Store } from '@agent-platform/core/ports';
import { MarkNotificationsReadBody, type NotificationListResponse } from '@agent-platform/core/protocol';
import type { Hono } from 'hono';
import type { BlankSchema } from 'hono/types';
import type { ApiEnv } from '../app.js';
import { parseJsonBody } from '../http/parse.js';

export interface NotificationRouteDeps {
  store: Store;
  clock: Clock;
}

/** Notifications listed per request, newest first (the bell shows the recent ones). */
export const NOTIFICATIONS_LISTED = 50;

/** The person's in-app notifications (that their agents' runs ended), and marking them read. */
export function registerNotificationRoutes(app: Hono<ApiEnv, BlankSchema, '/api'>, deps: NotificationRouteDeps): void {
  const { store, clock } = deps;

  app.get('/notifications', async (c) => {
    const list = await store.listNotifications(c.get('principal').userId, NOTIFICATIONS_LISTED);
    return c.json(list satisfies NotificationListResponse);
  });

  // Up to a time, not by ids: what the person saw is everything up to the newest one shown, and a
  // notification that arrived since stays unread.
  app.post('/notifications/read', async (c) => {
    const { upTo } = await parseJsonBody(c, MarkNotificationsReadBody);
    await store.markNotificationsRead(c.get('principal').userId, upTo, clock.now());
    return c.body(null, 204);
  });
}
