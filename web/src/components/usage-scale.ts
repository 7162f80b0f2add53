import type { UsageResponse } from '@agent-platform/core/protocol';

/**
 * The top of a cost axis: the smallest "round" number (1, 2, 2.5 or 5 times a power of ten) at or
 * above `max`, so that the axis reads $0.25, $0.50… rather than $0.2317. 0 or less gives 0.01.
 */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 0.01;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const top = step * power;
    // Float noise (0.1 * 3 = 0.30000000000000004) must not push a round max to the next step.
    if (top >= max * (1 - 1e-9)) return Number(top.toPrecision(12));
  }
  return 10 * power;
}

/** `count` + 1 evenly spaced values from 0 to `top`, for the axis labels and grid lines. */
export function axisTicks(top: number, count = 4): number[] {
  return Array.from({ length: count + 1 }, (_, i) => Number(((top * i) / count).toPrecision(12)));
}

/** One coloured part of the stacked bars: an agent, the other agents together, or the conversations. */
export interface UsageSeries {
  /** An agent id, or `other` / `chat`. */
  key: string;
  kind: 'agent' | 'other' | 'chat';
  /** The agent's name (empty for `other` and `chat`, which the page names in its language). */
  name: string;
  deleted: boolean;
}

export interface StackedDay {
  day: string;
  total: number;
  /** Cost per series, in the order of `series`. */
  parts: number[];
}

/**
 * The days as stacked bars: the `maxAgents` costliest agents each on their own, the rest of the
 * agents together, and what is left of the day's cost (chats with Claude) on top.
 */
export function stackUsage(
  usage: Pick<UsageResponse, 'days' | 'agents'>,
  maxAgents = 5,
): {
  series: UsageSeries[];
  days: StackedDay[];
} {
  const ranked = [...usage.agents].sort((a, b) => b.costUsd - a.costUsd).filter((a) => a.costUsd > 0);
  const own = ranked.slice(0, maxAgents);
  const rest = ranked.slice(maxAgents);
  const series: UsageSeries[] = own.map((a) => ({ key: a.agentId, kind: 'agent', name: a.name, deleted: a.deleted }));
  if (rest.length > 0) series.push({ key: 'other', kind: 'other', name: '', deleted: false });
  series.push({ key: 'chat', kind: 'chat', name: '', deleted: false });
  const days = usage.days.map((d) => {
    const agentParts = own.map((a) => a.byDay[d.day] ?? 0);
    const otherPart = rest.reduce((sum, a) => sum + (a.byDay[d.day] ?? 0), 0);
    const agentsTotal = agentParts.reduce((s, n) => s + n, 0) + otherPart;
    const parts = [...agentParts, ...(rest.length > 0 ? [otherPart] : []), Math.max(0, d.costUsd - agentsTotal)];
    return { day: d.day, total: Math.max(d.costUsd, agentsTotal), parts };
  });
  return { series, days };
}

/** The costliest day, or null when nothing was spent. */
export function peakDay(days: readonly { day: string; costUsd: number }[]): { day: string; costUsd: number } | null {
  let peak: { day: string; costUsd: number } | null = null;
  for (const d of days) if (d.costUsd > 0 && (!peak || d.costUsd > peak.costUsd)) peak = d;
  return peak;
}

/** The share of the monthly budget spent (0..), or null without a budget. */
export function budgetShare(spentUsd: number, budgetUsd: number | null): number | null {
  if (budgetUsd === null) return null;
  if (budgetUsd <= 0) return spentUsd > 0 ? Number.POSITIVE_INFINITY : 0;
  return spentUsd / budgetUsd;
}

/** From this share of the budget on, the page warns. */
export const budgetWarnShare = 0.8;
