import type { Agent } from '@agent-platform/core/domain';
import type { Scheduler } from '@agent-platform/core/ports';
import { ScheduleFire } from '@agent-platform/core/protocol';
import { previousRun } from '@agent-platform/core/schedule';
import { type RunStartDeps, type StartedRun, startRun } from './runs.js';

export interface ScheduleDeps extends RunStartDeps {
  /** Removes the Cloud Scheduler job of an agent that no longer exists (an orphan). */
  scheduler?: Pick<Scheduler, 'remove'> | undefined;
  log: (msg: string, details?: Record<string, unknown>) => void;
}

/** How late after its fire time Cloud Scheduler may publish and still be matched to that fire time. */
const PUBLISH_SLACK_MS = 5 * 60_000;

/** Whether the agent's schedule fires now: an active agent with an enabled schedule. */
const firing = (agent: Agent | null): agent is Agent & { schedule: NonNullable<Agent['schedule']> } =>
  agent !== null && agent.status === 'active' && agent.schedule?.enabled === true;

/**
 * One firing of an agent's schedule, from either scheduler: the run for `scheduledFor` is stored
 * (once, however often the firing is delivered; skipped with OVERLAP while the previous run still
 * runs) and sent to the owner's runner. An agent deleted, paused or unscheduled meanwhile makes no run.
 */
export async function runScheduled(
  deps: ScheduleDeps,
  fire: { agentId: string; ownerId: string; scheduledFor: number },
  /** The agent as just read (null: it does not exist), when the caller has it; else it is read here. */
  loaded?: Agent | null,
): Promise<StartedRun | null> {
  const agent = loaded !== undefined ? loaded : await deps.store.getAgent(fire.ownerId, fire.agentId);
  if (!agent) {
    deps.log('schedule of a deleted agent fired: its job is removed', { agentId: fire.agentId });
    await deps.scheduler?.remove(fire.agentId);
    return null;
  }
  if (!firing(agent)) {
    deps.log('schedule of a paused or unscheduled agent fired: no run', { agentId: agent.id });
    return null;
  }
  return startRun(deps, agent, { trigger: 'schedule', scheduledFor: fire.scheduledFor });
}

/**
 * What the `schedules` function does with one message from Cloud Scheduler. The message carries no
 * fire time, so it is the schedule's latest fire time at or before the message's publish time (a
 * redelivery has the same publish time, hence the same run). A malformed message is logged and
 * dropped (redelivering it could never succeed); a store, placement or bus failure throws, so
 * Pub/Sub delivers the message again.
 */
export async function dispatchSchedule(
  deps: ScheduleDeps,
  data: unknown,
  publishTimeMs?: number | undefined,
): Promise<StartedRun | null> {
  const parsed = ScheduleFire.safeParse(data);
  if (!parsed.success) {
    deps.log('dropping a malformed schedule message', { issues: parsed.error.issues.slice(0, 5) });
    return null;
  }
  const { agentId, ownerId } = parsed.data;
  const published = publishTimeMs ?? deps.clock.now();
  const agent = await deps.store.getAgent(ownerId, agentId);
  const fireTime = firing(agent) ? previousRun(agent.schedule, published) : null;
  // Published a moment before the fire time by a skewed clock: the fire time just after it.
  const scheduledFor = fireTime !== null && published - fireTime <= PUBLISH_SLACK_MS ? fireTime : published;
  return runScheduled(deps, { agentId, ownerId, scheduledFor }, agent);
}

/** The Pub/Sub message inside the CloudEvent the functions framework hands a Pub/Sub-triggered function. */
export function pubsubMessage(event: { data?: unknown }): { data: unknown; publishTimeMs: number | undefined } {
  const message = (event.data as { message?: { data?: unknown; publishTime?: unknown } } | undefined)?.message;
  const publishTimeMs =
    typeof message?.publishTime === 'string' && Number.isFinite(Date.parse(message.publishTime))
      ? Date.parse(message.publishTime)
      : undefined;
  if (typeof message?.data !== 'string' || message.data.length > 64 * 1024) return { data: undefined, publishTimeMs };
  try {
    return { data: JSON.parse(Buffer.from(message.data, 'base64').toString('utf8')), publishTimeMs };
  } catch {
    return { data: undefined, publishTimeMs };
  }
}
