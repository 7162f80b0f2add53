import type { Bus } from '@agent-platform/core/ports';
import { RunnerJob, Topics } from '@agent-platform/core/protocol';
import type { Logger } from '../log.js';
import type { RunExecutor } from '../runs/executor.js';
import type { SessionManager } from '../sessions/manager.js';

/**
 * Takes runner jobs from the bus. A malformed job is logged and acknowledged (redelivering it could
 * never succeed); an infrastructure fault during a turn throws, so the bus delivers the job again.
 */
export async function consumeJobs(o: {
  bus: Bus;
  subscription: string;
  sessions: SessionManager;
  runs: RunExecutor;
  log: Logger;
  /**
   * In the runner pool: whether this runner serves the user now. A job for a user who has been
   * moved to another runner is acknowledged without running (the new runner was sent the job too).
   */
  serves?: ((userId: string) => Promise<boolean>) | undefined;
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
        // The placement is checked alongside the turn's own reads, not before them.
        if ((await o.sessions.runTurn(job, o.serves)) === 'served-elsewhere') {
          o.log.info('job for a user served elsewhere: dropped here', { id: msg.id, ownerId: job.ownerId });
        }
        return;
      case 'agent.run': {
        // Acknowledged once the run has started: it goes on without the message (see RunExecutor).
        const outcome = await o.runs.accept(job, o.serves);
        if (outcome !== 'started') o.log.debug('run job not run here', { id: msg.id, runId: job.runId, outcome });
        return;
      }
    }
  });
}
