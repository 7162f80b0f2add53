import { z } from 'zod';
import { AgentId, AgentSpec, RunStatus } from '../domain/index.js';

/**
 * Session events: everything that happens in a conversation after a user's message, in order.
 * Each carries the per-session sequence number the runner gave it, and the id of the user
 * message (turn) it belongs to. They are stored, fanned out over the WebSocket and replayed
 * on reconnect. Version 1 of the catalogue; types are added to it without a new version, since a
 * client drops a type it does not know.
 */
const base = {
  v: z.literal(1),
  sessionId: z.string(),
  seq: z.number().int().nonnegative(),
  /** The user message this event answers; null for events outside a turn (e.g. idle stop). */
  messageId: z.string().nullable(),
  at: z.number().int(),
};

export const StatusState = z.enum([
  /** Claude's process is starting (or resuming the conversation). */
  'starting',
  /** The model is thinking / writing. */
  'thinking',
  /** A tool is running; `tool` names it. */
  'tool',
  /** The turn ended; waiting for the user. */
  'idle',
  /** Claude's process ended (idle timeout or exit); the next message resumes the conversation. */
  'stopped',
]);
export type StatusState = z.infer<typeof StatusState>;

export const StatusEvent = z.object({
  ...base,
  type: z.literal('status'),
  state: StatusState,
  tool: z.string().optional(),
});

export const AssistantDeltaEvent = z.object({
  ...base,
  type: z.literal('assistant.delta'),
  /** Claude's id of the assistant message this text belongs to. */
  assistantId: z.string(),
  /** Index of the content block within that message. */
  block: z.number().int().nonnegative(),
  text: z.string(),
});

export const AssistantMessageEvent = z.object({
  ...base,
  type: z.literal('assistant.message'),
  assistantId: z.string(),
  /** The full text of the message's text blocks, joined. */
  text: z.string(),
});

export const ToolUseEvent = z.object({
  ...base,
  type: z.literal('tool.use'),
  toolUseId: z.string(),
  name: z.string(),
  input: z.unknown(),
});

export const ToolResultEvent = z.object({
  ...base,
  type: z.literal('tool.result'),
  toolUseId: z.string(),
  output: z.string(),
  isError: z.boolean(),
  /** True when `output` was cut to fit the event size limit. */
  truncated: z.boolean(),
});

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheCreationTokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof Usage>;

export const TurnResultEvent = z.object({
  ...base,
  type: z.literal('turn.result'),
  usage: Usage,
  costUsd: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  numTurns: z.number().int().nonnegative(),
  isError: z.boolean(),
  /** The SDK's result subtype: success, error_max_turns, error_during_execution, ... */
  subtype: z.string(),
});

export const ErrorEvent = z.object({
  ...base,
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  /** Whether sending the message again may succeed. */
  retryable: z.boolean(),
});

/** Where the user's sandbox (their workspace container) stands, for the browser's status line. */
export const SandboxEventState = z.enum([
  /** Being made ready (from the warm pool, created, or started again); `progress` runs 0..1. */
  'starting',
  /** Ready; `ms` says how long it took. */
  'ready',
  /** Stopped after idling (files kept); the next message starts it again. */
  'stopped',
  /** Could not start, or died: `reason` and `message` say why; the next message makes it again. */
  'failed',
]);
export type SandboxEventState = z.infer<typeof SandboxEventState>;

export const SandboxFailure = z.enum(['oom', 'exited', 'start_failed', 'image_missing', 'engine_unreachable']);
export type SandboxFailure = z.infer<typeof SandboxFailure>;

export const SandboxEvent = z.object({
  ...base,
  type: z.literal('sandbox'),
  state: SandboxEventState,
  /** The runtime: docker, bubblewrap or host. */
  runtime: z.string(),
  /** 0..1 while starting. */
  progress: z.number().min(0).max(1).optional(),
  /** What is being done while starting: pool, create, start. */
  step: z.string().optional(),
  ms: z.number().nonnegative().optional(),
  reason: SandboxFailure.optional(),
  exitCode: z.number().int().optional(),
  /** A sentence for the user (on failure: what happened and what happens next). */
  message: z.string().optional(),
});

/** Bounds of the outline an agent proposal carries (the steps the preview panel lists). */
export const AgentProposalLimits = {
  steps: 20,
  stepChars: 200,
  /** Fire times shown with a proposal. */
  nextRuns: 3,
} as const;

/** A schedule (or its absence) in words, in each language the app speaks. */
export const ScheduleText = z.object({ en: z.string(), ko: z.string() });
export type ScheduleText = z.infer<typeof ScheduleText>;

/**
 * Claude proposed an agent in an agent-create session (its propose_agent tool): the validated draft
 * the preview panel shows. Each proposal replaces the one before.
 */
export const AgentProposalEvent = z.object({
  ...base,
  type: z.literal('agent.proposal'),
  draft: AgentSpec,
  /** What the agent does, a few words per step, for the person to check. */
  steps: z.array(z.string().max(AgentProposalLimits.stepChars)).max(AgentProposalLimits.steps),
  /** The schedule in words, such as "every Monday at 08:00 (Asia/Seoul)". */
  scheduleText: ScheduleText,
  /** The next fire times, ms since the epoch; empty when the draft has no enabled schedule. */
  nextRuns: z.array(z.number().int()).max(AgentProposalLimits.nextRuns),
});

/** The proposal was saved as an agent of the session's owner (the save_agent tool). */
export const AgentSavedEvent = z.object({
  ...base,
  type: z.literal('agent.saved'),
  agentId: AgentId,
  name: z.string(),
});

/** A headless run of an agent ended: the run page reads the run again for its result, files and cost. */
export const RunEndedEvent = z.object({
  ...base,
  type: z.literal('run.ended'),
  runId: z.string(),
  status: RunStatus,
  reason: z.string().nullable(),
});

export const SessionEvent = z.discriminatedUnion('type', [
  StatusEvent,
  SandboxEvent,
  AssistantDeltaEvent,
  AssistantMessageEvent,
  ToolUseEvent,
  ToolResultEvent,
  TurnResultEvent,
  ErrorEvent,
  AgentProposalEvent,
  AgentSavedEvent,
  RunEndedEvent,
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type SessionEventType = SessionEvent['type'];

/** An event before the runner numbered it. */
export type SessionEventDraft = SessionEvent extends infer E
  ? E extends SessionEvent
    ? Omit<E, 'v' | 'seq' | 'sessionId' | 'at'>
    : never
  : never;
