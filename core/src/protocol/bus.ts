import { z } from 'zod';

/** Topics on the bus. In the cloud each is a Pub/Sub topic. */
export const Topics = {
  runnerJobs: 'runner-jobs',
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

export const RunnerJob = z.discriminatedUnion('type', [ChatTurnJob]);
export type RunnerJob = z.infer<typeof RunnerJob>;
