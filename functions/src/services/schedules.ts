import type { Bus, Clock } from '@agent-platform/core/ports';
import { type AgentRunJob, runnerAttribute, ScheduleFire, Topics } from '@agent-platform/core/protocol';

export interface ScheduleDeps {
  bus: Bus;
  clock: Clock;
  placement?: { place(userId: string): Promise<{ runnerId: string }> } | undefined;
  log: (msg: string, details?: Record<string, unknown>) => void;
}

/**
 * What the `schedules` function does with one message from Cloud Scheduler: check it, and send an
 * `agent.run` job to the runner that serves the agent's owner. A malformed message is logged and
 * dropped (redelivering it could never succeed); a failure to place or publish throws, so Pub/Sub
 * delivers the message again.
 */
export async function dispatchSchedule(deps: ScheduleDeps, data: unknown): Promise<AgentRunJob | null> {
  const parsed = ScheduleFire.safeParse(data);
  if (!parsed.success) {
    deps.log('dropping a malformed schedule message', { issues: parsed.error.issues.slice(0, 5) });
    return null;
  }
  const fire = parsed.data;
  const job: AgentRunJob = {
    v: 1,
    type: 'agent.run',
    agentId: fire.agentId,
    ownerId: fire.ownerId,
    trigger: 'schedule',
    requestedAt: deps.clock.now(),
  };
  const runnerId = deps.placement ? (await deps.placement.place(fire.ownerId)).runnerId : undefined;
  await deps.bus.publish(Topics.runnerJobs, job, {
    orderingKey: `agent:${fire.agentId}`,
    attributes: { type: job.type, ...(runnerId ? { [runnerAttribute]: runnerId } : {}) },
  });
  return job;
}

/** The Pub/Sub message inside the CloudEvent the functions framework hands a Pub/Sub-triggered function. */
export function pubsubMessageData(event: { data?: unknown }): unknown {
  const message = (event.data as { message?: { data?: unknown } } | undefined)?.message;
  if (typeof message?.data !== 'string' || message.data.length > 64 * 1024) return undefined;
  try {
    return JSON.parse(Buffer.from(message.data, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}
