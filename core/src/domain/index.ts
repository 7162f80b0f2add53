import { z } from 'zod';

export * from './agents.js';

/** Limits shared by server and browser. Sizes are in bytes of UTF-8 unless named otherwise. */
export const Limits = {
  /** A user's chat message. Larger bodies are refused with PAYLOAD_TOO_LARGE (413). */
  messageTextBytes: 32 * 1024,
  /** An HTTP request body. */
  requestBodyBytes: 64 * 1024,
  /** One inbound WebSocket frame; larger frames close the socket with 1009. */
  wsFrameBytes: 16 * 1024,
  /** A tool result's output kept in an event; the rest is cut with a marker. */
  toolOutputChars: 64 * 1024,
  sessionTitleChars: 200,
  clientMessageIdChars: 100,
  /** One line of a Claude transcript, as JSON. */
  transcriptEntryBytes: 4 * 1024 * 1024,
} as const;

export const UserId = z.string().min(1).max(128);
export type UserId = z.infer<typeof UserId>;

/** BCP 47 language tag, such as `ko` or `en-US`. */
export const Locale = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'a language tag such as ko or en-US');

/** Answers to the first-run questions, by question id (a few short strings). */
export const OnboardingAnswers = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a question id'), z.string().max(500))
  .refine((r) => Object.keys(r).length <= 20, 'at most 20 answers');
export type OnboardingAnswers = z.infer<typeof OnboardingAnswers>;

/**
 * A person's profile. Name, email and photo come from the identity provider at each sign-in;
 * locale and onboarding answers are the person's own; createdAt never changes.
 */
export const User = z.object({
  id: UserId,
  name: z.string().max(200),
  email: z.string().max(320).nullable(),
  photoUrl: z.string().max(2048).nullable(),
  locale: Locale.nullable(),
  onboarding: OnboardingAnswers,
  createdAt: z.number().int(),
  /** The last request seen from the person (kept to within a few minutes). */
  lastSeenAt: z.number().int(),
});
export type User = z.infer<typeof User>;

/**
 * A runner of the pool, as it reports itself. A runner is healthy while `state` is `up` and its
 * lease (pushed forward by each heartbeat) has not ended.
 */
export const RunnerRecord = z.object({
  id: z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/),
  /** Where browsers open this runner's WebSocket: ws(s)://host:port/ws, or a path on the API's origin. */
  wsUrl: z.string().max(2048),
  /** Users this runner takes at most. */
  capacity: z.number().int().min(1),
  /** Users placed on it now. */
  placedUsers: z.number().int().min(0),
  /** Conversations with a live Claude process at the last heartbeat. */
  activeSessions: z.number().int().min(0),
  startedAt: z.number().int(),
  heartbeatAt: z.number().int(),
  leaseUntil: z.number().int(),
  state: z.enum(['up', 'down']),
});
export type RunnerRecord = z.infer<typeof RunnerRecord>;

export const isRunnerHealthy = (r: RunnerRecord, now: number): boolean => r.state === 'up' && r.leaseUntil > now;

/** Which runner serves a user. Sticky while that runner is healthy. */
export const Placement = z.object({
  userId: UserId,
  runnerId: z.string(),
  placedAt: z.number().int(),
});
export type Placement = z.infer<typeof Placement>;

/** What a session is for: free work in the user's workspace, or designing an agent. */
export const SessionContext = z.enum(['workspace', 'agent-create']);
export type SessionContext = z.infer<typeof SessionContext>;

export const Session = z.object({
  id: z.string(),
  ownerId: UserId,
  title: z.string().max(Limits.sessionTitleChars),
  context: SessionContext,
  /** Claude Code's own session id, used to resume the conversation after its process ends. */
  claudeSessionId: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type Session = z.infer<typeof Session>;

/**
 * A user's message. `pending` until a runner takes it, `done` when its turn ended,
 * `failed` when the turn could not run (it stays stored and can be retried).
 */
export const MessageStatus = z.enum(['pending', 'running', 'done', 'failed']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const Message = z.object({
  id: z.string(),
  sessionId: z.string(),
  ownerId: UserId,
  clientMessageId: z.string(),
  text: z.string(),
  status: MessageStatus,
  createdAt: z.number().int(),
});
export type Message = z.infer<typeof Message>;
