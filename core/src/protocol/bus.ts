import { z } from 'zod';

/** Topics on the bus. In the cloud each is a Pub/Sub topic. */
export const Topics = {
  runnerJobs: 'runner-jobs',
  /** What Cloud Scheduler publishes when an agent's schedule fires (the `schedules` function takes it). */
  agentSchedules: 'agent-schedules',
} as const;

/** The message attribute naming the runner a job is for; each runner's subscription filters on it. */
export const runnerAttribute = 'runner';

/** A chat turn to run: the message is already stored. Ordering key: the session id. */
export const ChatTurnJob = z.object({
  v: z.literal(1),
  type: z.literal('chat.turn'),
  sessionId: z.string(),
  ownerId: z.string(),
  messageId: z.string(),
});
export type ChatTurnJob = z.infer<typeof ChatTurnJob>;

/**
 * The body of an agent's Cloud Scheduler job, published on `agent-schedules` each time the schedule
 * fires. Set when the schedule is saved; parsed again when it arrives (a job edited by hand in the
 * console must not get further than the function).
 */
export const ScheduleFire = z
  .object({
    v: z.literal(1),
    type: z.literal('agent.schedule'),
    agentId: z.string().min(1).max(128),
    ownerId: z.string().min(1).max(128),
  })
  .strict();
export type ScheduleFire = z.infer<typeof ScheduleFire>;

/** Run an agent headless on the owner's runner. Ordering key: the agent id (one run at a time). */
export const AgentRunJob = z.object({
  v: z.literal(1),
  type: z.literal('agent.run'),
  agentId: z.string(),
  ownerId: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  /** When the schedule fired or the person asked, ms since the epoch. */
  requestedAt: z.number().int(),
});
export type AgentRunJob = z.infer<typeof AgentRunJob>;

export const RunnerJob = z.discriminatedUnion('type', [ChatTurnJob, AgentRunJob]);
export type RunnerJob = z.infer<typeof RunnerJob>;
