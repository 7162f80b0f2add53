import {
  type Agent,
  type AgentPatch,
  type AgentRun,
  type AgentSchedule,
  type AgentVersion,
  agentFolder,
  isTerminalRunStatus,
  type RunFile,
  type RunStatus,
} from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { AgentUpdate, NewAgent, NewRun, RunPatch } from '@agent-platform/core/ports';
import { validateAgentUpdate, validateNewAgent, validateNewRun, validateWebhook } from './checks.js';

/**
 * Agents and runs as both Store adapters keep them, and the decisions they share (what a new record
 * holds, what a patch or a transition changes), so that each adapter only reads and writes.
 */

/** An agent as stored: the Agent's fields, flat, plus the webhook secret itself. */
export interface AgentRecord {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  instructions: string;
  schedule: AgentSchedule | null;
  limits: Agent['limits'];
  webhookUrl: string | null;
  inApp: boolean;
  webhookSecret: string | null;
  folder: string;
  status: Agent['status'];
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** The record as read by callers: the secret only as its last 4 characters. */
export const toAgent = (r: AgentRecord): Agent => ({
  id: r.id,
  ownerId: r.ownerId,
  name: r.name,
  description: r.description,
  instructions: r.instructions,
  schedule: r.schedule === null ? null : { ...r.schedule },
  limits: { ...r.limits },
  notifications: {
    webhookUrl: r.webhookUrl,
    inApp: r.inApp,
    webhookSecretLast4: r.webhookSecret === null ? null : r.webhookSecret.slice(-4),
  },
  folder: r.folder,
  status: r.status,
  version: r.version,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/** A new agent's record and its first instruction version; refuses bad input. */
export function planNewAgent(a: NewAgent): { record: AgentRecord; version: AgentVersion } {
  const spec = validateNewAgent(a);
  const record: AgentRecord = {
    id: a.id,
    ownerId: a.ownerId,
    name: spec.name,
    description: spec.description,
    instructions: spec.instructions,
    schedule: spec.schedule,
    limits: spec.limits,
    webhookUrl: spec.notifications.webhookUrl,
    inApp: spec.notifications.inApp,
    webhookSecret: a.webhookSecret,
    folder: agentFolder(a.id),
    status: a.status ?? 'active',
    version: 1,
    createdAt: a.now,
    updatedAt: a.now,
  };
  return { record, version: { agentId: a.id, version: 1, instructions: spec.instructions, createdAt: a.now } };
}

/** An update whose fields were checked (`checkAgentUpdate`), before the adapter reads anything. */
export interface CheckedAgentUpdate {
  patch: AgentPatch;
  webhookSecret: string | null | undefined;
}

export function checkAgentUpdate(update: AgentUpdate, now: number): CheckedAgentUpdate {
  return { patch: validateAgentUpdate(update, now), webhookSecret: update.webhookSecret };
}

/**
 * The record after a checked update, and the new instruction version when the instructions changed
 * (the same text again is no new version). The merged record is checked again: a webhook URL needs
 * a secret.
 */
export function planAgentUpdate(
  before: AgentRecord,
  { patch: p, webhookSecret }: CheckedAgentUpdate,
  now: number,
): { record: AgentRecord; version: AgentVersion | null } {
  const instructionsChanged = p.instructions !== undefined && p.instructions !== before.instructions;
  const record: AgentRecord = {
    ...before,
    ...(p.name === undefined ? {} : { name: p.name }),
    ...(p.description === undefined ? {} : { description: p.description }),
    ...(p.instructions === undefined ? {} : { instructions: p.instructions }),
    ...(p.schedule === undefined ? {} : { schedule: p.schedule }),
    ...(p.limits === undefined ? {} : { limits: p.limits }),
    ...(p.notifications === undefined ? {} : { webhookUrl: p.notifications.webhookUrl, inApp: p.notifications.inApp }),
    ...(p.status === undefined ? {} : { status: p.status }),
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
    version: instructionsChanged ? before.version + 1 : before.version,
    updatedAt: Math.max(before.updatedAt, now),
  };
  validateWebhook('updateAgent', record.webhookUrl, record.webhookSecret);
  const version = instructionsChanged
    ? { agentId: before.id, version: record.version, instructions: record.instructions, createdAt: now }
    : null;
  return { record, version };
}

/** A new run's record; refuses bad input. */
export function planNewRun(r: NewRun): AgentRun {
  validateNewRun(r);
  const status = r.status ?? 'queued';
  return {
    id: r.id,
    agentId: r.agentId,
    ownerId: r.ownerId,
    status,
    trigger: r.trigger,
    reason: r.reason ?? null,
    runnerId: r.runnerId ?? null,
    dedupeKey: r.dedupeKey ?? null,
    sessionId: r.sessionId,
    attempt: r.attempt ?? 1,
    scheduledFor: r.scheduledFor ?? null,
    queuedAt: r.now,
    startedAt: null,
    endedAt: status === 'skipped' ? r.now : null,
    durationMs: null,
    result: null,
    files: [],
    tokens: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 },
    costUsd: 0,
    agentDeleted: false,
  };
}

/** The run after moving to `to` (already checked by validateRunTransition against the run's status). */
export function planRunTransition(run: AgentRun, to: RunStatus, patch: RunPatch, now: number): AgentRun {
  const startedAt = to === 'running' ? now : run.startedAt;
  const ends = isTerminalRunStatus(to);
  return {
    ...run,
    status: to,
    runnerId: patch.runnerId ?? run.runnerId,
    reason: patch.reason === undefined ? run.reason : patch.reason,
    result: patch.result === undefined ? run.result : patch.result,
    files: patch.files === undefined ? run.files : patch.files.map(toRunFile),
    tokens: patch.tokens ?? run.tokens,
    costUsd: patch.costUsd ?? run.costUsd,
    startedAt,
    endedAt: ends ? now : run.endedAt,
    durationMs: ends ? (startedAt === null ? null : Math.max(0, now - startedAt)) : run.durationMs,
  };
}

/**
 * A run's file as stored: the optional fields only when set, so that both adapters read back the
 * same keys (Firestore refuses an undefined value; JSON drops it).
 */
export const toRunFile = (f: RunFile): RunFile => ({
  path: f.path,
  bytes: f.bytes,
  changeKind: f.changeKind,
  ...(f.contentType === undefined ? {} : { contentType: f.contentType }),
  ...(f.stored === undefined ? {} : { stored: f.stored }),
});

/** Newest first by (queuedAt, id), as listRuns pages. */
export const newestRunFirst = (a: AgentRun, b: AgentRun): number =>
  b.queuedAt - a.queuedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export const oldestRunFirst = (a: AgentRun, b: AgentRun): number => -newestRunFirst(a, b);

export function agentNotFound(agentId: string): AppError {
  return new AppError(
    'NOT_FOUND',
    `Agent ${agentId} does not exist. Create the agent first, or list the owner's agents for its id.`,
    { agentId },
  );
}

export function runIdTaken(runId: string): AppError {
  return new AppError('CONFLICT', `Run ${runId} exists already; create it with a new id.`, { runId });
}

export function runSessionTaken(sessionId: string): AppError {
  return new AppError(
    'CONFLICT',
    `Session id ${sessionId} is taken by a conversation or another run; give the run a new sessionId.`,
    { sessionId },
  );
}

export function agentIdTaken(agentId: string): AppError {
  return new AppError('CONFLICT', `Agent ${agentId} exists already; create it with a new id.`, { agentId });
}

// What runs leave behind: kept file contents, usage per day, notifications.

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The start of the UTC day of a time (ms since the epoch, not negative). */
export const utcDayStart = (ms: number): number => ms - (ms % DAY_MS);

/** The UTC day of a time as YYYY-MM-DD. */
export const utcDay = (ms: number): string => new Date(utcDayStart(ms)).toISOString().slice(0, 10);

/** A run that is missing or another owner's: the caller must not learn which. */
export function runNotFound(runId: string): AppError {
  return new AppError(
    'NOT_FOUND',
    `Run ${runId} does not exist. Create the run first, or list the owner's runs for its id.`,
    { runId },
  );
}
