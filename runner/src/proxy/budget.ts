import { AppError } from '@agent-platform/core/errors';

/** The calendar month (UTC) that holds `nowMs`: budgets reset at 00:00 UTC on the 1st. */
export function monthUtc(nowMs: number): { startMs: number; endMs: number } {
  const d = new Date(nowMs);
  return {
    startMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    endMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The error for a spent monthly budget. Its message reaches the user verbatim: Claude Code shows an
 * API error's message as the turn's text ("API Error: 402 <message>"), so it says what happened,
 * when it ends, and how to go on.
 */
export function budgetExceeded(limitUsd: number, spentUsd: number, nowMs: number): AppError {
  const { startMs, endMs } = monthUtc(nowMs);
  return new AppError(
    'BUDGET_EXCEEDED',
    `Your monthly budget of ${usd(limitUsd)} on Agent Platform is spent (${usd(spentUsd)} used since ` +
      `${day(startMs)}), so Claude cannot answer until it resets on ${day(endMs)} (UTC). ` +
      'To continue now, raise the limit (MONTHLY_BUDGET_USD in the runner settings) or ask your administrator to.',
    { limitUsd, spentUsd, periodStartMs: startMs, resetsAtMs: endMs },
  );
}
