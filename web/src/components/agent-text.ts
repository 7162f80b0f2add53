import type { AgentSummary } from '@agent-platform/core/protocol';
import type { Locale, Messages } from '../i18n/index.js';

/**
 * The agent's schedule in words in the page's language ("every day at 09:00 (Asia/Seoul)"), "Runs
 * only when asked" without one, and a note when the schedule is turned off.
 */
export function scheduleWords(
  t: Messages,
  locale: Locale,
  summary: Pick<AgentSummary, 'agent' | 'scheduleText'>,
): string {
  const words = summary.scheduleText?.[locale];
  if (!words || !summary.agent.schedule) return t.agents.onlyWhenAsked;
  return summary.agent.schedule.enabled ? words : t.agents.scheduleOff(words);
}

/** Why there is no next run: paused, the schedule turned off, or no schedule at all. */
export function noNextRunText(t: Messages, summary: Pick<AgentSummary, 'agent'>): string {
  if (summary.agent.status === 'paused') return t.agents.noNextRunPaused;
  return t.agents.noNextRun;
}

/** What this month's agent runs cost together. */
export const totalMonthCostUsd = (agents: readonly Pick<AgentSummary, 'monthCostUsd'>[]): number =>
  agents.reduce((sum, a) => sum + a.monthCostUsd, 0);
