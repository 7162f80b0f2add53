/**
 * The cloud Store: Firestore through firebase-admin.
 *
 * Document layout (every id below is the record's own id when it is a safe document id, else
 * `~` + the SHA-256 of it, see `docId`; the record keeps its real id in a field):
 *
 *   users/{userId}                      { id, name, email, photoUrl, locale, onboarding (a map of answers),
 *                                         createdAt, lastSeenAt }  (documents written before profiles lack
 *                                         photoUrl, locale, onboarding and lastSeenAt: they read as null,
 *                                         null, {} and createdAt)
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
 *   runners/{runnerId}                  { id, wsUrl, capacity, placedUsers, activeSessions, startedAt, heartbeatAt,
 *                                         leaseUntil, state, epoch }
 *   placements/{userId}                 { userId, runnerId, placedAt, runnerEpoch }
 *   transcripts/{sha256(key)}           { ownerId, projectKey, sessionId, subpath ('' for the main one),
 *                                         sessionKey, entryCount, chunkCount }
 *   transcripts/{sha256(key)}/chunks/{seq as 16 digits}
 *                                       { seq, text }  a piece of the transcript as JSON lines, or
 *                                       { seq, blobId, partCount }  the same, kept in parts
 *   transcripts/{sha256(key)}/parts/{blobId}-{i as 4 digits}
 *                                       { text }  a piece of one large entry's line, written before
 *                                         the chunk that links it
 *   transcripts/{sha256(key)}/uuids/{uuid}
 *                                       { uuid }  the dedupe claim of a stored entry's uuid
 *   agents/{agentId}                    { id, ownerId, name, description, instructions, schedule ({ cron, timeZone,
 *                                         enabled, missedRunPolicy, overlapPolicy } or null), limits ({ timeoutMs,
 *                                         maxTurns, maxUsd }), webhookUrl, inApp, webhookSecret, folder, status,
 *                                         version, createdAt, updatedAt }
 *   agents/{agentId}/instructionVersions/{version as 8 digits}
 *                                       { agentId, ownerId, version, instructions, createdAt }
 *   runs/{runId}                        { id, agentId, ownerId, status, trigger, reason, runnerId, dedupeKey,
 *                                         sessionId, attempt, scheduledFor, queuedAt, startedAt, endedAt,
 *                                         durationMs, result, files ([{ path, bytes, changeKind, contentType?,
 *                                         stored? }], the optional keys only when set), tokens
 *                                         ({ inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens }),
 *                                         costUsd, agentDeleted }
 *   runDedupe/{sha256([ownerId, dedupeKey])}
 *                                       { ownerId, dedupeKey, runId }  createRun's idempotency claim
 *   runSessions/{sessionId}             { ownerId, sessionId, runId }  the id is a run's: its events live under
 *                                         sessions/{sessionId}/events, where no session document exists
 *   runFiles/{runId}                    { runId, ownerId, storedBytes, fileCount }  what the run keeps in all
 *   runFiles/{runId}/contents/{sha256(path)}
 *                                       { runId, ownerId, path, contentType, bytes, data (Bytes) }  a kept file
 *   users/{userId}/notifications/{notificationId}
 *                                       { id, userId, kind, runId, agentId, agentName, status, reason, costUsd, at,
 *                                         readAt (null while unread) }
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
 * - The runner pool is small (a few to a few dozen runners). placeUser reads the user's placement
 *   and its runner; only when the user must be placed (again) does it read every runner in its
 *   transaction: two such placements contend on the runners they both read, and the loser is
 *   retried with the new counts, so capacity is never overrun. `epoch` (+1 at each
 *   take-over) and a placement's `runnerEpoch` tell whether the placement is still counted in its
 *   runner's placedUsers (see pool.ts).
 * - A transcript is append-only JSON lines. Documents are capped at 1 MiB, so an append writes its
 *   entries' lines as one string cut into chunk documents of at most CHUNK_BYTES (many small
 *   entries share a chunk; a large entry spans several), numbered by the parent's chunkCount,
 *   which the append takes in its transaction: appends never interleave, and joining the chunks in
 *   seq order gives the lines back. A uuid is claimed in the same transaction, so a retried append
 *   stores an entry once.
 *   One commit carries at most COMMIT_BYTES of text (the emulator refuses requests over 4 MiB; an
 *   entry may be 4 MiB). An entry larger than that is written first as `parts` under a fresh
 *   blobId, which nothing reads yet, and then linked by one chunk in the ordering transaction, so
 *   a reader never sees half an entry; parts a failed append leaves behind are never read.
 *   An append whose entries exceed one commit (COMMIT_BYTES, or MAX_ENTRIES_PER_COMMIT entries)
 *   is written in several transactions, in order; if one fails the earlier ones stay, and
 *   appending the same entries again skips those already stored (by uuid).
 * - Agents and runs are top-level collections, not under their owner: the scheduler lists scheduled
 *   agents of every owner, and a runner's take-over lists running runs of every owner. Each record
 *   carries ownerId, and every read by an owner compares it.
 * - createRun is one transaction that reads the dedupe claim, the agent (it must be the owner's),
 *   the run id and the sessionId (neither a conversation's nor another run's), then creates the
 *   run with its claims, so a redelivered schedule message makes one run. transitionRun reads the
 *   run and writes it in a transaction: a compare-and-set on its status.
 * - A run's events use the conversation path (sessions/{sessionId}/events) so that listEvents and
 *   the WebSocket replay serve runs unchanged; runSessions/{sessionId} is what lets appendEvents
 *   accept the id.
 * - Runs outlive their agent: deleteAgent deletes the agent document in a transaction (a createRun
 *   after it finds no agent), then, in batches, its instruction versions, and marks its runs
 *   agentDeleted. Calling it again finishes a sweep that failed part way.
 * - The webhook secret sits in the agent document (browsers never read Firestore) and is mapped
 *   out of every Agent read but for its last 4 characters.
 * - A kept run file is one document (at most AgentLimits.runStoredFileBytes = 512 KiB of Bytes, under
 *   the 1 MiB document limit). putRunFile reads the run (the owner check), the run's runFiles
 *   document and the file it replaces in one transaction, and writes the file with the new total:
 *   two puts to one run contend on that document, so the run's total limit holds. Each content
 *   document carries ownerId, so getRunFile is one read.
 * - Notifications live under their user (no query crosses users); the id is the document id, so
 *   create() makes addNotification idempotent. readAt is null (not missing) while unread, so that
 *   `readAt == null` finds the unread ones.
 * - Usage per day is summed by aggregation queries over the usage records, one UTC day at a time,
 *   skipping days without records (see FirestoreOutputs.usageByDay): no counter to keep in step,
 *   and records written before it are counted.
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
 *   listOpenMessages  collection group messages: ownerId ==, status in [pending, running],
 *                   order by createdAt, n                                 → (ownerId, status, createdAt, n),
 *                                                                            collection-group scope
 *   listRunners     runners: all, sorted here by id                       → none
 *   placeUser       runners: all, in the transaction (when the user moves) → none
 *   listPlacements  placements: runnerId ==, sorted here by userId        → single field, automatic
 *   listTranscriptSubpaths  transcripts: sessionKey ==                    → single field, automatic
 *   loadTranscript  chunks of a transcript: order by seq                  → single field, automatic
 *   listAgents      agents: ownerId ==, order by createdAt desc, id desc  → (ownerId, createdAt desc, id desc)
 *   listScheduledAgents  agents: status ==, schedule.enabled ==          → single fields, merged (equalities only)
 *   listAgentVersions  instructionVersions of an agent: order by version → single field, automatic
 *   deleteAgent     instructionVersions: ownerId ==; runs: ownerId ==, agentId ==, agentDeleted ==
 *                                                                         → single fields, merged (equalities only)
 *   listRuns        runs: ownerId ==, [agentId ==], [status ==], order by queuedAt desc, id desc
 *                                                                         → (ownerId, [agentId,] [status,] queuedAt
 *                                                                            desc, id desc): one per filter shape
 *   listRunsByStatus  runs: status ==, [runnerId ==], sorted here         → single fields, merged (equalities only)
 *   runningRunOf    runs: agentId ==, status == running, sorted here      → single fields, merged (equalities only)
 *   agentCostSince  runs: ownerId ==, agentId ==, queuedAt >=: sum(costUsd)
 *                                                                         → (ownerId, agentId, queuedAt, costUsd)
 *   usageByDay      usage: userId ==, at >=, order by at, limit 1         → (userId, at)
 *                   usage: userId ==, at >=, at <: count() and the five sums → the two indexes of usageSince
 *   listNotifications  notifications of a user: order by at desc, id desc → (at desc, id desc)
 *                   and readAt == null: count()                           → single field, automatic
 *   markNotificationsRead  notifications of a user: readAt == null, at <= → (readAt, at)
 * Firestore computes sum() from index entries, hence the summed fields in the last index. `payload`
 * (events), `text` (messages, chunks, parts), `instructions` (agents, instructionVersions), `result` and
 * `files` (runs), `webhookSecret` (agents), `data` and `path` (contents) and `reason` (notifications) are
 * exempt from indexing: never queried, and large (or secret).
 * `sessionKey` (a hash of ownerId, projectKey and sessionId) lets one equality find a session's
 * transcripts without a composite index; the sorts done here are over small sets (the pool's
 * runners, one runner's users, one session's subagents, the scheduled agents, the runs queued or
 * running now).
 *
 * Browsers never read Firestore (firestore.rules denies all): every access goes through the API,
 * which checks owners.
 */
import { randomUUID } from 'node:crypto';
import type {
  Agent,
  AgentRun,
  AgentVersion,
  Message,
  MessageStatus,
  Notification,
  OnboardingAnswers,
  Placement,
  RunnerRecord,
  RunStatus,
  Session,
  SessionContext,
  User,
} from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type {
  AgentUpdate,
  ListRunsOptions,
  NewAgent,
  NewMessage,
  NewRun,
  NewSession,
  RunnerHeartbeat,
  RunPatch,
  Store,
  StoredRunFile,
  TranscriptEntry,
  TranscriptKey,
  UsageDayTotals,
  UsageRecord,
  UsageTotals,
  UserSighting,
} from '@agent-platform/core/ports';
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
import {
  decodeTranscriptEntry,
  type EncodedEntry,
  encodeTranscriptEntries,
  mergeUserSettings,
  parseEventBatch,
  validateHeartbeat,
  validateRunnerId,
  validateSighting,
  validateTime,
  validateTranscriptKey,
  validateUsage,
  validateUserId,
} from './checks.js';
import { FirestoreAgents } from './firestore-agents.js';
import { docId, sha256 } from './firestore-ids.js';
import { FirestoreOutputs } from './firestore-outputs.js';
import {
  canTakeOver,
  heartbeatRecord,
  keepsPlacement,
  planPlacement,
  type StoredPlacement,
  type StoredRunner,
} from './pool.js';

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
/**
 * UTF-8 bytes of transcript text per chunk document: under Firestore's 1 MiB (1,048,576 bytes)
 * per document with room for the document's name and its other field.
 */
export const CHUNK_BYTES = 900 * 1024;
/**
 * Transcript bytes per commit: Firestore takes 10 MiB per request, its emulator 4 MiB, and the
 * same code runs on both. A larger entry is written as parts first (see the layout above).
 */
const COMMIT_BYTES = 3 * 1024 * 1024;
/** Entries per append transaction: each may write a uuid claim, and a commit holds at most 500 writes. */
const MAX_ENTRIES_PER_COMMIT = 400;

interface UserDoc {
  id: string;
  name: string;
  email: string | null;
  /** The four below are missing from documents written before profiles. */
  photoUrl?: string | null;
  locale?: string | null;
  onboarding?: OnboardingAnswers;
  createdAt: number;
  lastSeenAt?: number;
}

type RunnerDoc = RunnerRecord & { epoch: number };

type PlacementDoc = Placement & { runnerEpoch: number };

interface TranscriptDoc {
  ownerId: string;
  projectKey: string;
  sessionId: string;
  /** '' for the main transcript. */
  subpath: string;
  /** sha256 of (ownerId, projectKey, sessionId): what listTranscriptSubpaths looks up. */
  sessionKey: string;
  entryCount: number;
  /** Chunks stored so far; the next chunk's seq. */
  chunkCount: number;
}

/** Text inline, or in `partCount` parts named after `blobId`. */
type ChunkDoc =
  | {
      seq: number;
      /** Whole JSON lines of one or more entries, or a piece of them (an entry may span chunks). */
      text: string;
    }
  | { seq: number; blobId: string; partCount: number };

interface PartDoc {
  text: string;
}

const partId = (blobId: string, i: number): string => `${blobId}-${String(i).padStart(4, '0')}`;

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

export { docId };

const seqId = (seq: number): string => String(seq).padStart(SEQ_DIGITS, '0');

const hasCode = (e: unknown, code: number): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;

function sessionNotFound(sessionId: string): AppError {
  return new AppError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist.`, { sessionId });
}

const toUser = (d: UserDoc): User => ({
  id: d.id,
  name: d.name,
  email: d.email,
  photoUrl: d.photoUrl ?? null,
  locale: d.locale ?? null,
  onboarding: d.onboarding ?? {},
  createdAt: d.createdAt,
  lastSeenAt: d.lastSeenAt ?? d.createdAt,
});

const toStoredRunner = ({ epoch, ...record }: RunnerDoc): StoredRunner => ({ record, epoch });

const toStoredPlacement = ({ runnerEpoch, ...placement }: PlacementDoc): StoredPlacement => ({
  placement,
  runnerEpoch,
});

/** A transcript's document id: the hash of its whole key (any characters, any length). */
const transcriptDocId = (k: TranscriptKey): string =>
  sha256(JSON.stringify([k.ownerId, k.projectKey, k.sessionId, k.subpath ?? '']));

const transcriptSessionKey = (k: Omit<TranscriptKey, 'subpath'>): string =>
  sha256(JSON.stringify([k.ownerId, k.projectKey, k.sessionId]));

/**
 * Cuts text into pieces of at most maxBytes of UTF-8, never inside a character. The text comes from
 * JSON.stringify, which escapes lone surrogates, so its UTF-8 form is exact.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const buf = Buffer.from(text, 'utf8');
  const pieces: string[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(start + maxBytes, buf.length);
    // Back off continuation bytes (10xxxxxx) so the cut falls between characters.
    while (end < buf.length && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
    pieces.push(buf.toString('utf8', start, end));
    start = end;
  }
  return pieces;
}

/**
 * Entries in order, cut into runs that each fit one commit; an entry too large for one commit is a
 * run of its own (written as parts).
 */
function commitGroups(entries: readonly EncodedEntry[]): EncodedEntry[][] {
  const groups: EncodedEntry[][] = [];
  let current: EncodedEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length > 0 && (bytes + e.bytes + 1 > COMMIT_BYTES || current.length >= MAX_ENTRIES_PER_COMMIT)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes + 1;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

const isLarge = (group: readonly EncodedEntry[]): boolean => group.length === 1 && group[0]!.bytes + 1 > COMMIT_BYTES;

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
  /** Agents, their instruction versions and runs. */
  private readonly agents: FirestoreAgents;
  /** Kept run files, usage per day, notifications. */
  private readonly outputs: FirestoreOutputs;

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
    this.agents = new FirestoreAgents(this.db, this.maxAttempts);
    this.outputs = new FirestoreOutputs(this.db, this.maxAttempts);
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

  private runners(): CollectionReference {
    return this.db.collection('runners');
  }

  private placement(userId: string): DocumentReference {
    return this.db.collection('placements').doc(docId(userId));
  }

  private transcript(key: TranscriptKey): DocumentReference {
    return this.db.collection('transcripts').doc(transcriptDocId(key));
  }

  async recordSighting(s: UserSighting): Promise<User> {
    validateSighting(s);
    const ref = this.users().doc(docId(s.id));
    return this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        if (snap.exists) {
          // The provider's fields are refreshed; createdAt, locale and answers stay, and lastSeenAt
          // never moves backwards.
          const before = toUser(data<UserDoc>(snap));
          const fields = {
            name: s.name,
            email: s.email,
            photoUrl: s.photoUrl,
            lastSeenAt: Math.max(before.lastSeenAt, s.now),
          };
          tx.update(ref, fields);
          return { ...before, ...fields };
        }
        const doc: Required<UserDoc> = {
          id: s.id,
          name: s.name,
          email: s.email,
          photoUrl: s.photoUrl,
          locale: null,
          onboarding: {},
          createdAt: s.now,
          lastSeenAt: s.now,
        };
        tx.create(ref, doc);
        return toUser(doc);
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async updateUserSettings(
    id: string,
    patch: { locale?: string | null | undefined; onboarding?: OnboardingAnswers | undefined },
  ): Promise<User | null> {
    const ref = this.users().doc(docId(id));
    return this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return null;
        const before = toUser(data<UserDoc>(snap));
        const next = mergeUserSettings(before, patch);
        // The whole map is replaced (update() sets the field), with the merge done above.
        tx.update(ref, { locale: next.locale, onboarding: next.onboarding });
        return { ...before, ...next };
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

  /** Index: messages (ownerId ASC, status ASC, createdAt ASC, n ASC), collection-group scope. */
  async listOpenMessages(ownerId: string): Promise<Message[]> {
    const snap = await this.db
      .collectionGroup('messages')
      .where('ownerId', '==', ownerId)
      .where('status', 'in', ['pending', 'running'] satisfies MessageStatus[])
      .orderBy('createdAt', 'asc')
      .orderBy('n', 'asc')
      .get();
    return snap.docs.map((d) => toMessage(d.data() as MessageDoc));
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

  /**
   * Events go under a conversation's session or a run's sessionId (runSessions). Neither is ever
   * deleted, so once seen, an id is not read again for appends.
   */
  private async assertSessionExists(sessionId: string): Promise<void> {
    if (this.knownSessions.has(sessionId)) return;
    const [session, runSession] = await this.db.getAll(this.session(sessionId), this.agents.runSession(sessionId));
    if (!session?.exists && !runSession?.exists) throw sessionNotFound(sessionId);
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

  async heartbeatRunner(h: RunnerHeartbeat): Promise<RunnerRecord> {
    validateHeartbeat(h);
    const ref = this.runners().doc(docId(h.id));
    // The usual heartbeat (a runner that is up) writes its own fields without a transaction: a
    // transaction here would contend with every placement that reads the runners, and a heartbeat
    // held back by contention can end a healthy runner's lease. A runner that is new or back from
    // down goes through the transaction, which sets its state and counters.
    const seen = await ref.get();
    if (seen.exists) {
      const before = toStoredRunner(data<RunnerDoc>(seen));
      if (before.record.state === 'up') {
        const record = heartbeatRecord(before.record, h);
        await ref.update({
          wsUrl: record.wsUrl,
          capacity: record.capacity,
          activeSessions: record.activeSessions,
          heartbeatAt: record.heartbeatAt,
          leaseUntil: record.leaseUntil,
        });
        return record;
      }
    }
    return this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        const before = snap.exists ? toStoredRunner(data<RunnerDoc>(snap)) : null;
        const record = heartbeatRecord(before?.record ?? null, h);
        tx.set(ref, { ...record, epoch: before?.epoch ?? 0 } satisfies RunnerDoc);
        return record;
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async listRunners(): Promise<RunnerRecord[]> {
    const snap = await this.runners().get();
    return snap.docs.map((d) => toStoredRunner(d.data() as RunnerDoc).record).sort(byId);
  }

  async placeUser(userId: string, now: number): Promise<{ runner: RunnerRecord; previousRunnerId: string | null }> {
    validateUserId('placeUser', userId);
    validateTime('placeUser', 'now', now);
    const placementRef = this.placement(userId);
    return this.db.runTransaction(
      async (tx) => {
        const placementSnap = await tx.get(placementRef);
        const current = placementSnap.exists ? toStoredPlacement(data<PlacementDoc>(placementSnap)) : null;
        if (current !== null) {
          // The usual case reads two documents, so placements of users who stay never contend with
          // each other or with the heartbeats of other runners.
          const placedSnap = await tx.get(this.runners().doc(docId(current.placement.runnerId)));
          const placed = placedSnap.exists ? toStoredRunner(data<RunnerDoc>(placedSnap)) : null;
          if (placed !== null && keepsPlacement(current, placed, now)) {
            return { runner: placed.record, previousRunnerId: null };
          }
        }
        const runnersSnap = await tx.get(this.runners());
        const runners = runnersSnap.docs.map((d) => toStoredRunner(d.data() as RunnerDoc));
        const plan = planPlacement(userId, now, current, runners);
        for (const r of plan.changed) tx.update(this.runners().doc(docId(r.id)), { placedUsers: r.placedUsers });
        if (plan.placement !== null) {
          const doc: PlacementDoc = { ...plan.placement.placement, runnerEpoch: plan.placement.runnerEpoch };
          tx.set(placementRef, doc);
        }
        return { runner: plan.runner, previousRunnerId: plan.previousRunnerId };
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async getPlacement(userId: string): Promise<Placement | null> {
    const snap = await this.placement(userId).get();
    return snap.exists ? toStoredPlacement(data<PlacementDoc>(snap)).placement : null;
  }

  /** Index: placements.runnerId, single field (automatic). */
  async listPlacements(runnerId: string): Promise<Placement[]> {
    const snap = await this.db.collection('placements').where('runnerId', '==', runnerId).get();
    return snap.docs
      .map((d) => toStoredPlacement(d.data() as PlacementDoc).placement)
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }

  async takeOverRunner(runnerId: string, now: number): Promise<boolean> {
    validateTime('takeOverRunner', 'now', now);
    const ref = this.runners().doc(docId(runnerId));
    return this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return false;
        const { record, epoch } = toStoredRunner(data<RunnerDoc>(snap));
        if (!canTakeOver(record, now)) return false;
        tx.update(ref, { state: 'down', placedUsers: 0, epoch: epoch + 1 });
        return true;
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  /**
   * Ends the lease now and leaves the state up, so that exactly one peer's takeOverRunner claims the
   * runner (and counts its users off) as it would for a silent one. An unknown runner is a no-op.
   */
  async retireRunner(runnerId: string, now: number): Promise<void> {
    validateRunnerId('retireRunner', runnerId);
    validateTime('retireRunner', 'now', now);
    const ref = this.runners().doc(docId(runnerId));
    await this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return;
        const leaseUntil = Math.min(data<RunnerDoc>(snap).leaseUntil, now);
        tx.update(ref, { leaseUntil });
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async appendTranscript(key: TranscriptKey, entries: TranscriptEntry[]): Promise<void> {
    validateTranscriptKey('appendTranscript', key);
    const encoded = encodeTranscriptEntries(entries);
    for (const group of commitGroups(encoded)) await this.appendTranscriptGroup(key, group);
  }

  /** One transaction: skips entries whose uuid is claimed, then writes chunks, claims and the counter. */
  private async appendTranscriptGroup(key: TranscriptKey, group: EncodedEntry[]): Promise<void> {
    const ref = this.transcript(key);
    const claimRef = (uuid: string) => ref.collection('uuids').doc(docId(uuid));
    const withUuid = group.filter((e): e is EncodedEntry & { uuid: string } => e.uuid !== null);
    // A large entry's text goes into parts before the transaction; the transaction links them.
    const blob = isLarge(group) ? await this.writeParts(ref, `${group[0]!.json}\n`) : null;
    let linked = false;
    await this.db.runTransaction(
      async (tx) => {
        linked = false;
        const [parentSnap, ...claimSnaps] = await tx.getAll(ref, ...withUuid.map((e) => claimRef(e.uuid)));
        const claimed = new Set(withUuid.filter((_, i) => claimSnaps[i]?.exists).map((e) => e.uuid));
        const fresh = group.filter((e) => e.uuid === null || !claimed.has(e.uuid));
        if (fresh.length === 0) return;
        const parent = parentSnap?.exists ? data<TranscriptDoc>(parentSnap) : null;
        let seq = parent?.chunkCount ?? 0;
        const chunks = ref.collection('chunks');
        if (blob !== null) {
          tx.create(chunks.doc(seqId(seq)), { seq, ...blob } satisfies ChunkDoc);
          seq++;
          linked = true;
        } else {
          for (const text of splitUtf8(fresh.map((e) => `${e.json}\n`).join(''), CHUNK_BYTES)) {
            tx.create(chunks.doc(seqId(seq)), { seq, text } satisfies ChunkDoc);
            seq++;
          }
        }
        for (const e of fresh) if (e.uuid !== null) tx.create(claimRef(e.uuid), { uuid: e.uuid });
        const doc: TranscriptDoc = {
          ownerId: key.ownerId,
          projectKey: key.projectKey,
          sessionId: key.sessionId,
          subpath: key.subpath ?? '',
          sessionKey: transcriptSessionKey(key),
          entryCount: (parent?.entryCount ?? 0) + fresh.length,
          chunkCount: seq,
        };
        tx.set(ref, doc);
      },
      { maxAttempts: this.maxAttempts },
    );
    // The entry was stored already: its parts are not needed. After a failed transaction they stay
    // (its commit may have gone through unseen, linking them); unlinked, they are never read.
    if (blob !== null && !linked) await this.deleteParts(ref, blob);
  }

  /** Writes text as parts of at most CHUNK_BYTES under a fresh blob id, one part per request. */
  private async writeParts(ref: DocumentReference, text: string): Promise<{ blobId: string; partCount: number }> {
    const blobId = randomUUID();
    const pieces = splitUtf8(text, CHUNK_BYTES);
    const parts = ref.collection('parts');
    await Promise.all(pieces.map((piece, i) => parts.doc(partId(blobId, i)).create({ text: piece } satisfies PartDoc)));
    return { blobId, partCount: pieces.length };
  }

  private async deleteParts(ref: DocumentReference, blob: { blobId: string; partCount: number }): Promise<void> {
    const batch = this.db.batch();
    for (let i = 0; i < blob.partCount; i++) batch.delete(ref.collection('parts').doc(partId(blob.blobId, i)));
    await batch.commit();
  }

  /**
   * Index: chunks.seq, single field (automatic). One query, so it sees whole appends only; chunks
   * and parts never change once linked, so the parts read after it match.
   */
  async loadTranscript(key: TranscriptKey): Promise<TranscriptEntry[] | null> {
    validateTranscriptKey('loadTranscript', key);
    const ref = this.transcript(key);
    const snap = await ref.collection('chunks').orderBy('seq', 'asc').get();
    if (snap.empty) return null;
    const texts = await Promise.all(snap.docs.map((d) => this.chunkText(ref, d.data() as ChunkDoc)));
    const text = texts.join('');
    if (!text.endsWith('\n')) throw corruptTranscript(ref, 'its last chunk ends inside an entry');
    const lines = text.slice(0, -1).split('\n');
    return lines.map((line, i) => decodeTranscriptEntry(line, `${i} of ${ref.path}`));
  }

  private async chunkText(ref: DocumentReference, chunk: ChunkDoc): Promise<string> {
    if ('text' in chunk) return chunk.text;
    const refs = Array.from({ length: chunk.partCount }, (_, i) =>
      ref.collection('parts').doc(partId(chunk.blobId, i)),
    );
    const parts = refs.length === 0 ? [] : await this.db.getAll(...refs);
    return parts
      .map((p) => {
        if (!p.exists) throw corruptTranscript(ref, `part ${p.id} of chunk ${chunk.seq} is missing`);
        return (p.data() as PartDoc).text;
      })
      .join('');
  }

  /** Index: transcripts.sessionKey, single field (automatic). */
  async listTranscriptSubpaths(key: Omit<TranscriptKey, 'subpath'>): Promise<string[]> {
    validateTranscriptKey('listTranscriptSubpaths', key);
    const snap = await this.db
      .collection('transcripts')
      .where('sessionKey', '==', transcriptSessionKey(key))
      .select('subpath')
      .get();
    return snap.docs
      .map((d) => (d.data() as Pick<TranscriptDoc, 'subpath'>).subpath)
      .filter((subpath) => subpath !== '')
      .sort();
  }

  createAgent(a: NewAgent): Promise<Agent> {
    return this.agents.createAgent(a);
  }

  getAgent(ownerId: string, id: string): Promise<Agent | null> {
    return this.agents.getAgent(ownerId, id);
  }

  listAgents(ownerId: string): Promise<Agent[]> {
    return this.agents.listAgents(ownerId);
  }

  updateAgent(ownerId: string, id: string, patch: AgentUpdate, now: number): Promise<Agent | null> {
    return this.agents.updateAgent(ownerId, id, patch, now);
  }

  deleteAgent(ownerId: string, id: string): Promise<boolean> {
    return this.agents.deleteAgent(ownerId, id);
  }

  listAgentVersions(ownerId: string, agentId: string): Promise<AgentVersion[] | null> {
    return this.agents.listAgentVersions(ownerId, agentId);
  }

  getAgentWebhookSecret(ownerId: string, agentId: string): Promise<string | null> {
    return this.agents.getAgentWebhookSecret(ownerId, agentId);
  }

  listScheduledAgents(): Promise<Agent[]> {
    return this.agents.listScheduledAgents();
  }

  createRun(r: NewRun): Promise<{ run: AgentRun; created: boolean }> {
    return this.agents.createRun(r);
  }

  getRun(ownerId: string, id: string): Promise<AgentRun | null> {
    return this.agents.getRun(ownerId, id);
  }

  listRuns(ownerId: string, opts: ListRunsOptions): Promise<AgentRun[]> {
    return this.agents.listRuns(ownerId, opts);
  }

  transitionRun(
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    patch: RunPatch,
    now: number,
  ): Promise<AgentRun | null> {
    return this.agents.transitionRun(id, from, to, patch, now);
  }

  listRunsByStatus(status: RunStatus, opts?: { runnerId?: string | undefined }): Promise<AgentRun[]> {
    return this.agents.listRunsByStatus(status, opts);
  }

  runningRunOf(agentId: string): Promise<AgentRun | null> {
    return this.agents.runningRunOf(agentId);
  }

  agentCostSince(ownerId: string, agentId: string, sinceMs: number): Promise<number> {
    return this.agents.agentCostSince(ownerId, agentId, sinceMs);
  }

  putRunFile(f: StoredRunFile): Promise<void> {
    return this.outputs.putRunFile(f);
  }

  getRunFile(ownerId: string, runId: string, path: string): Promise<StoredRunFile | null> {
    return this.outputs.getRunFile(ownerId, runId, path);
  }

  usageByDay(userId: string, sinceMs: number): Promise<UsageDayTotals[]> {
    return this.outputs.usageByDay(userId, sinceMs);
  }

  addNotification(n: Notification): Promise<void> {
    return this.outputs.addNotification(n);
  }

  listNotifications(userId: string, limit: number): Promise<{ notifications: Notification[]; unread: number }> {
    return this.outputs.listNotifications(userId, limit);
  }

  markNotificationsRead(userId: string, upTo: number, now: number): Promise<void> {
    return this.outputs.markNotificationsRead(userId, upTo, now);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Also terminates the app's Firestore client and its channels.
    await deleteApp(this.app);
  }
}

function corruptTranscript(ref: DocumentReference, why: string): AppError {
  return new AppError(
    'INTERNAL',
    `Stored transcript ${ref.path} is corrupt: ${why}. ` +
      'It was changed outside this program; restore it from a backup or delete the transcript.',
    { path: ref.path },
  );
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

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
