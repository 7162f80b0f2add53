import { randomBytes } from 'node:crypto';
import type { Agent, AgentSchedule } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { Clock, Principal, Scheduler, Store } from '@agent-platform/core/ports';
import {
  type AgentListResponse,
  type AgentResponse,
  type AgentSummary,
  CreateAgentBody,
  encodeRunCursor,
  ListRunsQuery,
  type RunListResponse,
  UpdateAgentBody,
} from '@agent-platform/core/protocol';
import { describeSchedule, nextRuns } from '@agent-platform/core/schedule';
import type { Hono } from 'hono';
import type { BlankSchema } from 'hono/types';
import type { ApiEnv } from '../app.js';
import { parseJsonBody, parseQuery } from '../http/parse.js';

export interface AgentRouteDeps {
  store: Store;
  clock: Clock;
  newId: () => string;
  /** Arms each agent's schedule (in-process locally, Cloud Scheduler in the cloud); absent: none fire. */
  scheduler?: Scheduler | undefined;
}

const startOfMonthUtc = (now: number): number => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

/** The schedule that fires: an active agent's, when enabled. */
const armedSchedule = (agent: Agent): AgentSchedule | null =>
  agent.schedule?.enabled && agent.status === 'active' ? agent.schedule : null;

const newWebhookSecret = (): string => randomBytes(32).toString('base64url');

/**
 * The agents API: the dashboard's list, one agent with its instruction history, create, change
 * (pause and resume included), delete, and an agent's runs. A schedule is armed, changed or removed
 * in the same request that changes the agent, so no timer or Cloud Scheduler job outlives it.
 */
export function registerAgentRoutes(app: Hono<ApiEnv, BlankSchema, '/api'>, deps: AgentRouteDeps): void {
  const { store, clock } = deps;

  const owned = async (principal: Principal, id: string): Promise<Agent> => {
    const agent = id.length <= 128 ? await store.getAgent(principal.userId, id) : null;
    if (!agent) throw new AppError('NOT_FOUND', `No agent ${id.slice(0, 128)} for this account.`);
    return agent;
  };

  const summarize = async (agent: Agent): Promise<AgentSummary> => {
    const now = clock.now();
    const [last, monthCostUsd] = await Promise.all([
      store.listRuns(agent.ownerId, { agentId: agent.id, limit: 1 }),
      store.agentCostSince(agent.ownerId, agent.id, startOfMonthUtc(now)),
    ]);
    const s = agent.schedule;
    const armed = armedSchedule(agent);
    return {
      agent,
      scheduleText: s ? { en: describeSchedule(s, 'en'), ko: describeSchedule(s, 'ko') } : null,
      nextRunAt: armed ? (nextRuns(armed, now, 1)[0] ?? null) : null,
      lastRun: last[0] ?? null,
      monthCostUsd,
    };
  };

  /** Makes the scheduler agree with the agent: armed while active with an enabled schedule. */
  const syncSchedule = async (agent: Agent): Promise<void> => {
    if (!deps.scheduler) return;
    const armed = armedSchedule(agent);
    if (armed) {
      await deps.scheduler.upsert({ agentId: agent.id, ownerId: agent.ownerId, schedule: armed });
    } else {
      await deps.scheduler.remove(agent.id);
    }
  };

  const response = async (agent: Agent, extra: { webhookSecret?: string } = {}): Promise<AgentResponse> => ({
    summary: await summarize(agent),
    versions: (await store.listAgentVersions(agent.ownerId, agent.id)) ?? [],
    ...extra,
  });

  app.get('/agents', async (c) => {
    const agents = await store.listAgents(c.get('principal').userId);
    return c.json({ agents: await Promise.all(agents.map(summarize)) } satisfies AgentListResponse);
  });

  app.post('/agents', async (c) => {
    const spec = await parseJsonBody(c, CreateAgentBody);
    const webhookSecret = spec.notifications.webhookUrl ? newWebhookSecret() : null;
    const agent = await store.createAgent({
      id: deps.newId(),
      ownerId: c.get('principal').userId,
      spec,
      webhookSecret,
      now: clock.now(),
    });
    await syncSchedule(agent);
    return c.json(await response(agent, webhookSecret ? { webhookSecret } : {}), 201);
  });

  app.get('/agents/:id', async (c) => c.json(await response(await owned(c.get('principal'), c.req.param('id')))));

  app.patch('/agents/:id', async (c) => {
    const patch = await parseJsonBody(c, UpdateAgentBody);
    const principal = c.get('principal');
    const before = await owned(principal, c.req.param('id'));
    // A webhook added where there was none gets a secret (shown in this answer only); removed, it goes.
    const addsWebhook = patch.notifications?.webhookUrl && !before.notifications.webhookUrl;
    const dropsWebhook = patch.notifications !== undefined && !patch.notifications.webhookUrl;
    const webhookSecret = addsWebhook ? newWebhookSecret() : undefined;
    const agent = await store.updateAgent(
      principal.userId,
      before.id,
      { ...patch, ...(webhookSecret ? { webhookSecret } : dropsWebhook ? { webhookSecret: null } : {}) },
      clock.now(),
    );
    if (!agent) throw new AppError('NOT_FOUND', `No agent ${before.id} for this account.`);
    await syncSchedule(agent);
    return c.json(await response(agent, webhookSecret ? { webhookSecret } : {}));
  });

  app.delete('/agents/:id', async (c) => {
    const principal = c.get('principal');
    const agent = await owned(principal, c.req.param('id'));
    // The schedule goes first: an agent may briefly exist without one, never a schedule without its agent.
    await deps.scheduler?.remove(agent.id);
    if (!(await store.deleteAgent(principal.userId, agent.id))) {
      throw new AppError('NOT_FOUND', `No agent ${agent.id} for this account.`);
    }
    return c.body(null, 204);
  });

  app.get('/agents/:id/runs', async (c) => {
    const q = parseQuery(c, ListRunsQuery);
    const agent = await owned(c.get('principal'), c.req.param('id'));
    const runs = await store.listRuns(agent.ownerId, {
      agentId: agent.id,
      status: q.status,
      limit: q.limit + 1,
      before: q.before,
    });
    const page = runs.slice(0, q.limit);
    const last = page.at(-1);
    const nextBefore = runs.length > q.limit && last ? encodeRunCursor(last) : null;
    return c.json({ runs: page, nextBefore } satisfies RunListResponse);
  });
}
