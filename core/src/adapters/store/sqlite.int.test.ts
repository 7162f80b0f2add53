import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../../../test/contracts/store.contract.js';
import { applyMigrations, type Migration, migrations } from './migrations.js';
import { openSqliteStore, type SqliteStore } from './sqlite.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sqlite-store-'));
}

describeStoreContract('sqlite', async () => {
  const dir = await tempDir();
  const store = openSqliteStore({ file: join(dir, 'store.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore', () => {
  let dir: string;
  let file: string;
  const open: SqliteStore[] = [];
  const raw: Database.Database[] = [];

  const openStore = () => {
    const s = openSqliteStore({ file });
    open.push(s);
    return s;
  };
  const openRaw = () => {
    const db = new Database(file);
    raw.push(db);
    return db;
  };

  beforeEach(async () => {
    dir = await tempDir();
    file = join(dir, 'store.db');
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const db of raw.splice(0)) db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs in WAL mode', async () => {
    openStore();
    const db = openRaw();
    // journal_mode is stored in the file, so a second connection sees what the store set.
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('applies every migration once and treats reopening as a no-op', async () => {
    await openStore().close();
    const db = openRaw();
    const before = db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all();
    expect(before.map((r) => (r as { version: number }).version)).toEqual(migrations.map((m) => m.version));

    await openStore().close();
    await openStore().close();
    expect(db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all()).toEqual(before);
  });

  it('keeps data across close and reopen', async () => {
    const first = openStore();
    await first.recordSighting({ id: 'u1', name: 'Lee', email: null, photoUrl: null, now: 1 });
    await first.updateUserSettings('u1', { locale: 'ko', onboarding: { role: 'analyst' } });
    const session = await first.createSession({ id: 's1', ownerId: 'u1', title: 't', context: 'workspace', now: 10 });
    const { message } = await first.insertMessage({
      id: 'm1',
      sessionId: 's1',
      ownerId: 'u1',
      clientMessageId: 'c1',
      text: 'hello',
      now: 20,
    });
    const event = { v: 1, sessionId: 's1', seq: 0, messageId: 'm1', at: 30, type: 'status', state: 'idle' } as const;
    await first.appendEvents([event]);
    await first.close();

    const second = openStore();
    expect(await second.getUser('u1')).toEqual({
      id: 'u1',
      name: 'Lee',
      email: null,
      photoUrl: null,
      locale: 'ko',
      onboarding: { role: 'analyst' },
      createdAt: 1,
      lastSeenAt: 1,
    });
    expect(await second.getSession('u1', 's1')).toEqual({ ...session, updatedAt: 20 });
    expect(await second.listMessages('s1')).toEqual([message]);
    expect(await second.listEvents('s1', -1)).toEqual([event]);
  });

  it('upgrades a file written before usage metering and keeps its data', async () => {
    const db = openRaw();
    applyMigrations(db, migrations.slice(0, 1));
    db.prepare('INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)').run('u1', 'Lee', null, 1);
    const store = openStore();
    expect(await store.getUser('u1')).toMatchObject({ id: 'u1', name: 'Lee', email: null, createdAt: 1 });
    await store.recordUsage({
      id: 'r1',
      userId: 'u1',
      claudeSessionId: null,
      model: 'claude-haiku-4-5',
      inputTokens: 1,
      outputTokens: 2,
      cacheReadTokens: 3,
      cacheCreationTokens: 4,
      costUsd: 0.5,
      at: 10,
    });
    expect(await store.usageSince('u1', 0)).toMatchObject({ costUsd: 0.5, responses: 1 });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
  });

  it('upgrades a file written before user profiles: users keep their data and get the defaults', async () => {
    const db = openRaw();
    applyMigrations(db, migrations.slice(0, 2));
    const insertUser = db.prepare('INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)');
    insertUser.run('u1', 'Lee', null, 1000);
    insertUser.run('u2', '김민지', 'minji@example.com', 2000);
    db.prepare(
      `INSERT INTO sessions (id, owner_id, title, context, claude_session_id, created_at, updated_at)
       VALUES ('s1', 'u2', 't', 'workspace', NULL, 10, 10)`,
    ).run();
    db.prepare(
      `INSERT INTO messages (id, session_id, owner_id, client_message_id, text, status, created_at)
       VALUES ('m1', 's1', 'u2', 'c1', 'hello', 'running', 20)`,
    ).run();

    const store = openStore();
    expect(await store.getUser('u1')).toStrictEqual({
      id: 'u1',
      name: 'Lee',
      email: null,
      photoUrl: null,
      locale: null,
      onboarding: {},
      createdAt: 1000,
      lastSeenAt: 1000,
    });
    expect(await store.getUser('u2')).toMatchObject({ name: '김민지', email: 'minji@example.com', lastSeenAt: 2000 });
    // The upgraded table takes the new writes, and a sighting keeps the old createdAt.
    expect(
      await store.recordSighting({ id: 'u1', name: 'Lee S.', email: null, photoUrl: 'https://p/1.png', now: 5000 }),
    ).toMatchObject({ name: 'Lee S.', photoUrl: 'https://p/1.png', createdAt: 1000, lastSeenAt: 5000 });
    expect(await store.updateUserSettings('u1', { locale: 'en-US', onboarding: { goal: 'reports' } })).toMatchObject({
      locale: 'en-US',
      onboarding: { goal: 'reports' },
    });
    expect((await store.listOpenMessages('u2')).map((m) => m.id)).toEqual(['m1']);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
  });

  it("upgrades a file written before agents: events keep their data, and take a run's events too", async () => {
    const db = openRaw();
    applyMigrations(db, migrations.slice(0, 3));
    db.prepare(
      `INSERT INTO users (id, name, email, photo_url, locale, onboarding, created_at, last_seen_at)
       VALUES ('u1', 'Lee', NULL, NULL, 'ko', '{"role":"analyst"}', 1, 2)`,
    ).run();
    db.prepare(
      `INSERT INTO sessions (id, owner_id, title, context, claude_session_id, created_at, updated_at)
       VALUES ('s1', 'u1', 't', 'workspace', 'claude-1', 10, 20)`,
    ).run();
    db.prepare(
      `INSERT INTO messages (id, session_id, owner_id, client_message_id, text, status, created_at)
       VALUES ('m1', 's1', 'u1', 'c1', 'hello', 'done', 20)`,
    ).run();
    const events = [0, 1].map(
      (seq) => ({ v: 1, sessionId: 's1', seq, messageId: 'm1', at: 30 + seq, type: 'status', state: 'idle' }) as const,
    );
    const insertEvent = db.prepare(
      'INSERT INTO events (session_id, seq, type, message_id, at, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const e of events) insertEvent.run(e.sessionId, e.seq, e.type, e.messageId, e.at, JSON.stringify(e));

    const store = openStore();
    expect(await store.getUser('u1')).toMatchObject({ locale: 'ko', onboarding: { role: 'analyst' }, lastSeenAt: 2 });
    expect(await store.getSession('u1', 's1')).toMatchObject({ claudeSessionId: 'claude-1', updatedAt: 20 });
    expect((await store.listMessages('s1')).map((m) => [m.id, m.status])).toEqual([['m1', 'done']]);
    expect(await store.listEvents('s1', -1)).toEqual(events);
    // The events table lost its foreign key (a run's sessionId names no session row), nothing else.
    expect(db.pragma('foreign_key_list(events)')).toEqual([]);
    expect(db.pragma('foreign_key_check')).toEqual([]);

    await store.appendEvents([{ ...events[0]!, seq: 2 }]);
    expect(await store.lastEventSeq('s1')).toBe(2);
    const agent = await store.createAgent({
      id: 'agent-1',
      ownerId: 'u1',
      spec: {
        name: 'Digest',
        description: '',
        instructions: 'Summarise.',
        schedule: null,
        limits: { timeoutMs: 60_000, maxTurns: 5, maxUsd: 1 },
        notifications: { webhookUrl: null, inApp: true },
      },
      webhookSecret: null,
      now: 100,
    });
    const { run } = await store.createRun({
      id: 'run-1',
      agentId: agent.id,
      ownerId: 'u1',
      trigger: 'manual',
      sessionId: 'run-session-1',
      now: 200,
    });
    const runEvent = { ...events[0]!, sessionId: run.sessionId, messageId: null };
    await store.appendEvents([runEvent]);
    expect(await store.listEvents(run.sessionId, -1)).toEqual([runEvent]);
    await expect(store.appendEvents([{ ...events[0]!, sessionId: 'nope' }])).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
  });

  it('upgrades a file written before kept run files: runs keep their files and take kept contents', async () => {
    const db = openRaw();
    applyMigrations(db, migrations.slice(0, 4));
    db.prepare(
      `INSERT INTO agent_runs (id, agent_id, owner_id, status, trigger, reason, runner_id, dedupe_key, session_id,
         attempt, scheduled_for, queued_at, started_at, ended_at, duration_ms, result, files, input_tokens,
         output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, agent_deleted)
       VALUES ('run-1', 'agent-1', 'u1', 'succeeded', 'manual', NULL, 'runner-1', NULL, 'run-session-1', 1, NULL,
         10, 20, 30, 10, 'done', '[{"path":"out.csv","bytes":3,"changeKind":"created"}]', 1, 2, 3, 4, 0.5, 1)`,
    ).run();

    const store = openStore();
    expect(await store.getRun('u1', 'run-1')).toMatchObject({
      files: [{ path: 'out.csv', bytes: 3, changeKind: 'created' }],
      agentDeleted: true,
    });
    const file = { runId: 'run-1', ownerId: 'u1', path: 'out.csv', contentType: 'text/csv', data: Buffer.from('a,b') };
    await store.putRunFile(file);
    expect(await store.getRunFile('u1', 'run-1', 'out.csv')).toStrictEqual({
      ...file,
      data: new Uint8Array(Buffer.from('a,b')),
    });
    expect(await store.usageByDay('u1', 0)).toStrictEqual([]);
    expect(await store.listNotifications('u1', 5)).toStrictEqual({ notifications: [], unread: 0 });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
  });

  it('serves the unread count and markNotificationsRead from their partial index', async () => {
    await openStore().close();
    const db = openRaw();
    for (const sql of [
      'SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL',
      'UPDATE notifications SET read_at = 1 WHERE user_id = ? AND read_at IS NULL AND at <= 5',
    ]) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('u1') as { detail: string }[];
      expect(plan.map((r) => r.detail).join('\n')).toMatch(/notifications_user_unread/);
    }
  });

  it('serves listScheduledAgents from its partial index', async () => {
    await openStore().close();
    const plan = openRaw()
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM agents WHERE status = 'active' AND schedule_enabled = 1 ORDER BY id")
      .all() as { detail: string }[];
    expect(plan.map((r) => r.detail).join('\n')).toMatch(/agents_scheduled/);
  });

  it('serves listOpenMessages from its partial index', async () => {
    await openStore().close();
    const plan = openRaw()
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM messages WHERE owner_id = ? AND status IN ('pending', 'running')
         ORDER BY created_at ASC, rowid ASC`,
      )
      .all('u1') as { detail: string }[];
    expect(plan.map((r) => r.detail).join('\n')).toMatch(/messages_owner_open/);
  });

  it('refuses to open a file migrated by a newer version', async () => {
    await openStore().close();
    openRaw().prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(999, Date.now());
    expect(() => openStore()).toThrow(/newer version.*migration 999/);
  });

  it('rolls back a failing migration together with its version row', async () => {
    const db = openRaw();
    const broken: Migration[] = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'broken',
        sql: 'CREATE TABLE extra (x INTEGER); SELECT nope FROM nowhere;',
      },
    ];
    expect(() => applyMigrations(db, broken)).toThrow(/no such table: nowhere/);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(migrations.map((m) => m.version));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeUndefined();
  });

  it('rejects events for a session that does not exist', async () => {
    const store = openStore();
    const event = { v: 1, sessionId: 'nope', seq: 0, messageId: null, at: 1, type: 'status', state: 'idle' } as const;
    await expect(store.appendEvents([event])).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('names the row when a stored event is corrupt', async () => {
    const store = openStore();
    await store.recordSighting({ id: 'u1', name: 'Lee', email: null, photoUrl: null, now: 1 });
    await store.createSession({ id: 's1', ownerId: 'u1', title: 't', context: 'workspace', now: 10 });
    openRaw()
      .prepare('INSERT INTO events (session_id, seq, type, message_id, at, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run('s1', 7, 'status', null, 1, JSON.stringify({ v: 1, sessionId: 's1', seq: 7, type: 'status' }));
    await expect(store.listEvents('s1', -1)).rejects.toThrow(/event 7 of session s1 is corrupt/);
  });
});
