import type { SimIam } from './iam';
import type { SimKms } from './kms';
import type { SimLogs } from './logs';
import type { MetricStore } from './metrics';
import type { SimS3 } from './s3';

/**
 * How a simulated Firehose stream evolves, one minute at a time: records arrive (up to the
 * stream's quota, the rest is throttled), wait in the buffer until it is full or its interval
 * ends, then go to S3 as objects, at most `maxObjectsPerMinute` objects a minute (the request
 * rate the bucket takes from this stream). A delivery the role, the key or the bucket refuses
 * fails: nothing leaves the buffer, an error line goes to the stream's error log, and the
 * freshness (age of the oldest record not delivered) grows one second per second until the
 * cause is gone. Records older than the retention are dropped: lost.
 */

export const MIB = 1024 * 1024;

export interface Chunk {
  /** When the oldest record of the chunk arrived. */
  atMs: number;
  records: number;
  bytes: number;
}

export interface SimFirehoseStream {
  name: string;
  arn: string;
  versionId: number;
  destinationId: string;
  createdMs: number;
  updatedMs: number;
  roleArn: string;
  bucket: string;
  prefix: string;
  errorOutputPrefix?: string;
  kmsKeyArn?: string;
  /** Customer key of the stream's own server-side encryption. */
  sseKeyArn?: string;
  sizeInMBs: number;
  intervalInSeconds: number;
  errorLogging: boolean;
  logGroupName: string;
  logStreamName: string;
  recordsPerSecond: number;
  recordBytes: number;
  maxObjectsPerMinute: number;
  quotaRecordsPerSecond: number;
  retentionSeconds: number;
  chunks: Chunk[];
  deliveredRecords: number;
  lostRecords: number;
  objects: number;
  freshnessSeconds: number;
  lastError?: { code: string; message: string };
  /** Changes someone else makes right before the next UpdateDestination call is processed. */
  beforeNextUpdate: { sizeInMBs?: number; intervalInSeconds?: number; prefix?: string }[];
}

export interface DeliveryDeps {
  iam: SimIam;
  kms: SimKms;
  s3: SimS3;
  logs: SimLogs;
  store: MetricStore;
  note: (text: string) => void;
}

const staticPrefix = (p: string) => p.split('!{')[0]!;
const objectArn = (s: SimFirehoseStream) => `arn:aws:s3:::${s.bucket}/${staticPrefix(s.prefix)}*`;

/**
 * The S3 delivery error codes and messages Firehose writes to its error log, only those the
 * Amazon Data Firehose Developer Guide documents ("Monitor Amazon Data Firehose Using CloudWatch
 * Logs" → "Data delivery errors" → Amazon S3,
 * docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-logs.html). A role that may
 * not use the destination's KMS key gets no KMS code of its own: S3 refuses the PutObject, and
 * the guide's code for that is S3.AccessDenied.
 */
export const S3_DELIVERY_ERRORS = {
  'S3.AccessDenied':
    'Access was denied. Ensure that the trust policy for the provided IAM role allows Firehose to assume the role, and the access policy allows access to the S3 bucket.',
  'S3.NoSuchBucket': 'The specified bucket does not exist. Create the bucket or use a different bucket that does exist.',
  'S3.KMS.NotFoundException':
    'The provided AWS KMS key was not found. If you are using what you believe to be a valid AWS KMS key with the correct role, check if there is a problem with the account to which the AWS KMS key is attached.',
  'S3.KMS.KeyDisabled': 'The provided KMS key is disabled. Enable the key or use a different key.',
  'S3.MethodNotAllowed':
    "The specified method is not allowed against this resource. Modify the bucket's policy to allow the correct Amazon S3 operation permissions.",
} as const;

export type S3DeliveryErrorCode = keyof typeof S3_DELIVERY_ERRORS;
const error = (code: S3DeliveryErrorCode) => ({ code, message: S3_DELIVERY_ERRORS[code] });

/** Why a delivery fails now, as Firehose's error log would say; undefined when it would succeed. */
export function deliveryError(s: SimFirehoseStream, d: DeliveryDeps): { code: S3DeliveryErrorCode; message: string } | undefined {
  if (d.iam.decide(s.roleArn, 's3:PutObject', objectArn(s)).decision !== 'allowed') return error('S3.AccessDenied');
  if (s.kmsKeyArn) {
    if (!d.kms.exists(s.kmsKeyArn)) return error('S3.KMS.NotFoundException');
    if (!d.kms.enabled(s.kmsKeyArn)) return error('S3.KMS.KeyDisabled');
    if (d.iam.decide(s.roleArn, 'kms:GenerateDataKey', s.kmsKeyArn).decision !== 'allowed') return error('S3.AccessDenied');
  }
  return undefined;
}

/** The stream's own encryption failure (its SSE key disabled or gone), shown by DescribeDeliveryStream. */
export function streamFailure(s: SimFirehoseStream, kms: SimKms): { type: string; details: string } | undefined {
  if (!s.sseKeyArn) return undefined;
  if (!kms.exists(s.sseKeyArn)) return { type: 'KMS_KEY_NOT_FOUND', details: `The KMS key ${s.sseKeyArn} was not found.` };
  if (!kms.enabled(s.sseKeyArn)) return { type: 'DISABLED_KMS_KEY', details: `The KMS key ${s.sseKeyArn} is disabled.` };
  return undefined;
}

export interface MinuteOptions {
  /** Backfill: no error log lines before this time. */
  logsFromMs?: number;
  /** Backfill: deliveries before this time succeed whatever the role, key and bucket say now. */
  healthyBeforeMs?: number;
  kms: SimKms;
}

/** Advances the stream over the minute that ends at `endMs` and publishes that minute's metrics. */
export function deliverMinute(s: SimFirehoseStream, endMs: number, d: DeliveryDeps, o: MinuteOptions): void {
  const startMs = endMs - 60_000;
  const accepted = Math.min(s.recordsPerSecond, s.quotaRecordsPerSecond) * 60;
  const throttled = Math.max(0, s.recordsPerSecond - s.quotaRecordsPerSecond) * 60;
  if (accepted > 0) s.chunks.push({ atMs: startMs, records: accepted, bytes: accepted * s.recordBytes });

  // Retention: what waited longer is dropped for good.
  const cutoff = endMs - s.retentionSeconds * 1000;
  const expired = s.chunks.filter((c) => c.atMs <= cutoff);
  if (expired.length > 0) {
    const n = expired.reduce((a, c) => a + c.records, 0);
    if (s.lostRecords === 0) d.note(`firehose ${s.name}: records older than ${s.retentionSeconds} s are being dropped`);
    s.lostRecords += n;
    s.chunks = s.chunks.filter((c) => c.atMs > cutoff);
  }

  const bytesPerSecond = (accepted * s.recordBytes) / 60;
  const fillSeconds = bytesPerSecond > 0 ? (s.sizeInMBs * MIB) / bytesPerSecond : Infinity;
  const flushSeconds = Math.min(Math.max(1, s.intervalInSeconds), fillSeconds);
  const eligible = s.chunks.filter((c) => endMs - c.atMs >= flushSeconds * 1000);
  const healthy = o.healthyBeforeMs !== undefined && endMs <= o.healthyBeforeMs;
  const failure = healthy ? undefined : streamFailure(s, o.kms);
  let err = healthy || failure ? undefined : deliveryError(s, d);
  let deliveredRecords = 0;
  let deliveredBytes = 0;
  let attempted = eligible.length > 0;
  if (attempted && !failure && !err) {
    let budget = s.maxObjectsPerMinute * s.sizeInMBs * MIB;
    for (const c of eligible) {
      if (budget <= 0) break;
      const share = Math.min(1, budget / c.bytes);
      const r = Math.round(c.records * share);
      const b = c.bytes * share;
      c.atMs += Math.round(60_000 * share);
      c.records -= r;
      c.bytes -= b;
      budget -= b;
      deliveredRecords += r;
      deliveredBytes += b;
    }
    s.chunks = s.chunks.filter((c) => c.records > 0 && c.bytes > 0.5);
    try {
      const key = `${staticPrefix(s.prefix)}${new Date(startMs).toISOString().slice(0, 13).replace(/[-T]/g, '/')}/${s.name}-${s.versionId}-${startMs}`;
      d.s3.put(s.bucket, key, JSON.stringify({ records: deliveredRecords, bytes: Math.round(deliveredBytes) }), { atMs: endMs });
      s.objects += Math.max(1, Math.ceil(deliveredBytes / (s.sizeInMBs * MIB)));
      s.deliveredRecords += deliveredRecords;
    } catch {
      // The bucket is gone: S3 refused the objects; nothing was delivered.
      err = error('S3.NoSuchBucket');
      deliveredRecords = 0;
      deliveredBytes = 0;
    }
  }
  if (err && attempted && s.errorLogging && endMs >= (o.logsFromMs ?? 0)) {
    const line = JSON.stringify({
      deliveryStreamARN: s.arn,
      destination: `arn:aws:s3:::${s.bucket}`,
      deliveryStreamVersionId: s.versionId,
      message: err.message,
      errorCode: err.code,
    });
    // One line per delivery attempt: Firehose retries each buffer about every 20 s.
    for (let k = 0; k < 3; k++) d.logs.put(s.logGroupName, s.logStreamName, startMs + k * 20_000, line);
  }
  if (err?.code !== s.lastError?.code) {
    d.note(err ? `firehose ${s.name}: deliveries fail: ${err.code}` : `firehose ${s.name}: deliveries succeed again`);
  }
  s.lastError = err;
  attempted = attempted || deliveredRecords > 0;

  const oldest = s.chunks[0];
  s.freshnessSeconds = oldest ? Math.round((endMs - oldest.atMs) / 1000) : Math.round(Math.min(flushSeconds, 60));
  const put = (metricName: string, value: number, unit: string) =>
    d.store.putValue({ namespace: 'AWS/Firehose', metricName, dimensions: { DeliveryStreamName: s.name } }, startMs, value, unit);
  put('IncomingRecords', accepted, 'Count');
  put('IncomingBytes', accepted * s.recordBytes, 'Bytes');
  put('ThrottledRecords', throttled, 'Count');
  if (accepted > 0 || s.chunks.length > 0) put('DeliveryToS3.DataFreshness', s.freshnessSeconds, 'Seconds');
  if (attempted) {
    put('DeliveryToS3.Success', deliveredRecords > 0 && !err ? 1 : 0, 'None');
    put('DeliveryToS3.Records', deliveredRecords, 'Count');
    put('DeliveryToS3.Bytes', Math.round(deliveredBytes), 'Bytes');
  }
}
