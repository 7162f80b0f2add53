import type { Bus } from '@agent-platform/core/ports';
import { type ChatTurnJob, Topics } from '@agent-platform/core/protocol';

/** Publishes the job that runs a stored message; the session id orders a conversation's turns. */
export async function publishChatTurn(bus: Bus, job: Omit<ChatTurnJob, 'v' | 'type'>): Promise<void> {
  const data: ChatTurnJob = { v: 1, type: 'chat.turn', ...job };
  await bus.publish(Topics.runnerJobs, data, { orderingKey: job.sessionId, attributes: { type: data.type } });
}

/** A session's title from its first message: the first line, cut at a word near 60 characters. */
export function titleFromText(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  if (line.length <= 60) return line;
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${space > 30 ? cut.slice(0, space) : cut}…`;
}
