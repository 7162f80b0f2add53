import { closeSync, openSync } from 'node:fs';
import type {
  Agent,
  AgentRun,
  AgentVersion,
  Message,
  MessageStatus,
  Notification,
  OnboardingAnswers,
  Placement,
  RunnerRecord,
  RunStatus,
  Session,
  SessionContext,
  User,
} from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type {
  AgentUpdate,
  ListRunsOptions,
  NewAgent,
  NewMessage,
  NewRun,
  NewSession,
  RunnerHeartbeat,
  RunPatch,
  Store,
  StoredRunFile,
  TranscriptEntry,
  TranscriptKey,
  UsageDayTotals,
  UsageRecord,
  UsageTotals,
  UserSighting,
} from '@agent-platform/core/ports';
import { type SessionCursor, SessionEvent } from '@agent-platform/core/protocol';
import Database from 'better-sqlite3';
import {
  decodeTranscriptEntry,
  type EncodedEntry,
  encodeTranscriptEntries,
  mergeUserSettings,
  parseEventBatch,
  validateHeartbeat,
  validateRunnerId,
  validateSighting,
  validateTime,
  validateTranscriptKey,
  validateUsage,
  validateUserId,
} from './checks.js';
import { applyMigrations } from './migrations.js';
import { canTakeOver, heartbeatRecord, planPlacement, type StoredPlacement, type StoredRunner } from './pool.js';
import { SqliteAgents } from './sqlite-agents.js';
import { SqliteOutputs } from './sqlite-outputs.js';

export interface SqliteStoreOptions {
  /** Path of the database file; created (with its folder's WAL side files) when missing. */
  file: string;
  /** How long a write waits for another connection's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
}

interface UserRow {
  id: string;
  name: string;
  email: string | null;
  photo_url: string | null;
  locale: string | null;
  /** JSON object of answers by question id. */
  onboarding: string;
  created_at: number;
  last_seen_at: number;
}

interface RunnerRow {
  id: string;
  ws_url: string;
  capacity: number;
  placed_users: number;
  active_sessions: number;
  started_at: number;
  heartbeat_at: number;
  lease_until: number;
  state: RunnerRecord['state'];
  epoch: number;
}

interface PlacementRow {
  user_id: string;
  runner_id: string;
  placed_at: number;
  runner_epoch: number;
}

interface TranscriptEntryRow {
  seq: number;
  entry: string;
}

interface SessionRow {
  id: string;
  owner_id: string;
  title: string;
  context: SessionContext;
  claude_session_id: string | null;
  created_at: number;
  updated_at: number;
}

interface MessageRow {
  id: string;
  session_id: string;
  owner_id: string;
  client_message_id: string;
  text: string;
  status: MessageStatus;
  created_at: number;
}

interface UsageRow {
  id: string;
  user_id: string;
  claude_session_id: string | null;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  cost_usd: number;
  at: number;
}

interface UsageSumRow {
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  responses: number;
}

interface EventRow {
  session_id: string;
  seq: number;
  payload: string;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  name: r.name,
  email: r.email,
  photoUrl: r.photo_url,
  locale: r.locale,
  onboarding: JSON.parse(r.onboarding) as OnboardingAnswers,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});

const toRunner = (r: RunnerRow): StoredRunner => ({
  record: {
    id: r.id,
    wsUrl: r.ws_url,
    capacity: r.capacity,
    placedUsers: r.placed_users,
    activeSessions: r.active_sessions,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    leaseUntil: r.lease_until,
    state: r.state,
  },
  epoch: r.epoch,
});

const toPlacement = (r: PlacementRow): StoredPlacement => ({
  placement: { userId: r.user_id, runnerId: r.runner_id, placedAt: r.placed_at },
  runnerEpoch: r.runner_epoch,
});

const toSession = (r: SessionRow): Session => ({
  id: r.id,
  ownerId: r.owner_id,
  title: r.title,
  context: r.context,
  claudeSessionId: r.claude_session_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  sessionId: r.session_id,
  ownerId: r.owner_id,
  clientMessageId: r.client_message_id,
  text: r.text,
  status: r.status,
  createdAt: r.created_at,
});

const isSqliteError = (e: unknown, code: string): boolean =>
  e instanceof Database.SqliteError && (e as { code: string }).code === code;

function sessionNotFound(sessionId: string): AppError {
  return new AppError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist.`, { sessionId });
}

/** Opens (creating and migrating when needed) the local SQLite store. */
export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(opts);
}

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly tx;
  /** Agents, their instruction versions and runs. */
  private readonly agents: SqliteAgents;
  /** Kept run files, usage per day, notifications. */
  private readonly outputs: SqliteOutputs;

  constructor(opts: SqliteStoreOptions) {
    this.file = opts.file;
    const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
    // Owner-only from the start (SQLite gives its -wal and -shm files the database file's mode): the
    // data folder may have to be traversable by the sandboxes' uid (bubblewrap).
    if (opts.file !== ':memory:') closeSync(openSync(opts.file, 'a', 0o600));
    this.db = new Database(opts.file, { timeout: busyTimeoutMs });
    try {
      // WAL lets readers (the API, a replaying WebSocket) run while the runner appends events;
      // NORMAL is durable across application crashes in WAL mode and skips an fsync per commit.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      applyMigrations(this.db);
    } catch (e) {
      this.db.close();
      throw e;
    }

    const db = this.db;
    this.agents = new SqliteAgents(db);
    this.outputs = new SqliteOutputs(db);
    this.stmt = {
      // A repeat sighting refreshes what the provider owns; createdAt, locale and answers stay, and
      // lastSeenAt never moves backwards.
      recordSighting: db.prepare<[UserRow], UserRow>(
        `INSERT INTO users (id, name, email, photo_url, locale, onboarding, created_at, last_seen_at)
         VALUES (@id, @name, @email, @photo_url, @locale, @onboarding, @created_at, @last_seen_at)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, photo_url = excluded.photo_url,
           last_seen_at = MAX(last_seen_at, excluded.last_seen_at)
         RETURNING *`,
      ),
      getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
      setUserSettings: db.prepare<[string | null, string, string], UserRow>(
        'UPDATE users SET locale = ?, onboarding = ? WHERE id = ? RETURNING *',
      ),

      insertSession: db.prepare<[SessionRow]>(
        `INSERT INTO sessions (id, owner_id, title, context, claude_session_id, created_at, updated_at)
         VALUES (@id, @owner_id, @title, @context, @claude_session_id, @created_at, @updated_at)`,
      ),
      getSession: db.prepare<[string, string], SessionRow>('SELECT * FROM sessions WHERE owner_id = ? AND id = ?'),
      getSessionOwner: db.prepare<[string], string>('SELECT owner_id FROM sessions WHERE id = ?').pluck(),
      listSessions: db.prepare<[string, number], SessionRow>(
        'SELECT * FROM sessions WHERE owner_id = ? ORDER BY updated_at DESC, id DESC LIMIT ?',
      ),
      listSessionsBefore: db.prepare<[string, number, number, string, number], SessionRow>(
        `SELECT * FROM sessions WHERE owner_id = ? AND (updated_at < ? OR (updated_at = ? AND id < ?))
         ORDER BY updated_at DESC, id DESC LIMIT ?`,
      ),
      // updatedAt never moves backwards: writers with slightly skewed clocks must not reorder the list.
      setClaudeSessionId: db.prepare<[string, number, string]>(
        'UPDATE sessions SET claude_session_id = ?, updated_at = MAX(updated_at, ?) WHERE id = ?',
      ),
      touchSession: db.prepare<[number, string | null, string]>(
        'UPDATE sessions SET updated_at = MAX(updated_at, ?), title = COALESCE(?, title) WHERE id = ?',
      ),

      insertMessage: db.prepare<[MessageRow]>(
        `INSERT INTO messages (id, session_id, owner_id, client_message_id, text, status, created_at)
         VALUES (@id, @session_id, @owner_id, @client_message_id, @text, @status, @created_at)
         ON CONFLICT (session_id, client_message_id) DO NOTHING`,
      ),
      getMessageByClientId: db.prepare<[string, string], MessageRow>(
        'SELECT * FROM messages WHERE session_id = ? AND client_message_id = ?',
      ),
      getMessage: db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE session_id = ? AND id = ?'),
      // rowid breaks ties between messages stored in the same millisecond: insertion order.
      listMessages: db.prepare<[string], MessageRow>(
        'SELECT * FROM messages WHERE session_id = ? ORDER BY created_at ASC, rowid ASC',
      ),
      setMessageStatus: db.prepare<[MessageStatus, string, string]>(
        'UPDATE messages SET status = ? WHERE session_id = ? AND id = ?',
      ),
      // The status filter repeats the partial index's WHERE word for word, so the index serves it.
      listOpenMessages: db.prepare<[string], MessageRow>(
        `SELECT * FROM messages WHERE owner_id = ? AND status IN ('pending', 'running')
         ORDER BY created_at ASC, rowid ASC`,
      ),

      getRunner: db.prepare<[string], RunnerRow>('SELECT * FROM runners WHERE id = ?'),
      listRunners: db.prepare<[], RunnerRow>('SELECT * FROM runners ORDER BY id'),
      putRunner: db.prepare<[RunnerRow]>(
        `INSERT INTO runners (id, ws_url, capacity, placed_users, active_sessions, started_at, heartbeat_at, lease_until,
           state, epoch)
         VALUES (@id, @ws_url, @capacity, @placed_users, @active_sessions, @started_at, @heartbeat_at, @lease_until,
           @state, @epoch)
         ON CONFLICT (id) DO UPDATE SET ws_url = excluded.ws_url, capacity = excluded.capacity,
           placed_users = excluded.placed_users, active_sessions = excluded.active_sessions,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until,
           state = excluded.state, epoch = excluded.epoch`,
      ),
      setPlacedUsers: db.prepare<[number, string]>('UPDATE runners SET placed_users = ? WHERE id = ?'),
      takeOverRunner: db.prepare<[string]>(
        "UPDATE runners SET state = 'down', placed_users = 0, epoch = epoch + 1 WHERE id = ?",
      ),
      retireRunner: db.prepare<[number, string]>('UPDATE runners SET lease_until = MIN(lease_until, ?) WHERE id = ?'),
      getPlacement: db.prepare<[string], PlacementRow>('SELECT * FROM placements WHERE user_id = ?'),
      listPlacements: db.prepare<[string], PlacementRow>(
        'SELECT * FROM placements WHERE runner_id = ? ORDER BY user_id',
      ),
      putPlacement: db.prepare<[PlacementRow]>(
        `INSERT INTO placements (user_id, runner_id, placed_at, runner_epoch)
         VALUES (@user_id, @runner_id, @placed_at, @runner_epoch)
         ON CONFLICT (user_id) DO UPDATE SET runner_id = excluded.runner_id, placed_at = excluded.placed_at,
           runner_epoch = excluded.runner_epoch`,
      ),

      getTranscriptId: db
        .prepare<[string, string, string, string], number>(
          'SELECT id FROM transcripts WHERE owner_id = ? AND project_key = ? AND session_id = ? AND subpath = ?',
        )
        .pluck(),
      insertTranscript: db
        .prepare<[string, string, string, string], number>(
          `INSERT INTO transcripts (owner_id, project_key, session_id, subpath) VALUES (?, ?, ?, ?)
           ON CONFLICT (owner_id, project_key, session_id, subpath) DO UPDATE SET id = id RETURNING id`,
        )
        .pluck(),
      // DO NOTHING on a stored uuid: a retried append keeps the first copy, in its first place.
      insertTranscriptEntry: db.prepare<[number, string | null, string]>(
        'INSERT INTO transcript_entries (transcript_id, uuid, entry) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      loadTranscript: db.prepare<[number], TranscriptEntryRow>(
        'SELECT seq, entry FROM transcript_entries WHERE transcript_id = ? ORDER BY seq',
      ),
      listTranscriptSubpaths: db
        .prepare<[string, string, string], string>(
          `SELECT subpath FROM transcripts t WHERE owner_id = ? AND project_key = ? AND session_id = ? AND subpath != ''
             AND EXISTS (SELECT 1 FROM transcript_entries e WHERE e.transcript_id = t.id)
           ORDER BY subpath`,
        )
        .pluck(),

      insertEvent: db.prepare<[string, number, string, string | null, number, string]>(
        'INSERT INTO events (session_id, seq, type, message_id, at, payload) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // A negative LIMIT means no limit in SQLite.
      listEvents: db.prepare<[string, number, number], EventRow>(
        'SELECT session_id, seq, payload FROM events WHERE session_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?',
      ),
      lastEventSeq: db.prepare<[string], number | null>('SELECT MAX(seq) FROM events WHERE session_id = ?').pluck(),
      sessionCostUsd: db
        .prepare<[string], number | null>(
          "SELECT SUM(json_extract(payload, '$.costUsd')) FROM events WHERE session_id = ? AND type = 'turn.result'",
        )
        .pluck(),

      // DO NOTHING on a repeated id: a retried write of the same response must not count twice.
      insertUsage: db.prepare<[UsageRow]>(
        `INSERT INTO usage (id, user_id, claude_session_id, model, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd, at)
         VALUES (@id, @user_id, @claude_session_id, @model, @input_tokens, @output_tokens, @cache_read_tokens,
           @cache_creation_tokens, @cost_usd, @at)
         ON CONFLICT (id) DO NOTHING`,
      ),
      // TOTAL, not SUM: it is 0.0 rather than NULL over no rows, and a float for cost_usd always.
      usageSince: db.prepare<[string, number], UsageSumRow>(
        `SELECT TOTAL(cost_usd) AS cost_usd, TOTAL(input_tokens) AS input_tokens, TOTAL(output_tokens) AS output_tokens,
           TOTAL(cache_read_tokens) AS cache_read_tokens, TOTAL(cache_creation_tokens) AS cache_creation_tokens,
           COUNT(*) AS responses
         FROM usage WHERE user_id = ? AND at >= ?`,
      ),
    };

    // IMMEDIATE: take the write lock up front, so a read-then-write transaction never fails half
    // way with SQLITE_BUSY when another process (or connection) writes to the same file.
    this.tx = {
      insertMessage: db.transaction((m: NewMessage): { message: Message; created: boolean } => {
        const owner = this.stmt.getSessionOwner.get(m.sessionId);
        if (owner !== m.ownerId) throw sessionNotFound(m.sessionId);
        const row: MessageRow = {
          id: m.id,
          session_id: m.sessionId,
          owner_id: m.ownerId,
          client_message_id: m.clientMessageId,
          text: m.text,
          status: 'pending',
          created_at: m.now,
        };
        if (this.stmt.insertMessage.run(row).changes === 1) {
          this.stmt.touchSession.run(m.now, null, m.sessionId);
          return { message: toMessage(row), created: true };
        }
        const existing = this.stmt.getMessageByClientId.get(m.sessionId, m.clientMessageId);
        if (!existing) throw new Error(`Message ${m.clientMessageId} conflicted but cannot be read back.`);
        return { message: toMessage(existing), created: false };
      }),
      appendEvents: db.transaction((events: SessionEvent[]): void => {
        // No foreign key since migration 4: the id may be a conversation's or a run's sessionId.
        for (const sessionId of new Set(events.map((e) => e.sessionId))) {
          if (!this.agents.eventSessionExists(sessionId)) throw sessionNotFound(sessionId);
        }
        for (const e of events) {
          try {
            this.stmt.insertEvent.run(e.sessionId, e.seq, e.type, e.messageId, e.at, JSON.stringify(e));
          } catch (err) {
            if (isSqliteError(err, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
              throw new AppError(
                'CONFLICT',
                `Event ${e.seq} of session ${e.sessionId} is stored already; nothing of this batch was written. ` +
                  'Another writer owns this session: read lastEventSeq and renumber, or stop writing.',
                { sessionId: e.sessionId, seq: e.seq },
              );
            }
            throw err;
          }
        }
      }),
      updateUserSettings: db.transaction(
        (id: string, patch: Parameters<Store['updateUserSettings']>[1]): User | null => {
          const row = this.stmt.getUser.get(id);
          if (!row) return null;
          const next = mergeUserSettings(toUser(row), patch);
          const updated = this.stmt.setUserSettings.get(next.locale, JSON.stringify(next.onboarding), id);
          if (!updated) throw new Error(`User ${id} was read but cannot be updated.`);
          return toUser(updated);
        },
      ),
      heartbeatRunner: db.transaction((h: RunnerHeartbeat): RunnerRecord => {
        const stored = this.stmt.getRunner.get(h.id);
        const before = stored ? toRunner(stored) : null;
        const record = heartbeatRecord(before?.record ?? null, h);
        this.stmt.putRunner.run(toRunnerRow({ record, epoch: before?.epoch ?? 0 }));
        return record;
      }),
      placeUser: db.transaction(
        (userId: string, now: number): { runner: RunnerRecord; previousRunnerId: string | null } => {
          const current = this.stmt.getPlacement.get(userId);
          const runners = this.stmt.listRunners.all().map(toRunner);
          const plan = planPlacement(userId, now, current ? toPlacement(current) : null, runners);
          for (const r of plan.changed) this.stmt.setPlacedUsers.run(r.placedUsers, r.id);
          if (plan.placement !== null) {
            const { placement: p, runnerEpoch } = plan.placement;
            this.stmt.putPlacement.run({
              user_id: p.userId,
              runner_id: p.runnerId,
              placed_at: p.placedAt,
              runner_epoch: runnerEpoch,
            });
          }
          return { runner: plan.runner, previousRunnerId: plan.previousRunnerId };
        },
      ),
      takeOverRunner: db.transaction((runnerId: string, now: number): boolean => {
        const row = this.stmt.getRunner.get(runnerId);
        if (!row || !canTakeOver(toRunner(row).record, now)) return false;
        this.stmt.takeOverRunner.run(runnerId);
        return true;
      }),
      appendTranscript: db.transaction((key: Required<TranscriptKey>, entries: EncodedEntry[]): void => {
        const transcriptId = this.stmt.insertTranscript.get(key.ownerId, key.projectKey, key.sessionId, key.subpath);
        if (transcriptId === undefined) throw new Error('appendTranscript: the transcript row was not returned.');
        for (const e of entries) this.stmt.insertTranscriptEntry.run(transcriptId, e.uuid, e.json);
      }),
    };
  }

  async recordSighting(s: UserSighting): Promise<User> {
    validateSighting(s);
    const row = this.stmt.recordSighting.get({
      id: s.id,
      name: s.name,
      email: s.email,
      photo_url: s.photoUrl,
      locale: null,
      onboarding: '{}',
      created_at: s.now,
      last_seen_at: s.now,
    });
    if (!row) throw new Error(`User ${s.id} was written but not returned.`);
    return toUser(row);
  }

  async getUser(id: string): Promise<User | null> {
    const row = this.stmt.getUser.get(id);
    return row ? toUser(row) : null;
  }

  async updateUserSettings(
    id: string,
    patch: { locale?: string | null | undefined; onboarding?: OnboardingAnswers | undefined },
  ): Promise<User | null> {
    return this.tx.updateUserSettings.immediate(id, patch);
  }

  async createSession(s: NewSession): Promise<Session> {
    const row: SessionRow = {
      id: s.id,
      owner_id: s.ownerId,
      title: s.title,
      context: s.context,
      claude_session_id: null,
      created_at: s.now,
      updated_at: s.now,
    };
    try {
      this.stmt.insertSession.run(row);
    } catch (e) {
      if (isSqliteError(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new AppError('CONFLICT', `Session ${s.id} exists already; create it with a new id.`, { sessionId: s.id });
      }
      throw e;
    }
    return toSession(row);
  }

  async getSession(ownerId: string, id: string): Promise<Session | null> {
    const row = this.stmt.getSession.get(ownerId, id);
    return row ? toSession(row) : null;
  }

  async listSessions(ownerId: string, opts: { limit: number; before?: SessionCursor | undefined }): Promise<Session[]> {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) {
      throw new RangeError(`listSessions: limit must be a non-negative integer, got ${opts.limit}.`);
    }
    const rows =
      opts.before === undefined
        ? this.stmt.listSessions.all(ownerId, opts.limit)
        : this.stmt.listSessionsBefore.all(
            ownerId,
            opts.before.updatedAt,
            opts.before.updatedAt,
            opts.before.id,
            opts.limit,
          );
    return rows.map(toSession);
  }

  async setClaudeSessionId(sessionId: string, claudeSessionId: string, now: number): Promise<void> {
    if (this.stmt.setClaudeSessionId.run(claudeSessionId, now, sessionId).changes === 0) {
      throw sessionNotFound(sessionId);
    }
  }

  async touchSession(sessionId: string, now: number, title?: string): Promise<void> {
    if (this.stmt.touchSession.run(now, title ?? null, sessionId).changes === 0) throw sessionNotFound(sessionId);
  }

  async insertMessage(m: NewMessage): Promise<{ message: Message; created: boolean }> {
    return this.tx.insertMessage.immediate(m);
  }

  async getMessage(sessionId: string, id: string): Promise<Message | null> {
    const row = this.stmt.getMessage.get(sessionId, id);
    return row ? toMessage(row) : null;
  }

  async listMessages(sessionId: string): Promise<Message[]> {
    return this.stmt.listMessages.all(sessionId).map(toMessage);
  }

  async setMessageStatus(sessionId: string, id: string, status: MessageStatus): Promise<void> {
    if (this.stmt.setMessageStatus.run(status, sessionId, id).changes === 0) {
      throw new AppError('NOT_FOUND', `Message ${id} of session ${sessionId} does not exist.`, { sessionId, id });
    }
  }

  async listOpenMessages(ownerId: string): Promise<Message[]> {
    return this.stmt.listOpenMessages.all(ownerId).map(toMessage);
  }

  async appendEvents(events: SessionEvent[]): Promise<void> {
    if (events.length === 0) return;
    const parsed = parseEventBatch(events);
    this.tx.appendEvents.immediate(parsed);
  }

  async listEvents(sessionId: string, afterSeq: number, limit?: number): Promise<SessionEvent[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`listEvents: limit must be a non-negative integer, got ${limit}.`);
    }
    return this.stmt.listEvents.all(sessionId, afterSeq, limit ?? -1).map(parseEventRow);
  }

  async lastEventSeq(sessionId: string): Promise<number> {
    return this.stmt.lastEventSeq.get(sessionId) ?? -1;
  }

  async sessionCostUsd(sessionId: string): Promise<number> {
    return this.stmt.sessionCostUsd.get(sessionId) ?? 0;
  }

  async recordUsage(u: UsageRecord): Promise<void> {
    validateUsage(u);
    this.stmt.insertUsage.run({
      id: u.id,
      user_id: u.userId,
      claude_session_id: u.claudeSessionId,
      model: u.model,
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      cache_read_tokens: u.cacheReadTokens,
      cache_creation_tokens: u.cacheCreationTokens,
      cost_usd: u.costUsd,
      at: u.at,
    });
  }

  async usageSince(userId: string, sinceMs: number): Promise<UsageTotals> {
    const r = this.stmt.usageSince.get(userId, sinceMs);
    if (!r) throw new Error('usageSince: an aggregate query returned no row.');
    return {
      costUsd: r.cost_usd,
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheReadTokens: r.cache_read_tokens,
      cacheCreationTokens: r.cache_creation_tokens,
      responses: r.responses,
    };
  }

  async heartbeatRunner(h: RunnerHeartbeat): Promise<RunnerRecord> {
    validateHeartbeat(h);
    return this.tx.heartbeatRunner.immediate(h);
  }

  async listRunners(): Promise<RunnerRecord[]> {
    return this.stmt.listRunners.all().map((r) => toRunner(r).record);
  }

  async placeUser(userId: string, now: number): Promise<{ runner: RunnerRecord; previousRunnerId: string | null }> {
    validateUserId('placeUser', userId);
    validateTime('placeUser', 'now', now);
    return this.tx.placeUser.immediate(userId, now);
  }

  async getPlacement(userId: string): Promise<Placement | null> {
    const row = this.stmt.getPlacement.get(userId);
    return row ? toPlacement(row).placement : null;
  }

  async listPlacements(runnerId: string): Promise<Placement[]> {
    return this.stmt.listPlacements.all(runnerId).map((r) => toPlacement(r).placement);
  }

  async takeOverRunner(runnerId: string, now: number): Promise<boolean> {
    validateTime('takeOverRunner', 'now', now);
    return this.tx.takeOverRunner.immediate(runnerId, now);
  }

  /**
   * Ends the lease now and leaves the state up, so that exactly one peer's takeOverRunner claims the
   * runner (and counts its users off) as it would for a silent one. An unknown runner is a no-op.
   */
  async retireRunner(runnerId: string, now: number): Promise<void> {
    validateRunnerId('retireRunner', runnerId);
    validateTime('retireRunner', 'now', now);
    this.stmt.retireRunner.run(now, runnerId);
  }

  async appendTranscript(key: TranscriptKey, entries: TranscriptEntry[]): Promise<void> {
    validateTranscriptKey('appendTranscript', key);
    const encoded = encodeTranscriptEntries(entries);
    if (encoded.length === 0) return;
    this.tx.appendTranscript.immediate({ ...key, subpath: key.subpath ?? '' }, encoded);
  }

  async loadTranscript(key: TranscriptKey): Promise<TranscriptEntry[] | null> {
    validateTranscriptKey('loadTranscript', key);
    const id = this.stmt.getTranscriptId.get(key.ownerId, key.projectKey, key.sessionId, key.subpath ?? '');
    if (id === undefined) return null;
    const rows = this.stmt.loadTranscript.all(id);
    if (rows.length === 0) return null;
    return rows.map((r) => decodeTranscriptEntry(r.entry, `${r.seq} (row of transcript_entries)`));
  }

  async listTranscriptSubpaths(key: Omit<TranscriptKey, 'subpath'>): Promise<string[]> {
    validateTranscriptKey('listTranscriptSubpaths', key);
    return this.stmt.listTranscriptSubpaths.all(key.ownerId, key.projectKey, key.sessionId);
  }

  createAgent(a: NewAgent): Promise<Agent> {
    return this.agents.createAgent(a);
  }

  getAgent(ownerId: string, id: string): Promise<Agent | null> {
    return this.agents.getAgent(ownerId, id);
  }

  listAgents(ownerId: string): Promise<Agent[]> {
    return this.agents.listAgents(ownerId);
  }

  updateAgent(ownerId: string, id: string, patch: AgentUpdate, now: number): Promise<Agent | null> {
    return this.agents.updateAgent(ownerId, id, patch, now);
  }

  deleteAgent(ownerId: string, id: string): Promise<boolean> {
    return this.agents.deleteAgent(ownerId, id);
  }

  listAgentVersions(ownerId: string, agentId: string): Promise<AgentVersion[] | null> {
    return this.agents.listAgentVersions(ownerId, agentId);
  }

  getAgentWebhookSecret(ownerId: string, agentId: string): Promise<string | null> {
    return this.agents.getAgentWebhookSecret(ownerId, agentId);
  }

  listScheduledAgents(): Promise<Agent[]> {
    return this.agents.listScheduledAgents();
  }

  createRun(r: NewRun): Promise<{ run: AgentRun; created: boolean }> {
    return this.agents.createRun(r);
  }

  getRun(ownerId: string, id: string): Promise<AgentRun | null> {
    return this.agents.getRun(ownerId, id);
  }

  listRuns(ownerId: string, opts: ListRunsOptions): Promise<AgentRun[]> {
    return this.agents.listRuns(ownerId, opts);
  }

  transitionRun(
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    patch: RunPatch,
    now: number,
  ): Promise<AgentRun | null> {
    return this.agents.transitionRun(id, from, to, patch, now);
  }

  listRunsByStatus(status: RunStatus, opts?: { runnerId?: string | undefined }): Promise<AgentRun[]> {
    return this.agents.listRunsByStatus(status, opts);
  }

  runningRunOf(agentId: string): Promise<AgentRun | null> {
    return this.agents.runningRunOf(agentId);
  }

  agentCostSince(ownerId: string, agentId: string, sinceMs: number): Promise<number> {
    return this.agents.agentCostSince(ownerId, agentId, sinceMs);
  }

  putRunFile(f: StoredRunFile): Promise<void> {
    return this.outputs.putRunFile(f);
  }

  getRunFile(ownerId: string, runId: string, path: string): Promise<StoredRunFile | null> {
    return this.outputs.getRunFile(ownerId, runId, path);
  }

  usageByDay(userId: string, sinceMs: number): Promise<UsageDayTotals[]> {
    return this.outputs.usageByDay(userId, sinceMs);
  }

  addNotification(n: Notification): Promise<void> {
    return this.outputs.addNotification(n);
  }

  listNotifications(userId: string, limit: number): Promise<{ notifications: Notification[]; unread: number }> {
    return this.outputs.listNotifications(userId, limit);
  }

  markNotificationsRead(userId: string, upTo: number, now: number): Promise<void> {
    return this.outputs.markNotificationsRead(userId, upTo, now);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

const toRunnerRow = ({ record: r, epoch }: StoredRunner): RunnerRow => ({
  id: r.id,
  ws_url: r.wsUrl,
  capacity: r.capacity,
  placed_users: r.placedUsers,
  active_sessions: r.activeSessions,
  started_at: r.startedAt,
  heartbeat_at: r.heartbeatAt,
  lease_until: r.leaseUntil,
  state: r.state,
  epoch,
});

function parseEventRow(row: EventRow): SessionEvent {
  let json: unknown;
  try {
    json = JSON.parse(row.payload);
  } catch (e) {
    throw corruptEvent(row, `its payload is not JSON (${(e as Error).message})`);
  }
  const r = SessionEvent.safeParse(json);
  if (!r.success) throw corruptEvent(row, `its payload is not a valid SessionEvent: ${r.error.message}`);
  if (r.data.sessionId !== row.session_id || r.data.seq !== row.seq) {
    throw corruptEvent(row, `its payload names session ${r.data.sessionId} seq ${r.data.seq}`);
  }
  return r.data;
}

function corruptEvent(row: EventRow, why: string): AppError {
  return new AppError(
    'INTERNAL',
    `Stored event ${row.seq} of session ${row.session_id} is corrupt: ${why}. ` +
      'The database file was changed outside this program; restore it from a backup or delete the row.',
    { sessionId: row.session_id, seq: row.seq },
  );
}
