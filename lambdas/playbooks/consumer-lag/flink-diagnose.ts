import type { MetricSeries } from '../../adapters/cloudwatch';
import type { FlinkOperationView } from '../../adapters/managed-flink';
import { latest, maxValue, type Point } from '../../analysis/flink-metrics';
import type { FlinkPipeline } from '../../config/schema';
import type { Trigger } from '../../core/trigger';
import { FLINK_NAMESPACE, flinkDimensions } from '../../runtimes/managed-flink/alarms';
import { readFlinkMetrics } from '../../runtimes/managed-flink/read';
import { flinkJobState, flinkResource } from '../../runtimes/managed-flink/runtime';
import type { JobState } from '../../runtimes/job-runtime';
import { diagnoseFlinkJobFailed, type FlinkJobFailedEvidence } from '../../runtimes/managed-flink/failure-evidence';
import { jobRestartSettingsOf } from '../../runtimes/restart-judgment';
import type { PlaybookContext } from '../../core/playbook';
import { interpretSeries, lagRules, LOOKBACK_WINDOWS, type ConsumerLagEvidence } from './diagnose';
import { readKinesisSource, type KinesisSourceReading } from './kinesis';
import type { ConsumerLagSettings } from './manifest';
import { discoverMskSeries, lagQueries, readSeries } from './metrics';
import { gridEndingAt, PERIOD_MS, readLagWindow, type LagReading } from './window';

/**
 * consumer-lag's evidence on Managed Service for Apache Flink: the lag window from the source
 * (MSK's group metrics, or the stream's GetRecords.IteratorAgeMilliseconds; when the source
 * publishes none, the application's own `records_lag_max` / `millisBehindLatest`), judged with
 * Burrow's rules as for EMR; the application (status, configured and current parallelism,
 * autoscaling, snapshots); CPU, heap, downtime; the busiest and most back-pressured operators
 * where the application publishes operator metrics; the Kinesis source's shards; and, when the
 * application is not running, job-failed's evidence.
 */

export interface OperatorLoad {
  operator: string;
  /** Highest of the window, ms per second. */
  busyTimeMsPerSecond: number | null;
  backPressuredTimeMsPerSecond: number | null;
}

export interface FlinkConsumerLagEvidence extends Omit<ConsumerLagEvidence, 'job' | 'kinesis'> {
  runtime: 'managed-flink';
  app: {
    status: string;
    versionId: number;
    /** `Parallelism`: what UpdateApplication sets. */
    parallelism: number | null;
    currentParallelism: number | null;
    parallelismPerKPU: number | null;
    autoScalingEnabled: boolean;
    snapshotsEnabled: boolean;
  };
  job: JobState;
  /** Where the lag window came from. */
  lagSource: 'source' | 'application';
  resources: { cpuPercent: number | null; heapPercent: number | null; downtimeMs: number | null };
  /**
   * How long the job has run since it last started (ms): its `uptime`, else the end of the
   * application's newest start, update or rollback; null when neither says.
   */
  jobAgeMs: number | null;
  /** Operators by busy time, busiest first (operator metrics only). */
  operators: OperatorLoad[];
  kinesis?: KinesisSourceReading;
  /** The application is not running: what job-failed would judge. */
  notRunning?: FlinkJobFailedEvidence;
}

/** The job's age: its newest `uptime` (plus the time since that datapoint), else since its newest start, update or rollback ended. */
export function jobAge(uptime: Point[], operations: FlinkOperationView[], nowMs: number): number | null {
  const u = latest(uptime);
  if (u && u.value > 0) return u.value + Math.max(0, nowMs - u.atMs - 60_000);
  const started = operations.find(
    (o) => o.status === 'SUCCESSFUL' && ['StartApplication', 'UpdateApplication', 'RollbackApplication'].includes(o.operation) && o.endMs !== undefined,
  );
  return started?.endMs !== undefined ? nowMs - started.endMs : null;
}

const series = (points: Point[]): MetricSeries => ({ timestampsMs: points.map((p) => p.atMs), values: points.map((p) => p.value) });

/** Busy and back-pressured time per operator, read where the application publishes them (MetricsLevel OPERATOR or finer). */
async function readOperators(ctx: PlaybookContext<ConsumerLagSettings, FlinkPipeline>, startMs: number, endMs: number): Promise<OperatorLoad[]> {
  const job = ctx.pipeline.job;
  const cw = ctx.aws.cloudwatch;
  const [busy, pressured] = await Promise.all([
    cw.listMetrics(FLINK_NAMESPACE, 'busyTimeMsPerSecond', flinkDimensions(job), 100),
    cw.listMetrics(FLINK_NAMESPACE, 'backPressuredTimeMsPerSecond', flinkDimensions(job), 100),
  ]);
  const ops = [...new Set([...busy, ...pressured].map((m) => m.dimensions.Operator).filter((o): o is string => o !== undefined))];
  if (ops.length === 0) return [];
  const refs = [...busy, ...pressured].filter((m) => m.dimensions.Operator !== undefined);
  const data = await cw.getMetricData(
    refs.map((m, i) => ({ id: `o${i}`, namespace: FLINK_NAMESPACE, metricName: m.metricName, dimensions: m.dimensions, stat: 'Maximum', periodSeconds: 60 })),
    startMs,
    endMs,
  );
  const peak = (op: string, name: string) => {
    const values = refs.flatMap((m, i) => (m.dimensions.Operator === op && m.metricName === name ? (data[`o${i}`]?.values ?? []) : []));
    return values.length ? Math.max(...values) : null;
  };
  return ops
    .map((operator) => ({
      operator,
      busyTimeMsPerSecond: peak(operator, 'busyTimeMsPerSecond'),
      backPressuredTimeMsPerSecond: peak(operator, 'backPressuredTimeMsPerSecond'),
    }))
    .sort((a, b) => (b.busyTimeMsPerSecond ?? -1) - (a.busyTimeMsPerSecond ?? -1));
}

export async function diagnoseFlinkConsumerLag(ctx: PlaybookContext<ConsumerLagSettings, FlinkPipeline>, trigger: Trigger): Promise<FlinkConsumerLagEvidence> {
  const { pipeline, settings } = ctx;
  const job = pipeline.job;
  const b = settings.bounds;
  const nowMs = ctx.clock.now();
  const grid = gridEndingAt(nowMs, b.windowMinutes * LOOKBACK_WINDOWS);
  const end = grid.startMs + grid.width * PERIOD_MS;
  const src = pipeline.source;
  const appLag = src.kind === 'kinesis' ? 'millisBehindLatest' : 'records_lag_max';
  const [app, found, actionsLastHour, kinesis, own, operations] = await Promise.all([
    ctx.aws.flink.describeApplication(job.applicationName),
    src.kind === 'msk' ? discoverMskSeries(ctx.aws.cloudwatch, src, b) : Promise.resolve(undefined),
    ctx.history.actionsInLastHour(flinkResource(job)),
    readKinesisSource(ctx, b.windowMinutes),
    readFlinkMetrics(
      ctx.aws.cloudwatch,
      job,
      [
        { name: appLag, stat: 'Maximum' },
        { name: 'cpuUtilization', stat: 'Maximum' },
        { name: 'heapMemoryUtilization', stat: 'Maximum' },
        { name: 'downtime', stat: 'Maximum' },
        { name: 'uptime', stat: 'Maximum' },
      ],
      grid.startMs,
      end,
    ),
    ctx.aws.flink.listOperations(job.applicationName, { maxItems: 10 }),
  ]);
  const [source, operators] = await Promise.all([
    readSeries(ctx.aws.cloudwatch, lagQueries(pipeline, found), grid.startMs, end),
    app.status === 'RUNNING' ? readOperators(ctx, nowMs - b.windowMinutes * PERIOD_MS, nowMs) : Promise.resolve([]),
  ]);
  let read = interpretSeries(ctx, source, found, grid, nowMs);
  let lagSource: FlinkConsumerLagEvidence['lagSource'] = 'source';
  if (read.lag.level === 'none' && (own[appLag]?.length ?? 0) > 0) {
    // The source publishes no lag (an MSK group without committed offsets): the application's own metric.
    const lag: LagReading = readLagWindow({
      grid,
      nowMs,
      unit: src.kind === 'kinesis' ? 'milliseconds' : 'records',
      aggregate: series(own[appLag]!),
      rules: lagRules(pipeline, b),
      skew: { lagShare: b.skewLagShare, maxHotPartitions: b.maxHotPartitions },
    });
    read = { ...read, lag };
    lagSource = 'application';
  }
  const notRunning = app.status === 'RUNNING' ? undefined : await diagnoseFlinkJobFailed({ ...ctx, settings: jobRestartSettingsOf(pipeline) }, trigger);
  const p = app.parallelism;
  return {
    runtime: 'managed-flink',
    ...read,
    actionsLastHour,
    app: {
      status: app.status,
      versionId: app.versionId,
      parallelism: p.parallelism ?? null,
      currentParallelism: p.currentParallelism ?? p.parallelism ?? null,
      parallelismPerKPU: p.parallelismPerKPU ?? null,
      autoScalingEnabled: p.autoScalingEnabled === true,
      snapshotsEnabled: app.snapshotsEnabled,
    },
    job: flinkJobState(app),
    lagSource,
    jobAgeMs: jobAge(own.uptime ?? [], operations, nowMs),
    resources: {
      cpuPercent: maxValue((own.cpuUtilization ?? []).slice(-b.alarmMinutes)),
      heapPercent: maxValue((own.heapMemoryUtilization ?? []).slice(-b.alarmMinutes)),
      downtimeMs: latest(own.downtime ?? [])?.value ?? null,
    },
    operators,
    ...(kinesis ? { kinesis } : {}),
    ...(notRunning ? { notRunning } : {}),
  };
}
