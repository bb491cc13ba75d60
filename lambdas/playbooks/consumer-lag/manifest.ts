import * as z from 'zod';
import { playbookSettings } from '../common-settings';
import { listBucketUnder, passJobRole } from '../../core/permissions';
import { driverLogPermissions } from '../../runtimes/emr-serverless/driver-log-permissions';
import { checkpointLocation } from '../../runtimes/emr-serverless/checkpoint';
import { byJobKind } from '../../config/job-kind';
import type { EmrPipeline } from '../../config/schema';
import { flinkLagAlarms } from '../../runtimes/managed-flink/alarms';
import type { AlarmSpec, PermissionSpec, PipelineContext, PlaybookManifest } from '../../core/playbook';
import { flinkLagPermissions } from './flink-manifest';
import { appArn } from '../../util/arn';

/**
 * consumer-lag: the streaming job falls behind its source. Tells catching up from falling
 * behind from stopped (Burrow's rules over the lag window), finds the bottleneck (job down or
 * hung, too few executors, a hot partition, a slow sink) and acts only where acting helps:
 * restart a dead or hung run, or scale executors within bounds; everything else escalates.
 * Seeds: 000 "Consumer Lag Detected", 004 "Consumer Lag High", 002 "P1: High Consumer Lag".
 */

export const consumerLagBounds = z
  .object({
    /** Alarm: which topic-level MSK lag metric (MaxOffsetLag: worst partition; SumOffsetLag: whole group). */
    lagMetric: z.enum(['MaxOffsetLag', 'SumOffsetLag']).default('MaxOffsetLag'),
    /** Alarm: lag above this many records. */
    lagAlarmRecords: z.number().int().positive().default(100_000),
    /** Alarm: EstimatedMaxTimeLag above this many seconds. */
    timeLagAlarmSeconds: z.number().int().positive().default(900),
    /** Alarm (Kinesis sources): GetRecords.IteratorAgeMilliseconds above this many seconds. */
    iteratorAgeAlarmSeconds: z.number().int().positive().default(900),
    /** Alarm: minutes in a row above the threshold. */
    alarmMinutes: z.number().int().min(1).max(60).default(5),
    /** MSK publishes the lag metrics with a "Cluster Name" dimension; false for clusters that do not. */
    clusterNameDimension: z.boolean().default(true),
    /** Burrow window: this many one-minute samples. */
    windowMinutes: z.number().int().min(3).max(60).default(15),
    /** Share of the window that must have samples before a trend is judged. */
    minCompleteness: z.number().min(0.1).max(1).default(0.6),
    /** Lag (records) that still counts as caught up. */
    allowedLagRecords: z.number().int().min(0).default(0),
    /** Iterator age (Kinesis sources) that still counts as caught up. */
    allowedIteratorAgeSeconds: z.number().int().min(0).default(60),
    /** Skew: this share of the lag held by at most `maxHotPartitions` partitions… */
    skewLagShare: z.number().min(0.5).max(1).default(0.8),
    maxHotPartitions: z.number().int().min(1).max(100).default(3),
    /** Per-partition series read at most (GetMetricData cost and time). */
    maxPartitionsRead: z.number().int().min(1).max(10_000).default(1_000),
    /** Never scale a job above this many executors. */
    maxExecutors: z.number().int().min(1).max(1_000).default(20),
    /** One scaling step multiplies the executors by at most this. */
    maxScaleFactor: z.number().min(1).max(10).default(2),
    /** Capacity wanted above the measured need (incoming ÷ processed rate). */
    scaleHeadroom: z.number().min(1).max(3).default(1.25),
    /** Sink backpressure: Firehose DataFreshness above this… */
    sinkMaxFreshnessSeconds: z.number().int().positive().default(900),
    /** …or more than this percentage of the records sent to Firehose throttled. */
    sinkMaxThrottledPercent: z.number().min(0).max(100).default(1),
    /** CancelJobRun's shutdownGracePeriodInSeconds for a hung or rescaled run. */
    cancelGracePeriodSeconds: z.number().int().min(0).max(600).default(60),
    /** How long the action waits for the old run to be CANCELLED before giving up (within the Lambda's 5 min). */
    cancelWaitSeconds: z.number().int().min(10).max(270).default(240),
    /**
     * A consumer whose position has not moved for this many minutes, lag remaining, is stalled
     * before a whole window shows it. Long enough that one slow micro-batch is not a stall.
     */
    stallMinutes: z.number().int().min(3).max(60).default(10),
    /** A run younger than this is not judged hung: it may still be starting or replaying a batch. */
    minRunAgeMinutes: z.number().int().min(1).max(120).default(10),
    /** Managed Flink: never raise an application's parallelism above this. */
    maxParallelism: z.number().int().min(1).max(10_000).default(32),
    /**
     * Managed Flink: the application's KPU limit ("the maximum KPUs for an application is 64 by
     * default, and can be increased by requesting a limit increase", API_ParallelismConfiguration):
     * with autoscaling on, MSF scales up to ParallelismPerKPU × this by itself.
     */
    maxKPUs: z.number().int().min(1).max(10_000).default(64),
    /** Managed Flink alarms: cpuUtilization and heapMemoryUtilization above these (the guide's 80 and 90 %). */
    cpuAlarmPercent: z.number().min(1).max(100).default(80),
    heapAlarmPercent: z.number().min(1).max(100).default(90),
    /** Kinesis: a shard not read whose oldest records will be gone within this many hours is paged as critical. */
    criticalRetentionHours: z
      .number()
      .positive()
      .max(24 * 365)
      .default(6),
  })
  .strict()
  .refine((b) => b.cancelWaitSeconds >= b.cancelGracePeriodSeconds, {
    message: 'cancelWaitSeconds must be at least cancelGracePeriodSeconds',
    path: ['cancelWaitSeconds'],
  });

export const consumerLagSettings = playbookSettings(consumerLagBounds, {
  mode: 'auto',
  cooldownSeconds: 600,
  maxActionsPerHour: 2,
  verifyAfterSeconds: 300,
  verifyDeadlineSeconds: 1_200,
  breakerWindowSeconds: 1_800,
  breakerMaxVerifyFailures: 1,
  breakerOpenSeconds: 3_600,
  maxRechecks: 3,
});

export type ConsumerLagSettings = z.output<typeof consumerLagSettings>;
export type ConsumerLagBounds = ConsumerLagSettings['bounds'];

/** The dimensions of MSK's topic-level lag metrics for a pipeline. */
export function mskLagDimensions(
  source: { clusterName: string; consumerGroup: string; topic: string },
  b: Pick<ConsumerLagBounds, 'clusterNameDimension'>,
): Record<string, string> {
  return {
    ...(b.clusterNameDimension ? { 'Cluster Name': source.clusterName } : {}),
    'Consumer Group': source.consumerGroup,
    Topic: source.topic,
  };
}

type Ctx = PipelineContext<ConsumerLagSettings>;

/**
 * The source's own alarms. Kinesis (any runtime): the stream's iterator age, and reads throttled
 * minute after minute ("Monitoring the Amazon Kinesis Data Streams service with Amazon
 * CloudWatch", Kinesis Data Streams Developer Guide: `GetRecords.IteratorAgeMilliseconds`,
 * `ReadProvisionedThroughputExceeded`, dimension StreamName). MSK: the consumer group's lag
 * (EMR jobs; a Flink application reports its own `records_lag_max`).
 */
function sourceAlarms(p: Ctx): AlarmSpec[] {
  const b = p.settings.bounds;
  const src = p.pipeline.source;
  const every = {
    comparison: 'GreaterThanThreshold',
    evaluationPeriods: b.alarmMinutes,
    datapointsToAlarm: b.alarmMinutes,
    treatMissingData: 'missing',
  } as const;
  if (src.kind === 'kinesis') {
    return [
      {
        signal: 'iterator-age',
        description: `${src.streamName}: the consumer reads records more than ${b.iteratorAgeAlarmSeconds} s old`,
        metric: {
          namespace: 'AWS/Kinesis',
          metricName: 'GetRecords.IteratorAgeMilliseconds',
          dimensions: { StreamName: src.streamName },
          statistic: 'Maximum',
          periodSeconds: 60,
        },
        threshold: b.iteratorAgeAlarmSeconds * 1000,
        ...every,
      },
      {
        signal: 'read-throttled',
        description: `${src.streamName}: GetRecords calls throttled every minute for ${b.alarmMinutes} minutes (ReadProvisionedThroughputExceeded)`,
        metric: {
          namespace: 'AWS/Kinesis',
          metricName: 'ReadProvisionedThroughputExceeded',
          dimensions: { StreamName: src.streamName },
          statistic: 'Sum',
          periodSeconds: 60,
        },
        threshold: 0,
        ...every,
        treatMissingData: 'notBreaching',
      },
    ];
  }
  if (p.pipeline.job.kind !== 'emr-serverless') return [];
  const dimensions = mskLagDimensions(src, b);
  return [
    {
      signal: 'offset-lag',
      description: `${src.consumerGroup} on ${src.topic}: ${b.lagMetric} above ${b.lagAlarmRecords} records`,
      metric: { namespace: 'AWS/Kafka', metricName: b.lagMetric, dimensions, statistic: 'Maximum', periodSeconds: 60 },
      threshold: b.lagAlarmRecords,
      ...every,
    },
    {
      signal: 'time-lag',
      description: `${src.consumerGroup} on ${src.topic}: EstimatedMaxTimeLag above ${b.timeLagAlarmSeconds} s`,
      metric: { namespace: 'AWS/Kafka', metricName: 'EstimatedMaxTimeLag', dimensions, statistic: 'Maximum', periodSeconds: 60 },
      threshold: b.timeLagAlarmSeconds,
      ...every,
    },
  ];
}

function alarms(p: Ctx): AlarmSpec[] {
  return [
    ...sourceAlarms(p),
    ...byJobKind(p, { 'emr-serverless': () => [], 'managed-flink': (q) => flinkLagAlarms(q.pipeline.job, q.pipeline.source.kind, q.settings.bounds) }),
  ];
}

/** A Kinesis source (any runtime): its shards, retention and enhanced monitoring, for a shard that is not read. */
function kinesisPermissions(p: Ctx): PermissionSpec[] {
  const src = p.pipeline.source;
  if (src.kind !== 'kinesis') return [];
  return [
    {
      step: 'diagnose',
      actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
      resources: [`arn:${p.partition}:kinesis:${p.region}:${p.account}:stream/${src.streamName}`],
      why: "the stream's open shards, retention and shard-level monitoring: name a shard that is not read and the retention left",
    },
  ];
}

const metricsRead: PermissionSpec[] = [
  {
    step: 'diagnose',
    // ListMetrics and GetMetricData have no resource-level permissions: IAM only accepts "*".
    actions: ['cloudwatch:ListMetrics', 'cloudwatch:GetMetricData'],
    resources: ['*'],
    why: "read the lag window (AWS/Kafka, AWS/Kinesis or AWS/KinesisAnalytics), the incoming and processed rates and the sink's Firehose metrics",
  },
  {
    step: 'verify',
    actions: ['cloudwatch:ListMetrics', 'cloudwatch:GetMetricData'],
    resources: ['*'],
    why: 'check the lag is draining since the fix',
  },
];

function emrPermissions(p: PipelineContext<ConsumerLagSettings, EmrPipeline>): PermissionSpec[] {
  const cp = checkpointLocation(p.pipeline.job.checkpoint);
  const runs = [appArn(p), `${appArn(p)}/jobruns/*`];
  return [
    {
      step: 'diagnose',
      actions: ['emr-serverless:ListJobRuns', 'emr-serverless:GetJobRun', 'emr-serverless:ListJobRunAttempts'],
      resources: runs,
      why: "find the job's active run and its executor settings, or its last ended run (and its attempts) to restart from",
    },
    ...driverLogPermissions(p),
    listBucketUnder(
      p.partition,
      cp.bucket,
      [cp.prefix],
      'diagnose',
      'when the job is not running: find when the checkpoint was last committed (listing of the checkpoint prefix)',
    ),
    {
      step: 'diagnose',
      actions: ['s3:GetObject'],
      resources: [`arn:${p.partition}:s3:::${cp.bucket}/${cp.prefix}metadata`],
      why: 'when the job is not running: check the checkpoint exists (HeadObject of its metadata file)',
    },
    {
      step: 'act',
      actions: ['emr-serverless:CancelJobRun', 'emr-serverless:StartJobRun', 'emr-serverless:TagResource'],
      resources: runs,
      why: 'cancel a hung or rescaled run, then start exactly one run from the same checkpoint (tags set at creation)',
    },
    passJobRole(p.pipeline.job.executionRoleArn),
    {
      step: 'verify',
      actions: ['emr-serverless:ListJobRuns'],
      resources: runs,
      why: 'check the replacement run is RUNNING',
    },
  ];
}

export const consumerLagManifest: PlaybookManifest<ConsumerLagSettings> = {
  id: 'consumer-lag',
  title: 'Consumer lag → restart or scale within bounds, or say where the bottleneck is',
  summary:
    "Classifies the lag window with Burrow's rules; restarts a job that is not running or a run that is hung, scales executors " +
    '(EMR) or parallelism (Managed Flink) within bounds when the job falls behind on its own, and escalates hot partitions, a ' +
    'Kinesis shard that is not read, throttled reads, sink backpressure, rewound offsets and the scale and partition bounds.',
  settings: consumerLagSettings,
  appliesTo: () => true,
  alarms,
  eventRules: () => [],
  permissions: (p) => [...metricsRead, ...kinesisPermissions(p), ...byJobKind(p, { 'emr-serverless': emrPermissions, 'managed-flink': flinkLagPermissions })],
};
