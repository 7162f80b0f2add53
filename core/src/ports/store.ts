import type { Message, MessageStatus, Session, SessionContext, User } from '../domain/index.js';
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

/**
 * Persistence. Reads that take an owner return null for records of another owner, so callers
 * answer 404 without learning that the record exists.
 */
export interface Store {
  upsertUser(user: User): Promise<User>;
  getUser(id: string): Promise<User | null>;

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

  close(): Promise<void>;
}
