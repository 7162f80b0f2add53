import type { Notification, RunStatus } from '@agent-platform/core/domain';
import type { StoredRunFile, UsageDayTotals } from '@agent-platform/core/ports';
import type Database from 'better-sqlite3';
import { DAY_MS, runNotFound, utcDay } from './agent-records.js';
import {
  checkRunStoredTotal,
  validateListNotifications,
  validateMarkNotificationsRead,
  validateNotification,
  validateStoredRunFile,
  validateUsageByDay,
} from './checks.js';

/**
 * What runs leave behind for the person, for SqliteStore: kept run files and notifications
 * (migration 5), and usage per day (over the usage table of migration 2).
 */

interface RunFileRow {
  run_id: string;
  owner_id: string;
  path: string;
  content_type: string;
  bytes: number;
  data: Buffer;
}

interface NotificationRow {
  user_id: string;
  id: string;
  kind: Notification['kind'];
  run_id: string;
  agent_id: string;
  agent_name: string;
  status: RunStatus;
  reason: string | null;
  cost_usd: number;
  at: number;
  read_at: number | null;
}

interface UsageDayRow {
  day_number: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  responses: number;
}

const toNotification = (r: NotificationRow): Notification => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  runId: r.run_id,
  agentId: r.agent_id,
  agentName: r.agent_name,
  status: r.status,
  reason: r.reason,
  costUsd: r.cost_usd,
  at: r.at,
  readAt: r.read_at,
});

const toNotificationRow = (n: Notification): NotificationRow => ({
  user_id: n.userId,
  id: n.id,
  kind: n.kind,
  run_id: n.runId,
  agent_id: n.agentId,
  agent_name: n.agentName,
  status: n.status,
  reason: n.reason,
  cost_usd: n.costUsd,
  at: n.at,
  read_at: n.readAt,
});

/** A plain Uint8Array over the row's bytes, as the port promises (not the driver's Buffer). */
const toStoredRunFile = (r: RunFileRow): StoredRunFile => ({
  runId: r.run_id,
  ownerId: r.owner_id,
  path: r.path,
  contentType: r.content_type,
  data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength),
});

export class SqliteOutputs {
  private readonly stmt;
  private readonly tx;

  constructor(db: Database.Database) {
    this.stmt = {
      getRunOwner: db.prepare<[string], string>('SELECT owner_id FROM agent_runs WHERE id = ?').pluck(),
      runStoredBytes: db.prepare<[string], number>('SELECT TOTAL(bytes) FROM run_files WHERE run_id = ?').pluck(),
      runFileBytes: db
        .prepare<[string, string], number>('SELECT bytes FROM run_files WHERE run_id = ? AND path = ?')
        .pluck(),
      putRunFile: db.prepare<[RunFileRow]>(
        `INSERT INTO run_files (run_id, owner_id, path, content_type, bytes, data)
         VALUES (@run_id, @owner_id, @path, @content_type, @bytes, @data)
         ON CONFLICT (run_id, path) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes,
           data = excluded.data`,
      ),
      getRunFile: db.prepare<[string, string, string], RunFileRow>(
        'SELECT run_id, owner_id, path, content_type, bytes, data FROM run_files WHERE run_id = ? AND path = ? AND owner_id = ?',
      ),

      // Days as whole numbers since the epoch (at is never negative): integer division is the UTC day.
      // TOTAL, as in usageSince: never NULL, and a float for cost.
      usageByDay: db.prepare<[string, number], UsageDayRow>(
        `SELECT at / ${DAY_MS} AS day_number, TOTAL(cost_usd) AS cost_usd, TOTAL(input_tokens) AS input_tokens,
           TOTAL(output_tokens) AS output_tokens, TOTAL(cache_read_tokens) AS cache_read_tokens,
           TOTAL(cache_creation_tokens) AS cache_creation_tokens, COUNT(*) AS responses
         FROM usage WHERE user_id = ? AND at >= ?
         GROUP BY day_number ORDER BY day_number ASC`,
      ),

      // DO NOTHING on a stored id: a retried notification of the same run is shown once.
      insertNotification: db.prepare<[NotificationRow]>(
        `INSERT INTO notifications (user_id, id, kind, run_id, agent_id, agent_name, status, reason, cost_usd, at,
           read_at)
         VALUES (@user_id, @id, @kind, @run_id, @agent_id, @agent_name, @status, @reason, @cost_usd, @at, @read_at)
         ON CONFLICT (user_id, id) DO NOTHING`,
      ),
      listNotifications: db.prepare<[string, number], NotificationRow>(
        'SELECT * FROM notifications WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT ?',
      ),
      // The filters repeat the partial index's WHERE, so the index serves both.
      unreadCount: db
        .prepare<[string], number>('SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL')
        .pluck(),
      markRead: db.prepare<[number, string, number]>(
        'UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL AND at <= ?',
      ),
    };

    this.tx = {
      // Run with .immediate(): the owner check, the total and the write see one state.
      putRunFile: db.transaction((f: StoredRunFile): void => {
        if (this.stmt.getRunOwner.get(f.runId) !== f.ownerId) throw runNotFound(f.runId);
        checkRunStoredTotal(
          f.runId,
          this.stmt.runStoredBytes.get(f.runId) ?? 0,
          this.stmt.runFileBytes.get(f.runId, f.path) ?? 0,
          f.data.byteLength,
        );
        this.stmt.putRunFile.run({
          run_id: f.runId,
          owner_id: f.ownerId,
          path: f.path,
          content_type: f.contentType,
          bytes: f.data.byteLength,
          data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength),
        });
      }),
      listNotifications: db.transaction((userId: string, limit: number) => ({
        notifications: this.stmt.listNotifications.all(userId, limit).map(toNotification),
        unread: this.stmt.unreadCount.get(userId) ?? 0,
      })),
    };
  }

  async putRunFile(f: StoredRunFile): Promise<void> {
    validateStoredRunFile(f);
    this.tx.putRunFile.immediate(f);
  }

  async getRunFile(ownerId: string, runId: string, path: string): Promise<StoredRunFile | null> {
    const row = this.stmt.getRunFile.get(runId, path, ownerId);
    return row ? toStoredRunFile(row) : null;
  }

  async usageByDay(userId: string, sinceMs: number): Promise<UsageDayTotals[]> {
    validateUsageByDay(userId, sinceMs);
    return this.stmt.usageByDay.all(userId, sinceMs).map((r) => ({
      day: utcDay(r.day_number * DAY_MS),
      costUsd: r.cost_usd,
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheReadTokens: r.cache_read_tokens,
      cacheCreationTokens: r.cache_creation_tokens,
      responses: r.responses,
    }));
  }

  async addNotification(n: Notification): Promise<void> {
    this.stmt.insertNotification.run(toNotificationRow(validateNotification(n)));
  }

  /** One read transaction, so that the page and the unread count agree. */
  async listNotifications(userId: string, limit: number): Promise<{ notifications: Notification[]; unread: number }> {
    validateListNotifications(userId, limit);
    return this.tx.listNotifications(userId, limit);
  }

  async markNotificationsRead(userId: string, upTo: number, now: number): Promise<void> {
    validateMarkNotificationsRead(userId, upTo, now);
    this.stmt.markRead.run(now, userId, upTo);
  }
}
