import * as z from 'zod';
import { HINT_LIMITS } from '../../analysis/firehose';
import { playbookSettings } from '../common-settings';
import type { PermissionSpec, PipelineContext, PlaybookManifest } from '../../core/playbook';

/**
 * firehose-delivery: Firehose cannot deliver to S3 (or delivers too late). Find why, tune the
 * buffering hints within bounds when that is the cause, and page with the time left before
 * Firehose drops data when it is not. Seed: 004 "Firehose Delivery Failure" and its
 * post-incident question "did we lose any records?".
 */

const iamRoleArn = z.string().regex(/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN');

export const firehoseDeliveryBounds = z
  .object({
    /** Buffering hints streamfix may set: SizeInMBs (Firehose allows 1–128). */
    minSizeInMBs: z.number().int().min(HINT_LIMITS.sizeInMBs.min).max(HINT_LIMITS.sizeInMBs.max).default(1),
    maxSizeInMBs: z.number().int().min(HINT_LIMITS.sizeInMBs.min).max(HINT_LIMITS.sizeInMBs.max).default(128),
    /** IntervalInSeconds streamfix may set (Firehose allows 0–900). */
    minIntervalInSeconds: z.number().int().min(HINT_LIMITS.intervalInSeconds.min).max(HINT_LIMITS.intervalInSeconds.max).default(60),
    maxIntervalInSeconds: z.number().int().min(HINT_LIMITS.intervalInSeconds.min).max(HINT_LIMITS.intervalInSeconds.max).default(900),
    /** The freshness alarm: `DeliveryToS3.DataFreshness` (Maximum) above this many seconds. */
    freshnessThresholdSeconds: z.number().int().min(60).max(86_400).default(900),
    /** The freshness the pipeline should have: a buffer interval longer than 80 % of it is lowered. */
    freshnessTargetSeconds: z.number().int().min(60).max(86_400).default(300),
    /** How long Firehose retries a failed delivery before dropping records (24 h for Direct PUT). */
    retentionHours: z.number().positive().max(168).default(24),
    /** Time left before loss at or below which an escalation is critical. */
    criticalWhenHoursLeft: z.number().min(0).max(168).default(4),
    /** Time left before loss at or below which an escalation is at least an error. */
    errorWhenHoursLeft: z.number().min(0).max(168).default(12),
    /** The delivery error log group when not `/aws/kinesisfirehose/<stream>` (read permission is granted on it). */
    errorLogGroupName: z.string().min(1).max(512).optional(),
    /**
     * The stream's delivery role. When set, streamfix may simulate it (iam:SimulatePrincipalPolicy on
     * this role only) to name the exact missing permission; when not, that check is skipped.
     */
    deliveryRoleArn: iamRoleArn.optional(),
  })
  .strict()
  .refine((b) => b.minSizeInMBs <= b.maxSizeInMBs, { message: 'minSizeInMBs must not exceed maxSizeInMBs', path: ['minSizeInMBs'] })
  .refine((b) => b.minIntervalInSeconds <= b.maxIntervalInSeconds, {
    message: 'minIntervalInSeconds must not exceed maxIntervalInSeconds',
    path: ['minIntervalInSeconds'],
  })
  .refine((b) => b.criticalWhenHoursLeft <= b.errorWhenHoursLeft, {
    message: 'criticalWhenHoursLeft must not exceed errorWhenHoursLeft',
    path: ['criticalWhenHoursLeft'],
  });

export const firehoseDeliverySettings = playbookSettings(firehoseDeliveryBounds, {
  mode: 'auto',
  cooldownSeconds: 900,
  maxActionsPerHour: 2,
  verifyAfterSeconds: 300,
  verifyDeadlineSeconds: 1_800,
  breakerWindowSeconds: 1_800,
  breakerMaxVerifyFailures: 2,
  breakerOpenSeconds: 3_600,
  maxRechecks: 3,
});

export type FirehoseDeliverySettings = z.output<typeof firehoseDeliverySettings>;
export type FirehoseDeliveryBounds = FirehoseDeliverySettings['bounds'];

/** The stream a pipeline delivers through (appliesTo guarantees it exists). */
export const streamNameOf = (pipeline: { sink?: { deliveryStreamName: string } | undefined }): string => {
  if (!pipeline.sink) throw new Error('the pipeline has no Firehose sink');
  return pipeline.sink.deliveryStreamName;
};

export const defaultErrorLogGroup = (stream: string) => `/aws/kinesisfirehose/${stream}`;
export const DEFAULT_ERROR_LOG_STREAM = 'S3Delivery';

const streamArn = (p: PipelineContext<FirehoseDeliverySettings>) =>
  `arn:${p.partition}:firehose:${p.region}:${p.account}:deliverystream/${streamNameOf(p.pipeline)}`;

const METRICS = 'AWS/Firehose';

export const firehoseDeliveryManifest: PlaybookManifest<FirehoseDeliverySettings> = {
  id: 'firehose-delivery',
  title: 'Firehose delivery to S3 failing or late → tune buffering within bounds, or page with the time left',
  summary:
    'Reads the stream, its S3 delivery error log, the delivery role (IAM simulation) and its metrics; raises or lowers the ' +
    'buffering hints within bounds when buffering is the cause; otherwise escalates with the missing permission, a minimal ' +
    'policy statement and the time left before Firehose drops data, and says whether records were lost.',
  settings: firehoseDeliverySettings,
  appliesTo: (pipeline) => pipeline.sink?.kind === 'firehose',
  alarms: (p) => {
    const stream = streamNameOf(p.pipeline);
    const dimensions = { DeliveryStreamName: stream };
    return [
      {
        signal: 'freshness',
        description: `The oldest record not yet delivered to S3 by ${stream} is older than ${p.settings.bounds.freshnessThresholdSeconds} s`,
        metric: { namespace: METRICS, metricName: 'DeliveryToS3.DataFreshness', dimensions, statistic: 'Maximum', periodSeconds: 60 },
        comparison: 'GreaterThanThreshold',
        threshold: p.settings.bounds.freshnessThresholdSeconds,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: 'missing',
      },
      {
        signal: 'success',
        description: `Deliveries of ${stream} to S3 are failing (DeliveryToS3.Success below 1)`,
        metric: { namespace: METRICS, metricName: 'DeliveryToS3.Success', dimensions, statistic: 'Average', periodSeconds: 60 },
        comparison: 'LessThanThreshold',
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: 'notBreaching',
      },
      {
        signal: 'throttled',
        description: `Records put to ${stream} were throttled (incoming above the stream's quota)`,
        metric: { namespace: METRICS, metricName: 'ThrottledRecords', dimensions, statistic: 'Sum', periodSeconds: 60 },
        comparison: 'GreaterThanThreshold',
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
        // "Throttled in the last minute": its OK says nothing about the quota.
        okMeansRecovered: false,
      },
    ];
  },
  eventRules: () => [],
  permissions: (p) => {
    const stream = streamNameOf(p.pipeline);
    const b = p.settings.bounds;
    const logGroup = b.errorLogGroupName ?? defaultErrorLogGroup(stream);
    const logGroupArn = `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${logGroup}`;
    const simulate: PermissionSpec[] = b.deliveryRoleArn
      ? [
          {
            step: 'diagnose',
            actions: ['iam:SimulatePrincipalPolicy'],
            resources: [b.deliveryRoleArn],
            why: 'ask IAM whether the delivery role may write to the bucket and use its KMS key, without changing anything',
          },
        ]
      : [];
    return [
      {
        step: 'diagnose',
        actions: ['firehose:DescribeDeliveryStream'],
        resources: [streamArn(p)],
        why: 'read the stream: status, failure, version, role, bucket, prefixes, buffering hints, encryption',
      },
      {
        step: 'diagnose',
        actions: ['logs:FilterLogEvents'],
        // The ARN without a trailing `:*`: the form IAM evaluates FilterLogEvents against.
        resources: [logGroupArn],
        why: "count the S3 delivery errors in the stream's error log (the only place per-delivery S3 errors appear)",
      },
      ...simulate,
      {
        step: 'diagnose',
        // GetMetricData has no resource-level permissions: IAM only accepts "*" for it.
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
        why: "read the stream's freshness, success, incoming and throttled metrics (AWS/Firehose)",
      },
      {
        step: 'act',
        actions: ['firehose:DescribeDeliveryStream', 'firehose:UpdateDestination'],
        resources: [streamArn(p)],
        why: 'set the buffering hints of the S3 destination (UpdateDestination with the VersionId read just before)',
      },
      {
        step: 'verify',
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
        why: 'check DeliveryToS3.Success is back to 1 and the freshness is falling',
      },
    ];
  },
};
