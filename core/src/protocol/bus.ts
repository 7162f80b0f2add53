import { z } from 'zod';
import { AgentRun } from '../domain/index.js';

/** Topics on the bus. In the cloud each is a Pub/Sub topic. */
export const Topics = {
  runnerJobs: 'runner-jobs',
  /** What Cloud Scheduler publishes when an agent's schedule fires (the `schedules` function takes it). */
  agentSchedules: 'agent-schedules',
  /** Every run's end (run.finished), for integrations: webhooks, in-app notifications, anything else. */
  runEvents: 'run-events',
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

/**
 * Run an agent headless on the owner's runner. The run is already stored (queued); the runner claims
 * it with a compare-and-set, so a job delivered twice runs it once. Ordering key: the agent id.
 */
export const AgentRunJob = z.object({
  v: z.literal(1),
  type: z.literal('agent.run'),
  runId: z.string().min(1).max(128),
  agentId: z.string().min(1).max(128),
  ownerId: z.string().min(1).max(128),
});
export type AgentRunJob = z.infer<typeof AgentRunJob>;

export const RunnerJob = z.discriminatedUnion('type', [ChatTurnJob, AgentRunJob]);
export type RunnerJob = z.infer<typeof RunnerJob>;

/** Published on `run-events` when a run ends (any terminal status, skipped included). */
export const RunFinishedEvent = z.object({
  v: z.literal(1),
  type: z.literal('run.finished'),
  run: AgentRun,
  /** The agent's name when the run ended (the agent may be deleted since). */
  agentName: z.string(),
});
export type RunFinishedEvent = z.infer<typeof RunFinishedEvent>;
