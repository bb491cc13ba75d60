import type { CloudWatchAdapter, MetricQuery } from '../../adapters/cloudwatch';
import type { LogsAdapter } from '../../adapters/logs';
import type { FlinkApplicationView, FlinkOperationDetail, FlinkOperationView, FlinkSnapshotView, ManagedFlinkAdapter } from '../../adapters/managed-flink';
import { parseFlinkLogLine, toPoints, type FlinkLogLine, type Point } from '../../analysis/flink-metrics';
import type { ManagedFlinkJob } from '../../config/schema';
import { FLINK_NAMESPACE, flinkDimensions } from './alarms';

/**
 * Reading a Managed Flink application: the application itself, its snapshots, its recent
 * operations (the failed one described: its error and its system rollback), its metrics and its
 * log. Read-only; each function is one round trip (calls in parallel where they can be).
 */

export interface FlinkApplicationReading {
  app: FlinkApplicationView;
  /** Newest first (at most 20). */
  snapshots: FlinkSnapshotView[];
  /** The newest snapshot a start can restore (status READY). */
  newestSnapshot?: FlinkSnapshotView;
  /** Newest first (at most 20). */
  operations: FlinkOperationView[];
  /** The newest operation that FAILED within the lookback, described. */
  failedOperation?: FlinkOperationDetail;
  /** The system rollback that failure started, described. */
  rollback?: FlinkOperationDetail;
}

/** Snapshots and operations listed at most: what a diagnosis needs, in one page each. */
const LISTED = 20;

export async function readFlinkApplication(
  flink: ManagedFlinkAdapter,
  job: ManagedFlinkJob,
  opts: { nowMs: number; lookbackMinutes: number },
): Promise<FlinkApplicationReading> {
  const name = job.applicationName;
  const [app, snapshots, operations] = await Promise.all([
    flink.describeApplication(name),
    flink.listSnapshots(name, { maxItems: LISTED }),
    flink.listOperations(name, { maxItems: LISTED }),
  ]);
  const since = opts.nowMs - opts.lookbackMinutes * 60_000;
  const failed = operations.find((o) => o.status === 'FAILED' && (o.endMs ?? o.startMs ?? 0) >= since);
  const failedOperation = failed ? await flink.describeOperation(name, failed.id) : undefined;
  const rollback = failedOperation?.rollbackOperationId ? await flink.describeOperation(name, failedOperation.rollbackOperationId) : undefined;
  const newestSnapshot = snapshots.find((s) => s.status === 'READY');
  return {
    app,
    snapshots,
    ...(newestSnapshot ? { newestSnapshot } : {}),
    operations,
    ...(failedOperation ? { failedOperation } : {}),
    ...(rollback ? { rollback } : {}),
  };
}

/** Application-level series by metric name (each a one-minute statistic over the window). */
export async function readFlinkMetrics(
  cw: CloudWatchAdapter,
  job: ManagedFlinkJob,
  metrics: readonly { name: string; stat: 'Maximum' | 'Average' | 'Sum' }[],
  startMs: number,
  endMs: number,
): Promise<Record<string, Point[]>> {
  const queries: MetricQuery[] = metrics.map((m, i) => ({
    id: `f${i}`,
    namespace: FLINK_NAMESPACE,
    metricName: m.name,
    dimensions: flinkDimensions(job),
    stat: m.stat,
    periodSeconds: 60,
  }));
  const series = await cw.getMetricData(queries, startMs, endMs);
  return Object.fromEntries(metrics.map((m, i) => [m.name, toPoints(series[`f${i}`])]));
}

/**
 * The application's error lines of a window (its configured log group; none configured: none
 * read). MSF logs are JSON objects; the plain term `ERROR` matches their `"messageType":"ERROR"`.
 */
export async function readFlinkLog(logs: LogsAdapter, job: ManagedFlinkJob, startMs: number, endMs: number, limit = 50): Promise<FlinkLogLine[] | undefined> {
  if (job.logGroupName === undefined) return undefined;
  const events = await logs.filterLogEvents(job.logGroupName, { startMs, endMs, filterPattern: 'ERROR', limit, newest: true, maxScanned: 5_000 });
  return events.map((e) => parseFlinkLogLine(e.timestampMs, e.message));
}
