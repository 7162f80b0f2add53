/**
 * The cloud Store: Firestore through firebase-admin.
 *
 * Document layout (every id below is the record's own id when it is a safe document id, else
 * `~` + the SHA-256 of it, see `docId`; the record keeps its real id in a field):
 *
 *   users/{userId}                      { id, name, email, createdAt }
 *   sessions/{sessionId}                { id, ownerId, title, context, claudeSessionId, createdAt, updatedAt,
 *                                         messageCount }
 *   sessions/{sessionId}/messages/{messageId}
 *                                       { id, sessionId, ownerId, clientMessageId, text, status, createdAt, n }
 *   sessions/{sessionId}/clientMessages/{sha256(clientMessageId)}
 *                                       { clientMessageId, messageId }  the idempotency claim
 *   sessions/{sessionId}/events/{seq as 16 digits}
 *                                       { seq, type, messageId, at, costUsd (turn.result only), payload }
 *   usage/{usageId}                     { id, userId, claudeSessionId, model, inputTokens, outputTokens,
 *                                         cacheReadTokens, cacheCreationTokens, costUsd, at }
 *
 * Why this shape:
 * - Messages and events live under their session, so a session's reads are one collection scan and
 *   the owner check is one document read.
 * - Idempotency is by deterministic document ids plus `create()`, which fails on an existing
 *   document: a usage record's id is its document id; a message claims `clientMessages/{hash}` in
 *   the transaction that writes it; an event's seq is its document id, so two writers of one seq
 *   can never both succeed and a batch of creates is all or nothing.
 * - `messageCount` is a per-session counter taken in the insert transaction: it numbers messages
 *   (`n`) so that messages stored in the same millisecond list in insertion order.
 * - Appending events writes only event documents (never the session document), because a runner
 *   appends many small batches per second and one Firestore document sustains about one write
 *   per second. The last seq and the session's cost are read from the events themselves.
 * - Times are numbers (ms since the epoch), as in the port, not Firestore Timestamps.
 *
 * Queries and their indexes (composite ones in /firestore.indexes.json; the emulator enforces none,
 * so keep that file in step with every query here):
 *   listSessions    sessions: ownerId ==, order by updatedAt desc, id desc  → (ownerId, updatedAt desc, id desc)
 *   listMessages    messages of a session: order by createdAt, n          → (createdAt, n)
 *   listEvents      events of a session: seq >, order by seq              → single field, automatic
 *   lastEventSeq    events of a session: order by seq desc, limit 1       → single field, automatic
 *   sessionCostUsd  events of a session: sum(costUsd), no filter          → single field, automatic
 *   usageSince      usage: userId ==, at >=: count()                      → (userId, at)
 *                   and the five sums                                     → (userId, at, costUsd, inputTokens,
 *                                                                            outputTokens, cacheReadTokens,
 *                                                                            cacheCreationTokens)
 * Firestore computes sum() from index entries, hence the summed fields in the last index. `payload`
 * (events) and `text` (messages) are exempt from indexing: never queried, and large.
 *
 * Browsers never read Firestore (firestore.rules denies all): every access goes through the API,
 * which checks owners.
 */
import { createHash } from 'node:crypto';
import type { Message, MessageStatus, Session, SessionContext, User } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { NewMessage, NewSession, Store, UsageRecord, UsageTotals } from '@agent-platform/core/ports';
import { type SessionCursor, SessionEvent } from '@agent-platform/core/protocol';
import { type App, deleteApp, initializeApp } from 'firebase-admin/app';
import {
  AggregateField,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  initializeFirestore,
} from 'firebase-admin/firestore';
import { parseEventBatch, validateUsage } from './checks.js';

export interface FirestoreStoreOptions {
  /** The Google Cloud project. For the emulator any id works; `demo-*` ids never reach a real project. */
  projectId: string;
  /**
   * `host:port` of a Firestore emulator. Unset: the real Firestore, with Application Default
   * Credentials. Note that the client lets the FIRESTORE_EMULATOR_HOST environment variable win
   * over this option when both are set.
   */
  emulatorHost?: string;
  /** Default `(default)`. */
  databaseId?: string;
  /**
   * Talk HTTP/1.1 REST instead of gRPC when possible: faster cold starts in Cloud Functions. Default
   * false (gRPC, which also serves listeners and streams).
   */
  preferRest?: boolean;
  /** How often a contended transaction is tried before its error is thrown. Default 10. */
  maxTransactionAttempts?: number;
}

/** gRPC status codes the Firestore client reports as `error.code`. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/** Firestore refuses commits of more than 500 writes; a batch is never split (it must stay atomic). */
const MAX_EVENTS_PER_APPEND = 500;
/** Width of an event's document id: Number.MAX_SAFE_INTEGER has 16 digits. */
const SEQ_DIGITS = 16;
/** Sessions known to exist (they are never deleted): saves appendEvents a read per batch. */
const KNOWN_SESSIONS_MAX = 10_000;

interface UserDoc {
  id: string;
  name: string;
  email: string | null;
  createdAt: number;
}

interface SessionDoc {
  id: string;
  ownerId: string;
  title: string;
  context: SessionContext;
  claudeSessionId: string | null;
  createdAt: number;
  updatedAt: number;
  /** Messages stored so far; the last one's `n`. */
  messageCount: number;
}

interface MessageDoc {
  id: string;
  sessionId: string;
  ownerId: string;
  clientMessageId: string;
  text: string;
  status: MessageStatus;
  createdAt: number;
  /** 1, 2, 3, ... within the session, in insertion order. */
  n: number;
}

interface ClientMessageDoc {
  clientMessageId: string;
  messageId: string;
}

interface EventDoc {
  seq: number;
  type: SessionEvent['type'];
  messageId: string | null;
  at: number;
  /** Only on turn.result events, so that summing the field over the collection sums the turns. */
  costUsd?: number;
  /** The whole event as JSON: exact round trips (key order, -0, nested empties) and one parse on read. */
  payload: string;
}

type UsageDoc = UsageRecord;

/**
 * A document id for a record id. Ids that are safe and readable are kept as they are; anything else
 * (a `/`, `.` or `..`, `__x__`, odd characters, very long) is replaced by `~` + its SHA-256, which
 * no kept id can equal because `~` is not in the kept alphabet.
 */
export function docId(id: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9_.:@+=-]{0,254}$/.test(id) && !/^__.*__$/.test(id)) return id;
  return `~${sha256(id)}`;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

const seqId = (seq: number): string => String(seq).padStart(SEQ_DIGITS, '0');

const hasCode = (e: unknown, code: number): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;

function sessionNotFound(sessionId: string): AppError {
  return new AppError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist.`, { sessionId });
}

const toUser = (d: UserDoc): User => ({ id: d.id, name: d.name, email: d.email, createdAt: d.createdAt });

const toSession = (d: SessionDoc): Session => ({
  id: d.id,
  ownerId: d.ownerId,
  title: d.title,
  context: d.context,
  claudeSessionId: d.claudeSessionId,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

const toMessage = (d: MessageDoc): Message => ({
  id: d.id,
  sessionId: d.sessionId,
  ownerId: d.ownerId,
  clientMessageId: d.clientMessageId,
  text: d.text,
  status: d.status,
  createdAt: d.createdAt,
});

function data<T>(snap: DocumentSnapshot): T {
  const d = snap.data();
  if (d === undefined) throw new Error(`Document ${snap.ref.path} was expected to exist.`);
  return d as T;
}

/** Opens a Store on Firestore (or its emulator). Nothing is read or written until the first call. */
export function openFirestoreStore(opts: FirestoreStoreOptions): FirestoreStore {
  return new FirestoreStore(opts);
}

let appCounter = 0;

export class FirestoreStore implements Store {
  readonly db: Firestore;
  private readonly app: App;
  private readonly maxAttempts: number;
  private readonly knownSessions = new Set<string>();
  private closed = false;

  constructor(opts: FirestoreStoreOptions) {
    // One app per store: firebase-admin caches a Firestore client per (app, database), and its
    // settings (the emulator host) can be set only once, so stores aimed at different emulators or
    // databases in one process each need their own app.
    this.app = initializeApp({ projectId: opts.projectId }, `firestore-store-${++appCounter}-${process.pid}`);
    const settings = opts.preferRest === undefined ? {} : { preferRest: opts.preferRest };
    this.db = initializeFirestore(this.app, settings, opts.databaseId ?? '(default)');
    if (opts.emulatorHost !== undefined) {
      // Naming the universe keeps google-gax from looking for Application Default Credentials to
      // learn it, which probes the GCE metadata server (169.254.169.254) from every emulator client.
      this.db.settings({ host: opts.emulatorHost, ssl: false, universeDomain: 'googleapis.com' });
    }
    this.maxAttempts = opts.maxTransactionAttempts ?? 10;
  }

  private users(): CollectionReference {
    return this.db.collection('users');
  }

  private session(id: string): DocumentReference {
    return this.db.collection('sessions').doc(docId(id));
  }

  private messages(sessionId: string): CollectionReference {
    return this.session(sessionId).collection('messages');
  }

  private events(sessionId: string): CollectionReference {
    return this.session(sessionId).collection('events');
  }

  async upsertUser(user: User): Promise<User> {
    const ref = this.users().doc(docId(user.id));
    return this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        if (snap.exists) {
          // The first createdAt stays: a repeat sign-in updates the profile, not the account's age.
          const stored = { ...data<UserDoc>(snap), name: user.name, email: user.email };
          tx.update(ref, { name: user.name, email: user.email });
          return toUser(stored);
        }
        const doc: UserDoc = { id: user.id, name: user.name, email: user.email, createdAt: user.createdAt };
        tx.create(ref, doc);
        return toUser(doc);
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async getUser(id: string): Promise<User | null> {
    const snap = await this.users().doc(docId(id)).get();
    return snap.exists ? toUser(data<UserDoc>(snap)) : null;
  }

  async createSession(s: NewSession): Promise<Session> {
    const doc: SessionDoc = {
      id: s.id,
      ownerId: s.ownerId,
      title: s.title,
      context: s.context,
      claudeSessionId: null,
      createdAt: s.now,
      updatedAt: s.now,
      messageCount: 0,
    };
    try {
      await this.session(s.id).create(doc);
    } catch (e) {
      if (hasCode(e, ALREADY_EXISTS)) {
        throw new AppError('CONFLICT', `Session ${s.id} exists already; create it with a new id.`, { sessionId: s.id });
      }
      throw e;
    }
    this.rememberSession(s.id);
    return toSession(doc);
  }

  async getSession(ownerId: string, id: string): Promise<Session | null> {
    const snap = await this.session(id).get();
    if (!snap.exists) return null;
    const doc = data<SessionDoc>(snap);
    return doc.ownerId === ownerId ? toSession(doc) : null;
  }

  /** Index: sessions (ownerId ASC, updatedAt DESC, id DESC). */
  async listSessions(ownerId: string, opts: { limit: number; before?: SessionCursor | undefined }): Promise<Session[]> {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) {
      throw new RangeError(`listSessions: limit must be a non-negative integer, got ${opts.limit}.`);
    }
    if (opts.limit === 0) return [];
    let q = this.db
      .collection('sessions')
      .where('ownerId', '==', ownerId)
      .orderBy('updatedAt', 'desc')
      .orderBy('id', 'desc');
    if (opts.before !== undefined) q = q.startAfter(opts.before.updatedAt, opts.before.id);
    const snap = await q.limit(opts.limit).get();
    return snap.docs.map((d) => toSession(d.data() as SessionDoc));
  }

  async setClaudeSessionId(sessionId: string, claudeSessionId: string, now: number): Promise<void> {
    await this.updateSession(sessionId, now, { claudeSessionId });
  }

  async touchSession(sessionId: string, now: number, title?: string): Promise<void> {
    await this.updateSession(sessionId, now, title === undefined ? {} : { title });
  }

  /**
   * Read, then write in one transaction: updatedAt never moves backwards (writers with slightly
   * skewed clocks must not reorder the list), and a concurrent newer time is never overwritten.
   */
  private async updateSession(
    sessionId: string,
    now: number,
    fields: Partial<Pick<SessionDoc, 'title' | 'claudeSessionId'>>,
  ): Promise<void> {
    const ref = this.session(sessionId);
    await this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw sessionNotFound(sessionId);
        const updatedAt = Math.max(data<SessionDoc>(snap).updatedAt, now);
        tx.update(ref, { ...fields, updatedAt });
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async insertMessage(m: NewMessage): Promise<{ message: Message; created: boolean }> {
    const sessionRef = this.session(m.sessionId);
    const claimRef = sessionRef.collection('clientMessages').doc(sha256(m.clientMessageId));
    const messageRef = this.messages(m.sessionId).doc(docId(m.id));
    try {
      return await this.db.runTransaction(
        async (tx) => {
          const [sessionSnap, claimSnap] = await tx.getAll(sessionRef, claimRef);
          if (!sessionSnap?.exists || data<SessionDoc>(sessionSnap).ownerId !== m.ownerId) {
            throw sessionNotFound(m.sessionId);
          }
          if (claimSnap?.exists) {
            const claim = data<ClientMessageDoc>(claimSnap);
            const existing = await tx.get(this.messages(m.sessionId).doc(docId(claim.messageId)));
            if (!existing.exists) {
              throw new Error(`Message ${m.clientMessageId} is claimed by ${claim.messageId}, which does not exist.`);
            }
            // A repeat is not activity: the session is not touched.
            return { message: toMessage(data<MessageDoc>(existing)), created: false };
          }
          const session = data<SessionDoc>(sessionSnap);
          const n = session.messageCount + 1;
          const doc: MessageDoc = {
            id: m.id,
            sessionId: m.sessionId,
            ownerId: m.ownerId,
            clientMessageId: m.clientMessageId,
            text: m.text,
            status: 'pending',
            createdAt: m.now,
            n,
          };
          tx.create(claimRef, { clientMessageId: m.clientMessageId, messageId: m.id } satisfies ClientMessageDoc);
          tx.create(messageRef, doc);
          tx.update(sessionRef, { messageCount: n, updatedAt: Math.max(session.updatedAt, m.now) });
          return { message: toMessage(doc), created: true };
        },
        { maxAttempts: this.maxAttempts },
      );
    } catch (e) {
      // The claim was read as missing, so only the message id can collide here.
      if (hasCode(e, ALREADY_EXISTS)) {
        throw new AppError(
          'CONFLICT',
          `Message ${m.id} of session ${m.sessionId} exists already under another client id; store it with a new id.`,
          { sessionId: m.sessionId, id: m.id },
        );
      }
      throw e;
    }
  }

  async getMessage(sessionId: string, id: string): Promise<Message | null> {
    const snap = await this.messages(sessionId).doc(docId(id)).get();
    return snap.exists ? toMessage(data<MessageDoc>(snap)) : null;
  }

  /** Index: messages (createdAt ASC, n ASC), collection scope. */
  async listMessages(sessionId: string): Promise<Message[]> {
    const snap = await this.messages(sessionId).orderBy('createdAt', 'asc').orderBy('n', 'asc').get();
    return snap.docs.map((d) => toMessage(d.data() as MessageDoc));
  }

  async setMessageStatus(sessionId: string, id: string, status: MessageStatus): Promise<void> {
    try {
      // update() requires the document to exist: no read, and no message is created by accident.
      await this.messages(sessionId).doc(docId(id)).update({ status });
    } catch (e) {
      if (hasCode(e, NOT_FOUND)) {
        throw new AppError('NOT_FOUND', `Message ${id} of session ${sessionId} does not exist.`, { sessionId, id });
      }
      throw e;
    }
  }

  async appendEvents(events: SessionEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (events.length > MAX_EVENTS_PER_APPEND) {
      throw new AppError(
        'INTERNAL',
        `appendEvents: a batch holds at most ${MAX_EVENTS_PER_APPEND} events (Firestore's commit limit), got ` +
          `${events.length}. Append in smaller batches.`,
        { count: events.length },
      );
    }
    const parsed = parseEventBatch(events);
    // Two creates of one document in one commit would fail with a less helpful error.
    const seen = new Set<string>();
    for (const e of parsed) {
      const key = `${e.sessionId}\u0000${e.seq}`;
      if (seen.has(key)) throw eventConflict(e.sessionId, [e.seq], 'it appears twice in the batch');
      seen.add(key);
    }
    const sessionIds = [...new Set(parsed.map((e) => e.sessionId))];
    await Promise.all(sessionIds.map((id) => this.assertSessionExists(id)));

    const batch = this.db.batch();
    for (const e of parsed) {
      const doc: EventDoc = { seq: e.seq, type: e.type, messageId: e.messageId, at: e.at, payload: JSON.stringify(e) };
      if (e.type === 'turn.result') doc.costUsd = e.costUsd;
      batch.create(this.events(e.sessionId).doc(seqId(e.seq)), doc);
    }
    try {
      // One commit: if any event exists already, none of the batch is written.
      await batch.commit();
    } catch (e) {
      if (hasCode(e, ALREADY_EXISTS)) {
        const first = parsed[0]!;
        throw eventConflict(
          first.sessionId,
          parsed.map((x) => x.seq),
          'one of them is stored already',
        );
      }
      throw e;
    }
  }

  /** Sessions are never deleted, so once seen, a session is not read again for appends. */
  private async assertSessionExists(sessionId: string): Promise<void> {
    if (this.knownSessions.has(sessionId)) return;
    const snap = await this.session(sessionId).get();
    if (!snap.exists) throw sessionNotFound(sessionId);
    this.rememberSession(sessionId);
  }

  private rememberSession(sessionId: string): void {
    if (this.knownSessions.size >= KNOWN_SESSIONS_MAX) {
      const oldest = this.knownSessions.values().next();
      if (!oldest.done) this.knownSessions.delete(oldest.value);
    }
    this.knownSessions.add(sessionId);
  }

  /** Index: events.seq, single field (automatic). */
  async listEvents(sessionId: string, afterSeq: number, limit?: number): Promise<SessionEvent[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`listEvents: limit must be a non-negative integer, got ${limit}.`);
    }
    if (limit === 0) return [];
    let q = this.events(sessionId).where('seq', '>', afterSeq).orderBy('seq', 'asc');
    if (limit !== undefined) q = q.limit(limit);
    const snap = await q.get();
    return snap.docs.map((d) => parseEventDoc(sessionId, d.data() as EventDoc));
  }

  /** Index: events.seq descending, single field (automatic). */
  async lastEventSeq(sessionId: string): Promise<number> {
    const snap = await this.events(sessionId).orderBy('seq', 'desc').limit(1).select('seq').get();
    const last = snap.docs[0];
    return last === undefined ? -1 : (last.get('seq') as number);
  }

  /**
   * A sum over the costUsd field, which only turn.result events carry. Index: events.costUsd,
   * single field (automatic); no filter, so no composite index.
   */
  async sessionCostUsd(sessionId: string): Promise<number> {
    const snap = await this.events(sessionId)
      .aggregate({ costUsd: AggregateField.sum('costUsd') })
      .get();
    return snap.data().costUsd ?? 0;
  }

  async recordUsage(u: UsageRecord): Promise<void> {
    validateUsage(u);
    const doc: UsageDoc = {
      id: u.id,
      userId: u.userId,
      claudeSessionId: u.claudeSessionId,
      model: u.model,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cacheReadTokens: u.cacheReadTokens,
      cacheCreationTokens: u.cacheCreationTokens,
      costUsd: u.costUsd,
      at: u.at,
    };
    try {
      await this.db.collection('usage').doc(docId(u.id)).create(doc);
    } catch (e) {
      // A retried write of the same response must not count twice: the first write wins.
      if (hasCode(e, ALREADY_EXISTS)) return;
      throw e;
    }
  }

  /**
   * Two aggregation queries (Firestore allows five aggregations per query; this needs six), read in
   * one read-only transaction so that the count and the sums see the same records.
   * Indexes: usage (userId ASC, at ASC) for the count, and usage (userId ASC, at ASC, costUsd,
   * inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens) for the sums.
   */
  async usageSince(userId: string, sinceMs: number): Promise<UsageTotals> {
    const q = this.db.collection('usage').where('userId', '==', userId).where('at', '>=', sinceMs);
    const sums = q.aggregate({
      costUsd: AggregateField.sum('costUsd'),
      inputTokens: AggregateField.sum('inputTokens'),
      outputTokens: AggregateField.sum('outputTokens'),
      cacheReadTokens: AggregateField.sum('cacheReadTokens'),
      cacheCreationTokens: AggregateField.sum('cacheCreationTokens'),
    });
    const count = q.count();
    const [s, c] = await this.db.runTransaction(async (tx) => Promise.all([tx.get(sums), tx.get(count)]), {
      readOnly: true,
    });
    const d = s.data();
    return {
      costUsd: d.costUsd ?? 0,
      inputTokens: d.inputTokens ?? 0,
      outputTokens: d.outputTokens ?? 0,
      cacheReadTokens: d.cacheReadTokens ?? 0,
      cacheCreationTokens: d.cacheCreationTokens ?? 0,
      responses: c.data().count,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Also terminates the app's Firestore client and its channels.
    await deleteApp(this.app);
  }
}

function eventConflict(sessionId: string, seqs: number[], why: string): AppError {
  const range = seqs.length === 1 ? `Event ${seqs[0]}` : `Events ${Math.min(...seqs)}..${Math.max(...seqs)}`;
  return new AppError(
    'CONFLICT',
    `${range} of session ${sessionId}: ${why}; nothing of this batch was written. ` +
      'Another writer owns this session: read lastEventSeq and renumber, or stop writing.',
    { sessionId, seqs },
  );
}

function parseEventDoc(sessionId: string, doc: EventDoc): SessionEvent {
  let json: unknown;
  try {
    json = JSON.parse(doc.payload);
  } catch (e) {
    throw corruptEvent(sessionId, doc.seq, `its payload is not JSON (${(e as Error).message})`);
  }
  const r = SessionEvent.safeParse(json);
  if (!r.success) throw corruptEvent(sessionId, doc.seq, `its payload is not a valid SessionEvent: ${r.error.message}`);
  if (r.data.sessionId !== sessionId || r.data.seq !== doc.seq) {
    throw corruptEvent(sessionId, doc.seq, `its payload names session ${r.data.sessionId} seq ${r.data.seq}`);
  }
  return r.data;
}

function corruptEvent(sessionId: string, seq: number, why: string): AppError {
  return new AppError(
    'INTERNAL',
    `Stored event ${seq} of session ${sessionId} is corrupt: ${why}. ` +
      'The document was changed outside this program; restore it from a backup or delete it.',
    { sessionId, seq },
  );
}
