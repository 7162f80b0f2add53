import type { Bus } from '@agent-platform/core/ports';
import { type ChatTurnJob, runnerAttribute, Topics } from '@agent-platform/core/protocol';

/**
 * Publishes the job that runs a stored message; the session id orders a conversation's turns. With a
 * runner id (the cloud's pool) the job carries it in the `runner` attribute, which that runner's
 * subscription filters on.
 */
export async function publishChatTurn(
  bus: Bus,
  job: Omit<ChatTurnJob, 'v' | 'type'>,
  runnerId?: string | undefined,
): Promise<void> {
  const data: ChatTurnJob = { v: 1, type: 'chat.turn', ...job };
  const attributes: Record<string, string> = { type: data.type, ...(runnerId ? { [runnerAttribute]: runnerId } : {}) };
  await bus.publish(Topics.runnerJobs, data, { orderingKey: job.sessionId, attributes });
}

/** A session's title from its first message: the first line, cut at a word near 60 characters. */
export function titleFromText(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  if (line.length <= 60) return line;
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${space > 30 ? cut.slice(0, space) : cut}…`;
}
