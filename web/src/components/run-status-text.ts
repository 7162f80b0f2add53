import { AgentLimits, type AgentRun, infraRunReasons, type RunStatus } from '@agent-platform/core/protocol';
import type { Messages } from '../i18n/index.js';

/** A run that has not ended yet: pages that show it keep asking for news while one is there. */
export const isActiveRun = (status: RunStatus): boolean => status === 'queued' || status === 'running';

/**
 * Why a run ended as it did, in plain words: the platform's own reasons (OVERLAP, TIMEOUT, …) in
 * the page's language, any other reason (an error's text) as it came; null when there is none.
 */
export function runReasonText(t: Messages, reason: string | null): string | null {
  if (reason === null || reason.trim() === '') return null;
  return t.runs.reasons[reason] ?? reason;
}

/**
 * After the reason of a run that failed because of the platform, not the agent: says so, and
 * whether it is tried again by itself (it is until its attempts are used up); null otherwise.
 */
export function runInfraNote(t: Messages, run: Pick<AgentRun, 'status' | 'reason' | 'attempt'>): string | null {
  if (run.status !== 'failed' || run.reason === null || !infraRunReasons.includes(run.reason)) return null;
  return run.attempt <= AgentLimits.runInfraRetries ? t.runs.infraRetried : t.runs.infraNote;
}

/** The duration to show: the run's own once it ended, the time so far while it runs, null otherwise. */
export function runDurationMs(run: Pick<AgentRun, 'startedAt' | 'durationMs'>, nowMs: number): number | null {
  if (run.durationMs !== null) return run.durationMs;
  return run.startedAt === null ? null : Math.max(0, nowMs - run.startedAt);
}
