import type { CloudWatchAdapter, MetricQuery, MetricSeries } from '../../adapters/cloudwatch';
import { NAMESPACE, PERIOD_SECONDS, brokerDims, clusterDims, lagDims, type BrokerHealthBounds, type MskSource } from './manifest';

/**
 * The cluster's metrics, read in one GetMetricData call and judged without I/O: which brokers
 * publish (a live broker publishes CpuUser every minute), since when a silent one stopped,
 * and the newest partition counts.
 */

const MINUTE_MS = PERIOD_SECONDS * 1000;

export interface BrokerMetrics {
  brokerId: number;
  /** Start of the newest minute with a CpuUser datapoint in the lookback; null when none. */
  lastDatapointMs: number | null;
  /** Newest values among the fresh datapoints (null: the broker published none lately). */
  underReplicatedPartitions: number | null;
  underMinIsrPartitions: number | null;
}

export type LagTrend = 'growing' | 'steady' | 'shrinking' | 'unknown';

export interface LagReading {
  metric: BrokerHealthBounds['lagMetric'];
  newestRecords: number | null;
  /** Over the last LAG_TREND_POINTS minutes with data. */
  trend: LagTrend;
}

export interface ClusterMetrics {
  brokers: BrokerMetrics[];
  /** Newest OfflinePartitionsCount (published by the controller); null when none is fresh. */
  offlinePartitions: number | null;
  /** Newest ActiveControllerCount summed over the brokers; null when none is fresh. */
  activeControllers: number | null;
  lag: LagReading;
}

/** The lag is growing when it rose at every one of its last points (at least this many). */
export const LAG_TREND_POINTS = 4;

const brokerQuery = (kind: 'cpu' | 'urp' | 'isr', id: number) => `${kind}_${id}`;

export function metricQueries(source: MskSource, brokerIds: readonly number[], b: BrokerHealthBounds): MetricQuery[] {
  const name = source.clusterName;
  const q = (id: string, metricName: string, dimensions: Record<string, string>, stat: string): MetricQuery => ({
    id,
    namespace: NAMESPACE,
    metricName,
    dimensions,
    stat,
    periodSeconds: PERIOD_SECONDS,
  });
  return [
    q('ctrl', 'ActiveControllerCount', clusterDims(name), 'Sum'),
    q('offline', 'OfflinePartitionsCount', clusterDims(name), 'Maximum'),
    q('lag', b.lagMetric, lagDims(source, b), 'Maximum'),
    ...brokerIds.flatMap((id) => [
      q(brokerQuery('cpu', id), 'CpuUser', brokerDims(name, id), 'SampleCount'),
      q(brokerQuery('urp', id), 'UnderReplicatedPartitions', brokerDims(name, id), 'Maximum'),
      q(brokerQuery('isr', id), 'UnderMinIsrPartitionCount', brokerDims(name, id), 'Maximum'),
    ]),
  ];
}

/** The newest point at or after `sinceMs`, if any. */
function newestSince(s: MetricSeries | undefined, sinceMs: number): number | null {
  if (!s) return null;
  for (let i = s.timestampsMs.length - 1; i >= 0; i--) {
    if (s.timestampsMs[i]! < sinceMs) break;
    const v = s.values[i]!;
    if (Number.isFinite(v)) return v;
  }
  return null;
}

export function lagTrend(s: MetricSeries | undefined): LagTrend {
  const vs = (s?.values ?? []).filter((v) => Number.isFinite(v)).slice(-LAG_TREND_POINTS);
  if (vs.length < LAG_TREND_POINTS) return 'unknown';
  if (vs.every((v, i) => i === 0 || v > vs[i - 1]!)) return 'growing';
  return vs[vs.length - 1]! < vs[0]! ? 'shrinking' : 'steady';
}

/**
 * Pure: the series of `metricQueries`, judged at `nowMs`. A value is fresh when its minute
 * started within the last `silentMinutes + 1` minutes (a datapoint lands after its minute ends).
 */
export function interpretMetrics(
  series: Record<string, MetricSeries>,
  brokerIds: readonly number[],
  nowMs: number,
  b: Pick<BrokerHealthBounds, 'silentMinutes' | 'lagMetric'>,
): ClusterMetrics {
  const freshSince = nowMs - (b.silentMinutes + 1) * MINUTE_MS;
  const brokers = brokerIds.map((id): BrokerMetrics => {
    const cpu = series[brokerQuery('cpu', id)];
    let last: number | null = null;
    if (cpu) {
      for (let i = cpu.timestampsMs.length - 1; i >= 0; i--) {
        if ((cpu.values[i] ?? 0) > 0) {
          last = cpu.timestampsMs[i]!;
          break;
        }
      }
    }
    return {
      brokerId: id,
      lastDatapointMs: last,
      underReplicatedPartitions: newestSince(series[brokerQuery('urp', id)], freshSince),
      underMinIsrPartitions: newestSince(series[brokerQuery('isr', id)], freshSince),
    };
  });
  const lag = series.lag;
  return {
    brokers,
    offlinePartitions: newestSince(series.offline, freshSince),
    activeControllers: newestSince(series.ctrl, freshSince),
    lag: { metric: b.lagMetric, newestRecords: newestSince(lag, freshSince), trend: lagTrend(lag) },
  };
}

export async function readClusterMetrics(
  cw: CloudWatchAdapter,
  source: MskSource,
  brokerIds: readonly number[],
  nowMs: number,
  b: BrokerHealthBounds,
): Promise<ClusterMetrics> {
  const series = await cw.getMetricData(metricQueries(source, brokerIds, b), nowMs - b.lookbackMinutes * MINUTE_MS, nowMs);
  return interpretMetrics(series, brokerIds, nowMs, b);
}

/** Whether `brokerId` published CpuUser for a minute that started at or after `sinceMs` (act's last look). */
export async function publishedSince(cw: CloudWatchAdapter, source: MskSource, brokerId: number, sinceMs: number, nowMs: number): Promise<boolean> {
  const q: MetricQuery = {
    id: 'cpu',
    namespace: NAMESPACE,
    metricName: 'CpuUser',
    dimensions: brokerDims(source.clusterName, brokerId),
    stat: 'SampleCount',
    periodSeconds: PERIOD_SECONDS,
  };
  const s = (await cw.getMetricData([q], sinceMs, nowMs)).cpu;
  return (s?.values ?? []).some((v, i) => v > 0 && s!.timestampsMs[i]! >= sinceMs);
}
