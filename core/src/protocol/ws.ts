import { z } from 'zod';
import { SessionEvent } from './events.js';

/**
 * WebSocket frames, version 1. The browser connects to /ws, sends `auth` first, then
 * `subscribe` per session (with the last sequence number it has, to get only what it missed).
 */
export const WsAuthFrame = z.object({
  v: z.literal(1),
  type: z.literal('auth'),
  credential: z.string().min(1).max(4096),
});
export const WsSubscribeFrame = z.object({
  v: z.literal(1),
  type: z.literal('subscribe'),
  sessionId: z.string().min(1).max(128),
  /** The last seq the client holds; events with a greater seq are sent. Omit for all. */
  afterSeq: z.number().int().min(-1).optional(),
});
export const WsUnsubscribeFrame = z.object({
  v: z.literal(1),
  type: z.literal('unsubscribe'),
  sessionId: z.string().min(1).max(128),
});
export const WsPingFrame = z.object({ v: z.literal(1), type: z.literal('ping') });

export const ClientFrame = z.discriminatedUnion('type', [
  WsAuthFrame,
  WsSubscribeFrame,
  WsUnsubscribeFrame,
  WsPingFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export const ClientFrameTypes = ['auth', 'subscribe', 'unsubscribe', 'ping'] as const;

export const ServerFrame = z.discriminatedUnion('type', [
  z.object({ v: z.literal(1), type: z.literal('ready'), userId: z.string() }),
  z.object({
    v: z.literal(1),
    type: z.literal('subscribed'),
    sessionId: z.string(),
    /** How many stored events were replayed before live ones. */
    replayed: z.number().int(),
  }),
  z.object({ v: z.literal(1), type: z.literal('event'), event: SessionEvent }),
  z.object({
    v: z.literal(1),
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    /** The session the error is about, when there is one. */
    sessionId: z.string().optional(),
  }),
  z.object({ v: z.literal(1), type: z.literal('pong') }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Close codes the server uses besides the standard ones (1009: frame too large). */
export const WsCloseCode = {
  unauthenticated: 4401,
  authTimeout: 4408,
  /** This runner does not serve the user (they were placed elsewhere): ask GET /api/me for the right one. */
  moved: 4410,
} as const;
