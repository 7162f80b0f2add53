import {
  AgentId,
  AgentLimits,
  AgentPatch,
  AgentRun,
  AgentSpec,
  AgentStatus,
  canTransitionRun,
  DedupeKey,
  Limits,
  Locale,
  Notification,
  OnboardingAnswers,
  RunCostUsd,
  RunCursor,
  RunFile,
  RunFiles,
  RunnerRecord,
  RunReason,
  RunResultText,
  RunStatus,
  RunTokens,
  RunTransitions,
  RunTrigger,
  UserId,
  WebhookSecret,
} from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type {
  AgentUpdate,
  ListRunsOptions,
  NewAgent,
  NewRun,
  RunnerHeartbeat,
  RunPatch,
  StoredRunFile,
  TranscriptEntry,
  TranscriptKey,
  UsageRecord,
  UserSighting,
} from '@agent-platform/core/ports';
import { SessionEvent } from '@agent-platform/core/protocol';
import type { z } from 'zod';

/** Checks every Store adapter makes before it writes, so each refuses bad input the same way. */

/**
 * Parses a batch of events before a store writes it, so that a malformed event is refused with its
 * position rather than stored and found later by every reader replaying the session.
 */
export function parseEventBatch(events: SessionEvent[]): SessionEvent[] {
  return events.map((e, i) => {
    const r = SessionEvent.safeParse(e);
    if (!r.success) {
      throw new AppError('INTERNAL', `appendEvents: event ${i} of the batch is not a valid SessionEvent.`, {
        index: i,
        issues: r.error.issues,
      });
    }
    return r.data;
  });
}

/** Refused here with the field's name, rather than by a constraint of the database that names none. */
export function validateUsage(u: UsageRecord): void {
  const counts = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheCreationTokens', 'at'] as const;
  for (const k of counts) {
    if (!Number.isSafeInteger(u[k]) || u[k] < 0) {
      throw new RangeError(`recordUsage: ${k} must be a non-negative integer, got ${u[k]}.`);
    }
  }
  if (!Number.isFinite(u.costUsd) || u.costUsd < 0) {
    throw new RangeError(`recordUsage: costUsd must be a finite non-negative number, got ${u.costUsd}.`);
  }
}

function invalid(op: string, field: string, why: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_FAILED', `${op}: ${field} ${why}.`, { field, ...details });
}

function checkField<T>(op: string, field: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw invalid(op, field, `is not valid (${r.error.issues.map((i) => i.message).join('; ')})`, {
      issues: r.error.issues,
    });
  }
  return r.data;
}

/** A time in ms since the epoch (an integer). */
export function validateTime(op: string, field: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw invalid(op, field, `must be an integer (ms since the epoch), got ${value}`);
}

function checkString(op: string, field: string, value: unknown, maxChars: number, nullable: boolean): void {
  if (value === null && nullable) return;
  if (typeof value !== 'string') throw invalid(op, field, `must be a string${nullable ? ' or null' : ''}`);
  if (value.length > maxChars) throw invalid(op, field, `is longer than ${maxChars} characters (${value.length})`);
}

/**
 * What a User record allows (name 200, email 320, photo URL 2048 characters). The identity
 * provider's values are refused rather than cut, so the caller decides how to shorten them.
 */
export function validateSighting(s: UserSighting): void {
  checkField('recordSighting', 'id', UserId, s.id);
  checkString('recordSighting', 'name', s.name, 200, false);
  checkString('recordSighting', 'email', s.email, 320, true);
  checkString('recordSighting', 'photoUrl', s.photoUrl, 2048, true);
  validateTime('recordSighting', 'now', s.now);
}

/** A person's settings after `patch`: locale set (a string), cleared (null) or kept (undefined); answers merged by id. */
export function mergeUserSettings(
  stored: { locale: string | null; onboarding: OnboardingAnswers },
  patch: { locale?: string | null | undefined; onboarding?: OnboardingAnswers | undefined },
): { locale: string | null; onboarding: OnboardingAnswers } {
  const locale =
    patch.locale === undefined
      ? stored.locale
      : patch.locale === null
        ? null
        : checkField('updateUserSettings', 'locale', Locale, patch.locale);
  if (patch.onboarding === undefined) return { locale, onboarding: stored.onboarding };
  checkField('updateUserSettings', 'onboarding', OnboardingAnswers, patch.onboarding);
  // Checked again once merged: the limit on the number of answers holds for what is stored.
  const onboarding = checkField('updateUserSettings', 'onboarding', OnboardingAnswers, {
    ...stored.onboarding,
    ...patch.onboarding,
  });
  return { locale, onboarding };
}

const RunnerId = RunnerRecord.shape.id;

export function validateRunnerId(op: string, id: string): void {
  checkField(op, 'runner id', RunnerId, id);
}

export function validateUserId(op: string, id: string): void {
  checkField(op, 'userId', UserId, id);
}

export function validateHeartbeat(h: RunnerHeartbeat): void {
  validateRunnerId('heartbeatRunner', h.id);
  checkString('heartbeatRunner', 'wsUrl', h.wsUrl, 2048, false);
  if (!Number.isSafeInteger(h.capacity) || h.capacity < 1) {
    throw invalid('heartbeatRunner', 'capacity', `must be an integer of at least 1, got ${h.capacity}`);
  }
  if (!Number.isSafeInteger(h.activeSessions) || h.activeSessions < 0) {
    throw invalid('heartbeatRunner', 'activeSessions', `must be a non-negative integer, got ${h.activeSessions}`);
  }
  if (!Number.isSafeInteger(h.leaseMs) || h.leaseMs < 1) {
    throw invalid('heartbeatRunner', 'leaseMs', `must be a positive integer, got ${h.leaseMs}`);
  }
  validateTime('heartbeatRunner', 'now', h.now);
  validateTime('heartbeatRunner', 'now + leaseMs', h.now + h.leaseMs);
}

const TranscriptKeyPart = {
  projectKey: 1024,
  sessionId: 256,
  subpath: 1024,
} as const;

export function validateTranscriptKey(op: string, key: TranscriptKey): void {
  checkField(op, 'ownerId', UserId, key.ownerId);
  for (const field of ['projectKey', 'sessionId'] as const) {
    checkString(op, field, key[field], TranscriptKeyPart[field], false);
    if (key[field] === '') throw invalid(op, field, 'must not be empty');
  }
  if (key.subpath !== undefined) checkString(op, 'subpath', key.subpath, TranscriptKeyPart.subpath, false);
}

/** One transcript entry ready to store: its JSON (one line, no raw newline) and its uuid, if any. */
export interface EncodedEntry {
  uuid: string | null;
  json: string;
  /** UTF-8 bytes of `json`. */
  bytes: number;
}

/**
 * Encodes entries for appendTranscript: each must be an object with a string `type` (and a string
 * `uuid` when it has one), and its JSON at most `Limits.transcriptEntryBytes`, else the whole call
 * is refused before anything is stored. Entries repeating a uuid of the same call are dropped
 * (the first wins), as a repeat of a stored uuid is.
 */
export function encodeTranscriptEntries(entries: readonly TranscriptEntry[]): EncodedEntry[] {
  if (!Array.isArray(entries)) throw invalid('appendTranscript', 'entries', 'must be an array');
  const seen = new Set<string>();
  const out: EncodedEntry[] = [];
  entries.forEach((e, index) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw invalid('appendTranscript', `entries[${index}]`, 'must be a JSON object', { index });
    }
    if (typeof e.type !== 'string') {
      throw invalid('appendTranscript', `entries[${index}].type`, 'must be a string', { index });
    }
    if (e.uuid !== undefined && typeof e.uuid !== 'string') {
      throw invalid('appendTranscript', `entries[${index}].uuid`, 'must be a string when present', { index });
    }
    let json: string;
    try {
      json = JSON.stringify(e);
    } catch (err) {
      throw invalid('appendTranscript', `entries[${index}]`, `cannot be written as JSON (${(err as Error).message})`, {
        index,
      });
    }
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > Limits.transcriptEntryBytes) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `appendTranscript: entry ${index} is ${bytes} bytes of JSON, over the limit of ${Limits.transcriptEntryBytes}; ` +
          'nothing of this call was stored. Shorten the entry (for example cut a large tool output) and append again.',
        { index, bytes, limitBytes: Limits.transcriptEntryBytes },
      );
    }
    const uuid = e.uuid ?? null;
    if (uuid !== null) {
      if (seen.has(uuid)) return;
      seen.add(uuid);
    }
    out.push({ uuid, json, bytes });
  });
  return out;
}

/** Parses a stored entry; a corrupt one names where it was found. */
export function decodeTranscriptEntry(json: string, where: string): TranscriptEntry {
  try {
    return JSON.parse(json) as TranscriptEntry;
  } catch (e) {
    throw new AppError(
      'INTERNAL',
      `Stored transcript entry ${where} is corrupt: it is not JSON (${(e as Error).message}). ` +
        'It was changed outside this program; restore it from a backup or delete the transcript.',
      { where },
    );
  }
}

/**
 * Parses a record's input with a domain schema whose messages name their field; the first issue's
 * path is the field in `details` (prefixed, for a schema checked as part of a larger input).
 */
function checkInput<T>(op: string, schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fieldOf = (i: z.core.$ZodIssue): string => {
    const path = i.path.map(String).join('.');
    return [prefix, path || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '')]
      .filter((x) => x !== '')
      .join('.');
  };
  const why = r.error.issues.map((i) => {
    const field = fieldOf(i);
    if (i.code === 'unrecognized_keys') {
      return `${field} ${i.keys.length === 1 ? 'is an unknown field' : 'are unknown fields'}`;
    }
    // Most domain messages name their field; the others (an enum's) get it in front.
    return field === '' || i.message.includes(field) ? i.message : `${field}: ${i.message}`;
  });
  const first = r.error.issues[0];
  const field = (first && fieldOf(first)) || 'input';
  throw new AppError('VALIDATION_FAILED', `${op}: ${why.join('; ')}.`, { field, issues: r.error.issues });
}

function validateNullableTime(op: string, field: string, value: number | null): void {
  if (value !== null) validateTime(op, field, value);
}

/** A webhook needs a secret to sign its posts; a secret given must have the shape the server makes. */
export function validateWebhook(op: string, webhookUrl: string | null, secret: string | null): void {
  if (secret !== null) checkInput(op, WebhookSecret, secret, 'webhookSecret');
  if (webhookUrl !== null && secret === null) {
    throw invalid(op, 'webhookSecret', 'is required when notifications.webhookUrl is set (generate one on the server)');
  }
}

/** Checks a new agent; returns its spec as parsed. */
export function validateNewAgent(a: NewAgent): AgentSpec {
  const op = 'createAgent';
  checkInput(op, AgentId, a.id, 'id');
  checkField(op, 'ownerId', UserId, a.ownerId);
  const spec = checkInput(op, AgentSpec, a.spec);
  if (a.status !== undefined) checkInput(op, AgentStatus, a.status, 'status');
  validateWebhook(op, spec.notifications.webhookUrl, a.webhookSecret);
  validateTime(op, 'now', a.now);
  return spec;
}

/** Checks a patch before it is applied; the merged agent is checked again with `validateWebhook`. */
export function validateAgentUpdate(patch: AgentUpdate, now: number): AgentPatch {
  const op = 'updateAgent';
  const { webhookSecret, ...rest } = patch;
  if (webhookSecret !== undefined && webhookSecret !== null) {
    checkInput(op, WebhookSecret, webhookSecret, 'webhookSecret');
  }
  validateTime(op, 'now', now);
  return checkInput(op, AgentPatch, rest);
}

/** Checks a new run. */
export function validateNewRun(r: NewRun): void {
  const op = 'createRun';
  checkInput(op, AgentRun.shape.id, r.id, 'id');
  checkInput(op, AgentId, r.agentId, 'agentId');
  checkField(op, 'ownerId', UserId, r.ownerId);
  checkInput(op, RunTrigger, r.trigger, 'trigger');
  checkInput(op, AgentRun.shape.sessionId, r.sessionId, 'sessionId');
  if (r.dedupeKey !== undefined && r.dedupeKey !== null) checkInput(op, DedupeKey, r.dedupeKey, 'dedupeKey');
  validateNullableTime(op, 'scheduledFor', r.scheduledFor ?? null);
  if (r.attempt !== undefined && (!Number.isSafeInteger(r.attempt) || r.attempt < 1)) {
    throw invalid(op, 'attempt', `must be an integer of at least 1, got ${r.attempt}`);
  }
  if (r.runnerId !== undefined && r.runnerId !== null) validateRunnerId(op, r.runnerId);
  if (r.status !== undefined && r.status !== 'queued' && r.status !== 'skipped') {
    throw invalid(op, 'status', `must be queued or skipped, got ${String(r.status)}`);
  }
  if (r.reason !== undefined && r.reason !== null) checkInput(op, RunReason, r.reason, 'reason');
  if (r.status === 'skipped' && (r.reason ?? null) === null) {
    throw invalid(op, 'reason', 'is required for a skipped run (for example OVERLAP)');
  }
  validateTime(op, 'now', r.now);
}

/**
 * Checks a transition before anything is read: every status of `from` must be able to move to
 * `to`, so that asking for an impossible move is an error rather than a quiet null.
 */
export function validateRunTransition(
  id: string,
  from: readonly RunStatus[],
  to: RunStatus,
  patch: RunPatch,
  now: number,
): void {
  const op = 'transitionRun';
  if (typeof id !== 'string' || id === '') throw invalid(op, 'id', 'must be a non-empty string');
  checkInput(op, RunStatus, to, 'to');
  if (!Array.isArray(from) || from.length === 0) throw invalid(op, 'from', 'must list at least one status');
  for (const f of from) {
    checkInput(op, RunStatus, f, 'from');
    if (!canTransitionRun(f, to)) {
      throw invalid(op, 'to', `cannot follow ${f} (a run moves ${f} → ${runMoves(f)})`, { from: f, to });
    }
  }
  if (patch.runnerId !== undefined) validateRunnerId(op, patch.runnerId);
  if (to === 'running' && patch.runnerId === undefined) {
    throw invalid(op, 'runnerId', 'is required to move a run to running (the runner that claims it)');
  }
  if (patch.reason !== undefined && patch.reason !== null) checkInput(op, RunReason, patch.reason, 'reason');
  if (to === 'skipped' && (patch.reason ?? null) === null) {
    throw invalid(op, 'reason', 'is required to skip a run (for example OVERLAP)');
  }
  if (patch.result !== undefined && patch.result !== null) checkInput(op, RunResultText, patch.result, 'result');
  if (patch.files !== undefined) checkInput(op, RunFiles, patch.files, 'files');
  if (patch.tokens !== undefined) checkInput(op, RunTokens, patch.tokens, 'tokens');
  if (patch.costUsd !== undefined) checkInput(op, RunCostUsd, patch.costUsd, 'costUsd');
  validateTime(op, 'now', now);
}

const runMoves = (s: RunStatus): string =>
  RunTransitions[s].length === 0 ? 'nowhere: it has ended' : RunTransitions[s].join(' | ');

export function validateListRuns(opts: ListRunsOptions): void {
  const op = 'listRuns';
  if (!Number.isInteger(opts.limit) || opts.limit < 0) {
    throw invalid(op, 'limit', `must be a non-negative integer, got ${opts.limit}`);
  }
  if (opts.status !== undefined) checkInput(op, RunStatus, opts.status, 'status');
  if (opts.before !== undefined) checkInput(op, RunCursor, opts.before, 'before');
}

export function validateRunStatus(op: string, status: RunStatus): void {
  checkInput(op, RunStatus, status, 'status');
}

/** A page size: a non-negative integer. */
export function validateLimit(op: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw invalid(op, 'limit', `must be a non-negative integer, got ${limit}`);
  }
}

/**
 * A content type is sent back as a response header when the file is shown: printable ASCII only
 * (`text/csv; charset=utf-8`), so that no line break can end the header early.
 */
const ContentType = RunFile.shape.contentType
  .unwrap()
  .min(1, 'contentType must not be empty')
  .max(AgentLimits.contentTypeChars, `contentType must be at most ${AgentLimits.contentTypeChars} characters`)
  .regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'contentType must be printable ASCII, such as text/csv');

/** Checks a run file's content before it is kept; over AgentLimits.runStoredFileBytes it is refused. */
export function validateStoredRunFile(f: StoredRunFile): void {
  const op = 'putRunFile';
  checkInput(op, AgentRun.shape.id, f.runId, 'runId');
  checkField(op, 'ownerId', UserId, f.ownerId);
  checkInput(op, RunFile.shape.path, f.path, 'path');
  checkInput(op, ContentType, f.contentType, 'contentType');
  if (!(f.data instanceof Uint8Array)) throw invalid(op, 'data', "must be a Uint8Array (the file's bytes)");
  if (f.data.byteLength > AgentLimits.runStoredFileBytes) {
    throw invalid(
      op,
      'data',
      `is ${f.data.byteLength} bytes, over the limit of ${AgentLimits.runStoredFileBytes} for a kept file; ` +
        'list the file with the run without keeping its content',
      { bytes: f.data.byteLength, limitBytes: AgentLimits.runStoredFileBytes },
    );
  }
}

/**
 * Checks that keeping a file of `bytes` (replacing `replacedBytes` of the same path) leaves the
 * run's kept files within AgentLimits.runStoredTotalBytes; `storedBytes` is what is kept now.
 */
export function checkRunStoredTotal(runId: string, storedBytes: number, replacedBytes: number, bytes: number): void {
  const total = storedBytes - replacedBytes + bytes;
  if (total > AgentLimits.runStoredTotalBytes) {
    throw invalid(
      'putRunFile',
      'data',
      `would bring the kept files of run ${runId} to ${total} bytes, over the limit of ` +
        `${AgentLimits.runStoredTotalBytes} for one run; keep fewer or smaller files`,
      { runId, totalBytes: total, limitBytes: AgentLimits.runStoredTotalBytes },
    );
  }
}

/** Checks a notification; returns it as parsed (unknown fields dropped). */
export function validateNotification(n: Notification): Notification {
  return checkInput('addNotification', Notification, n);
}

export function validateListNotifications(userId: string, limit: number): void {
  validateUserId('listNotifications', userId);
  validateLimit('listNotifications', limit);
}

export function validateMarkNotificationsRead(userId: string, upTo: number, now: number): void {
  validateUserId('markNotificationsRead', userId);
  validateTime('markNotificationsRead', 'upTo', upTo);
  validateTime('markNotificationsRead', 'now', now);
}

export function validateUsageByDay(userId: string, sinceMs: number): void {
  validateUserId('usageByDay', userId);
  validateTime('usageByDay', 'sinceMs', sinceMs);
}
