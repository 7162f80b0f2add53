import { randomUUID } from 'node:crypto';
import { type Agent, AgentLimits, type AgentRun, infraRunReasons, RunReasons } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { Bus, Clock, Store } from '@agent-platform/core/ports';
import { type AgentRunJob, type RunFinishedEvent, runnerAttribute, Topics } from '@agent-platform/core/protocol';

/** What starting runs needs: the store, the bus, and in the runner pool the owner's placement. */
export interface RunStartDeps {
  store: Store;
  bus: Bus;
  clock: Clock;
  /** The cloud's pool: the runner that serves the owner. Absent on one machine (one runner). */
  placement?: { place(userId: string): Promise<{ runnerId: string }> } | undefined;
  newId?: () => string;
}

/** Why a run is asked for; each kind has its own idempotency key, so a repeat makes no second run. */
export type RunRequest =
  | {
      trigger: 'schedule';
      /** The fire time: one run per agent and fire time, however often the fire is delivered. */
      scheduledFor: number;
    }
  | {
      trigger: 'manual';
      /** The browser's id for this click; a repeat (double click, retried POST) returns the same run. */
      requestId?: string | undefined;
    }
  | {
      trigger: 'retry';
      /** The run this one retries: at most one retry per run. */
      of: AgentRun;
    };

export interface StartedRun {
  run: AgentRun;
  /** False when an earlier identical request made the run. */
  created: boolean;
}

/**
 * Stores a run of the agent and sends it to the owner's runner. Idempotent per request (see
 * RunRequest). A scheduled run while the agent's previous run is still running is stored as
 * skipped with reason OVERLAP (the agent's overlap policy), and announced on `run-events`; a manual
 * run then is refused with CONFLICT. A run that exists already and is still queued is sent again:
 * the request may repeat because sending failed the first time, and the runner claims a run once.
 */
export async function startRun(deps: RunStartDeps, agent: Agent, req: RunRequest): Promise<StartedRun> {
  const { store, clock } = deps;
  const now = clock.now();
  const running = await store.runningRunOf(agent.id);
  const dedupeKey =
    req.trigger === 'schedule'
      ? `${agent.id}:schedule:${req.scheduledFor}`
      : req.trigger === 'retry'
        ? `${agent.id}:retry:${req.of.id}`
        : req.requestId
          ? `${agent.id}:manual:${req.requestId}`
          : null;
  if (running && req.trigger === 'manual') {
    // A repeat of the click that started the running run is that run, not a conflict.
    if (dedupeKey && running.dedupeKey === dedupeKey) return { run: running, created: false };
    throw new AppError(
      'CONFLICT',
      `${agent.name} is running now (run ${running.id}). Wait for it to end, or cancel it, then run it again.`,
      { runId: running.id },
    );
  }
  const overlap = running !== null && req.trigger === 'schedule';
  const id = (deps.newId ?? randomUUID)();
  const { run, created } = await store.createRun({
    id,
    agentId: agent.id,
    ownerId: agent.ownerId,
    trigger: req.trigger,
    // A run streams like a conversation, under its own id.
    sessionId: id,
    dedupeKey,
    scheduledFor: req.trigger === 'schedule' ? req.scheduledFor : req.trigger === 'retry' ? req.of.scheduledFor : null,
    attempt: req.trigger === 'retry' ? req.of.attempt + 1 : 1,
    ...(overlap ? { status: 'skipped' as const, reason: RunReasons.overlap } : {}),
    now,
  });
  if (run.status === 'skipped') {
    if (created) await publishRunFinished(deps.bus, run, agent.name);
  } else if (run.status === 'queued') {
    await sendRunJob(deps, run);
  }
  return { run, created };
}

/** Sends a stored, queued run to the runner that serves its owner. */
export async function sendRunJob(
  deps: Pick<RunStartDeps, 'bus' | 'placement'>,
  run: Pick<AgentRun, 'id' | 'agentId' | 'ownerId'>,
): Promise<void> {
  const job: AgentRunJob = { v: 1, type: 'agent.run', runId: run.id, agentId: run.agentId, ownerId: run.ownerId };
  const runnerId = deps.placement ? (await deps.placement.place(run.ownerId)).runnerId : undefined;
  await deps.bus.publish(Topics.runnerJobs, job, {
    orderingKey: `agent:${run.agentId}`,
    attributes: { type: job.type, ...(runnerId ? { [runnerAttribute]: runnerId } : {}) },
  });
}

/** Announces a run's end on `run-events` (webhooks, in-app notifications, other integrations). */
export async function publishRunFinished(bus: Bus, run: AgentRun, agentName: string): Promise<void> {
  const event: RunFinishedEvent = { v: 1, type: 'run.finished', run, agentName };
  await bus.publish(Topics.runEvents, event, { attributes: { type: event.type, status: run.status } });
}

/** Whether a failed run failed because of the platform (retried with backoff), not because of the agent. */
export const isInfraFailure = (run: AgentRun): boolean =>
  run.status === 'failed' && run.reason !== null && infraRunReasons.includes(run.reason);

/** Whether an infrastructure failure may be retried automatically once more. */
export const mayRetryAutomatically = (run: AgentRun): boolean =>
  isInfraFailure(run) && run.attempt <= AgentLimits.runInfraRetries;

/** The wait before automatic retry number `attempt` (1-based): 15 s, then 60 s, … at most 10 min. */
export const retryDelayMs = (attempt: number, baseMs = 15_000): number =>
  Math.min(baseMs * 4 ** Math.max(0, attempt - 1), 10 * 60_000);
