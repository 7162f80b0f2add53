import { z } from 'zod';

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
} as const;

export const UserId = z.string().min(1).max(128);
export type UserId = z.infer<typeof UserId>;

export const User = z.object({
  id: UserId,
  name: z.string().max(200),
  email: z.string().max(320).nullable(),
  createdAt: z.number().int(),
});
export type User = z.infer<typeof User>;

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
