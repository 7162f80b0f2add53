import { z } from 'zod';

// This module is re-exported by ./index.ts, so it imports nothing from it: index.ts evaluates its
// dependencies first, and a value read back from it here (Limits, UserId) would not exist yet.

/**
 * Bounds of agents and runs, shared by server and browser. Characters are UTF-16 code units
 * (`string.length`), as everywhere in the domain.
 */
export const AgentLimits = {
  idChars: 128,
  nameChars: 80,
  descriptionChars: 500,
  instructionsChars: 20_000,
  /** The cron expression's text; what it means is checked by core/src/schedule. */
  cronChars: 100,
  /** An IANA time zone name such as `Asia/Seoul`. */
  timeZoneChars: 64,
  webhookUrlChars: 2048,
  /** A run's wall-clock limit, 10 s .. 6 h. */
  runTimeoutMs: { min: 10_000, max: 6 * 60 * 60 * 1000 },
  /** Model turns per run. */
  runMaxTurns: { min: 1, max: 200 },
  /** What one run may cost, in US dollars. */
  runMaxUsd: { min: 0.01, max: 100 },
  /** A run's result text (the agent's final answer); longer text is cut by the runner. */
  runResultChars: 64 * 1024,
  /** A run's reason: a code such as RUNNER_LOST, or an error's text. */
  runReasonChars: 2000,
  /** Files listed per run; the runner lists the largest changes first when there are more. */
  runFiles: 1000,
  runFilePathChars: 4096,
  /** A createRun dedupe key, such as `${agentId}:${scheduledFor}`. */
  dedupeKeyChars: 256,
  /** A file a run made whose content is kept with the run (to show it later): at most this many bytes. */
  runStoredFileBytes: 512 * 1024,
  /** All kept file contents of one run together. */
  runStoredTotalBytes: 4 * 1024 * 1024,
  /** A file's content type (`text/csv`, `image/png`). */
  contentTypeChars: 100,
  /** Automatic retries of a run that failed for an infrastructure reason (not the agent's own failure). */
  runInfraRetries: 2,
} as const;

/** Where every agent's folder lives in its owner's workspace. */
export const agentsRoot = '/home/agent/agents';

/** An agent's id: it names the agent's folder, so it is a safe single path segment. */
export const AgentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'id must be 1 to 128 letters, digits, - or _ (not starting with - or _)');
export type AgentId = z.infer<typeof AgentId>;

/** The agent's working folder in its owner's workspace. */
export const agentFolder = (id: AgentId): string => `${agentsRoot}/${id}`;

/** A record's id or an owner's id (as UserId in ./index.ts). */
const RecordId = (field: string) =>
  z
    .string()
    .min(1, `${field} must not be empty`)
    .max(AgentLimits.idChars, `${field} must be at most ${AgentLimits.idChars} characters`);

/** Text that must say something: not empty, not only white space, at most `max` characters. */
const Text = (field: string, max: number) =>
  z
    .string(`${field} must be a string`)
    .max(max, `${field} must be at most ${max} characters`)
    .regex(/\S/, `${field} must not be empty`);

const Time = (field: string) => z.number().int(`${field} must be an integer (ms since the epoch)`);

export const AgentStatus = z.enum(['active', 'paused']);
export type AgentStatus = z.infer<typeof AgentStatus>;

/** A fire time that passed while nothing could run (everything was down): drop it, or run once for all. */
export const MissedRunPolicy = z.enum(['skip', 'run-once']);
export type MissedRunPolicy = z.infer<typeof MissedRunPolicy>;

/**
 * A fire time that comes while the agent's previous run is still running. `skip`: the new run is
 * recorded as skipped with reason OVERLAP. An enum so that other policies can be added.
 */
export const OverlapPolicy = z.enum(['skip']);
export type OverlapPolicy = z.infer<typeof OverlapPolicy>;

/** When an agent runs by itself. Only shape and length here; core/src/schedule checks the meaning. */
export const AgentSchedule = z
  .object({
    cron: z
      .string('schedule.cron must be a string')
      .min(1, 'schedule.cron must not be empty')
      .max(AgentLimits.cronChars, `schedule.cron must be at most ${AgentLimits.cronChars} characters`),
    timeZone: z
      .string('schedule.timeZone must be a string')
      .min(1, 'schedule.timeZone must not be empty')
      .max(AgentLimits.timeZoneChars, `schedule.timeZone must be at most ${AgentLimits.timeZoneChars} characters`),
    enabled: z.boolean('schedule.enabled must be true or false'),
    missedRunPolicy: MissedRunPolicy,
    overlapPolicy: OverlapPolicy,
  })
  .strict();
export type AgentSchedule = z.infer<typeof AgentSchedule>;

const { runTimeoutMs, runMaxTurns, runMaxUsd } = AgentLimits;

/** What one run may take. Each run is stopped at the first limit it reaches. */
export const AgentRunLimits = z
  .object({
    timeoutMs: z
      .number('limits.timeoutMs must be a number')
      .int('limits.timeoutMs must be a whole number of ms')
      .min(runTimeoutMs.min, `limits.timeoutMs must be at least ${runTimeoutMs.min} (10 s)`)
      .max(runTimeoutMs.max, `limits.timeoutMs must be at most ${runTimeoutMs.max} (6 h)`),
    maxTurns: z
      .number('limits.maxTurns must be a number')
      .int('limits.maxTurns must be a whole number')
      .min(runMaxTurns.min, `limits.maxTurns must be at least ${runMaxTurns.min}`)
      .max(runMaxTurns.max, `limits.maxTurns must be at most ${runMaxTurns.max}`),
    maxUsd: z
      .number('limits.maxUsd must be a number')
      .min(runMaxUsd.min, `limits.maxUsd must be at least ${runMaxUsd.min} USD`)
      .max(runMaxUsd.max, `limits.maxUsd must be at most ${runMaxUsd.max} USD`),
  })
  .strict();
export type AgentRunLimits = z.infer<typeof AgentRunLimits>;

/** Where run notifications are posted: an http(s) URL. Which hosts may be reached is checked when sending. */
export const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'notifications.webhookUrl must be an http or https URL' })
  .max(
    AgentLimits.webhookUrlChars,
    `notifications.webhookUrl must be at most ${AgentLimits.webhookUrlChars} characters`,
  );
export type WebhookUrl = z.infer<typeof WebhookUrl>;

/**
 * The secret that signs webhook posts: generated by the server (at least 24 random bytes as
 * base64url), shown to the person once when made, and afterwards only as its last 4 characters.
 */
export const WebhookSecret = z
  .string('webhookSecret must be a string')
  .regex(/^[A-Za-z0-9_-]{32,128}$/, 'webhookSecret must be 32 to 128 base64url characters');
export type WebhookSecret = z.infer<typeof WebhookSecret>;

/** How the owner hears about runs; what the person edits. */
export const AgentNotificationSettings = z
  .object({
    webhookUrl: WebhookUrl.nullable(),
    inApp: z.boolean('notifications.inApp must be true or false'),
  })
  .strict();
export type AgentNotificationSettings = z.infer<typeof AgentNotificationSettings>;

/** What the person designs (by chat, or in the form): everything of an agent they choose. */
export const AgentSpec = z
  .object({
    name: Text('name', AgentLimits.nameChars),
    description: z
      .string('description must be a string')
      .max(AgentLimits.descriptionChars, `description must be at most ${AgentLimits.descriptionChars} characters`),
    instructions: Text('instructions', AgentLimits.instructionsChars),
    /** Null: the agent runs only when asked. */
    schedule: AgentSchedule.nullable(),
    limits: AgentRunLimits,
    notifications: AgentNotificationSettings,
  })
  .strict();
export type AgentSpec = z.infer<typeof AgentSpec>;

/** A change to an agent: the fields given replace the stored ones (schedule, limits, notifications whole). */
export const AgentPatch = AgentSpec.partial().extend({ status: AgentStatus.optional() }).strict();
export type AgentPatch = z.infer<typeof AgentPatch>;

/** An agent as it is read back: the webhook secret itself is never part of it. */
export const Agent = AgentSpec.extend({
  id: AgentId,
  ownerId: RecordId('ownerId'),
  /** The agent's working folder in the owner's workspace (`agentFolder(id)` when it was made). */
  folder: z.string().max(AgentLimits.idChars + agentsRoot.length + 1),
  status: AgentStatus,
  /** The number of the current instructions in the agent's version history (1 at creation). */
  version: z.number().int().min(1),
  notifications: AgentNotificationSettings.extend({
    /** The last 4 characters of the webhook secret, to recognise it; null when there is none. */
    webhookSecretLast4: z.string().length(4).nullable(),
  }),
  createdAt: Time('createdAt'),
  updatedAt: Time('updatedAt'),
});
export type Agent = z.infer<typeof Agent>;

/** One entry of an agent's instruction history: version 1 at creation, +1 at each change. */
export const AgentVersion = z.object({
  agentId: AgentId,
  version: z.number().int().min(1),
  instructions: z.string().max(AgentLimits.instructionsChars),
  createdAt: Time('createdAt'),
});
export type AgentVersion = z.infer<typeof AgentVersion>;

/**
 * A run's life: queued → running → succeeded / failed / timed_out / cancelled. A queued run can
 * also end without running (cancelled, failed, skipped); a run can be created skipped (OVERLAP).
 */
export const RunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'skipped']);
export type RunStatus = z.infer<typeof RunStatus>;

/** Which statuses each status may move to; terminal statuses move nowhere (a run never ends twice). */
export const RunTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'failed', 'cancelled', 'skipped'],
  running: ['succeeded', 'failed', 'timed_out', 'cancelled'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
  skipped: [],
};

export const canTransitionRun = (from: RunStatus, to: RunStatus): boolean => RunTransitions[from].includes(to);

export const isTerminalRunStatus = (s: RunStatus): boolean => RunTransitions[s].length === 0;

/** What started a run. A retry is a new run (attempt + 1) of a run that failed. */
export const RunTrigger = z.enum(['schedule', 'manual', 'retry']);
export type RunTrigger = z.infer<typeof RunTrigger>;

/** Reasons the platform itself gives; any other reason is an error's text. */
export const RunReasons = {
  /** The runner running it stopped heart-beating. */
  runnerLost: 'RUNNER_LOST',
  /** The owner's monthly budget, or the run's maxUsd, was reached. */
  budgetExceeded: 'BUDGET_EXCEEDED',
  /** limits.timeoutMs was reached. */
  timeout: 'TIMEOUT',
  /** The previous run was still running (overlap policy `skip`). */
  overlap: 'OVERLAP',
  /** limits.maxTurns was reached before the agent finished. */
  maxTurns: 'MAX_TURNS',
  /** The workspace (sandbox) could not be started: an infrastructure failure, retried. */
  sandboxUnavailable: 'SANDBOX_UNAVAILABLE',
  /** Claude's process could not start or stopped unexpectedly: an infrastructure failure, retried. */
  processFailed: 'CLAUDE_PROCESS_FAILED',
  /** No model is configured on the platform. */
  modelNotConfigured: 'MODEL_NOT_CONFIGURED',
  /** The owner cancelled it. */
  cancelled: 'CANCELLED',
  /** The agent was deleted before the run could start. */
  agentDeleted: 'AGENT_DELETED',
} as const;

/** Reasons that are the platform's fault, not the agent's: such a run is retried with backoff. */
export const infraRunReasons: readonly string[] = [
  RunReasons.runnerLost,
  RunReasons.sandboxUnavailable,
  RunReasons.processFailed,
];

export const FileChangeKind = z.enum(['created', 'modified', 'deleted']);
export type FileChangeKind = z.infer<typeof FileChangeKind>;

/** A file the run created or changed, relative to the agent's folder or absolute in the workspace. */
export const RunFile = z
  .object({
    path: z
      .string('files[].path must be a string')
      .min(1, 'files[].path must not be empty')
      .max(AgentLimits.runFilePathChars, `files[].path must be at most ${AgentLimits.runFilePathChars} characters`),
    /** Size after the change (0 when deleted). */
    bytes: z
      .number('files[].bytes must be a number')
      .int('files[].bytes must be a whole number')
      .min(0, 'files[].bytes must not be negative'),
    changeKind: FileChangeKind,
    /** The file's content type, guessed from its name (`text/csv`, `image/png`); absent when unknown. */
    contentType: z.string().max(AgentLimits.contentTypeChars).optional(),
    /** True when its content was kept with the run (small enough, of a kind the run page shows). */
    stored: z.boolean().optional(),
  })
  .strict();
export type RunFile = z.infer<typeof RunFile>;

const TokenCount = (field: string) =>
  z
    .number(`tokens.${field} must be a number`)
    .int(`tokens.${field} must be a whole number`)
    .min(0, `tokens.${field} must not be negative`);

/** Tokens a run used, summed over its model responses. */
export const RunTokens = z
  .object({
    inputTokens: TokenCount('inputTokens'),
    outputTokens: TokenCount('outputTokens'),
    cacheReadTokens: TokenCount('cacheReadTokens'),
    cacheCreationTokens: TokenCount('cacheCreationTokens'),
  })
  .strict();
export type RunTokens = z.infer<typeof RunTokens>;

export const RunResultText = z
  .string('result must be a string')
  .max(AgentLimits.runResultChars, `result must be at most ${AgentLimits.runResultChars} characters`);

export const RunReason = z
  .string('reason must be a string')
  .min(1, 'reason must not be empty')
  .max(AgentLimits.runReasonChars, `reason must be at most ${AgentLimits.runReasonChars} characters`);

export const RunFiles = RunFile.array().max(
  AgentLimits.runFiles,
  `files must list at most ${AgentLimits.runFiles} files`,
);

export const RunCostUsd = z
  .number('costUsd must be a number')
  .min(0, 'costUsd must not be negative')
  .refine(Number.isFinite, 'costUsd must be finite');

export const DedupeKey = z
  .string('dedupeKey must be a string')
  .min(1, 'dedupeKey must not be empty')
  .max(AgentLimits.dedupeKeyChars, `dedupeKey must be at most ${AgentLimits.dedupeKeyChars} characters`);

/** One run of an agent. Its live events are stored as a session's, under `sessionId`. */
export const AgentRun = z.object({
  id: RecordId('id'),
  agentId: AgentId,
  ownerId: RecordId('ownerId'),
  status: RunStatus,
  trigger: RunTrigger,
  /** Why it ended as it did (or was skipped): one of RunReasons, or an error's text; null when it succeeded. */
  reason: RunReason.nullable(),
  /** The runner that claimed it; null until then. */
  runnerId: RecordId('runnerId').nullable(),
  /** The caller's idempotency key (a repeat of createRun with it returns this run). */
  dedupeKey: DedupeKey.nullable(),
  /** Where its events are stored (appendEvents / listEvents), so it streams like a conversation. */
  sessionId: RecordId('sessionId'),
  /** 1 for the first try; a retry is a new run with attempt + 1. */
  attempt: z.number().int().min(1),
  /** The schedule's fire time this run is for; null when not scheduled. */
  scheduledFor: Time('scheduledFor').nullable(),
  queuedAt: Time('queuedAt'),
  startedAt: Time('startedAt').nullable(),
  endedAt: Time('endedAt').nullable(),
  /** endedAt - startedAt; null until it ends, and for a run that never started. */
  durationMs: z.number().int().min(0).nullable(),
  result: RunResultText.nullable(),
  files: RunFiles,
  tokens: RunTokens,
  costUsd: RunCostUsd,
  /** The agent was deleted after this run was made; the run stays as a record of what it did. */
  agentDeleted: z.boolean(),
});
export type AgentRun = z.infer<typeof AgentRun>;

/** The last run of the previous page, for listing runs newest first. */
export const RunCursor = z.object({ queuedAt: z.number().int(), id: RecordId('id') });
export type RunCursor = z.infer<typeof RunCursor>;

/** Something the person should see in the app: for now, that a run of one of their agents ended. */
export const Notification = z.object({
  id: RecordId('id'),
  userId: RecordId('userId'),
  kind: z.literal('run.finished'),
  runId: RecordId('runId'),
  agentId: AgentId,
  agentName: z.string().max(AgentLimits.nameChars),
  status: RunStatus,
  reason: z.string().max(AgentLimits.runReasonChars).nullable(),
  costUsd: z.number().min(0),
  at: Time('at'),
  /** When the person saw it; null while unread. */
  readAt: Time('readAt').nullable(),
});
export type Notification = z.infer<typeof Notification>;
