import type { Agent, AgentRun, AgentVersion, RunStatus } from '@agent-platform/core/domain';
import type { AgentUpdate, ListRunsOptions, NewAgent, NewRun, RunPatch } from '@agent-platform/core/ports';
import {
  AggregateField,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
  type WriteBatch,
} from 'firebase-admin/firestore';
import {
  type AgentRecord,
  agentIdTaken,
  agentNotFound,
  checkAgentUpdate,
  newestRunFirst,
  oldestRunFirst,
  planAgentUpdate,
  planNewAgent,
  planNewRun,
  planRunTransition,
  runIdTaken,
  runSessionTaken,
  toAgent,
} from './agent-records.js';
import { validateListRuns, validateRunStatus, validateRunTransition, validateTime, validateUserId } from './checks.js';
import { docId, sha256 } from './firestore-ids.js';

/**
 * Agents and runs for FirestoreStore. The layout and the indexes are described at the top of
 * firestore.ts, with the rest of the store's.
 */

/** gRPC status of a create() whose document exists. */
const ALREADY_EXISTS = 6;
/** Writes per commit when sweeping a deleted agent's versions and runs (Firestore allows 500). */
const SWEEP_BATCH = 400;

type AgentDoc = AgentRecord;
type VersionDoc = AgentVersion & { ownerId: string };
type RunDoc = AgentRun;

/** runDedupe/{sha256([ownerId, dedupeKey])}: the idempotency claim of createRun. */
interface DedupeDoc {
  ownerId: string;
  dedupeKey: string;
  runId: string;
}

/** runSessions/{sessionId}: the sessionId belongs to a run, whose events live under sessions/{sessionId}/events. */
interface RunSessionDoc {
  ownerId: string;
  sessionId: string;
  runId: string;
}

const versionId = (version: number): string => String(version).padStart(8, '0');

const hasCode = (e: unknown, code: number): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;

function data<T>(snap: DocumentSnapshot | undefined): T | null {
  return snap?.exists ? (snap.data() as T) : null;
}

export class FirestoreAgents {
  constructor(
    private readonly db: Firestore,
    private readonly maxAttempts: number,
  ) {}

  private agent(id: string): DocumentReference {
    return this.db.collection('agents').doc(docId(id));
  }

  private versions(agentId: string): CollectionReference {
    return this.agent(agentId).collection('instructionVersions');
  }

  private runs(): CollectionReference {
    return this.db.collection('runs');
  }

  /** The document that says events may be stored under the id because it is a run's sessionId. */
  runSession(sessionId: string): DocumentReference {
    return this.db.collection('runSessions').doc(docId(sessionId));
  }

  async createAgent(a: NewAgent): Promise<Agent> {
    const { record, version } = planNewAgent(a);
    const batch = this.db.batch();
    batch.create(this.agent(record.id), record satisfies AgentDoc);
    batch.create(this.versions(record.id).doc(versionId(1)), {
      ...version,
      ownerId: record.ownerId,
    } satisfies VersionDoc);
    try {
      await batch.commit();
    } catch (e) {
      if (hasCode(e, ALREADY_EXISTS)) throw agentIdTaken(record.id);
      throw e;
    }
    return toAgent(record);
  }

  async getAgent(ownerId: string, id: string): Promise<Agent | null> {
    const doc = data<AgentDoc>(await this.agent(id).get());
    return doc !== null && doc.ownerId === ownerId ? toAgent(doc) : null;
  }

  /** Index: agents (ownerId ASC, createdAt DESC, id DESC). */
  async listAgents(ownerId: string): Promise<Agent[]> {
    const snap = await this.db
      .collection('agents')
      .where('ownerId', '==', ownerId)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .get();
    return snap.docs.map((d) => toAgent(d.data() as AgentDoc));
  }

  async updateAgent(ownerId: string, id: string, patch: AgentUpdate, now: number): Promise<Agent | null> {
    const update = checkAgentUpdate(patch, now);
    const ref = this.agent(id);
    return this.db.runTransaction(
      async (tx) => {
        const before = data<AgentDoc>(await tx.get(ref));
        if (before === null || before.ownerId !== ownerId) return null;
        const { record, version } = planAgentUpdate(before, update, now);
        tx.set(ref, record satisfies AgentDoc);
        if (version !== null) {
          tx.create(this.versions(id).doc(versionId(version.version)), { ...version, ownerId } satisfies VersionDoc);
        }
        return toAgent(record);
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  /**
   * The agent document goes in a transaction (so a createRun after it finds no agent); its versions
   * and the marks on its runs follow in batches. If those fail part way, deleteAgent again finishes
   * them (it returns false then, the agent being gone).
   */
  async deleteAgent(ownerId: string, id: string): Promise<boolean> {
    const ref = this.agent(id);
    const outcome = await this.db.runTransaction(
      async (tx): Promise<'deleted' | 'missing' | 'foreign'> => {
        const doc = data<AgentDoc>(await tx.get(ref));
        if (doc === null) return 'missing';
        if (doc.ownerId !== ownerId) return 'foreign';
        tx.delete(ref);
        return 'deleted';
      },
      { maxAttempts: this.maxAttempts },
    );
    if (outcome === 'foreign') return false;
    // Filtered by owner: only what this owner's agent left behind. Equality filters only: no
    // composite index needed.
    await this.sweep(this.versions(id).where('ownerId', '==', ownerId), (batch, d) => batch.delete(d.ref));
    await this.sweep(
      this.runs().where('ownerId', '==', ownerId).where('agentId', '==', id).where('agentDeleted', '==', false),
      (batch, d) => batch.update(d.ref, { agentDeleted: true }),
    );
    return outcome === 'deleted';
  }

  /** Applies `write` to every document of the query, a batch at a time, until the query is empty. */
  private async sweep(q: Query, write: (batch: WriteBatch, d: QueryDocumentSnapshot) => void): Promise<void> {
    for (;;) {
      const snap = await q.limit(SWEEP_BATCH).get();
      if (snap.empty) return;
      const batch = this.db.batch();
      for (const d of snap.docs) write(batch, d);
      await batch.commit();
      if (snap.size < SWEEP_BATCH) return;
    }
  }

  /** Index: instructionVersions.version, single field (automatic). Read-only transaction: one snapshot. */
  async listAgentVersions(ownerId: string, agentId: string): Promise<AgentVersion[] | null> {
    return this.db.runTransaction(
      async (tx) => {
        const doc = data<AgentDoc>(await tx.get(this.agent(agentId)));
        if (doc === null || doc.ownerId !== ownerId) return null;
        const snap = await tx.get(this.versions(agentId).orderBy('version', 'desc'));
        return snap.docs.map((d) => {
          const { ownerId: _, ...version } = d.data() as VersionDoc;
          return version;
        });
      },
      { readOnly: true },
    );
  }

  async getAgentWebhookSecret(ownerId: string, agentId: string): Promise<string | null> {
    const doc = data<AgentDoc>(await this.agent(agentId).get());
    return doc !== null && doc.ownerId === ownerId ? doc.webhookSecret : null;
  }

  /** Equality filters only (status, schedule.enabled): single-field indexes, merged; sorted here by id. */
  async listScheduledAgents(): Promise<Agent[]> {
    const snap = await this.db
      .collection('agents')
      .where('status', '==', 'active')
      .where('schedule.enabled', '==', true)
      .get();
    return snap.docs.map((d) => toAgent(d.data() as AgentDoc)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * One transaction reads the dedupe claim, the agent, the run id and both meanings of the sessionId,
   * then creates the run and its claims. Two concurrent calls with one dedupeKey contend on the
   * claim: the loser is retried, finds the claim and returns the winner's run.
   */
  async createRun(r: NewRun): Promise<{ run: AgentRun; created: boolean }> {
    const run = planNewRun(r);
    try {
      return await this.createRunOnce(run);
    } catch (e) {
      // Each document created was read as missing in the transaction, so a concurrent writer
      // normally makes it retry; should a create still fail, one more try sees what now exists.
      if (hasCode(e, ALREADY_EXISTS)) return this.createRunOnce(run);
      throw e;
    }
  }

  private async createRunOnce(run: AgentRun): Promise<{ run: AgentRun; created: boolean }> {
    const runRef = this.runs().doc(docId(run.id));
    const dedupeRef =
      run.dedupeKey === null
        ? null
        : this.db.collection('runDedupe').doc(sha256(JSON.stringify([run.ownerId, run.dedupeKey])));
    const runSessionRef = this.runSession(run.sessionId);
    const sessionRef = this.db.collection('sessions').doc(docId(run.sessionId));
    const agentRef = this.agent(run.agentId);
    return this.db.runTransaction(
      async (tx) => {
        if (dedupeRef !== null) {
          const claim = data<DedupeDoc>(await tx.get(dedupeRef));
          if (claim !== null) {
            const existing = data<RunDoc>(await tx.get(this.runs().doc(docId(claim.runId))));
            if (existing === null)
              throw new Error(`Run dedupe key is claimed by ${claim.runId}, which does not exist.`);
            return { run: existing, created: false };
          }
        }
        const [agentSnap, runSnap, runSessionSnap, sessionSnap] = await tx.getAll(
          agentRef,
          runRef,
          runSessionRef,
          sessionRef,
        );
        const agent = data<AgentDoc>(agentSnap);
        if (agent === null || agent.ownerId !== run.ownerId) throw agentNotFound(run.agentId);
        if (runSnap?.exists) throw runIdTaken(run.id);
        if (runSessionSnap?.exists || sessionSnap?.exists) throw runSessionTaken(run.sessionId);
        tx.create(runRef, run satisfies RunDoc);
        tx.create(runSessionRef, {
          ownerId: run.ownerId,
          sessionId: run.sessionId,
          runId: run.id,
        } satisfies RunSessionDoc);
        if (dedupeRef !== null && run.dedupeKey !== null) {
          tx.create(dedupeRef, { ownerId: run.ownerId, dedupeKey: run.dedupeKey, runId: run.id } satisfies DedupeDoc);
        }
        return { run, created: true };
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  async getRun(ownerId: string, id: string): Promise<AgentRun | null> {
    const doc = data<RunDoc>(await this.runs().doc(docId(id)).get());
    return doc !== null && doc.ownerId === ownerId ? doc : null;
  }

  /**
   * Indexes: runs (ownerId ASC, [agentId ASC,] [status ASC,] queuedAt DESC, id DESC), one for each
   * filter shape.
   */
  async listRuns(ownerId: string, opts: ListRunsOptions): Promise<AgentRun[]> {
    validateListRuns(opts);
    if (opts.limit === 0) return [];
    let q: Query = this.runs().where('ownerId', '==', ownerId);
    if (opts.agentId !== undefined) q = q.where('agentId', '==', opts.agentId);
    if (opts.status !== undefined) q = q.where('status', '==', opts.status);
    q = q.orderBy('queuedAt', 'desc').orderBy('id', 'desc');
    if (opts.before !== undefined) q = q.startAfter(opts.before.queuedAt, opts.before.id);
    const snap = await q.limit(opts.limit).get();
    return snap.docs.map((d) => d.data() as RunDoc);
  }

  async transitionRun(
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    patch: RunPatch,
    now: number,
  ): Promise<AgentRun | null> {
    validateRunTransition(id, from, to, patch, now);
    const ref = this.runs().doc(docId(id));
    return this.db.runTransaction(
      async (tx) => {
        const run = data<RunDoc>(await tx.get(ref));
        if (run === null || !from.includes(run.status)) return null;
        const next = planRunTransition(run, to, patch, now);
        tx.set(ref, next satisfies RunDoc);
        return next;
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  /** Equality filters only (status, runnerId): single-field indexes, merged; sorted here. */
  async listRunsByStatus(status: RunStatus, opts: { runnerId?: string | undefined } = {}): Promise<AgentRun[]> {
    validateRunStatus('listRunsByStatus', status);
    let q: Query = this.runs().where('status', '==', status);
    if (opts.runnerId !== undefined) q = q.where('runnerId', '==', opts.runnerId);
    const snap = await q.get();
    return snap.docs.map((d) => d.data() as RunDoc).sort(oldestRunFirst);
  }

  /** Equality filters only (agentId, status): single-field indexes, merged; an agent has few running runs. */
  async runningRunOf(agentId: string): Promise<AgentRun | null> {
    const snap = await this.runs().where('agentId', '==', agentId).where('status', '==', 'running').get();
    return snap.docs.map((d) => d.data() as RunDoc).sort(newestRunFirst)[0] ?? null;
  }

  /** Index: runs (ownerId ASC, agentId ASC, queuedAt ASC, costUsd ASC); sum() reads index entries. */
  async agentCostSince(ownerId: string, agentId: string, sinceMs: number): Promise<number> {
    validateUserId('agentCostSince', ownerId);
    validateTime('agentCostSince', 'sinceMs', sinceMs);
    const snap = await this.runs()
      .where('ownerId', '==', ownerId)
      .where('agentId', '==', agentId)
      .where('queuedAt', '>=', sinceMs)
      .aggregate({ costUsd: AggregateField.sum('costUsd') })
      .get();
    return snap.data().costUsd ?? 0;
  }
}
