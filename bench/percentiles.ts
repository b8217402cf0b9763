// Percentiles of latencies measured by the bench itself (nearest-rank, on the full sample).
export type Percentiles = { p50: number; p99: number; max: number };

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1]! };
}
