import { z } from 'zod';

/** Topics on the bus. In the cloud each is a Pub/Sub topic. */
export const Topics = {
  runnerJobs: 'runner-jobs',
} as const;

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
