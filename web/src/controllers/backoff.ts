export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest delay. Default 10 000 ms. */
  maxDelayMs?: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay, plus a random part up to
 * the other half. Many browsers reconnecting after a server restart then spread out instead of
 * arriving together, and no delay is ever near zero.
 * `attempt` counts from 0; `random` returns [0, 1).
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  const exponential = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
