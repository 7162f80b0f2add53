import type {
  Message,
  MessageStatus,
  OnboardingAnswers,
  Placement,
  RunnerRecord,
  Session,
  SessionContext,
  User,
} from '../domain/index.js';
import type { SessionEvent } from '../protocol/events.js';
import type { SessionCursor } from '../protocol/rest.js';

export interface NewSession {
  id: string;
  ownerId: string;
  title: string;
  context: SessionContext;
  now: number;
}

export interface NewMessage {
  id: string;
  sessionId: string;
  ownerId: string;
  clientMessageId: string;
  text: string;
  now: number;
}

/**
 * One model response's token usage, as metered by the runner's model proxy. Cost is worked out when
 * the response ends (with the price of that day) and stored, so later price changes never rewrite
 * what a month already cost.
 */
export interface UsageRecord {
  /** Unique per model response: recording the same id again changes nothing (the first write wins). */
  id: string;
  userId: string;
  /** Claude Code's session id (its `x-claude-code-session-id` header), when the caller sent one. */
  claudeSessionId: string | null;
  /** The model that answered, as the API reported it. */
  model: string;
  /** Non-negative integers, as the API's `usage` reports them. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** Non-negative, finite. */
  costUsd: number;
  /** When the response ended, ms since the epoch (an integer). */
  at: number;
}

/** Sums over a user's usage records; all zero when there are none. */
export interface UsageTotals {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** How many records (model responses) were summed. */
  responses: number;
}

/** What the identity provider says about a person at sign-in (or on a request, to refresh lastSeenAt). */
export interface UserSighting {
  id: string;
  name: string;
  email: string | null;
  photoUrl: string | null;
  now: number;
}

/** A runner's heartbeat. */
export interface RunnerHeartbeat {
  id: string;
  wsUrl: string;
  capacity: number;
  activeSessions: number;
  now: number;
  /** The runner counts as healthy until now + leaseMs. */
  leaseMs: number;
}

/**
 * Where a Claude transcript is kept: the Agent SDK's SessionKey (projectKey = Claude's sanitized
 * cwd, sessionId = Claude's session id, subpath for subagent transcripts) plus the owner.
 */
export interface TranscriptKey {
  ownerId: string;
  projectKey: string;
  sessionId: string;
  /** Undefined (or '') for the main transcript. */
  subpath?: string | undefined;
}

/** One line of a Claude transcript: an opaque JSON object (most carry a `uuid`). */
export type TranscriptEntry = { type: string; uuid?: string; [k: string]: unknown };

/**
 * Persistence. Reads that take an owner return null for records of another owner, so callers
 * answer 404 without learning that the record exists.
 */
export interface Store {
  /**
   * Creates the user on first sight (createdAt = lastSeenAt = now, no locale, no answers); later
   * refreshes name, email and photo from the provider and lastSeenAt, keeping createdAt, locale and
   * onboarding answers. Returns the stored user.
   */
  recordSighting(s: UserSighting): Promise<User>;
  getUser(id: string): Promise<User | null>;
  /** Sets the person's own settings; unknown user → null. Answers are merged by question id. */
  updateUserSettings(
    id: string,
    patch: { locale?: string | null | undefined; onboarding?: OnboardingAnswers | undefined },
  ): Promise<User | null>;

  createSession(s: NewSession): Promise<Session>;
  getSession(ownerId: string, id: string): Promise<Session | null>;
  /** Newest first by (updatedAt, id); `before` is an exclusive bound: the last session of the previous page. */
  listSessions(ownerId: string, opts: { limit: number; before?: SessionCursor | undefined }): Promise<Session[]>;
  setClaudeSessionId(sessionId: string, claudeSessionId: string, now: number): Promise<void>;
  touchSession(sessionId: string, now: number, title?: string): Promise<void>;

  /**
   * Stores a message unless one with the same (sessionId, clientMessageId) exists; then returns that
   * one with created=false. Atomic.
   */
  insertMessage(m: NewMessage): Promise<{ message: Message; created: boolean }>;
  getMessage(sessionId: string, id: string): Promise<Message | null>;
  listMessages(sessionId: string): Promise<Message[]>;
  setMessageStatus(sessionId: string, id: string, status: MessageStatus): Promise<void>;

  /**
   * Appends numbered events. A (sessionId, seq) that exists already is a conflict: the whole batch
   * is refused (thrown) so that two writers never interleave a session's events.
   */
  appendEvents(events: SessionEvent[]): Promise<void>;
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  listEvents(sessionId: string, afterSeq: number, limit?: number): Promise<SessionEvent[]>;
  /** The greatest seq stored for the session, or -1. */
  lastEventSeq(sessionId: string): Promise<number>;
  /** The sum of the session's turn.result costs (0 when none): what the conversation has cost so far. */
  sessionCostUsd(sessionId: string): Promise<number>;

  /** Stores a usage record unless one with its id exists (then it is a no-op). Refuses invalid numbers. */
  recordUsage(u: UsageRecord): Promise<void>;
  /** Sums the user's usage records with `at >= sinceMs`. */
  usageSince(userId: string, sinceMs: number): Promise<UsageTotals>;

  /** The user's messages with status pending or running, oldest first (what a new runner must take over). */
  listOpenMessages(ownerId: string): Promise<Message[]>;

  // The runner pool.
  /** Creates or refreshes a runner's record: state up, lease pushed to now + leaseMs. */
  heartbeatRunner(h: RunnerHeartbeat): Promise<RunnerRecord>;
  listRunners(): Promise<RunnerRecord[]>;
  /**
   * The runner that serves the user, atomically: the current placement while its runner is healthy
   * (sticky); otherwise the healthy runner with room (placedUsers < capacity) with the lowest
   * placedUsers / capacity (ties: fewer activeSessions, then id), whose placedUsers grows by one
   * (and the previous runner's shrinks). Throws AppError NO_RUNNER when no healthy runner has room.
   * `previousRunnerId` is the runner this call moved the user away from; null when the placement was
   * kept or the user had none.
   */
  placeUser(userId: string, now: number): Promise<{ runner: RunnerRecord; previousRunnerId: string | null }>;
  getPlacement(userId: string): Promise<Placement | null>;
  listPlacements(runnerId: string): Promise<Placement[]>;
  /**
   * Marks a runner whose lease has ended (or that retired) as down with placedUsers 0, exactly once:
   * true for the one caller that made the change, false when it was healthy or already taken over.
   * Its placements stay until placeUser moves each user.
   */
  takeOverRunner(runnerId: string, now: number): Promise<boolean>;
  /** A runner that stops cleanly ends its lease now (its peers then take its users over). */
  retireRunner(runnerId: string, now: number): Promise<void>;

  // Claude transcripts (the Agent SDK's session store), so a conversation survives its runner.
  /**
   * Appends entries in call order. An entry whose uuid is stored already for the key is skipped.
   * Each entry's JSON is at most `Limits.transcriptEntryBytes`, else the call is refused (nothing stored).
   */
  appendTranscript(key: TranscriptKey, entries: TranscriptEntry[]): Promise<void>;
  /** All entries in append order, or null when nothing was stored for the key. */
  loadTranscript(key: TranscriptKey): Promise<TranscriptEntry[] | null>;
  /** Subpaths with stored entries under (ownerId, projectKey, sessionId), excluding the main transcript. */
  listTranscriptSubpaths(key: Omit<TranscriptKey, 'subpath'>): Promise<string[]>;

  close(): Promise<void>;
}
