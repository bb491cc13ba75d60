/** Figures the benches report: percentiles, rounding, histograms (peak memory: ../memory-sampler.ts). */

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const round3 = (v: number): number => Number(v.toFixed(3));

/** Counts of `key(x)` over `xs`, largest first. */
export function histogram<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1]));
}
