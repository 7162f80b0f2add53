import { z } from 'zod';
import {
  Agent,
  AgentPatch,
  AgentRun,
  type AgentSchedule,
  AgentSpec,
  AgentVersion,
  Limits,
  Locale,
  Message,
  Notification,
  OnboardingAnswers,
  type RunCursor,
  RunStatus,
  Session,
  SessionContext,
  User,
} from '../domain/index.js';
import { scheduleIssues } from '../schedule/index.js';
import { SessionEvent } from './events.js';

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

/** POST /api/auth/local: exchange the printed sign-in token for a credential. */
export const LocalSignInBody = z.object({ token: z.string().min(1).max(256) });
export type LocalSignInBody = z.infer<typeof LocalSignInBody>;

export const SignInResponse = z.object({
  credential: z.string(),
  user: z.object({ id: z.string(), name: z.string(), email: z.string().nullable() }),
  expiresAt: z.number().int(),
});
export type SignInResponse = z.infer<typeof SignInResponse>;

/** GET /api/me (and PATCH /api/me's answer) */
export const MeResponse = z.object({
  user: User,
  /** Where this user's Claude runs: docker, bubblewrap, or host (no isolation: the app warns). */
  sandbox: z.string(),
  /**
   * The WebSocket of the runner that serves this user: an absolute ws(s) URL, or a path on this
   * origin. It changes when the user is moved to another runner; ask again after the socket fails.
   */
  wsUrl: z.string(),
});
export type MeResponse = z.infer<typeof MeResponse>;

/** PATCH /api/me: the person's own settings. */
export const UpdateMeBody = z
  .object({ locale: Locale.nullable().optional(), onboarding: OnboardingAnswers.optional() })
  .strict();
export type UpdateMeBody = z.infer<typeof UpdateMeBody>;

/** How the browser signs in: the local one-user token, or Google through Firebase Auth. */
export const AuthConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }),
  z.object({
    kind: z.literal('firebase'),
    /** The Firebase web config's public fields. */
    apiKey: z.string(),
    authDomain: z.string(),
    projectId: z.string(),
    /** http://127.0.0.1:PORT of the Auth emulator, when signing in against it. */
    emulatorUrl: z.string().nullable(),
  }),
]);
export type AuthConfig = z.infer<typeof AuthConfig>;

export const HealthResponse = z.object({
  ok: z.literal(true),
  version: z.string(),
  /** False when no model credential or base URL is configured; turns then fail with MODEL_NOT_CONFIGURED. */
  modelConfigured: z.boolean(),
  /** Which sandbox runtime runs Claude (host, bubblewrap, docker). */
  sandbox: z.string(),
  auth: AuthConfig,
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** POST /api/sessions */
export const CreateSessionBody = z
  .object({
    title: z.string().trim().max(Limits.sessionTitleChars).optional(),
    context: SessionContext.default('workspace'),
  })
  .strict();
export type CreateSessionBody = z.infer<typeof CreateSessionBody>;

export const SessionResponse = z.object({ session: Session });
export type SessionResponse = z.infer<typeof SessionResponse>;

/** Where a page of sessions ends: sessions with the same updatedAt are told apart by id. */
export const SessionCursor = z.object({ updatedAt: z.number().int(), id: z.string().min(1).max(128) });
export type SessionCursor = z.infer<typeof SessionCursor>;

/** The cursor on the wire: `<updatedAt>.<id>`, opaque to clients. */
export const encodeSessionCursor = (c: SessionCursor): string => `${c.updatedAt}.${c.id}`;

/** GET /api/sessions?limit=&before= (newest first) */
export const ListSessionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** `nextBefore` of the previous page. */
  before: z
    .string()
    .regex(/^\d{1,16}\.[A-Za-z0-9_-]{1,128}$/, 'must be the nextBefore of a previous page')
    .transform((s): SessionCursor => {
      const dot = s.indexOf('.');
      return { updatedAt: Number(s.slice(0, dot)), id: s.slice(dot + 1) };
    })
    .optional(),
});
export type ListSessionsQuery = z.infer<typeof ListSessionsQuery>;

export const SessionListResponse = z.object({
  sessions: z.array(Session),
  /** Pass as `before` for the next page; null when there is none. */
  nextBefore: z.string().nullable(),
});
export type SessionListResponse = z.infer<typeof SessionListResponse>;

/** GET /api/sessions/:id: the session, its messages and all its events (to restore a page). */
export const RestoreSessionResponse = z.object({
  session: Session,
  messages: z.array(Message),
  events: z.array(SessionEvent),
  /** The sequence number of the last event; subscribe with it to get only newer ones. */
  lastSeq: z.number().int(),
});
export type RestoreSessionResponse = z.infer<typeof RestoreSessionResponse>;

/** POST /api/sessions/:id/messages */
export const PostMessageBody = z
  .object({
    /** Chosen by the browser; sending the same id twice stores and runs the message once. */
    clientMessageId: z
      .string()
      .min(1)
      .max(Limits.clientMessageIdChars)
      .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" and "_" only'),
    text: z
      .string()
      .refine((s) => s.trim().length > 0, 'must not be empty')
      .refine((s) => utf8Bytes(s) <= Limits.messageTextBytes, {
        message: `must be at most ${Limits.messageTextBytes} bytes`,
        params: { tooLarge: true },
      }),
  })
  .strict();
export type PostMessageBody = z.infer<typeof PostMessageBody>;

export const PostMessageResponse = z.object({
  messageId: z.string(),
  clientMessageId: z.string(),
  /** False when this clientMessageId was already stored (the earlier message is returned). */
  created: z.boolean(),
});
export type PostMessageResponse = z.infer<typeof PostMessageResponse>;

/** POST /api/sessions/:id/messages/:messageId/retry: run a failed message again. */
export const RetryMessageResponse = z.object({ messageId: z.string() });
export type RetryMessageResponse = z.infer<typeof RetryMessageResponse>;

/** The one error envelope of the HTTP API. */
export const ErrorEnvelope = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

// ─── Agents ────────────────────────────────────────────────────────────────────────────────────

/** The schedule's meaning (a cron that parses, a time zone that exists), on top of its shape. */
const scheduleMeaning = (s: { schedule?: AgentSchedule | null | undefined }, ctx: z.RefinementCtx): void => {
  if (!s.schedule) return;
  for (const issue of scheduleIssues(s.schedule)) {
    ctx.addIssue({ code: 'custom', path: ['schedule', issue.field], message: issue.message });
  }
};

/** POST /api/agents */
export const CreateAgentBody = AgentSpec.superRefine(scheduleMeaning);
export type CreateAgentBody = z.infer<typeof CreateAgentBody>;

/** PATCH /api/agents/:id: any of the spec's fields, and status (pause, resume). */
export const UpdateAgentBody = AgentPatch.superRefine(scheduleMeaning);
export type UpdateAgentBody = z.infer<typeof UpdateAgentBody>;

/** An agent as the dashboard lists it. */
export const AgentSummary = z.object({
  agent: Agent,
  /** The schedule in words, in both languages (null: runs only when asked). */
  scheduleText: z.object({ en: z.string(), ko: z.string() }).nullable(),
  /** The next time it runs by itself; null when paused, unscheduled or disabled. */
  nextRunAt: z.number().int().nullable(),
  lastRun: AgentRun.nullable(),
  /** What its runs cost this calendar month (UTC). */
  monthCostUsd: z.number(),
});
export type AgentSummary = z.infer<typeof AgentSummary>;

export const AgentListResponse = z.object({ agents: z.array(AgentSummary) });
export type AgentListResponse = z.infer<typeof AgentListResponse>;

/** GET, PATCH /api/agents/:id; POST /api/agents (with the webhook secret, shown this once). */
export const AgentResponse = z.object({
  summary: AgentSummary,
  versions: z.array(AgentVersion),
  /** Only in the answer that made it: sign-check webhook posts with it. */
  webhookSecret: z.string().optional(),
});
export type AgentResponse = z.infer<typeof AgentResponse>;

/** GET /api/agents/:id/runs?status=&limit=&before= (newest first) */
export const ListRunsQuery = z.object({
  status: RunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z
    .string()
    .regex(/^\d{1,16}\.[A-Za-z0-9_-]{1,128}$/, 'must be the nextBefore of a previous page')
    .transform((s): RunCursor => {
      const dot = s.indexOf('.');
      return { queuedAt: Number(s.slice(0, dot)), id: s.slice(dot + 1) };
    })
    .optional(),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

export const RunListResponse = z.object({ runs: z.array(AgentRun), nextBefore: z.string().nullable() });
export type RunListResponse = z.infer<typeof RunListResponse>;

export const encodeRunCursor = (r: RunCursor): string => `${r.queuedAt}.${r.id}`;

// ─── Runs ──────────────────────────────────────────────────────────────────────────────────────

/**
 * POST /api/agents/:id/runs (run now). `requestId` makes a repeat of the same request (a double
 * click, a retried POST) return the run it made instead of a second one.
 */
export const StartRunBody = z
  .object({
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, 'requestId must be 8 to 64 letters, digits, - or _')
      .optional(),
  })
  .strict();
export type StartRunBody = z.infer<typeof StartRunBody>;

/** GET /api/runs/:id; POST /api/agents/:id/runs, /api/runs/:id/cancel, /api/runs/:id/retry. */
export const RunResponse = z.object({
  run: AgentRun,
  /** The agent's name; null when the agent was deleted. */
  agentName: z.string().nullable(),
});
export type RunResponse = z.infer<typeof RunResponse>;

/** GET /api/runs/:id/file?path=…: a file the run made, whose content was kept (`stored`). */
export const RunFileQuery = z.object({ path: z.string().min(1).max(4096) });
export const RunFileContent = z.object({
  path: z.string(),
  contentType: z.string(),
  bytes: z.number().int().min(0),
  /** utf8 for text (text/*, JSON), base64 for everything else (images). */
  encoding: z.enum(['utf8', 'base64']),
  content: z.string(),
});
export type RunFileContent = z.infer<typeof RunFileContent>;

/** GET /api/usage?days=30: what the person's model use cost, per day and per agent. */
export const UsageQuery = z.object({ days: z.coerce.number().int().min(1).max(92).default(30) });
export const UsageDay = z.object({
  /** The UTC day, YYYY-MM-DD. */
  day: z.string(),
  costUsd: z.number(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
});
export type UsageDay = z.infer<typeof UsageDay>;
export const UsageResponse = z.object({
  /** Every day of the range, oldest first, zeros included (all model use: chats and runs). */
  days: z.array(UsageDay),
  /** Each agent with runs in the range, costliest first. */
  agents: z.array(
    z.object({
      agentId: z.string(),
      name: z.string(),
      deleted: z.boolean(),
      runs: z.number().int(),
      costUsd: z.number(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      /** Cost of its runs per UTC day (only days with runs). */
      byDay: z.record(z.string(), z.number()),
    }),
  ),
  /** This calendar month (UTC) so far, and the monthly budget (null: none set). */
  monthCostUsd: z.number(),
  monthlyBudgetUsd: z.number().nullable(),
});
export type UsageResponse = z.infer<typeof UsageResponse>;

/** GET /api/notifications: newest first. */
export const NotificationListResponse = z.object({
  notifications: z.array(Notification),
  unread: z.number().int().min(0),
});
export type NotificationListResponse = z.infer<typeof NotificationListResponse>;

/** POST /api/notifications/read: marks the person's notifications up to this time (ms) as read; 204. */
export const MarkNotificationsReadBody = z.object({ upTo: z.number().int().min(0) }).strict();
export type MarkNotificationsReadBody = z.infer<typeof MarkNotificationsReadBody>;
