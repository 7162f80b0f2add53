import { createHash } from 'node:crypto';
import { type Agent, AgentLimits, type Notification, RunReasons } from '@agent-platform/core/domain';
import type { Bus, Clock, Store } from '@agent-platform/core/ports';
import { RunFinishedEvent, Topics } from '@agent-platform/core/protocol';
import type { Logger } from '../log.js';
import type { LookupAll } from './address-guard.js';
import { deliverWebhook, type WebhookFetch, type WebhookOutcome, webhookPayload } from './webhook.js';

export interface RunNotifierOptions {
  bus: Bus;
  /** The subscription on `run-events` (each process that notifies needs its own name). */
  subscription: string;
  store: Store;
  log: Logger;
  clock: Clock;
  /** True: webhooks may go to loopback and private addresses (local one-machine mode, tests). */
  allowPrivateNetworks: boolean;
  /** Default: node:http(s) pinned to the checked addresses (see deliverWebhook). */
  fetch?: WebhookFetch | undefined;
  /** Waits between webhook tries. Default: real timers. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Resolves webhook hosts. Default node:dns. */
  lookup?: LookupAll | undefined;
  /** Webhook tries per run, the first included. Default 5. */
  webhookMaxAttempts?: number | undefined;
}

/**
 * Tells owners that their agents' runs ended: an in-app notification and/or a signed webhook post,
 * as each agent's `notifications` settings say. Returns the function that stops it.
 *
 * What goes where:
 * - Webhooks get every terminal run, skipped and cancelled ones included: an integration decides
 *   by itself what it cares about, and must be able to see everything.
 * - In-app: one notification per run (id `run:<run id>`), except that
 *   - skipped runs (the previous run was still going) collapse to one notification per agent and
 *     UTC day: a frequent schedule with a long run would otherwise fill the bell with skips, and
 *     one is enough to tell the person that runs overlap (the runs list shows each);
 *   - a run the owner cancelled gets none: they know, they just did it.
 *
 * Delivery is at least once and idempotent: notifications are stored by id (a repeat is a no-op),
 * and a webhook carries the run id as its delivery id. A webhook that still fails after its last
 * try is logged and given up, so one broken receiver never holds the message forever; a failing
 * store (or bus) throws, so the message comes again. Stopping cuts webhook retries short and leaves
 * their messages unacknowledged, so they are delivered again after a restart (Pub/Sub: elsewhere).
 */
export async function startRunNotifier(opts: RunNotifierOptions): Promise<() => Promise<void>> {
  const { store, log, clock } = opts;
  // Aborted by the returned stop function: webhook retries must not hold a stopping process for minutes.
  const stopping = new AbortController();

  const notifyInApp = async (event: RunFinishedEvent): Promise<void> => {
    const run = event.run;
    if (run.status === 'cancelled' && run.reason === RunReasons.cancelled) return;
    const at = run.endedAt ?? clock.now();
    const notification: Notification = {
      id: run.status === 'skipped' ? skippedNotificationId(run.ownerId, run.agentId, at) : `run:${run.id}`,
      userId: run.ownerId,
      kind: 'run.finished',
      runId: run.id,
      agentId: run.agentId,
      agentName: event.agentName.slice(0, AgentLimits.nameChars),
      status: run.status,
      reason: run.reason,
      costUsd: run.costUsd,
      at,
      readAt: null,
    };
    await store.addNotification(notification);
  };

  const postWebhook = async (event: RunFinishedEvent, agent: Agent, webhookUrl: string): Promise<void> => {
    const run = event.run;
    // Only the host is logged: many receivers (chat webhooks) carry their own secret in the path.
    const host = safeHost(webhookUrl);
    const secret = await store.getAgentWebhookSecret(run.ownerId, agent.id);
    if (!secret) {
      log.error('webhook not sent: the agent has a webhook URL but no secret; set the webhook again', {
        agentId: agent.id,
        runId: run.id,
        host,
      });
      return;
    }
    const fields = { agentId: agent.id, runId: run.id, ownerId: run.ownerId, host };
    let outcome: WebhookOutcome;
    try {
      outcome = await deliverWebhook({
        url: webhookUrl,
        secret,
        payload: webhookPayload(event),
        allowPrivateNetworks: opts.allowPrivateNetworks,
        maxAttempts: opts.webhookMaxAttempts,
        sleep: opts.sleep,
        now: () => clock.now(),
        fetch: opts.fetch,
        lookup: opts.lookup,
        signal: stopping.signal,
      });
    } catch (e) {
      // Thrown on: the message is not acknowledged, and comes again (to this process or another).
      if (stopping.signal.aborted) log.info('webhook interrupted by shutdown; the run event will come again', fields);
      throw e;
    }
    const done = { ...fields, attempts: outcome.attempts };
    if (outcome.ok) log.info('webhook delivered', { ...done, status: outcome.status });
    else log.warn('webhook failed; given up', { ...done, lastStatus: outcome.status, error: outcome.error });
  };

  const unsubscribe = await opts.bus.subscribe(Topics.runEvents, opts.subscription, async (msg) => {
    const parsed = RunFinishedEvent.safeParse(msg.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      log.warn('run event dropped: not a valid run.finished message', {
        messageId: msg.id,
        issue: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : undefined,
      });
      return;
    }
    const event = parsed.data;
    const run = event.run;
    if (run.status === 'queued' || run.status === 'running') {
      log.warn('run event dropped: the run has not ended', { messageId: msg.id, runId: run.id, status: run.status });
      return;
    }
    const agent = await store.getAgent(run.ownerId, run.agentId);
    if (!agent) {
      log.info('run ended for a deleted agent; nobody to notify', { runId: run.id, agentId: run.agentId });
      return;
    }
    const { inApp, webhookUrl } = agent.notifications;
    // In-app first: it is cheap and idempotent, so a redelivery after a store error repeats nothing.
    if (inApp) await notifyInApp(event);
    if (webhookUrl) await postWebhook(event, agent, webhookUrl);
  });
  return async () => {
    stopping.abort(new Error('The run notifier is stopping.'));
    await unsubscribe();
  };
}

/** One id per agent and UTC day, so that the store keeps the first skip of the day only. */
function skippedNotificationId(ownerId: string, agentId: string, at: number): string {
  const day = new Date(at).toISOString().slice(0, 10);
  const agent = createHash('sha256').update(`${ownerId}\n${agentId}`).digest('hex').slice(0, 32);
  return `run-skipped:${day}:${agent}`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
