import { randomUUID } from 'node:crypto';
import type { User } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import {
  type Auth,
  type AuthRefusal,
  authRefusalCode,
  type Bus,
  type Clock,
  type LocalSignIn,
  type Principal,
  type Scheduler,
  type Store,
} from '@agent-platform/core/ports';
import {
  type AuthConfig,
  CreateSessionBody,
  encodeSessionCursor,
  type HealthResponse,
  ListSessionsQuery,
  LocalSignInBody,
  type MeResponse,
  PostMessageBody,
  type PostMessageResponse,
  type RestoreSessionResponse,
  type SessionListResponse,
  type SignInResponse,
  UpdateMeBody,
} from '@agent-platform/core/protocol';
import { type Context, Hono } from 'hono';
import { errorResponse } from './http/errors.js';
import { parseJsonBody, parseQuery } from './http/parse.js';
import { registerAgentRoutes } from './routes/agents.js';
import { registerNotificationRoutes } from './routes/notifications.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerUsageRoutes } from './routes/usage.js';
import { publishChatTurn, titleFromText } from './services/messages.js';

export interface ApiDeps {
  store: Store;
  bus: Bus;
  auth: Auth;
  /** Present in local mode: the printed-token sign-in. */
  localSignIn?: LocalSignIn | undefined;
  clock: Clock;
  info: { version: string; modelConfigured: boolean; sandbox: string; auth: AuthConfig };
  /** Arms agents' schedules (in-process locally, Cloud Scheduler in the cloud); absent: none fire. */
  scheduler?: Scheduler | undefined;
  /**
   * The cloud's runner pool: places each user on a runner (sticky while it is healthy). Absent in
   * local mode, where the one process is the runner and its WebSocket is `/ws` on this origin.
   */
  placement?: { place(userId: string): Promise<{ runnerId: string; wsUrl: string }> } | undefined;
  /** Each user's monthly model budget in USD (the usage page shows it); null or absent: none. */
  monthlyBudgetUsd?: number | null | undefined;
  /** People whose last sighting this API instance remembers. Default SIGHTING_CACHE_ENTRIES. */
  sightingCacheEntries?: number;
  newId?: () => string;
  log?: (msg: string, err?: unknown) => void;
}

/** `user` is set only when the auth step read the profile (see the sighting cache); use `userOf`. */
/** What the auth middleware gives every route after it. */
export type ApiEnv = { Variables: { principal: Principal; user: User | undefined } };
type Env = ApiEnv;

/**
 * How stale a stored profile may get before a request refreshes it (lastSeenAt, and name, email and
 * photo from the identity provider): one write per person per this interval, not one per request.
 */
export const SIGHTING_INTERVAL_MS = 5 * 60_000;

/** People whose last sighting one API instance remembers by default (least recently seen forgotten first). */
export const SIGHTING_CACHE_ENTRIES = 10_000;

/** What this API instance last recorded (or read) of a person's stored profile. */
interface Sighting {
  lastSeenAt: number;
  name: string;
  email: string | null;
  photoUrl: string | null;
}

/** A Map that keeps its `limit` most recently used entries. */
class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: moving the key to the end marks it most recently used.
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

/** What the browser should do about each refusal. */
const refusalMessages: Record<AuthRefusal, string> = {
  invalid:
    'That credential is not valid (malformed, forged, or for another project). Sign in again and send ' +
    '"Authorization: Bearer <credential>".',
  expired: 'Your credential has expired. Get a fresh one (Firebase: getIdToken(true); local: sign in again) and retry.',
  revoked: 'This account was signed out everywhere or disabled. Sign in again; if that fails, the account is disabled.',
};

const sameProfile = (u: Sighting, p: Principal): boolean =>
  u.name === p.name && u.email === p.email && u.photoUrl === p.photoUrl;

/**
 * The HTTP API under /api. Mounted by the local process and wrapped as the `api` Cloud Function.
 * Each route reads: schema → auth → owned resource (missing or foreign → 404) → handler.
 */
export function createApi(deps: ApiDeps): Hono<Env> {
  const { store, bus, auth, clock } = deps;
  const newId = deps.newId ?? randomUUID;
  const log = deps.log ?? ((msg, err) => console.error(msg, err));
  const app = new Hono<Env>().basePath('/api');

  // When this instance last saw each person's profile stored, so that a request reads the profile
  // only once it may be stale (once per person per SIGHTING_INTERVAL_MS and instance, or when the
  // provider changed it), not on every request. Credentials are still checked on every request.
  const sightings = new LruMap<string, Sighting>(deps.sightingCacheEntries ?? SIGHTING_CACHE_ENTRIES);
  const remember = (user: User): User => {
    const { lastSeenAt, name, email, photoUrl } = user;
    sightings.set(user.id, { lastSeenAt, name, email, photoUrl });
    return user;
  };
  /** The stored profile, recorded (created, or refreshed) when missing, stale or changed at the provider. */
  const sight = async (p: Principal, now: number): Promise<User> => {
    let user = await store.getUser(p.userId);
    if (!user || now - user.lastSeenAt >= SIGHTING_INTERVAL_MS || !sameProfile(user, p)) {
      user = await store.recordSighting({ id: p.userId, name: p.name, email: p.email, photoUrl: p.photoUrl, now });
    }
    return remember(user);
  };
  const userOf = async (c: Context<Env>): Promise<User> => c.get('user') ?? sight(c.get('principal'), clock.now());

  app.onError((err, c) => errorResponse(c, err, log));
  const noRoute = (method: string, path: string) => new AppError('NOT_FOUND', `No API route ${method} ${path}.`);
  app.notFound((c) => errorResponse(c, noRoute(c.req.method, c.req.path), log));

  app.get('/health', (c) => c.json({ ok: true, ...deps.info } satisfies HealthResponse));

  app.post('/auth/local', async (c) => {
    if (!deps.localSignIn) throw new AppError('NOT_FOUND', 'Local sign-in is not enabled on this server.');
    const body = await parseJsonBody(c, LocalSignInBody);
    const result = await deps.localSignIn.exchange(body.token);
    if (!result) {
      throw new AppError(
        'UNAUTHENTICATED',
        'That sign-in token is not right. Use the link the server printed at start, or the token in DATA_DIR/signin-token.',
      );
    }
    const { id, name, email, photoUrl } = result.user;
    const user = remember(await store.recordSighting({ id, name, email, photoUrl, now: clock.now() }));
    return c.json({ credential: result.credential, user, expiresAt: result.expiresAt } satisfies SignInResponse);
  });

  // Everything below requires a credential, checked on every request (revocation included). An
  // accepted person is recorded (created on first sight, refreshed when stale or changed at the
  // provider), so every route can rely on a stored profile; a route that needs it calls userOf.
  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S{1,4096})$/i.exec(header);
    if (!match?.[1]) {
      throw new AppError('UNAUTHENTICATED', 'Sign in first: send "Authorization: Bearer <credential>".');
    }
    const result = await auth.verify(match[1]);
    if (!result.ok) throw new AppError(authRefusalCode[result.reason], refusalMessages[result.reason]);
    const p = result.principal;
    const now = clock.now();
    const seen = sightings.get(p.userId);
    const fresh = seen !== undefined && now - seen.lastSeenAt < SIGHTING_INTERVAL_MS && sameProfile(seen, p);
    c.set('principal', p);
    c.set('user', fresh ? undefined : await sight(p, now));
    await next();
  });

  const ownedSession = async (principal: Principal, id: string) => {
    const session = id.length <= 128 ? await store.getSession(principal.userId, id) : null;
    if (!session) throw new AppError('SESSION_NOT_FOUND', `No session ${id.slice(0, 128)} for this account.`);
    return session;
  };

  // Placed after the message is stored: a runner that takes the user over later finds it among the
  // open messages even if this job went to a runner that has just died.
  const publishTurn = async (ownerId: string, sessionId: string, messageId: string): Promise<void> => {
    let runnerId: string | undefined;
    try {
      runnerId = deps.placement ? (await deps.placement.place(ownerId)).runnerId : undefined;
    } catch (e) {
      // No runner can take it now: the message stays stored as failed, so the browser's Retry sends
      // it again once one can.
      if (e instanceof AppError && e.code === 'NO_RUNNER') await store.setMessageStatus(sessionId, messageId, 'failed');
      throw e;
    }
    await publishChatTurn(bus, { sessionId, ownerId, messageId }, runnerId);
  };

  const meResponse = async (user: User): Promise<MeResponse> => {
    const wsUrl = deps.placement ? (await deps.placement.place(user.id)).wsUrl : '/ws';
    return { user, sandbox: deps.info.sandbox, wsUrl };
  };

  app.get('/me', async (c) => c.json(await meResponse(await userOf(c))));

  app.patch('/me', async (c) => {
    const body = await parseJsonBody(c, UpdateMeBody);
    const user = await store.updateUserSettings(c.get('principal').userId, body);
    // Recorded by the auth step just before; gone only if deleted in between.
    if (!user) throw new AppError('NOT_FOUND', 'This account has no profile any more. Sign in again.');
    return c.json(await meResponse(user));
  });

  app.post('/sessions', async (c) => {
    const body = await parseJsonBody(c, CreateSessionBody);
    const p = c.get('principal');
    const session = await store.createSession({
      id: newId(),
      ownerId: p.userId,
      title: body.title ?? '',
      context: body.context,
      now: clock.now(),
    });
    return c.json({ session }, 201);
  });

  app.get('/sessions', async (c) => {
    const q = parseQuery(c, ListSessionsQuery);
    const sessions = await store.listSessions(c.get('principal').userId, { limit: q.limit + 1, before: q.before });
    const page = sessions.slice(0, q.limit);
    const last = page.at(-1);
    const nextBefore = sessions.length > q.limit && last ? encodeSessionCursor(last) : null;
    return c.json({ sessions: page, nextBefore } satisfies SessionListResponse);
  });

  app.get('/sessions/:id', async (c) => {
    const session = await ownedSession(c.get('principal'), c.req.param('id'));
    const [messages, events] = await Promise.all([store.listMessages(session.id), store.listEvents(session.id, -1)]);
    const lastSeq = events.at(-1)?.seq ?? -1;
    return c.json({ session, messages, events, lastSeq } satisfies RestoreSessionResponse);
  });

  app.post('/sessions/:id/messages', async (c) => {
    const body = await parseJsonBody(c, PostMessageBody);
    const session = await ownedSession(c.get('principal'), c.req.param('id'));
    const now = clock.now();
    // Stored first: whatever happens next, the user's words are kept.
    const { message, created } = await store.insertMessage({
      id: newId(),
      sessionId: session.id,
      ownerId: session.ownerId,
      clientMessageId: body.clientMessageId,
      text: body.text,
      now,
    });
    // The title and the job are independent of each other; both come after the message is stored.
    await Promise.all([
      created && !session.title ? store.touchSession(session.id, now, titleFromText(body.text)) : undefined,
      // A repeat of a message still pending is published again: the first publish may have been
      // lost, and the runner handles a message once whatever the number of jobs.
      created || message.status === 'pending' ? publishTurn(session.ownerId, session.id, message.id) : undefined,
    ]);
    return c.json(
      { messageId: message.id, clientMessageId: message.clientMessageId, created } satisfies PostMessageResponse,
      202,
    );
  });

  app.post('/sessions/:id/messages/:messageId/retry', async (c) => {
    const session = await ownedSession(c.get('principal'), c.req.param('id'));
    const messageId = c.req.param('messageId');
    const message = messageId.length <= 128 ? await store.getMessage(session.id, messageId) : null;
    if (!message) throw new AppError('NOT_FOUND', `No message ${messageId.slice(0, 128)} in this session.`);
    if (message.status !== 'failed') {
      throw new AppError('CONFLICT', `Only a failed message can be retried; this one is ${message.status}.`);
    }
    await store.setMessageStatus(session.id, message.id, 'pending');
    await publishTurn(session.ownerId, session.id, message.id);
    return c.json({ messageId: message.id }, 202);
  });

  registerAgentRoutes(app, { store, clock, newId, scheduler: deps.scheduler });
  registerRunRoutes(app, { store, bus, clock, newId, placement: deps.placement });
  registerUsageRoutes(app, { store, clock, monthlyBudgetUsd: deps.monthlyBudgetUsd ?? null });
  registerNotificationRoutes(app, { store, clock });

  // Last, so that a mounted API answers its own unknown paths instead of falling through to the web app.
  app.all('*', (c) => {
    throw noRoute(c.req.method, c.req.path);
  });

  return app;
}
