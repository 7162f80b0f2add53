import type { AgentRun, RunCursor } from '@agent-platform/core/domain';
import type { Clock, Store } from '@agent-platform/core/ports';
import { UsageQuery, type UsageResponse } from '@agent-platform/core/protocol';
import type { Hono } from 'hono';
import type { BlankSchema } from 'hono/types';
import type { ApiEnv } from '../app.js';
import { parseQuery } from '../http/parse.js';

export interface UsageRouteDeps {
  store: Store;
  clock: Clock;
  /** Each person's monthly spending limit in USD (UTC calendar month); null: none. */
  monthlyBudgetUsd: number | null;
  /** Runs read per request for the per-agent totals, newest first; older ones are left out. Default 5000. */
  maxRunsScanned?: number | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RUNS_PAGE = 100;

/** What a deleted agent is called in the totals (its runs stay; its name went with it). */
export const DELETED_AGENT_NAME = 'Deleted agent';

const startOfDayUtc = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const startOfMonthUtc = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
/** Sums of float dollars drift (0.1 + 0.2); a millionth of a dollar is finer than any price. */
const usd = (n: number): number => Math.round(n * 1e6) / 1e6;

type AgentTotals = UsageResponse['agents'][number];

/**
 * GET /usage?days=N: what the person's model use cost, per UTC day (today and the N-1 days before),
 * per agent over the same days, this month so far, and the monthly budget.
 *
 * Days sum all metered model use (chats and runs). Agents sum their runs queued in the range,
 * skipped runs left out (they never ran); a run counts on the UTC day it was queued.
 */
export function registerUsageRoutes(app: Hono<ApiEnv, BlankSchema, '/api'>, deps: UsageRouteDeps): void {
  const { store, clock } = deps;
  const maxRuns = deps.maxRunsScanned ?? 5000;

  /** The owner's runs queued at or after `since`, newest first, at most maxRuns. */
  const runsSince = async (ownerId: string, since: number): Promise<AgentRun[]> => {
    const out: AgentRun[] = [];
    let before: RunCursor | undefined;
    while (out.length < maxRuns) {
      const page = await store.listRuns(ownerId, { limit: Math.min(RUNS_PAGE, maxRuns - out.length), before });
      for (const run of page) {
        if (run.queuedAt < since) return out;
        out.push(run);
      }
      const last = page.at(-1);
      if (!last || page.length < RUNS_PAGE) return out;
      before = { queuedAt: last.queuedAt, id: last.id };
    }
    return out;
  };

  app.get('/usage', async (c) => {
    const { days } = parseQuery(c, UsageQuery);
    const ownerId = c.get('principal').userId;
    const now = clock.now();
    const from = startOfDayUtc(now) - (days - 1) * DAY_MS;

    const [byDay, runs, agents, month] = await Promise.all([
      store.usageByDay(ownerId, from),
      runsSince(ownerId, from),
      store.listAgents(ownerId),
      store.usageSince(ownerId, startOfMonthUtc(now)),
    ]);

    const recorded = new Map(byDay.map((d) => [d.day, d]));
    const dayList: UsageResponse['days'] = [];
    for (let i = 0; i < days; i++) {
      const day = dayOf(from + i * DAY_MS);
      const d = recorded.get(day);
      dayList.push({
        day,
        costUsd: usd(d?.costUsd ?? 0),
        inputTokens: d?.inputTokens ?? 0,
        outputTokens: d?.outputTokens ?? 0,
      });
    }

    const names = new Map(agents.map((a) => [a.id, a.name]));
    const totals = new Map<string, AgentTotals>();
    for (const run of runs) {
      if (run.status === 'skipped') continue;
      let t = totals.get(run.agentId);
      if (!t) {
        const name = names.get(run.agentId);
        t = {
          agentId: run.agentId,
          name: name ?? DELETED_AGENT_NAME,
          deleted: name === undefined,
          runs: 0,
          costUsd: 0,
          inputTokens: 0,
          outputTokens: 0,
          byDay: {},
        };
        totals.set(run.agentId, t);
      }
      t.runs += 1;
      t.costUsd += run.costUsd;
      t.inputTokens += run.tokens.inputTokens;
      t.outputTokens += run.tokens.outputTokens;
      const day = dayOf(run.queuedAt);
      t.byDay[day] = (t.byDay[day] ?? 0) + run.costUsd;
    }
    const agentList = [...totals.values()]
      .map((t) => ({
        ...t,
        costUsd: usd(t.costUsd),
        byDay: Object.fromEntries(Object.entries(t.byDay).map(([d, v]) => [d, usd(v)])),
      }))
      .sort((a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.agentId.localeCompare(b.agentId));

    return c.json({
      days: dayList,
      agents: agentList,
      monthCostUsd: usd(month.costUsd),
      monthlyBudgetUsd: deps.monthlyBudgetUsd,
    } satisfies UsageResponse);
  });
}
