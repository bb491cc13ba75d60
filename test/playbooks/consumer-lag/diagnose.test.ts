import { emrPipeline } from '../../helpers/pipelines';
import type { EmrPipeline } from '../../../lambdas/config/schema';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createAwsAdapters } from '../../../lambdas/adapters';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import type { AlarmTrigger } from '../../../lambdas/core/trigger';
import { diagnoseConsumerLag } from '../../../lambdas/playbooks/consumer-lag/diagnose';
import type { ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import { ConsumerLagReason, planConsumerLag } from '../../../lambdas/playbooks/consumer-lag/plan';
import type { PlaybookContext } from '../../../lambdas/core/playbook';
import exampleConfig from '../../../streamfix.config';
import { reply } from '../../adapters/aws-fixtures';

const CW = 'consumer-lag/cloudwatch';
const EMR = 'consumer-lag/emr-serverless';
const NOW = Date.parse('2026-11-22T10:00:30.000Z');
const cw = mockClient(CloudWatchClient);
const emr = mockClient(EMRServerlessClient);
const s3 = mockClient(S3Client);
afterAll(() => [cw, emr, s3].forEach((m) => m.restore()));

const processedRecordsMetric = { namespace: 'Orders/Streaming', metricName: 'RecordsProcessed', dimensions: { Job: 'orders-stream' } };
const orders = emrPipeline(exampleConfig.pipelines.orders);
const config = parseConfig({ ...exampleConfig, pipelines: { orders: { ...orders, job: { ...orders.job, processedRecordsMetric } } } });
const pipeline = emrPipeline(config.pipelines.orders);
const settings = pipeline.playbooks['consumer-lag'] as ConsumerLagSettings;

const ctx = (): PlaybookContext<ConsumerLagSettings, EmrPipeline> => ({
  pipelineName: 'orders',
  pipeline,
  settings,
  config,
  clock: new ManualClock(NOW),
  incidentId: 'orders.consumer-lag.x',
  signal: new AbortController().signal,
  aws: createAwsAdapters({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  history: { actionsInLastHour: async () => 1 },
});
const alarm: AlarmTrigger = {
  kind: 'alarm',
  eventId: 'e',
  dedupeKey: 'd',
  alarmName: 'streamfix-orders-consumer-lag-offset-lag',
  state: 'ALARM',
  stateAtMs: NOW,
  reason: '',
  composite: false,
  triggeringAlarms: [],
  metrics: [],
};

beforeEach(() => {
  for (const m of [cw, emr, s3]) m.reset();
  cw.on(ListMetricsCommand, { MetricName: 'OffsetLag' }).resolves(reply(CW, 'ListMetrics.OffsetLag'));
  cw.on(ListMetricsCommand, { MetricName: 'SumOffsetLag' }).resolves(reply(CW, 'ListMetrics.SumOffsetLag'));
  cw.on(ListMetricsCommand, { MetricName: 'MessagesInPerSec' }).resolves(reply(CW, 'ListMetrics.MessagesInPerSec'));
  cw.on(GetMetricDataCommand).resolves(reply(CW, 'GetMetricData'));
  emr.on(ListJobRunsCommand, { states: ['FAILED', 'CANCELLED', 'SUCCESS'] }).resolves(reply(EMR, 'ListJobRuns.ended'));
  emr.on(ListJobRunsCommand, { states: ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED', 'CANCELLING'] }).resolves(reply(EMR, 'ListJobRuns.active'));
  emr.on(GetJobRunCommand).resolves(reply(EMR, 'GetJobRun.running'));
});

describe('Function: diagnoseConsumerLag (recorded replies)', () => {
  it("reads per-partition lag of this cluster only, the rates, the sink and the running job's executors", async () => {
    // Act
    const e = await diagnoseConsumerLag(ctx(), alarm);
    // Assess: the listings are filtered to the cluster and ordered by partition.
    const listMetrics = cw.commandCalls(ListMetricsCommand).map((c) => c.args[0].input);
    expect(listMetrics).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/Kafka',
        MetricName: 'OffsetLag',
        Dimensions: [
          { Name: 'Consumer Group', Value: 'order-processor' },
          { Name: 'Topic', Value: 'orders.raw' },
        ],
      }),
    );
    expect(listMetrics).toContainEqual(
      expect.objectContaining({
        MetricName: 'MessagesInPerSec',
        Dimensions: [
          { Name: 'Cluster Name', Value: 'order-processing' },
          { Name: 'Topic', Value: 'orders.raw' },
        ],
      }),
    );
    const queries = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
    expect(queries.filter((q) => /^p\d+$/.test(q.Id!)).map((q) => q.MetricStat!.Metric!.Dimensions!.find((d) => d.Name === 'Partition')!.Value)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '10',
    ]);
    expect(queries.find((q) => q.Id === 'lagSum')!.MetricStat!.Metric!.Dimensions).toContainEqual({ Name: 'Cluster Name', Value: 'order-processing' });
    expect(queries.find((q) => q.Id === 'processed')!.MetricStat).toMatchObject({
      Metric: { Namespace: 'Orders/Streaming', MetricName: 'RecordsProcessed' },
      Stat: 'Sum',
      Period: 60,
    });
    expect(queries.find((q) => q.Id === 'sinkFreshness')!.MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.DataFreshness' },
      Stat: 'Maximum',
    });
    const window = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    // Three windows of lookback: a partition whose samples stopped keeps an old window (STOP).
    expect([window.StartTime, window.EndTime]).toEqual([new Date('2026-11-22T09:15:00Z'), new Date('2026-11-22T10:00:00Z')]);
    // The judgment: every partition grows while the job processes a steady 1,250 records/s of 2,000.
    expect(e.lag).toMatchObject({
      level: 'partition',
      partitions: 7,
      status: 'WARN',
      groupStatus: 'WARN',
      trend: 'falling-behind',
      offsetsFrom: 'processed-metric',
      maxLagPartition: '3',
    });
    expect(e.lag.complete).toBe(1);
    expect(e.lag.statusCounts).toMatchObject({ WARN: 7, OK: 0 });
    expect(e.lag.slopePerSecond).toBeCloseTo(750, 6);
    expect(e.throughput.incomingRecordsPerSecond).toBeCloseTo(2_000, 6);
    expect(e.throughput.processedRecordsPerSecond).toBeCloseTo(1_250, 6);
    expect(e.sink).toMatchObject({ deliveryStreamName: 'order-firehose', freshnessSeconds: 120, throttledRecords: null });
    expect(e.timeLagSeconds).toBe(450);
    expect(e.job.activeRuns.map((r) => r.jobRunId)).toEqual(['00fs1run0000a001']);
    expect(e.job.executors).toEqual({
      dynamicAllocation: false,
      setting: 'spark.executor.instances',
      executors: 4,
      coresPerExecutor: 1,
      from: 'sparkSubmitParameters',
    });
    expect(e.job.checkpoint).toBeUndefined();
    expect(e.actionsLastHour).toBe(1);
    expect(s3.calls()).toHaveLength(0);
  });

  it('leads the plan to scale the job ×2 from the recorded state', async () => {
    const e = await diagnoseConsumerLag(ctx(), alarm);
    const d = planConsumerLag({ pipelineName: 'orders', pipeline, settings, evidence: e, nowMs: NOW, incidentId: 'orders.consumer-lag.x', trigger: alarm });
    expect(d).toMatchObject({ kind: 'fix', reason: ConsumerLagReason.SCALE_OUT, evidence: { targetExecutors: 8 } });
  });

  it('derives the consumer position from incoming − Δlag without the processed metric', async () => {
    const { processedRecordsMetric: _p, ...plainJob } = pipeline.job;
    const c = { ...ctx(), pipeline: { ...pipeline, job: plainJob } };
    const recorded = reply<GetMetricDataCommandOutput>(CW, 'GetMetricData');
    cw.on(GetMetricDataCommand).resolves({ ...recorded, MetricDataResults: recorded.MetricDataResults!.filter((r) => r.Id !== 'processed') });
    const e = await diagnoseConsumerLag(c, alarm);
    expect(e.lag).toMatchObject({ offsetsFrom: 'incoming-minus-lag', trend: 'falling-behind' });
    expect(e.throughput.processedRecordsPerSecond).toBeNull();
  });

  it("sums the sink's throttled and incoming records over the judged window only, not the lookback", async () => {
    const recorded = reply<GetMetricDataCommandOutput>(CW, 'GetMetricData');
    const results = recorded.MetricDataResults!.map((r) =>
      r.Id === 'sinkThrottled' ? { ...r, Timestamps: [new Date('2026-11-22T09:20:00Z'), new Date('2026-11-22T09:50:00Z')], Values: [1_000_000, 7] } : r,
    );
    cw.on(GetMetricDataCommand).resolves({ ...recorded, MetricDataResults: results });
    const e = await diagnoseConsumerLag(ctx(), alarm);
    expect(e.sink).toMatchObject({ throttledRecords: 7, incomingRecords: 13 * 74_000 + 100 * 78 });
  });

  it('reads the newest ended run and the checkpoint when no run is active', async () => {
    emr.on(ListJobRunsCommand, { states: ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED', 'CANCELLING'] }).resolves({ jobRuns: [] });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 45, LastModified: new Date(NOW - 120_000) });
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: '_checkpoints/streaming/orders/commits/41', LastModified: new Date(NOW - 60_000), Size: 29 }],
      IsTruncated: false,
    });
    const e = await diagnoseConsumerLag(ctx(), alarm);
    expect(emr.commandCalls(GetJobRunCommand)[0]!.args[0].input.jobRunId).toBe('00fs0old0000c003');
    expect(e.job).toMatchObject({ activeRuns: [], checkpoint: { exists: true, lastWriteMs: NOW - 60_000 } });
    expect(e.job.lastEnded).toBeDefined();
    expect(e.job.run).toBeUndefined();
  });

  it('falls back to the configured topic dimensions when the group has no lag metric', async () => {
    cw.on(ListMetricsCommand).resolves({ Metrics: [] });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const e = await diagnoseConsumerLag(ctx(), alarm);
    const q = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!.find((x) => x.Id === 'lagSum')!;
    expect(q.MetricStat!.Metric!.Dimensions).toEqual([
      { Name: 'Cluster Name', Value: 'order-processing' },
      { Name: 'Consumer Group', Value: 'order-processor' },
      { Name: 'Topic', Value: 'orders.raw' },
    ]);
    expect(e.lag).toMatchObject({ level: 'none', trend: 'unknown', totalLag: null });
  });
});
