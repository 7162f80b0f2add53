/** Nearest-rank percentile of a sample, rounded to 0.1 ms. */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) throw new Error('empty sample');
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank] as number);
}

export const round = (n: number): number => Math.round(n * 10) / 10;
