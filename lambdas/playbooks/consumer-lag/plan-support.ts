import type { JobRunView } from '../../adapters/emr-serverless';
import type { PlannedAction, Evidence } from '../../core/decision';
import type { EmrPipeline, PipelineConfig } from '../../config/schema';
import { jobResource } from '../../runtimes/emr-serverless/job';
import { restartParams, startCommand } from '../../runtimes/emr-serverless/restart';
import { RESTART_WITH_PARAMETERS, type RestartWithParametersParams } from '../../runtimes/emr-serverless/scale';
import type { ConsumerLagEvidence } from './diagnose';
import { kinesisEvidence } from './kinesis';
import type { ConsumerLagBounds } from './manifest';
import { withSubmitConf, type ExecutorSettings } from '../../runtimes/emr-serverless/spark-conf';

/** Evidence, commands and action parameters for plan.ts: pure helpers, no judgment. */

const round = (v: number | null, digits = 0): number | null => (v === null ? null : Number(v.toFixed(digits)));

/** Flat numbers with their units in their names (records for MSK, milliseconds of iterator age for Kinesis). */
export function lagEvidence(e: ConsumerLagEvidence, b: ConsumerLagBounds): Evidence {
  const l = e.lag;
  const ms = l.unit === 'milliseconds';
  const run = e.job.run ?? e.job.lastEnded;
  const sink = e.sink;
  return {
    lagStatus: l.status,
    lagGroupStatus: l.groupStatus,
    lagTrend: l.trend,
    lagMetricsLevel: l.level,
    windowMinutes: l.windowMinutes,
    windowCompletePercent: Math.round(l.complete * 100),
    partitionsWithData: l.partitions,
    partitionsWarn: l.statusCounts.WARN,
    partitionsStalledOrStopped: l.statusCounts.STALL + l.statusCounts.STOP,
    [ms ? 'iteratorAgeMs' : 'maxLagRecords']: l.maxLag,
    maxLagPartition: l.maxLagPartition,
    ...(ms ? {} : { totalLagRecords: l.totalLag }),
    [ms ? 'iteratorAgeSlopeMsPerSecond' : 'lagSlopeRecordsPerSecond']: round(l.slopePerSecond, 2),
    drainSeconds: l.drainSeconds,
    positionsFrom: l.offsetsFrom,
    noProgressMinutes: l.noProgressMinutes,
    timeLagSeconds: round(e.timeLagSeconds),
    incomingRecordsPerSecond: round(e.throughput.incomingRecordsPerSecond, 1),
    processedRecordsPerSecond: round(e.throughput.processedRecordsPerSecond, 1),
    hotPartitions: l.skew.hotPartitions.length > 0 ? l.skew.hotPartitions.join(',') : null,
    hotPartitionsLagPercent: Math.round(l.skew.hotLagShare * 100),
    sink: sink?.deliveryStreamName ?? null,
    sinkFreshnessSeconds: round(sink?.freshnessSeconds ?? null),
    sinkThrottledRecords: sink?.throttledRecords ?? null,
    sinkThrottledPercent: sink && sink.throttledRecords !== null ? round(sinkThrottledPercent(e), 2) : null,
    jobRunId: run?.jobRunId ?? null,
    jobRunState: run?.state ?? null,
    activeRuns: e.job.activeRuns.length,
    executorSetting: e.job.executors?.setting ?? null,
    executors: e.job.executors?.executors ?? null,
    coresPerExecutor: e.job.executors?.coresPerExecutor ?? null,
    maxExecutorsBound: b.maxExecutors,
    actionsLastHour: e.actionsLastHour,
    ...kinesisEvidence(e.kinesis),
  };
}

/** Percentage of the records sent to the sink that Firehose throttled, over the window. */
export function sinkThrottledPercent(e: Pick<ConsumerLagEvidence, 'sink'>): number {
  const s = e.sink;
  if (!s || s.throttledRecords === null || s.throttledRecords <= 0) return 0;
  return (100 * s.throttledRecords) / (s.throttledRecords + (s.incomingRecords ?? 0));
}

export const getRunCommand = (applicationId: string, jobRunId: string): string =>
  `aws emr-serverless get-job-run --application-id ${applicationId} --job-run-id ${jobRunId}`;

/** job-failed's by-hand restart command for `run` (a listing when there is no run). */
export const restartCommand = (run: JobRunView | undefined, applicationId: string): string => startCommand(run, applicationId);

export const describeGroupCommand = (p: PipelineConfig): string =>
  p.source.kind === 'msk'
    ? `kafka-consumer-groups.sh --bootstrap-server "$BOOTSTRAP" --command-config client.properties --describe --group ${p.source.consumerGroup}`
    : `aws kinesis describe-stream-summary --stream-name ${p.source.streamName}`;

export const addPartitionsCommand = (p: PipelineConfig, partitions: number | null): string =>
  p.source.kind === 'msk'
    ? `kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config client.properties --alter --topic ${p.source.topic} --partitions ${partitions !== null ? partitions * 2 : '<new count>'}`
    : `aws kinesis update-shard-count --stream-name ${p.source.streamName} --scaling-type UNIFORM_SCALING --target-shard-count <new count>`;

/**
 * The executor count to ask for: enough for the measured need (incoming ÷ processed rate,
 * with headroom), at least one more than now, at most the scale bound. Without both rates the
 * step is the whole factor. Returns the bound too; `target <= current` means "at the bound".
 */
export function scaleTarget(current: number, e: ConsumerLagEvidence, b: ConsumerLagBounds): { target: number; cap: number; wantedFactor: number } {
  const cap = Math.min(b.maxExecutors, Math.floor(current * b.maxScaleFactor));
  const { incomingRecordsPerSecond: inRate, processedRecordsPerSecond: outRate } = e.throughput;
  const wantedFactor = inRate !== null && outRate !== null && outRate > 0 ? (inRate / outRate) * b.scaleHeadroom : b.maxScaleFactor;
  const target = Math.min(cap, Math.max(current + 1, Math.ceil(current * wantedFactor - 1e-9)));
  return { target, cap, wantedFactor };
}

/**
 * The one action that replaces `run` (a Spark run: `jobDriver.sparkSubmit` set) by a run on the
 * same checkpoint: the same parameters (a hung run) or with `executors.setting` raised to `to`.
 */
export function replaceRunAction(
  run: JobRunView,
  pipeline: EmrPipeline,
  incidentId: string,
  b: ConsumerLagBounds,
  executors?: { settings: ExecutorSettings; to: number },
): PlannedAction {
  const job = pipeline.job;
  const spark = run.jobDriver.sparkSubmit!;
  const previous = spark.sparkSubmitParameters ?? '';
  const sparkSubmit = executors
    ? { ...spark, sparkSubmitParameters: withSubmitConf(spark.sparkSubmitParameters, executors.settings.setting, String(executors.to)) }
    : spark;
  const params: RestartWithParametersParams = {
    applicationId: job.applicationId,
    jobRunId: run.jobRunId,
    previousSparkSubmitParameters: previous,
    shutdownGracePeriodSeconds: b.cancelGracePeriodSeconds,
    cancelWaitSeconds: b.cancelWaitSeconds,
    ...(executors ? { executors: { setting: executors.settings.setting, from: executors.settings.executors!, to: executors.to } } : {}),
    // Every StartJobRun field of the old run (runtimes/emr-serverless/restart.ts), with the new Spark parameters.
    // As GetJobRun returned them (zod checks the shape when the engine parses the params).
    start: {
      ...restartParams(job, run, incidentId, sparkSubmit.sparkSubmitParameters),
      name: run.name ?? job.jobName,
    } as unknown as RestartWithParametersParams['start'],
  };
  const what = executors ? `${executors.settings.setting} ${executors.settings.executors} → ${executors.to}` : 'the same parameters';
  return {
    type: RESTART_WITH_PARAMETERS,
    resource: jobResource(job.applicationId, job.jobName),
    description: `CancelJobRun ${run.jobRunId} (grace ${b.cancelGracePeriodSeconds} s), wait for CANCELLED, then StartJobRun ${job.jobName} from the same checkpoint with ${what}`,
    params: params as unknown as Record<string, unknown>,
  };
}
