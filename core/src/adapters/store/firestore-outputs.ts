import type { Notification } from '@agent-platform/core/domain';
import type { StoredRunFile, UsageDayTotals } from '@agent-platform/core/ports';
import {
  AggregateField,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type Transaction,
} from 'firebase-admin/firestore';
import { DAY_MS, runNotFound, utcDay, utcDayStart } from './agent-records.js';
import {
  checkRunStoredTotal,
  validateListNotifications,
  validateMarkNotificationsRead,
  validateNotification,
  validateStoredRunFile,
  validateUsageByDay,
} from './checks.js';
import { docId, sha256 } from './firestore-ids.js';

/**
 * What runs leave behind for the person, for FirestoreStore: kept run files, usage per day and
 * notifications. The layout and the indexes are described at the top of firestore.ts.
 */

/** gRPC status of a create() whose document exists. */
const ALREADY_EXISTS = 6;
/** Writes per commit when marking notifications read (Firestore allows 500). */
const MARK_BATCH = 400;

/** runFiles/{runId}: what the run keeps in all, so that one read checks the run's limit. */
interface RunFilesDoc {
  runId: string;
  ownerId: string;
  storedBytes: number;
  fileCount: number;
}

/** runFiles/{runId}/contents/{sha256(path)}: one kept file. */
interface RunFileContentDoc {
  runId: string;
  ownerId: string;
  path: string;
  contentType: string;
  bytes: number;
  /** Firestore Bytes (read back as a Buffer). At most 512 KiB, well under the 1 MiB document limit. */
  data: Uint8Array;
}

type NotificationDoc = Notification;

/** The fields of a run document read here. */
interface RunOwnerDoc {
  ownerId: string;
}

const hasCode = (e: unknown, code: number): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;

function data<T>(snap: DocumentSnapshot | undefined): T | null {
  return snap?.exists ? (snap.data() as T) : null;
}

/** A plain Uint8Array over the stored bytes, as the port promises (not the client's Buffer). */
const toBytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const toNotification = (d: NotificationDoc): Notification => ({
  id: d.id,
  userId: d.userId,
  kind: d.kind,
  runId: d.runId,
  agentId: d.agentId,
  agentName: d.agentName,
  status: d.status,
  reason: d.reason,
  costUsd: d.costUsd,
  at: d.at,
  readAt: d.readAt,
});

export class FirestoreOutputs {
  constructor(
    private readonly db: Firestore,
    private readonly maxAttempts: number,
  ) {}

  private runFiles(runId: string): DocumentReference {
    return this.db.collection('runFiles').doc(docId(runId));
  }

  private runFileContent(runId: string, path: string): DocumentReference {
    return this.runFiles(runId).collection('contents').doc(sha256(path));
  }

  private notifications(userId: string): CollectionReference {
    return this.db.collection('users').doc(docId(userId)).collection('notifications');
  }

  /**
   * One transaction reads the run (it must be the owner's), the run's total and the file it
   * replaces, then writes the file and the new total: two puts to one run contend on the total, so
   * the run's limit holds.
   */
  async putRunFile(f: StoredRunFile): Promise<void> {
    validateStoredRunFile(f);
    const runRef = this.db.collection('runs').doc(docId(f.runId));
    const totalRef = this.runFiles(f.runId);
    const contentRef = this.runFileContent(f.runId, f.path);
    const bytes = f.data.byteLength;
    const content: RunFileContentDoc = {
      runId: f.runId,
      ownerId: f.ownerId,
      path: f.path,
      contentType: f.contentType,
      bytes,
      data: Buffer.from(f.data.buffer, f.data.byteOffset, bytes),
    };
    await this.db.runTransaction(
      async (tx) => {
        const [runSnap, totalSnap, contentSnap] = await tx.getAll(runRef, totalRef, contentRef);
        const run = data<RunOwnerDoc>(runSnap);
        if (run === null || run.ownerId !== f.ownerId) throw runNotFound(f.runId);
        const total = data<RunFilesDoc>(totalSnap);
        const replaced = data<Pick<RunFileContentDoc, 'bytes'>>(contentSnap);
        const storedBytes = total?.storedBytes ?? 0;
        checkRunStoredTotal(f.runId, storedBytes, replaced?.bytes ?? 0, bytes);
        tx.set(totalRef, {
          runId: f.runId,
          ownerId: f.ownerId,
          storedBytes: storedBytes - (replaced?.bytes ?? 0) + bytes,
          fileCount: (total?.fileCount ?? 0) + (replaced === null ? 1 : 0),
        } satisfies RunFilesDoc);
        tx.set(contentRef, content);
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async getRunFile(ownerId: string, runId: string, path: string): Promise<StoredRunFile | null> {
    const doc = data<RunFileContentDoc>(await this.runFileContent(runId, path).get());
    if (doc === null || doc.ownerId !== ownerId || doc.runId !== runId || doc.path !== path) return null;
    return {
      runId: doc.runId,
      ownerId: doc.ownerId,
      path: doc.path,
      contentType: doc.contentType,
      data: toBytes(doc.data),
    };
  }

  /**
   * Sums each UTC day with records with aggregation queries (Firestore reads index entries, not the
   * records), skipping days without records: for each such day, its sums and count and the first
   * record of a later day are read together. One read-only transaction, so every day is summed
   * from one snapshot. Indexes: usage (userId, at) for the count and for finding the next record,
   * usage (userId, at, costUsd, inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens)
   * for the sums (both already serve usageSince).
   */
  async usageByDay(userId: string, sinceMs: number): Promise<UsageDayTotals[]> {
    validateUsageByDay(userId, sinceMs);
    const usage = this.db.collection('usage').where('userId', '==', userId);
    const firstAtOrAfter = async (tx: Transaction, from: number): Promise<number | null> => {
      const snap = await tx.get(usage.where('at', '>=', from).orderBy('at', 'asc').limit(1).select('at'));
      const first = snap.docs[0];
      return first === undefined ? null : (first.data() as { at: number }).at;
    };
    return this.db.runTransaction(
      async (tx) => {
        const days: UsageDayTotals[] = [];
        let next = await firstAtOrAfter(tx, sinceMs);
        while (next !== null) {
          const start = utcDayStart(next);
          const end = start + DAY_MS;
          const q: Query = usage.where('at', '>=', Math.max(sinceMs, start)).where('at', '<', end);
          const [sums, count, after] = await Promise.all([
            tx.get(
              q.aggregate({
                costUsd: AggregateField.sum('costUsd'),
                inputTokens: AggregateField.sum('inputTokens'),
                outputTokens: AggregateField.sum('outputTokens'),
                cacheReadTokens: AggregateField.sum('cacheReadTokens'),
                cacheCreationTokens: AggregateField.sum('cacheCreationTokens'),
              }),
            ),
            tx.get(q.count()),
            firstAtOrAfter(tx, end),
          ]);
          const s = sums.data();
          days.push({
            day: utcDay(start),
            costUsd: s.costUsd ?? 0,
            inputTokens: s.inputTokens ?? 0,
            outputTokens: s.outputTokens ?? 0,
            cacheReadTokens: s.cacheReadTokens ?? 0,
            cacheCreationTokens: s.cacheCreationTokens ?? 0,
            responses: count.data().count,
          });
          next = after;
        }
        return days;
      },
      { readOnly: true },
    );
  }

  /** The notification's id is its document id under its user, and create() fails on an existing one. */
  async addNotification(n: Notification): Promise<void> {
    const doc = validateNotification(n);
    try {
      await this.notifications(doc.userId)
        .doc(docId(doc.id))
        .create(toNotification(doc) satisfies NotificationDoc);
    } catch (e) {
      if (hasCode(e, ALREADY_EXISTS)) return;
      throw e;
    }
  }

  /**
   * Index: notifications (at DESC, id DESC) for the page; readAt single field (automatic) for the
   * unread count. One read-only transaction, so that the page and the count agree.
   */
  async listNotifications(userId: string, limit: number): Promise<{ notifications: Notification[]; unread: number }> {
    validateListNotifications(userId, limit);
    const col = this.notifications(userId);
    return this.db.runTransaction(
      async (tx) => {
        const [page, unread] = await Promise.all([
          limit === 0 ? null : tx.get(col.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit)),
          tx.get(col.where('readAt', '==', null).count()),
        ]);
        return {
          notifications: page === null ? [] : page.docs.map((d) => toNotification(d.data() as NotificationDoc)),
          unread: unread.data().count,
        };
      },
      { readOnly: true },
    );
  }

  /**
   * Index: notifications (readAt, at). A transaction per batch, so that a notification marked by a
   * concurrent call keeps its first readAt; a call that fails part way leaves the rest unread for
   * the next call to mark.
   */
  async markNotificationsRead(userId: string, upTo: number, now: number): Promise<void> {
    validateMarkNotificationsRead(userId, upTo, now);
    const q = this.notifications(userId).where('readAt', '==', null).where('at', '<=', upTo).limit(MARK_BATCH);
    for (;;) {
      const marked = await this.db.runTransaction(
        async (tx) => {
          const snap = await tx.get(q);
          for (const d of snap.docs) tx.update(d.ref, { readAt: now });
          return snap.size;
        },
        { maxAttempts: this.maxAttempts },
      );
      if (marked < MARK_BATCH) return;
    }
  }
}
