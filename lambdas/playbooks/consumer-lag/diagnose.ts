import type { JobRunSummaryView, JobRunView } from '../../adapters/emr-serverless';
import type { MetricSeries } from '../../adapters/cloudwatch';
import type { Trigger } from '../../core/trigger';
import { readCheckpointAt, type CheckpointSummary } from '../../runtimes/emr-serverless/checkpoint';
import { ENDED_STATES, jobResource, listActiveRuns } from '../../runtimes/emr-serverless/job';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext } from '../../core/playbook';
import { readAttemptHistory, type AttemptHistory } from '../../runtimes/emr-serverless/attempts';
import type { ConsumerLagBounds, ConsumerLagSettings } from './manifest';
import { readKinesisSource, type KinesisSourceReading } from './kinesis';
import { discoverMskSeries, lagQueries, Q, readSeries, type MskSeriesFound } from './metrics';
import { readExecutorSettings, type ExecutorSettings } from '../../runtimes/emr-serverless/spark-conf';
import { gridEndingAt, placeOnGrid, readLagWindow, recentMean, PERIOD_MS, type Grid, type LagReading } from './window';

export interface SinkReading {
  deliveryStreamName: string;
  /** Newest DeliveryToS3.DataFreshness: age of the oldest record Firehose has not delivered. */
  freshnessSeconds: number | null;
  /** Over the window. */
  throttledRecords: number | null;
  incomingRecords: number | null;
}

export interface JobReading {
  /** Active runs of the configured job, newest first. */
  activeRuns: JobRunSummaryView[];
  /** The newest active run, described. */
  run?: JobRunView;
  executors?: ExecutorSettings;
  /** The newest ended run's attempts, when it FAILED: which way each attempt of the last hour failed. */
  lastEndedHistory?: AttemptHistory;
  /** No run active: the newest ended run (what a restart copies) and the checkpoint to restart from. */
  lastEnded?: JobRunView;
  checkpoint?: CheckpointSummary;
}

export interface ConsumerLagEvidence {
  lag: LagReading;
  /** Newest EstimatedMaxTimeLag (MSK). */
  timeLagSeconds: number | null;
  throughput: { incomingRecordsPerSecond: number | null; processedRecordsPerSecond: number | null };
  sink: SinkReading | null;
  job: JobReading;
  /** Actions already taken on the job this hour (restarts and rescales, any playbook). */
  actionsLastHour: number;
  /** A Kinesis source: its shards (one not read), its throttled reads, the job reading it. */
  kinesis?: KinesisSourceReading;
}

export const LOOKBACK_WINDOWS = 3;
const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);

export const lagRules = (pipeline: PlaybookContext['pipeline'], b: ConsumerLagBounds) => ({
  intervals: b.windowMinutes,
  minCompleteness: b.minCompleteness,
  allowedLag: pipeline.source.kind === 'kinesis' ? b.allowedIteratorAgeSeconds * 1000 : b.allowedLagRecords,
  offsetTolerance: 0,
});

/** Records per one-minute slot: Σ over brokers of their MessagesInPerSec × 60 (NaN where no broker reported). */
function incomingPerMinute(series: Record<string, MetricSeries>, found: MskSeriesFound | undefined, g: Grid): Float64Array | undefined {
  if (!found || found.brokersIn.length === 0) return undefined;
  const out = new Float64Array(g.width).fill(NaN);
  found.brokersIn.forEach((_, j) => {
    const one = placeOnGrid(series[`in${j}`], g);
    for (let i = 0; i < g.width; i++) if (one[i] === one[i]) out[i] = (out[i] === out[i] ? out[i]! : 0) + one[i]! * 60;
  });
  return out;
}

/** The lag window, the rates and the sink, judged: one GetMetricData round trip after discovery. */
export function interpretSeries(
  ctx: Pick<PlaybookContext<ConsumerLagSettings>, 'pipeline' | 'settings'>,
  series: Record<string, MetricSeries>,
  found: MskSeriesFound | undefined,
  grid: Grid,
  nowMs: number,
): Omit<ConsumerLagEvidence, 'job' | 'actionsLastHour' | 'kinesis'> {
  const { pipeline } = ctx;
  const b = ctx.settings.bounds;
  const kinesis = pipeline.source.kind === 'kinesis';
  const processed = series[Q.processed] ? placeOnGrid(series[Q.processed], grid) : undefined;
  const incoming = kinesis ? placeOnGrid(series[Q.streamIn], grid) : incomingPerMinute(series, found, grid);
  const partitions =
    found && found.partitions.ids.length > 0
      ? { ids: found.partitions.ids, series: found.partitions.ids.map((_, i) => series[`p${i}`]), truncated: found.partitions.truncated }
      : undefined;
  const lag = readLagWindow({
    grid,
    nowMs,
    unit: kinesis ? 'milliseconds' : 'records',
    ...(kinesis ? { aggregate: series[Q.age] } : { aggregate: series[Q.lagSum], maxLag: series[Q.lagMax] }),
    ...(partitions ? { partitions } : {}),
    ...(processed ? { processedPerMinute: processed } : {}),
    ...(incoming ? { incomingPerMinute: incoming } : {}),
    rules: lagRules(pipeline, b),
    skew: { lagShare: b.skewLagShare, maxHotPartitions: b.maxHotPartitions },
  });
  const timeLag = placeOnGrid(series[Q.timeLag], grid);
  // Over the judged window (the newest windowMinutes slots), not the whole lookback.
  const sum = (s: MetricSeries | undefined) => {
    const slots = placeOnGrid(s, grid).subarray(Math.max(0, grid.width - b.windowMinutes));
    return slots.some((v) => v === v) ? slots.reduce((a, v) => (v === v ? a + v : a), 0) : null;
  };
  return {
    lag,
    timeLagSeconds: kinesis ? null : fin(recentMean(timeLag, 1)),
    throughput: {
      incomingRecordsPerSecond: fin(recentMean(incoming) / 60),
      processedRecordsPerSecond: fin(recentMean(processed) / 60),
    },
    sink: pipeline.sink
      ? {
          deliveryStreamName: pipeline.sink.deliveryStreamName,
          freshnessSeconds: fin(recentMean(placeOnGrid(series[Q.sinkFreshness], grid), 1)),
          throttledRecords: sum(series[Q.sinkThrottled]),
          incomingRecords: sum(series[Q.sinkIncoming]),
        }
      : null,
  };
}

/**
 * Read-only. Round trip 1, in parallel: ListMetrics (per-partition OffsetLag, topic-level lag,
 * per-broker MessagesInPerSec), ListJobRuns (active; ended), the action history. Round trip 2,
 * in parallel: one GetMetricData for every series (chunks of 500 in parallel), GetJobRun of the
 * active run (its executor settings) or of the newest ended run, and, only when no run is
 * active, the checkpoint (HeadObject ∥ ListObjectsV2).
 */
export async function diagnoseConsumerLag(ctx: PlaybookContext<ConsumerLagSettings, EmrPipeline>, _trigger: Trigger): Promise<ConsumerLagEvidence> {
  const { pipeline, settings } = ctx;
  const job = pipeline.job;
  const emr = ctx.aws.emr;
  const nowMs = ctx.clock.now();
  // Each partition's window is its newest `windowMinutes` samples within three times as long:
  // a partition whose samples stopped keeps an old window (Burrow's STOP).
  const grid = gridEndingAt(nowMs, settings.bounds.windowMinutes * LOOKBACK_WINDOWS);
  const src = pipeline.source;
  const [found, active, ended, actionsLastHour, kinesis] = await Promise.all([
    src.kind === 'msk' ? discoverMskSeries(ctx.aws.cloudwatch, src, settings.bounds) : Promise.resolve(undefined),
    listActiveRuns(emr, job.applicationId, job.jobName),
    emr.listJobRuns(job.applicationId, { states: ENDED_STATES, maxItems: 50 }),
    ctx.history.actionsInLastHour(jobResource(job.applicationId, job.jobName)),
    readKinesisSource(ctx, settings.bounds.windowMinutes),
  ]);
  const newest = (runs: JobRunSummaryView[]) => runs.filter((r) => r.name === job.jobName).sort((a, b) => b.createdAtMs - a.createdAtMs);
  const activeRuns = newest(active);
  const described = activeRuns[0] ?? newest(ended).sort((a, b) => b.updatedAtMs - a.updatedAtMs)[0];
  const [series, run, checkpoint] = await Promise.all([
    readSeries(ctx.aws.cloudwatch, lagQueries(pipeline, found), grid.startMs, grid.startMs + grid.width * PERIOD_MS),
    described ? emr.getJobRun(job.applicationId, described.jobRunId) : Promise.resolve(undefined),
    activeRuns.length === 0 ? readCheckpointAt(ctx.aws.s3, job.checkpoint) : Promise.resolve(undefined),
  ]);
  const jobReading: JobReading = { activeRuns };
  if (run && activeRuns.length > 0) {
    jobReading.run = run;
    jobReading.executors = readExecutorSettings(run.jobDriver, run.configurationOverrides);
  } else if (run) {
    jobReading.lastEnded = run;
  }
  if (checkpoint) jobReading.checkpoint = checkpoint;
  // A last run that FAILED: its attempts and their failures (job resiliency), for job-failed's judgment.
  if (jobReading.lastEnded?.state === 'FAILED') jobReading.lastEndedHistory = await readAttemptHistory(ctx.aws, job, jobReading.lastEnded, nowMs);
  return { ...interpretSeries(ctx, series, found, grid, nowMs), job: jobReading, actionsLastHour, ...(kinesis ? { kinesis } : {}) };
}
