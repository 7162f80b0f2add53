import type Database from 'better-sqlite3';

/**
 * The SQLite schema as an ordered list of migrations. Append only: a migration that has shipped is
 * never edited, because files on users' disks have already applied it. Versions are 1, 2, 3, ...
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users, sessions, messages, events',
    // STRICT so a wrong type is refused at write time instead of being stored and read back oddly.
    // No foreign key from owner ids to users: the Firestore adapter cannot enforce one, and both
    // adapters must accept the same writes.
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        title TEXT NOT NULL,
        context TEXT NOT NULL CHECK (context IN ('workspace', 'agent-create')),
        claude_session_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_owner_updated ON sessions (owner_id, updated_at DESC, id DESC);

      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        owner_id TEXT NOT NULL,
        client_message_id TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        created_at INTEGER NOT NULL,
        UNIQUE (session_id, client_message_id)
      ) STRICT;
      CREATE INDEX messages_session_created ON messages (session_id, created_at);

      CREATE TABLE events (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        type TEXT NOT NULL,
        message_id TEXT,
        at INTEGER NOT NULL,
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        PRIMARY KEY (session_id, seq)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'usage',
    // One row per model response, written by the model proxy. The budget check sums a user's rows
    // since the start of the month before every request, hence the (user_id, at) index.
    sql: `
      CREATE TABLE usage (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        claude_session_id TEXT,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
        output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
        cache_read_tokens INTEGER NOT NULL CHECK (cache_read_tokens >= 0),
        cache_creation_tokens INTEGER NOT NULL CHECK (cache_creation_tokens >= 0),
        cost_usd REAL NOT NULL CHECK (cost_usd >= 0),
        at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX usage_user_at ON usage (user_id, at);
    `,
  },
  {
    version: 3,
    name: 'user profiles, open messages, runner pool, transcripts',
    // users is rebuilt (the SQLite way to add NOT NULL columns whose value comes from another
    // column): rows written before keep their data, with no photo, no locale, no answers and
    // lastSeenAt = createdAt. Nothing references users, so dropping the old table is safe.
    sql: `
      CREATE TABLE users_v3 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT,
        photo_url TEXT,
        locale TEXT,
        onboarding TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(onboarding) AND json_type(onboarding) = 'object'),
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO users_v3 (id, name, email, photo_url, locale, onboarding, created_at, last_seen_at)
        SELECT id, name, email, NULL, NULL, '{}', created_at, created_at FROM users;
      DROP TABLE users;
      ALTER TABLE users_v3 RENAME TO users;

      -- listOpenMessages: a user's pending and running messages across sessions, oldest first.
      CREATE INDEX messages_owner_open ON messages (owner_id, created_at)
        WHERE status IN ('pending', 'running');

      -- epoch: +1 at each take-over; a placement is counted on its runner while their epochs match.
      CREATE TABLE runners (
        id TEXT PRIMARY KEY,
        ws_url TEXT NOT NULL,
        capacity INTEGER NOT NULL CHECK (capacity >= 1),
        placed_users INTEGER NOT NULL CHECK (placed_users >= 0),
        active_sessions INTEGER NOT NULL CHECK (active_sessions >= 0),
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        lease_until INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('up', 'down')),
        epoch INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      -- No foreign key to runners, as for owners: the Firestore adapter cannot enforce one.
      CREATE TABLE placements (
        user_id TEXT PRIMARY KEY,
        runner_id TEXT NOT NULL,
        placed_at INTEGER NOT NULL,
        runner_epoch INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX placements_runner ON placements (runner_id, user_id);

      -- One row per transcript (subpath '' is the main one), one row per entry; seq (the rowid)
      -- is the append order. A uuid is stored at most once per transcript.
      CREATE TABLE transcripts (
        id INTEGER PRIMARY KEY,
        owner_id TEXT NOT NULL,
        project_key TEXT NOT NULL,
        session_id TEXT NOT NULL,
        subpath TEXT NOT NULL,
        UNIQUE (owner_id, project_key, session_id, subpath)
      ) STRICT;
      CREATE TABLE transcript_entries (
        seq INTEGER PRIMARY KEY,
        transcript_id INTEGER NOT NULL REFERENCES transcripts (id) ON DELETE CASCADE,
        uuid TEXT,
        entry TEXT NOT NULL
      ) STRICT;
      CREATE INDEX transcript_entries_order ON transcript_entries (transcript_id, seq);
      CREATE UNIQUE INDEX transcript_entries_uuid ON transcript_entries (transcript_id, uuid) WHERE uuid IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'agents, instruction versions, runs; events of runs',
    // events is rebuilt without its foreign key to sessions: a run's events are stored under the
    // run's sessionId, which names no session row. appendEvents checks that the id is a session's
    // or a run's instead. Sessions are never deleted, so the cascade that goes with the key was
    // never used. Rows written before keep their data.
    // Schedule and limits are columns (not JSON) so that STRICT types them; the schedule's five
    // columns are all set or all NULL (no schedule). Policies are checked at the boundary, not by
    // CHECK, so that a new policy needs no rebuild.
    // agent_runs has no foreign key to agents: runs outlive their agent (agent_deleted = 1).
    sql: `
      CREATE TABLE events_v4 (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        type TEXT NOT NULL,
        message_id TEXT,
        at INTEGER NOT NULL,
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        PRIMARY KEY (session_id, seq)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO events_v4 (session_id, seq, type, message_id, at, payload)
        SELECT session_id, seq, type, message_id, at, payload FROM events;
      DROP TABLE events;
      ALTER TABLE events_v4 RENAME TO events;

      CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        instructions TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        folder TEXT NOT NULL,
        schedule_cron TEXT,
        schedule_time_zone TEXT,
        schedule_enabled INTEGER CHECK (schedule_enabled IN (0, 1)),
        schedule_missed_run_policy TEXT,
        schedule_overlap_policy TEXT,
        timeout_ms INTEGER NOT NULL,
        max_turns INTEGER NOT NULL,
        max_usd REAL NOT NULL,
        webhook_url TEXT,
        webhook_secret TEXT,
        in_app_notifications INTEGER NOT NULL CHECK (in_app_notifications IN (0, 1)),
        status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        CHECK ((schedule_cron IS NULL) = (schedule_time_zone IS NULL)
          AND (schedule_cron IS NULL) = (schedule_enabled IS NULL)
          AND (schedule_cron IS NULL) = (schedule_missed_run_policy IS NULL)
          AND (schedule_cron IS NULL) = (schedule_overlap_policy IS NULL))
      ) STRICT;
      CREATE INDEX agents_owner_created ON agents (owner_id, created_at DESC, id DESC);
      -- listScheduledAgents: the scheduler reads every active agent with an enabled schedule at start-up.
      CREATE INDEX agents_scheduled ON agents (id) WHERE status = 'active' AND schedule_enabled = 1;

      CREATE TABLE agent_versions (
        agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
        version INTEGER NOT NULL CHECK (version >= 1),
        instructions TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (agent_id, version)
      ) STRICT, WITHOUT ROWID;

      -- files: a JSON array of { path, bytes, changeKind }. dedupe_key is unique per owner (NULLs
      -- are distinct, so runs without a key never collide); session_id is unique among runs.
      CREATE TABLE agent_runs (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'skipped')),
        trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry')),
        reason TEXT,
        runner_id TEXT,
        dedupe_key TEXT,
        session_id TEXT NOT NULL UNIQUE,
        attempt INTEGER NOT NULL CHECK (attempt >= 1),
        scheduled_for INTEGER,
        queued_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        duration_ms INTEGER CHECK (duration_ms >= 0),
        result TEXT,
        files TEXT NOT NULL CHECK (json_valid(files) AND json_type(files) = 'array'),
        input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
        output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
        cache_read_tokens INTEGER NOT NULL CHECK (cache_read_tokens >= 0),
        cache_creation_tokens INTEGER NOT NULL CHECK (cache_creation_tokens >= 0),
        cost_usd REAL NOT NULL CHECK (cost_usd >= 0),
        agent_deleted INTEGER NOT NULL CHECK (agent_deleted IN (0, 1)),
        UNIQUE (owner_id, dedupe_key)
      ) STRICT;
      CREATE INDEX agent_runs_owner_queued ON agent_runs (owner_id, queued_at DESC, id DESC);
      CREATE INDEX agent_runs_agent_queued ON agent_runs (agent_id, queued_at DESC, id DESC);
      CREATE INDEX agent_runs_status ON agent_runs (status, runner_id, queued_at, id);
    `,
  },
  {
    version: 5,
    name: 'kept run files, notifications',
    // agent_runs.files may also carry contentType and stored per file since this version (JSON, so
    // no change to the table). run_files keeps the content of a run's small files; owner_id is the
    // run's (which never changes), so a read checks the owner without a join. A rowid table, not
    // WITHOUT ROWID: its rows are large. bytes = length(data), so the per-run total is summed
    // without reading contents.
    // notifications are keyed by (user_id, id): one user's ids never collide with another's.
    // kind and status are checked at the boundary, not by CHECK, so that a new kind needs no rebuild.
    // Usage per day needs nothing new: it is a GROUP BY over usage_user_at.
    sql: `
      CREATE TABLE run_files (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
        owner_id TEXT NOT NULL,
        path TEXT NOT NULL,
        content_type TEXT NOT NULL,
        bytes INTEGER NOT NULL CHECK (bytes >= 0),
        data BLOB NOT NULL,
        UNIQUE (run_id, path),
        CHECK (bytes = length(data))
      ) STRICT;

      CREATE TABLE notifications (
        user_id TEXT NOT NULL,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        run_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        agent_name TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        cost_usd REAL NOT NULL CHECK (cost_usd >= 0),
        at INTEGER NOT NULL,
        read_at INTEGER,
        PRIMARY KEY (user_id, id)
      ) STRICT;
      CREATE INDEX notifications_user_at ON notifications (user_id, at DESC, id DESC);
      -- The unread count and markNotificationsRead read only the unread ones.
      CREATE INDEX notifications_user_unread ON notifications (user_id, at) WHERE read_at IS NULL;
    `,
  },
];

/**
 * Brings the database up to the latest version. Each migration runs in its own IMMEDIATE
 * transaction together with its `schema_migrations` row, so a crash leaves the file at a known
 * version and two processes opening the same file never apply one migration twice.
 */
export function applyMigrations(db: Database.Database, list: readonly Migration[] = migrations): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration list is out of order: entry ${i} has version ${m.version}, expected ${i + 1}.`);
    }
  });
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const selectVersions = db.prepare<[], number>('SELECT version FROM schema_migrations').pluck();
  const applied = () => new Set(selectVersions.all());
  const before = applied();
  const known = new Set(list.map((m) => m.version));
  const unknown = [...before].filter((v) => !known.has(v)).sort((a, b) => a - b);
  if (unknown.length > 0) {
    throw new Error(
      `The database was written by a newer version of this program (schema migration ${unknown.join(', ')} is ` +
        `unknown; this build knows 1..${list.length}). Upgrade the program, or point it at another database file.`,
    );
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (const m of list) {
    if (before.has(m.version)) continue;
    db.transaction(() => {
      // Re-read inside the write lock: another process may have applied it since we looked.
      if (applied().has(m.version)) return;
      db.exec(m.sql);
      insert.run(m.version, Date.now());
    }).immediate();
  }
}
