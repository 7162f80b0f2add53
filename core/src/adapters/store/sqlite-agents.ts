import type {
  Agent,
  AgentRun,
  AgentSchedule,
  AgentVersion,
  RunFile,
  RunStatus,
  RunTrigger,
} from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { AgentUpdate, ListRunsOptions, NewAgent, NewRun, RunPatch } from '@agent-platform/core/ports';
import Database from 'better-sqlite3';
import {
  type AgentRecord,
  agentIdTaken,
  agentNotFound,
  type CheckedAgentUpdate,
  checkAgentUpdate,
  planAgentUpdate,
  planNewAgent,
  planNewRun,
  planRunTransition,
  runIdTaken,
  runSessionTaken,
  toAgent,
} from './agent-records.js';
import { validateListRuns, validateRunStatus, validateRunTransition, validateTime, validateUserId } from './checks.js';

/** The agents, agent_versions and agent_runs tables (migration 4), for SqliteStore. */

interface AgentRow {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  instructions: string;
  version: number;
  folder: string;
  schedule_cron: string | null;
  schedule_time_zone: string | null;
  schedule_enabled: 0 | 1 | null;
  schedule_missed_run_policy: string | null;
  schedule_overlap_policy: string | null;
  timeout_ms: number;
  max_turns: number;
  max_usd: number;
  webhook_url: string | null;
  webhook_secret: string | null;
  in_app_notifications: 0 | 1;
  status: Agent['status'];
  created_at: number;
  updated_at: number;
}

interface VersionRow {
  agent_id: string;
  version: number;
  instructions: string;
  created_at: number;
}

interface RunRow {
  id: string;
  agent_id: string;
  owner_id: string;
  status: RunStatus;
  trigger: RunTrigger;
  reason: string | null;
  runner_id: string | null;
  dedupe_key: string | null;
  session_id: string;
  attempt: number;
  scheduled_for: number | null;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  result: string | null;
  /** JSON array of RunFile. */
  files: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  cost_usd: number;
  agent_deleted: 0 | 1;
}

function toRecord(r: AgentRow): AgentRecord {
  let schedule: AgentSchedule | null = null;
  if (r.schedule_cron !== null) {
    schedule = {
      cron: r.schedule_cron,
      timeZone: r.schedule_time_zone ?? '',
      enabled: r.schedule_enabled === 1,
      missedRunPolicy: r.schedule_missed_run_policy as AgentSchedule['missedRunPolicy'],
      overlapPolicy: r.schedule_overlap_policy as AgentSchedule['overlapPolicy'],
    };
  }
  return {
    id: r.id,
    ownerId: r.owner_id,
    name: r.name,
    description: r.description,
    instructions: r.instructions,
    schedule,
    limits: { timeoutMs: r.timeout_ms, maxTurns: r.max_turns, maxUsd: r.max_usd },
    webhookUrl: r.webhook_url,
    inApp: r.in_app_notifications === 1,
    webhookSecret: r.webhook_secret,
    folder: r.folder,
    status: r.status,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const toRow = (a: AgentRecord): AgentRow => ({
  id: a.id,
  owner_id: a.ownerId,
  name: a.name,
  description: a.description,
  instructions: a.instructions,
  version: a.version,
  folder: a.folder,
  schedule_cron: a.schedule?.cron ?? null,
  schedule_time_zone: a.schedule?.timeZone ?? null,
  schedule_enabled: a.schedule === null ? null : a.schedule.enabled ? 1 : 0,
  schedule_missed_run_policy: a.schedule?.missedRunPolicy ?? null,
  schedule_overlap_policy: a.schedule?.overlapPolicy ?? null,
  timeout_ms: a.limits.timeoutMs,
  max_turns: a.limits.maxTurns,
  max_usd: a.limits.maxUsd,
  webhook_url: a.webhookUrl,
  webhook_secret: a.webhookSecret,
  in_app_notifications: a.inApp ? 1 : 0,
  status: a.status,
  created_at: a.createdAt,
  updated_at: a.updatedAt,
});

const toVersion = (r: VersionRow): AgentVersion => ({
  agentId: r.agent_id,
  version: r.version,
  instructions: r.instructions,
  createdAt: r.created_at,
});

function toRun(r: RunRow): AgentRun {
  let files: RunFile[];
  try {
    files = JSON.parse(r.files) as RunFile[];
  } catch (e) {
    throw new AppError(
      'INTERNAL',
      `Stored run ${r.id} is corrupt: its files are not JSON (${(e as Error).message}). ` +
        'The database file was changed outside this program; restore it from a backup.',
      { runId: r.id },
    );
  }
  return {
    id: r.id,
    agentId: r.agent_id,
    ownerId: r.owner_id,
    status: r.status,
    trigger: r.trigger,
    reason: r.reason,
    runnerId: r.runner_id,
    dedupeKey: r.dedupe_key,
    sessionId: r.session_id,
    attempt: r.attempt,
    scheduledFor: r.scheduled_for,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    result: r.result,
    files,
    tokens: {
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      cacheReadTokens: r.cache_read_tokens,
      cacheCreationTokens: r.cache_creation_tokens,
    },
    costUsd: r.cost_usd,
    agentDeleted: r.agent_deleted === 1,
  };
}

const toRunRow = (r: AgentRun): RunRow => ({
  id: r.id,
  agent_id: r.agentId,
  owner_id: r.ownerId,
  status: r.status,
  trigger: r.trigger,
  reason: r.reason,
  runner_id: r.runnerId,
  dedupe_key: r.dedupeKey,
  session_id: r.sessionId,
  attempt: r.attempt,
  scheduled_for: r.scheduledFor,
  queued_at: r.queuedAt,
  started_at: r.startedAt,
  ended_at: r.endedAt,
  duration_ms: r.durationMs,
  result: r.result,
  files: JSON.stringify(r.files),
  input_tokens: r.tokens.inputTokens,
  output_tokens: r.tokens.outputTokens,
  cache_read_tokens: r.tokens.cacheReadTokens,
  cache_creation_tokens: r.tokens.cacheCreationTokens,
  cost_usd: r.costUsd,
  agent_deleted: r.agentDeleted ? 1 : 0,
});

const isPrimaryKeyConflict = (e: unknown): boolean =>
  e instanceof Database.SqliteError &&
  ((e as { code: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (e as { code: string }).code === 'SQLITE_CONSTRAINT_UNIQUE');

const AGENT_COLUMNS = `id, owner_id, name, description, instructions, version, folder, schedule_cron, schedule_time_zone,
  schedule_enabled, schedule_missed_run_policy, schedule_overlap_policy, timeout_ms, max_turns, max_usd, webhook_url,
  webhook_secret, in_app_notifications, status, created_at, updated_at`;

const RUN_COLUMNS = `id, agent_id, owner_id, status, trigger, reason, runner_id, dedupe_key, session_id, attempt,
  scheduled_for, queued_at, started_at, ended_at, duration_ms, result, files, input_tokens, output_tokens,
  cache_read_tokens, cache_creation_tokens, cost_usd, agent_deleted`;

const params = (columns: string): string =>
  columns
    .split(',')
    .map((c) => `@${c.trim()}`)
    .join(', ');

export class SqliteAgents {
  private readonly stmt;
  private readonly tx;
  /** listRuns statements by filter shape (4 at most). */
  private readonly listRunsStmts = new Map<string, Database.Statement<unknown[], RunRow>>();

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      insertAgent: db.prepare<[AgentRow]>(`INSERT INTO agents (${AGENT_COLUMNS}) VALUES (${params(AGENT_COLUMNS)})`),
      updateAgent: db.prepare<[AgentRow]>(
        `UPDATE agents SET name = @name, description = @description, instructions = @instructions,
           version = @version, schedule_cron = @schedule_cron, schedule_time_zone = @schedule_time_zone,
           schedule_enabled = @schedule_enabled, schedule_missed_run_policy = @schedule_missed_run_policy,
           schedule_overlap_policy = @schedule_overlap_policy, timeout_ms = @timeout_ms, max_turns = @max_turns,
           max_usd = @max_usd, webhook_url = @webhook_url, webhook_secret = @webhook_secret,
           in_app_notifications = @in_app_notifications, status = @status, updated_at = @updated_at
         WHERE id = @id`,
      ),
      getAgent: db.prepare<[string, string], AgentRow>('SELECT * FROM agents WHERE owner_id = ? AND id = ?'),
      getAgentOwner: db.prepare<[string], string>('SELECT owner_id FROM agents WHERE id = ?').pluck(),
      listAgents: db.prepare<[string], AgentRow>(
        'SELECT * FROM agents WHERE owner_id = ? ORDER BY created_at DESC, id DESC',
      ),
      listScheduledAgents: db.prepare<[], AgentRow>(
        "SELECT * FROM agents WHERE status = 'active' AND schedule_enabled = 1 ORDER BY id",
      ),
      deleteAgent: db.prepare<[string, string]>('DELETE FROM agents WHERE owner_id = ? AND id = ?'),
      markRunsAgentDeleted: db.prepare<[string, string]>(
        'UPDATE agent_runs SET agent_deleted = 1 WHERE owner_id = ? AND agent_id = ?',
      ),
      insertVersion: db.prepare<[VersionRow]>(
        `INSERT INTO agent_versions (agent_id, version, instructions, created_at)
         VALUES (@agent_id, @version, @instructions, @created_at)`,
      ),
      listVersions: db.prepare<[string], VersionRow>(
        'SELECT * FROM agent_versions WHERE agent_id = ? ORDER BY version DESC',
      ),

      insertRun: db.prepare<[RunRow]>(`INSERT INTO agent_runs (${RUN_COLUMNS}) VALUES (${params(RUN_COLUMNS)})`),
      putRun: db.prepare<[RunRow]>(
        `UPDATE agent_runs SET status = @status, reason = @reason, runner_id = @runner_id, started_at = @started_at,
           ended_at = @ended_at, duration_ms = @duration_ms, result = @result, files = @files,
           input_tokens = @input_tokens, output_tokens = @output_tokens, cache_read_tokens = @cache_read_tokens,
           cache_creation_tokens = @cache_creation_tokens, cost_usd = @cost_usd
         WHERE id = @id`,
      ),
      getRun: db.prepare<[string], RunRow>('SELECT * FROM agent_runs WHERE id = ?'),
      getOwnedRun: db.prepare<[string, string], RunRow>('SELECT * FROM agent_runs WHERE owner_id = ? AND id = ?'),
      getRunByDedupeKey: db.prepare<[string, string], RunRow>(
        'SELECT * FROM agent_runs WHERE owner_id = ? AND dedupe_key = ?',
      ),
      sessionIdTaken: db
        .prepare<[string, string], number>(
          `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?) OR EXISTS (SELECT 1 FROM agent_runs WHERE session_id = ?)`,
        )
        .pluck(),
      listRunsByStatus: db.prepare<[string], RunRow>(
        'SELECT * FROM agent_runs WHERE status = ? ORDER BY queued_at ASC, id ASC',
      ),
      listRunsByStatusOfRunner: db.prepare<[string, string], RunRow>(
        'SELECT * FROM agent_runs WHERE status = ? AND runner_id = ? ORDER BY queued_at ASC, id ASC',
      ),
      runningRunOf: db.prepare<[string], RunRow>(
        `SELECT * FROM agent_runs WHERE agent_id = ? AND status = 'running' ORDER BY queued_at DESC, id DESC LIMIT 1`,
      ),
      // TOTAL: 0.0 rather than NULL over no rows.
      agentCostSince: db
        .prepare<[string, string, number], number>(
          'SELECT TOTAL(cost_usd) FROM agent_runs WHERE agent_id = ? AND owner_id = ? AND queued_at >= ?',
        )
        .pluck(),
    };

    // Run with .immediate(): the write lock is taken before the first read.
    this.tx = {
      createAgent: db.transaction((record: AgentRecord, version: AgentVersion): void => {
        try {
          this.stmt.insertAgent.run(toRow(record));
        } catch (e) {
          if (isPrimaryKeyConflict(e)) throw agentIdTaken(record.id);
          throw e;
        }
        this.stmt.insertVersion.run(toVersionRow(version));
      }),
      updateAgent: db.transaction(
        (ownerId: string, id: string, update: CheckedAgentUpdate, now: number): Agent | null => {
          const row = this.stmt.getAgent.get(ownerId, id);
          if (!row) return null;
          const { record, version } = planAgentUpdate(toRecord(row), update, now);
          this.stmt.updateAgent.run(toRow(record));
          if (version !== null) this.stmt.insertVersion.run(toVersionRow(version));
          return toAgent(record);
        },
      ),
      deleteAgent: db.transaction((ownerId: string, id: string): boolean => {
        // agent_versions go with the agent (ON DELETE CASCADE).
        if (this.stmt.deleteAgent.run(ownerId, id).changes === 0) return false;
        this.stmt.markRunsAgentDeleted.run(ownerId, id);
        return true;
      }),
      createRun: db.transaction((run: AgentRun): { run: AgentRun; created: boolean } => {
        if (run.dedupeKey !== null) {
          const existing = this.stmt.getRunByDedupeKey.get(run.ownerId, run.dedupeKey);
          if (existing) return { run: toRun(existing), created: false };
        }
        if (this.stmt.getAgentOwner.get(run.agentId) !== run.ownerId) throw agentNotFound(run.agentId);
        if (this.stmt.getRun.get(run.id)) throw runIdTaken(run.id);
        if (this.stmt.sessionIdTaken.get(run.sessionId, run.sessionId) === 1) throw runSessionTaken(run.sessionId);
        this.stmt.insertRun.run(toRunRow(run));
        return { run, created: true };
      }),
      transitionRun: db.transaction(
        (id: string, from: readonly RunStatus[], to: RunStatus, patch: RunPatch, now: number): AgentRun | null => {
          const row = this.stmt.getRun.get(id);
          if (!row || !from.includes(row.status)) return null;
          const next = planRunTransition(toRun(row), to, patch, now);
          this.stmt.putRun.run(toRunRow(next));
          return next;
        },
      ),
    };
  }

  async createAgent(a: NewAgent): Promise<Agent> {
    const { record, version } = planNewAgent(a);
    this.tx.createAgent.immediate(record, version);
    return toAgent(record);
  }

  async getAgent(ownerId: string, id: string): Promise<Agent | null> {
    const row = this.stmt.getAgent.get(ownerId, id);
    return row ? toAgent(toRecord(row)) : null;
  }

  async listAgents(ownerId: string): Promise<Agent[]> {
    return this.stmt.listAgents.all(ownerId).map((r) => toAgent(toRecord(r)));
  }

  async updateAgent(ownerId: string, id: string, patch: AgentUpdate, now: number): Promise<Agent | null> {
    const update = checkAgentUpdate(patch, now);
    return this.tx.updateAgent.immediate(ownerId, id, update, now);
  }

  async deleteAgent(ownerId: string, id: string): Promise<boolean> {
    return this.tx.deleteAgent.immediate(ownerId, id);
  }

  async listAgentVersions(ownerId: string, agentId: string): Promise<AgentVersion[] | null> {
    // One read transaction, so the owner check and the versions agree.
    return this.db.transaction(() => {
      if (this.stmt.getAgentOwner.get(agentId) !== ownerId) return null;
      return this.stmt.listVersions.all(agentId).map(toVersion);
    })();
  }

  async getAgentWebhookSecret(ownerId: string, agentId: string): Promise<string | null> {
    return this.stmt.getAgent.get(ownerId, agentId)?.webhook_secret ?? null;
  }

  async listScheduledAgents(): Promise<Agent[]> {
    return this.stmt.listScheduledAgents.all().map((r) => toAgent(toRecord(r)));
  }

  async createRun(r: NewRun): Promise<{ run: AgentRun; created: boolean }> {
    return this.tx.createRun.immediate(planNewRun(r));
  }

  async getRun(ownerId: string, id: string): Promise<AgentRun | null> {
    const row = this.stmt.getOwnedRun.get(ownerId, id);
    return row ? toRun(row) : null;
  }

  async listRuns(ownerId: string, opts: ListRunsOptions): Promise<AgentRun[]> {
    validateListRuns(opts);
    const where = ['owner_id = @ownerId'];
    if (opts.agentId !== undefined) where.push('agent_id = @agentId');
    if (opts.status !== undefined) where.push('status = @status');
    if (opts.before !== undefined) where.push('(queued_at < @queuedAt OR (queued_at = @queuedAt AND id < @id))');
    const sql = `SELECT * FROM agent_runs WHERE ${where.join(' AND ')} ORDER BY queued_at DESC, id DESC LIMIT @limit`;
    let stmt = this.listRunsStmts.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare<unknown[], RunRow>(sql);
      this.listRunsStmts.set(sql, stmt);
    }
    const rows = stmt.all({
      ownerId,
      limit: opts.limit,
      ...(opts.agentId === undefined ? {} : { agentId: opts.agentId }),
      ...(opts.status === undefined ? {} : { status: opts.status }),
      ...(opts.before === undefined ? {} : { queuedAt: opts.before.queuedAt, id: opts.before.id }),
    });
    return rows.map(toRun);
  }

  async transitionRun(
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    patch: RunPatch,
    now: number,
  ): Promise<AgentRun | null> {
    validateRunTransition(id, from, to, patch, now);
    return this.tx.transitionRun.immediate(id, from, to, patch, now);
  }

  async listRunsByStatus(status: RunStatus, opts: { runnerId?: string | undefined } = {}): Promise<AgentRun[]> {
    validateRunStatus('listRunsByStatus', status);
    const rows =
      opts.runnerId === undefined
        ? this.stmt.listRunsByStatus.all(status)
        : this.stmt.listRunsByStatusOfRunner.all(status, opts.runnerId);
    return rows.map(toRun);
  }

  async runningRunOf(agentId: string): Promise<AgentRun | null> {
    const row = this.stmt.runningRunOf.get(agentId);
    return row ? toRun(row) : null;
  }

  async agentCostSince(ownerId: string, agentId: string, sinceMs: number): Promise<number> {
    validateUserId('agentCostSince', ownerId);
    validateTime('agentCostSince', 'sinceMs', sinceMs);
    return this.stmt.agentCostSince.get(agentId, ownerId, sinceMs) ?? 0;
  }

  /** Whether events may be stored under the id: a conversation's, or a run's sessionId. */
  eventSessionExists(sessionId: string): boolean {
    return this.stmt.sessionIdTaken.get(sessionId, sessionId) === 1;
  }
}

const toVersionRow = (v: AgentVersion): VersionRow => ({
  agent_id: v.agentId,
  version: v.version,
  instructions: v.instructions,
  created_at: v.createdAt,
});
