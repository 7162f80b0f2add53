import type { Bus } from '@agent-platform/core/ports';
import { RunnerJob, Topics } from '@agent-platform/core/protocol';
import type { Logger } from '../log.js';
import type { SessionManager } from '../sessions/manager.js';

/**
 * Takes runner jobs from the bus. A malformed job is logged and acknowledged (redelivering it could
 * never succeed); an infrastructure fault during a turn throws, so the bus delivers the job again.
 */
export async function consumeJobs(o: {
  bus: Bus;
  subscription: string;
  sessions: SessionManager;
  log: Logger;
}): Promise<() => Promise<void>> {
  return o.bus.subscribe(Topics.runnerJobs, o.subscription, async (msg) => {
    const parsed = RunnerJob.safeParse(msg.data);
    if (!parsed.success) {
      o.log.error('dropping malformed runner job', { id: msg.id, issues: parsed.error.issues.slice(0, 5) });
      return;
    }
    const job = parsed.data;
    switch (job.type) {
      case 'chat.turn':
        await o.sessions.runTurn(job);
        return;
    }
  });
}
