/**
 * The simulated CloudWatch metric store: samples per metric (namespace, name, dimensions),
 * aggregated into periods by statistic the way CloudWatch does (periods aligned to the epoch).
 */

export type Stat = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';
export const STATS: readonly Stat[] = ['Sum', 'Maximum', 'Minimum', 'Average', 'SampleCount'];

export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

interface Sample {
  atMs: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  unit?: string;
}

export interface Datapoint {
  /** Start of the period. */
  atMs: number;
  value: number;
  sampleCount: number;
  unit?: string;
}

export const metricKey = (m: MetricId): string =>
  JSON.stringify([m.namespace, m.metricName, Object.entries(m.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);

export const alignDown = (ms: number, periodSeconds: number): number => Math.floor(ms / (periodSeconds * 1000)) * periodSeconds * 1000;

export class MetricStore {
  private readonly samples = new Map<string, { id: MetricId; samples: Sample[] }>();

  put(id: MetricId, atMs: number, s: { sampleCount: number; sum: number; min: number; max: number; unit?: string }): void {
    const key = metricKey(id);
    let entry = this.samples.get(key);
    if (!entry) {
      entry = { id: { ...id, dimensions: { ...id.dimensions } }, samples: [] };
      this.samples.set(key, entry);
    }
    entry.samples.push({ atMs, ...s });
  }

  putValue(id: MetricId, atMs: number, value: number, unit?: string): void {
    this.put(id, atMs, { sampleCount: 1, sum: value, min: value, max: value, ...(unit ? { unit } : {}) });
  }

  metrics(): MetricId[] {
    return [...this.samples.values()].map((e) => e.id);
  }

  /** One datapoint per period in [startMs, endMs) that has samples, oldest first. */
  datapoints(id: MetricId, stat: Stat, periodSeconds: number, startMs: number, endMs: number): Datapoint[] {
    const entry = this.samples.get(metricKey(id));
    if (!entry) return [];
    const buckets = new Map<number, Sample[]>();
    for (const s of entry.samples) {
      if (s.atMs < startMs || s.atMs >= endMs) continue;
      const b = alignDown(s.atMs, periodSeconds);
      const list = buckets.get(b) ?? [];
      list.push(s);
      buckets.set(b, list);
    }
    return [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([atMs, list]) => ({
        atMs,
        value: aggregate(list, stat),
        sampleCount: list.reduce((n, s) => n + s.sampleCount, 0),
        ...(list[0]?.unit ? { unit: list[0].unit } : {}),
      }));
  }

  /** The datapoint of the period starting at `periodStartMs`, or undefined when it has no samples. */
  datapoint(id: MetricId, stat: Stat, periodSeconds: number, periodStartMs: number): Datapoint | undefined {
    return this.datapoints(id, stat, periodSeconds, periodStartMs, periodStartMs + periodSeconds * 1000)[0];
  }
}

function aggregate(list: Sample[], stat: Stat): number {
  const count = list.reduce((n, s) => n + s.sampleCount, 0);
  const sum = list.reduce((n, s) => n + s.sum, 0);
  switch (stat) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return count === 0 ? 0 : sum / count;
    case 'Maximum':
      return Math.max(...list.map((s) => s.max));
    case 'Minimum':
      return Math.min(...list.map((s) => s.min));
  }
}
