/** Nearest-rank percentile of a sample, rounded to 0.1 ms. */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) throw new Error('empty sample');
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank] as number);
}

export const round = (n: number): number => Math.round(n * 10) / 10;

/** p50 and p95 of a sample (for breakdowns, where one figure hides too much). */
export function spread(sample: number[]): { p50: number; p95: number } {
  return { p50: percentile(sample, 50), p95: percentile(sample, 95) };
}

/**
 * p50 and p95 of one field over records, for each field named; records lacking the field are left out.
 * Each field is summarised on its own: the p50s of consecutive stages need not add up to the total's.
 */
export function spreads<K extends string>(
  records: Partial<Record<K, number>>[],
  keys: readonly K[],
): Record<K, { p50: number; p95: number }> {
  const out = {} as Record<K, { p50: number; p95: number }>;
  for (const k of keys) {
    const sample = records.flatMap((r) => (typeof r[k] === 'number' ? [r[k]] : []));
    if (sample.length > 0) out[k] = spread(sample);
  }
  return out;
}
