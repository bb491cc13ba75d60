import {
  bufferShape,
  dataLossClock,
  formatDuration,
  latest,
  ratePerSecond,
  sumOf,
  tail,
  trendOf,
  type BufferShape,
  type Hints,
  type LossClock,
  type Trend,
} from '../../analysis/firehose';
import { assessRecordLoss, freshnessPoints, type RecordLoss } from '../../analysis/firehose-loss';
import { errorCountsText, type DeliveryErrorClass, type DeliveryErrorCount } from '../../analysis/firehose-errors';
import type { Evidence } from '../../core/decision';
import type { FirehoseDeliveryEvidence } from './diagnose';
import type { FirehoseDeliverySettings } from './manifest';
import { BUCKET_ACTIONS, KMS_ACTIONS, OBJECT_ACTIONS, missingPermissions, missingText, type MissingPermission } from './policy';

/**
 * What the plan reasons on, derived from the raw evidence (pure): the current freshness and its
 * trend, rates, the buffer's shape, the data-loss clock, the records-lost assessment, the error
 * classes and the missing permissions. `evidence` is the flat, unit-named record a person reads.
 */
export interface DeliveryFacts {
  freshnessSeconds?: number;
  freshnessTrend: Trend;
  successRatio?: number;
  throttledRecords: number;
  incomingBytesPerSecond?: number;
  incomingRecordsPerSecond?: number;
  hints?: Hints;
  shape?: BufferShape;
  clock?: LossClock;
  loss: RecordLoss;
  retentionSeconds: number;
  classes: Set<DeliveryErrorClass>;
  errorsOf(c: DeliveryErrorClass): DeliveryErrorCount[];
  missingS3: MissingPermission[];
  missingKms: MissingPermission[];
  evidence: Evidence;
}

export const TREND_POINTS = 10;

const S3_ACTIONS = new Set<string>([...BUCKET_ACTIONS, ...OBJECT_ACTIONS]);
const KMS = new Set<string>(KMS_ACTIONS);

const round = (n: number | undefined, digits = 0): number | null => (n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));

export function deliveryFacts(e: FirehoseDeliveryEvidence, s: FirehoseDeliverySettings, nowMs: number): DeliveryFacts {
  const b = s.bounds;
  const retentionSeconds = Math.round(b.retentionHours * 3_600);
  const { recent, history } = e;
  const freshnessSeconds = latest(recent.freshness) ?? latest(history.freshness);
  const clock =
    freshnessSeconds === undefined
      ? undefined
      : dataLossClock(freshnessSeconds, nowMs, {
          retentionSeconds,
          criticalBelowSeconds: b.criticalWhenHoursLeft * 3_600,
          errorBelowSeconds: b.errorWhenHoursLeft * 3_600,
        });
  const points = freshnessPoints(history.freshness, history.periodSeconds, recent.freshness, recent.periodSeconds);
  const loss = assessRecordLoss(points, history.incomingRecords, history.periodSeconds, retentionSeconds);
  // Rates of the last 10 minutes too: buffers are sized for the volume now.
  const incomingBytesPerSecond = ratePerSecond(tail(recent.incomingBytes, TREND_POINTS), recent.periodSeconds);
  const incomingRecordsPerSecond = ratePerSecond(tail(recent.incomingRecords, TREND_POINTS), recent.periodSeconds);
  const hints = e.destination?.bufferingHints;
  const shape = hints && incomingBytesPerSecond !== undefined ? bufferShape(hints, incomingBytesPerSecond) : undefined;
  const missing = e.permissions.checked ? missingPermissions(e.permissions.results) : [];
  const missingS3 = missing.filter((m) => S3_ACTIONS.has(m.action));
  const missingKms = missing.filter((m) => KMS.has(m.action));
  const classes = new Set(e.errors.classes);
  const throttledRecords = sumOf(recent.throttled);
  const successRatio = latest(recent.success);
  // The last 10 minutes: what the freshness does now, not what it did half an hour ago.
  const freshnessTrend = trendOf(tail(recent.freshness, TREND_POINTS));
  const d = e.destination;
  const newestError = [...e.errors.byCode].sort((x, y) => y.lastAtMs - x.lastAtMs)[0];

  const evidence: Evidence = {
    streamName: e.streamName,
    streamStatus: e.stream?.status ?? 'NOT_FOUND',
    versionId: e.stream?.versionId ?? null,
    destinationId: d?.destinationId ?? null,
    bucketArn: d?.bucketArn ?? null,
    prefix: d?.prefix ?? null,
    errorOutputPrefix: d?.errorOutputPrefix ?? null,
    roleArn: d?.roleArn ?? null,
    kmsKeyArn: d?.kmsKeyArn ?? null,
    sizeInMBs: hints?.sizeInMBs ?? null,
    intervalInSeconds: hints?.intervalInSeconds ?? null,
    freshnessSeconds: round(freshnessSeconds),
    freshnessTrend,
    freshnessThresholdSeconds: b.freshnessThresholdSeconds,
    deliverySuccessRatio: round(successRatio, 3),
    incomingRecordsPerSecond: round(incomingRecordsPerSecond, 1),
    incomingBytesPerSecond: round(incomingBytesPerSecond),
    bufferFillSeconds: round(shape?.fillSeconds, 1),
    s3ObjectsPerSecond: round(shape?.objectsPerSecond, 3),
    throttledRecords,
    deliveryErrors: errorCountsText(e.errors),
    deliveryErrorCount: e.errors.total,
    lastDeliveryError: newestError ? `${newestError.code}: ${newestError.lastMessage}` : null,
    errorLog: e.errorLog.read
      ? `${e.errorLog.logGroupName}/${e.errorLog.logStreamName}`
      : `not read: ${e.errorLog.enabled ? (e.errorLog.error ?? 'unknown') : 'error logging is disabled'}`,
    missingPermissions: e.permissions.checked ? missingText(missing) : `not checked: ${e.permissions.error ?? 'unknown'}`,
    retentionSeconds,
    timeLeftBeforeLossSeconds: clock ? clock.timeLeftSeconds : null,
    timeLeftBeforeLoss: clock ? formatDuration(clock.timeLeftSeconds) : null,
    dataLossAt: clock && !clock.losingNow ? new Date(clock.lossAtMs).toISOString() : null,
    recordsLost: loss.verdict,
    lostRecordsEstimate: loss.lostRecordsEstimate,
    maxFreshnessSeconds: round(loss.maxFreshnessSeconds ?? undefined),
    recordsLostStatement: recordsLostStatement(loss, retentionSeconds),
  };

  return {
    ...(freshnessSeconds !== undefined ? { freshnessSeconds } : {}),
    freshnessTrend,
    ...(successRatio !== undefined ? { successRatio } : {}),
    throttledRecords,
    ...(incomingBytesPerSecond !== undefined ? { incomingBytesPerSecond } : {}),
    ...(incomingRecordsPerSecond !== undefined ? { incomingRecordsPerSecond } : {}),
    ...(hints ? { hints } : {}),
    ...(shape ? { shape } : {}),
    ...(clock ? { clock } : {}),
    loss,
    retentionSeconds,
    classes,
    errorsOf: (c) => e.errors.byCode.filter((x) => x.class === c),
    missingS3,
    missingKms,
    evidence,
  };
}

/** The answer to "did we lose any records?", in one sentence. */
export function recordsLostStatement(loss: RecordLoss, retentionSeconds: number): string {
  const r = formatDuration(retentionSeconds);
  if (loss.verdict === 'none') {
    const peak = loss.maxFreshnessSeconds === null ? 'no freshness data' : `peak freshness ${formatDuration(loss.maxFreshnessSeconds)}`;
    return `no records lost: freshness never reached the ${r} retention (${peak})`;
  }
  const w = loss.lossWindow;
  const window = w ? ` that arrived between ${new Date(w.startMs).toISOString()} and ${new Date(w.endMs).toISOString()}` : '';
  return `up to ${loss.lostRecordsEstimate} records may have been lost: records${window} reached the ${r} retention undelivered`;
}
