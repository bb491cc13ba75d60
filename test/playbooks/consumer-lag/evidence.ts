import { emrPipeline } from '../../helpers/pipelines';
import type { JobRunSummaryView, JobRunView } from '../../../lambdas/adapters/emr-serverless';
import { parseConfig } from '../../../lambdas/schema';
import type { ConsumerLagEvidence } from '../../../lambdas/playbooks/consumer-lag/diagnose';
import type { ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import { planConsumerLag } from '../../../lambdas/playbooks/consumer-lag/plan';
import { readExecutorSettings } from '../../../lambdas/runtimes/emr-serverless/spark-conf';
import type { LagReading } from '../../../lambdas/playbooks/consumer-lag/window';
import exampleConfig from '../../../streamfix.config';

/** Evidence builders for the consumer-lag plan tests: a healthy-looking job that falls behind. */

export const NOW = Date.parse('2026-11-22T10:00:00.000Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const INCIDENT = 'orders.consumer-lag.20261122T095500.c0ffee';
export const config = parseConfig(exampleConfig);
export const pipeline = emrPipeline(config.pipelines.orders);
export const settings = pipeline.playbooks['consumer-lag'] as ConsumerLagSettings;
export const job = pipeline.job;

export const SUBMIT =
  '--conf spark.dynamicAllocation.enabled=false --conf spark.executor.instances=4 --conf spark.executor.cores=4 --conf spark.executor.memory=8g';

export const run = (over: Partial<JobRunView> = {}): JobRunView => ({
  applicationId: job.applicationId,
  jobRunId: '00running0000001',
  name: job.jobName,
  state: 'RUNNING',
  mode: 'STREAMING',
  createdAtMs: NOW - 2 * HOUR,
  updatedAtMs: NOW - 2 * HOUR,
  executionRoleArn: job.executionRoleArn,
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py', sparkSubmitParameters: SUBMIT } },
  retryPolicy: { maxFailedAttemptsPerHour: 5 },
  tags: { team: 'streaming' },
  ...over,
});

export const summary = (r: JobRunView): JobRunSummaryView => ({
  applicationId: r.applicationId,
  jobRunId: r.jobRunId,
  name: r.name!,
  state: r.state,
  mode: r.mode!,
  createdAtMs: r.createdAtMs,
  updatedAtMs: r.updatedAtMs,
  executionRoleArn: r.executionRoleArn,
});

export const lag = (over: Partial<LagReading> = {}): LagReading => ({
  level: 'partition',
  unit: 'records',
  lookbackStartMs: NOW - 45 * MIN,
  windowMinutes: 15,
  status: 'WARN',
  groupStatus: 'WARN',
  trend: 'falling-behind',
  statusCounts: { OK: 40, WARN: 8, STOP: 0, STALL: 0, REWIND: 0 },
  partitions: 48,
  partitionsTruncated: false,
  complete: 1,
  maxLag: 9_000,
  maxLagPartition: '17',
  totalLag: 240_000,
  firstLag: 100_000,
  peakLag: 240_000,
  lastLag: 240_000,
  slopePerSecond: 155.56,
  drainSeconds: null,
  newestSampleMs: NOW - MIN,
  offsetsFrom: 'processed-metric',
  noProgressMinutes: 0,
  skew: { skewed: false, hotPartitions: [], hotLagShare: 0.11, othersHealthy: false },
  ...over,
});

/** A RUNNING job with 4 executors falling behind a 1.6× traffic increase, sink healthy. */
export function evidence(over: Partial<ConsumerLagEvidence> = {}, r: JobRunView = run()): ConsumerLagEvidence {
  return {
    lag: lag(),
    timeLagSeconds: 420,
    throughput: { incomingRecordsPerSecond: 2_000, processedRecordsPerSecond: 1_250 },
    sink: { deliveryStreamName: 'order-firehose', freshnessSeconds: 120, throttledRecords: 0, incomingRecords: 1_000_000 },
    job: { activeRuns: [summary(r)], run: r, executors: readExecutorSettings(r.jobDriver, r.configurationOverrides) },
    actionsLastHour: 0,
    ...over,
  };
}

export const withBounds = (b: Partial<ConsumerLagSettings['bounds']>, s: ConsumerLagSettings = settings): ConsumerLagSettings => ({
  ...s,
  bounds: { ...s.bounds, ...b },
});

export const plan = (e: ConsumerLagEvidence, nowMs = NOW, s: ConsumerLagSettings = settings, p = pipeline) =>
  planConsumerLag({
    pipelineName: 'orders',
    pipeline: p,
    settings: s,
    evidence: e,
    nowMs,
    incidentId: INCIDENT,
    trigger: {
      kind: 'alarm',
      eventId: 'e1',
      dedupeKey: 'k',
      alarmName: 'streamfix-orders-consumer-lag-offset-lag',
      state: 'ALARM',
      stateAtMs: nowMs,
      reason: 'Threshold Crossed',
      composite: false,
      triggeringAlarms: [],
      metrics: [],
    },
  });
