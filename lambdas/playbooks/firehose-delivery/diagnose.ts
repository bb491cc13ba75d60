import type { MetricQuery } from '../../adapters/cloudwatch';
import type { DeliveryStreamView, S3DestinationView } from '../../adapters/firehose';
import type { SimulationResult } from '../../adapters/iam';
import type { Series } from '../../analysis/firehose';
import { summarizeDeliveryErrors, type DeliveryErrorSummary } from '../../analysis/firehose-errors';
import { AwsRequestError, NotFoundError } from '../../core/errors';
import type { Trigger } from '../../core/trigger';
import type { PlaybookContext } from '../../core/playbook';
import { DEFAULT_ERROR_LOG_STREAM, defaultErrorLogGroup, streamNameOf, type FirehoseDeliverySettings } from './manifest';
import { BUCKET_ACTIONS, KMS_ACTIONS, OBJECT_ACTIONS, objectArnPattern, regionOfArn } from './policy';

/** The recent window: trends, rates and the error log (1-minute points). */
export const RECENT_WINDOW_SECONDS = 30 * 60;
export const RECENT_PERIOD_SECONDS = 60;
/** The history window's points: 5 minutes, enough to date a stall that passed retention. */
export const HISTORY_PERIOD_SECONDS = 300;
const MAX_ERROR_EVENTS = 1_000;

export interface ErrorLogRead {
  logGroupName: string;
  logStreamName: string;
  /** Firehose writes delivery errors for this destination. */
  enabled: boolean;
  /** The log was read (false: logging disabled, log group missing or not readable). */
  read: boolean;
  /** Why it could not be read. */
  error?: string;
}

export interface PermissionCheck {
  /** The simulation ran (false: no role or bucket to check, or IAM refused the simulation). */
  checked: boolean;
  roleArn?: string;
  results: SimulationResult[];
  error?: string;
}

export interface RecentMetrics {
  periodSeconds: number;
  freshness: Series;
  success: Series;
  incomingRecords: Series;
  incomingBytes: Series;
  throttled: Series;
}

export interface HistoryMetrics {
  periodSeconds: number;
  startMs: number;
  freshness: Series;
  incomingRecords: Series;
}

export interface FirehoseDeliveryEvidence {
  streamName: string;
  /** Undefined: DescribeDeliveryStream says the stream does not exist. */
  stream?: DeliveryStreamView;
  /** The S3 destination (the first destination with a bucket). */
  destination?: S3DestinationView;
  errorLog: ErrorLogRead;
  errors: DeliveryErrorSummary;
  permissions: PermissionCheck;
  recent: RecentMetrics;
  history: HistoryMetrics;
}

/** The lock, cooldown and budget key of a delivery stream. */
export const streamResource = (stream: string) => `firehose:${stream}`;

const query = (id: string, stream: string, metricName: string, stat: string, periodSeconds: number): MetricQuery => ({
  id,
  namespace: 'AWS/Firehose',
  metricName,
  dimensions: { DeliveryStreamName: stream },
  stat,
  periodSeconds,
});

/** Both windows' metrics of one stream, read in parallel. */
export async function readStreamMetrics(ctx: PlaybookContext, stream: string, nowMs: number, retentionSeconds: number) {
  const p = RECENT_PERIOD_SECONDS;
  const h = HISTORY_PERIOD_SECONDS;
  // A record that arrived 2 × retention ago is the oldest one a stall past retention can have dropped.
  const historyStartMs = nowMs - (2 * retentionSeconds + 3_600) * 1000;
  const [r, hist] = await Promise.all([
    ctx.aws.cloudwatch.getMetricData(
      [
        query('freshness', stream, 'DeliveryToS3.DataFreshness', 'Maximum', p),
        query('success', stream, 'DeliveryToS3.Success', 'Average', p),
        query('records', stream, 'IncomingRecords', 'Sum', p),
        query('bytes', stream, 'IncomingBytes', 'Sum', p),
        query('throttled', stream, 'ThrottledRecords', 'Sum', p),
      ],
      nowMs - RECENT_WINDOW_SECONDS * 1000,
      nowMs,
    ),
    ctx.aws.cloudwatch.getMetricData(
      [query('freshness', stream, 'DeliveryToS3.DataFreshness', 'Maximum', h), query('records', stream, 'IncomingRecords', 'Sum', h)],
      historyStartMs,
      nowMs,
    ),
  ]);
  const empty: Series = { timestampsMs: [], values: [] };
  const recent: RecentMetrics = {
    periodSeconds: p,
    freshness: r.freshness ?? empty,
    success: r.success ?? empty,
    incomingRecords: r.records ?? empty,
    incomingBytes: r.bytes ?? empty,
    throttled: r.throttled ?? empty,
  };
  const history: HistoryMetrics = { periodSeconds: h, startMs: historyStartMs, freshness: hist.freshness ?? empty, incomingRecords: hist.records ?? empty };
  return { recent, history };
}

async function describeOrMissing(ctx: PlaybookContext, stream: string): Promise<DeliveryStreamView | undefined> {
  try {
    return await ctx.aws.firehose.describeDeliveryStream(stream);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/**
 * The stream's error log, read only where the function may read (the configured or default log
 * group: its role holds exactly that one), newest events kept: FilterLogEvents answers oldest
 * first, and in an error storm the first page would hold only stale messages.
 */
async function readErrorLog(ctx: PlaybookContext<FirehoseDeliverySettings>, stream: string, dest: S3DestinationView | undefined, nowMs: number) {
  const permitted = ctx.settings.bounds.errorLogGroupName ?? defaultErrorLogGroup(stream);
  const log: ErrorLogRead = {
    logGroupName: dest?.logGroupName ?? permitted,
    logStreamName: dest?.logStreamName ?? DEFAULT_ERROR_LOG_STREAM,
    enabled: dest?.errorLoggingEnabled ?? false,
    read: false,
  };
  if (!log.enabled) return { log, events: [] };
  if (log.logGroupName !== permitted) {
    return {
      log: {
        ...log,
        error: `the stream logs to ${log.logGroupName}; streamfix may read ${permitted} only: set bounds.errorLogGroupName to ${log.logGroupName}`,
      },
      events: [],
    };
  }
  try {
    const events = await ctx.aws.logs.filterLogEvents(log.logGroupName, {
      logStreamNames: [log.logStreamName],
      startMs: nowMs - RECENT_WINDOW_SECONDS * 1000,
      endMs: nowMs,
      limit: MAX_ERROR_EVENTS,
      newest: true,
    });
    return { log: { ...log, read: true }, events };
  } catch (e) {
    // No log group yet (no error was ever written) or no permission on a custom group: say so.
    if (e instanceof NotFoundError || e instanceof AwsRequestError) return { log: { ...log, error: e.message }, events: [] };
    throw e;
  }
}

async function checkPermissions(ctx: PlaybookContext<FirehoseDeliverySettings>, dest: S3DestinationView | undefined): Promise<PermissionCheck> {
  if (!dest?.roleArn || !dest.bucketArn) return { checked: false, results: [], error: 'the destination names no role or bucket' };
  const { roleArn, bucketArn, kmsKeyArn } = dest;
  // streamfix may simulate only the role the config names (least privilege: no role/* grant).
  const allowed = ctx.settings.bounds.deliveryRoleArn;
  if (allowed === undefined) return { checked: false, roleArn, results: [], error: 'bounds.deliveryRoleArn is not configured' };
  if (allowed !== roleArn) return { checked: false, roleArn, results: [], error: `the stream's role is not the configured deliveryRoleArn ${allowed}` };
  const iam = ctx.aws.iam;
  try {
    const objectArn = objectArnPattern(bucketArn, dest.prefix);
    const region = kmsKeyArn ? regionOfArn(kmsKeyArn) : undefined;
    const sims = await Promise.all([
      iam.simulatePrincipalPolicy(roleArn, [...BUCKET_ACTIONS], [bucketArn]),
      iam.simulatePrincipalPolicy(roleArn, [...OBJECT_ACTIONS], [objectArn]),
      kmsKeyArn
        ? iam.simulatePrincipalPolicy(roleArn, [...KMS_ACTIONS], [kmsKeyArn], {
            // The calls S3 makes on the role's behalf carry these: conditions on them must hold.
            contextEntries: [
              ...(region ? [{ ContextKeyName: 'kms:ViaService', ContextKeyValues: [`s3.${region}.amazonaws.com`], ContextKeyType: 'string' as const }] : []),
              { ContextKeyName: 'kms:EncryptionContext:aws:s3:arn', ContextKeyValues: [objectArn.replace(/\*$/, '')], ContextKeyType: 'string' as const },
            ],
          })
        : Promise.resolve([]),
    ]);
    return { checked: true, roleArn, results: sims.flat() };
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof AwsRequestError) return { checked: false, roleArn, results: [], error: e.message };
    throw e;
  }
}

/**
 * Read-only, two rounds of parallel calls: DescribeDeliveryStream and both metric windows;
 * then, from the destination just read, its error log and the IAM simulation of its role.
 */
export async function diagnoseFirehoseDelivery(ctx: PlaybookContext<FirehoseDeliverySettings>, _trigger: Trigger): Promise<FirehoseDeliveryEvidence> {
  const streamName = streamNameOf(ctx.pipeline);
  const nowMs = ctx.clock.now();
  const retentionSeconds = ctx.settings.bounds.retentionHours * 3_600;
  const [stream, metrics] = await Promise.all([describeOrMissing(ctx, streamName), readStreamMetrics(ctx, streamName, nowMs, retentionSeconds)]);
  const destination = stream?.destinations.find((d) => d.bucketArn !== undefined);
  const [errorLog, permissions] = stream
    ? await Promise.all([readErrorLog(ctx, streamName, destination, nowMs), checkPermissions(ctx, destination)])
    : [
        { log: { logGroupName: defaultErrorLogGroup(streamName), logStreamName: DEFAULT_ERROR_LOG_STREAM, enabled: false, read: false }, events: [] },
        { checked: false, results: [] },
      ];
  return {
    streamName,
    ...(stream ? { stream } : {}),
    ...(destination ? { destination } : {}),
    errorLog: errorLog.log,
    errors: summarizeDeliveryErrors(errorLog.events),
    permissions,
    ...metrics,
  };
}
