import { formatDuration, loweredInterval, maxSeverity, raisedHints, type Hints } from '../../analysis/firehose';
import { escalate, fix, ignore, recheck, type Decision, type Severity } from '../../core/decision';
import type { PlanInput } from '../../core/playbook';
import { RECENT_WINDOW_SECONDS, streamResource, type FirehoseDeliveryEvidence } from './diagnose';
import { deliveryFacts, type DeliveryFacts } from './facts';
import type { FirehoseDeliverySettings } from './manifest';
import { accessRecommendation, bucketRecommendation, kmsRecommendation, streamFailureRecommendation } from './recommend';

export const FirehoseDeliveryReason = {
  STREAM_NOT_FOUND: 'FIREHOSE_STREAM_NOT_FOUND',
  STREAM_FAILURE: 'FIREHOSE_STREAM_FAILURE',
  NO_S3_DESTINATION: 'FIREHOSE_NO_S3_DESTINATION',
  DELIVERING: 'FIREHOSE_DELIVERING',
  BUCKET_ERROR: 'FIREHOSE_S3_BUCKET_ERROR',
  ACCESS_DENIED: 'FIREHOSE_S3_ACCESS_DENIED',
  KMS_ERROR: 'FIREHOSE_KMS_ERROR',
  THROTTLED: 'FIREHOSE_THROTTLED',
  TRANSIENT_ERRORS: 'FIREHOSE_TRANSIENT_ERRORS',
  UNKNOWN_ERRORS: 'FIREHOSE_DELIVERY_ERRORS',
  FAILING_UNEXPLAINED: 'FIREHOSE_DELIVERY_FAILING',
  CATCHING_UP: 'FIREHOSE_CATCHING_UP',
  BUFFER_TOO_SMALL: 'FIREHOSE_BUFFER_TOO_SMALL',
  INTERVAL_TOO_LONG: 'FIREHOSE_INTERVAL_TOO_LONG',
  BUFFERING_AT_BOUND: 'FIREHOSE_BUFFERING_AT_BOUND',
  FRESHNESS_UNEXPLAINED: 'FIREHOSE_FRESHNESS_UNEXPLAINED',
} as const;

export const UPDATE_BUFFERING_HINTS = 'firehose:UpdateDestination';

/** Firehose retries transient errors by itself, and a backlog needs minutes to drain. */
export const RECHECK_AFTER_SECONDS = 300;

export type HintsIntent = 'raise' | 'lower-interval';

/** Severity of an escalation: its own floor, raised by the data-loss clock. */
const sev = (floor: Severity, f: DeliveryFacts): Severity => (f.clock ? maxSeverity(floor, f.clock.severity) : floor);

const left = (f: DeliveryFacts) =>
  f.clock ? (f.clock.losingNow ? '; Firehose is dropping records now' : `; ${formatDuration(f.clock.timeLeftSeconds)} left before loss`) : '';

const hintsText = (h: Hints) => `${h.sizeInMBs} MiB/${h.intervalInSeconds} s`;

/**
 * Pure: evidence + settings + now → Decision. In order: a missing or failed stream; a healthy
 * one; S3 bucket, access and KMS errors (or a role the simulation shows cannot write); throttled
 * puts; transient and unknown errors; failing deliveries nothing explains; then buffering: a
 * volume that fills the buffer too fast gets bigger buffers, a low volume waiting on a long
 * interval gets a shorter one, both within bounds.
 */
export function planFirehoseDelivery(input: PlanInput<FirehoseDeliverySettings, FirehoseDeliveryEvidence>): Decision {
  const { evidence: e, settings, nowMs } = input;
  const b = settings.bounds;
  const f = deliveryFacts(e, settings, nowMs);
  const ev = f.evidence;
  const name = e.streamName;
  const R = FirehoseDeliveryReason;

  if (!e.stream) {
    return escalate(R.STREAM_NOT_FOUND, `delivery stream ${name} does not exist`, ev, 'error', {
      summary: `the pipeline's sink ${name} is gone: recreate it, or correct sink.deliveryStreamName in the streamfix config`,
      command: `aws firehose list-delivery-streams`,
    });
  }
  const failure = e.stream.failure ?? e.stream.encryption?.failure;
  if (failure || e.stream.status !== 'ACTIVE') {
    const type = failure?.type ?? '';
    return escalate(
      R.STREAM_FAILURE,
      `delivery stream ${name} is ${e.stream.status}${type ? `: ${type}: ${failure?.details}` : ''}${left(f)}`,
      { ...ev, failureType: type || null, failureDetails: failure?.details ?? null },
      sev('error', f),
      streamFailureRecommendation(e, f, type, failure?.details ?? ''),
    );
  }
  const d = e.destination;
  if (!d) {
    return escalate(R.NO_S3_DESTINATION, `delivery stream ${name} has no S3 destination; this playbook only handles S3`, ev, 'warning', {
      summary: "handle this stream's destination by hand, or turn the firehose-delivery playbook off for this pipeline",
      command: `aws firehose describe-delivery-stream --delivery-stream-name ${name}`,
    });
  }

  const failing = f.successRatio !== undefined && f.successRatio < 1;
  const freshHigh = f.freshnessSeconds !== undefined && f.freshnessSeconds > b.freshnessThresholdSeconds;
  if (!failing && !freshHigh && f.throttledRecords === 0) {
    return ignore(
      R.DELIVERING,
      `${name} delivers: success ${f.successRatio ?? 'n/a'}, freshness ${f.freshnessSeconds ?? 'n/a'} s (threshold ${b.freshnessThresholdSeconds} s), nothing throttled`,
      ev,
    );
  }

  // Errors a person must fix. A simulated denial counts only while deliveries fail: a bucket
  // policy the simulation does not see may be what allows them.
  const accessBroken = f.classes.has('access') || (failing && f.missingS3.length > 0);
  const kmsBroken = f.classes.has('kms') || (failing && f.missingKms.length > 0);
  if (f.classes.has('bucket')) {
    return escalate(
      R.BUCKET_ERROR,
      `${name} cannot deliver to ${d.bucketArn}: ${ev.deliveryErrors}${left(f)}`,
      ev,
      sev('error', f),
      bucketRecommendation(e, f),
    );
  }
  if (accessBroken) {
    const what = f.missingS3.length > 0 ? `the role lacks ${f.missingS3.map((m) => m.action).join(', ')}` : 'S3 denies access';
    return escalate(
      R.ACCESS_DENIED,
      `${name} cannot write to ${d.bucketArn}: ${what} (${ev.deliveryErrors})${left(f)}`,
      ev,
      sev('error', f),
      accessRecommendation(e, f),
    );
  }
  if (kmsBroken) {
    const what =
      f.missingKms.length > 0 ? `the role lacks ${f.missingKms.map((m) => m.action).join(', ')} on ${d.kmsKeyArn}` : `KMS errors (${ev.deliveryErrors})`;
    return escalate(R.KMS_ERROR, `${name} cannot encrypt its deliveries: ${what}${left(f)}`, ev, sev('error', f), kmsRecommendation(e, f));
  }
  if (f.throttledRecords > 0) {
    return escalate(
      R.THROTTLED,
      `${f.throttledRecords} records put to ${name} were throttled in the last ${RECENT_WINDOW_SECONDS / 60} min: incoming is above the stream's quota`,
      ev,
      sev('error', f),
      {
        summary: `request a Firehose quota increase for ${name} (records/s, MiB/s or PutRecordBatch calls/s; never automatic); producers must resend throttled records with backoff`,
        detail: {
          incomingRecordsPerSecond: ev.incomingRecordsPerSecond,
          incomingBytesPerSecond: ev.incomingBytesPerSecond,
          defaultQuota: '5,000 records/s, 5 MiB/s, 2,000 calls/s per stream (region-dependent)',
        },
      },
    );
  }
  const rateLimited = f.classes.has('rate');
  const known = new Set(['rate', 'transient']);
  if ([...f.classes].some((c) => !known.has(c))) {
    return escalate(R.UNKNOWN_ERRORS, `${name} delivery errors this playbook does not know: ${ev.deliveryErrors}${left(f)}`, ev, sev('error', f), {
      summary: 'read the error messages in the delivery error log and fix their cause',
      command: `aws logs filter-log-events --log-group-name ${e.errorLog.logGroupName} --log-stream-names ${e.errorLog.logStreamName} --limit 50`,
    });
  }
  if (f.classes.has('transient') && !rateLimited) {
    return recheck(R.TRANSIENT_ERRORS, `${name} has transient S3 errors (${ev.deliveryErrors}); Firehose retries them`, ev, RECHECK_AFTER_SECONDS);
  }
  if (failing && !rateLimited) {
    return escalate(
      R.FAILING_UNEXPLAINED,
      `${name} deliveries fail (success ${f.successRatio}) and ${e.errorLog.read ? 'the error log names no cause' : 'the error log could not be read'}${left(f)}`,
      ev,
      sev('error', f),
      {
        summary: e.errorLog.enabled
          ? 'look at the S3 delivery errors and the bucket by hand'
          : `turn on error logging for the destination so the cause of failed deliveries is recorded, then look at the bucket by hand`,
        command: `aws firehose describe-delivery-stream --delivery-stream-name ${name}`,
      },
    );
  }
  if (!freshHigh && !rateLimited) {
    return ignore(R.DELIVERING, `${name} delivers: freshness ${f.freshnessSeconds ?? 'n/a'} s`, ev);
  }
  return planBuffering(input, f, rateLimited);
}

function planBuffering(input: PlanInput<FirehoseDeliverySettings, FirehoseDeliveryEvidence>, f: DeliveryFacts, rateLimited: boolean): Decision {
  const { evidence: e, settings } = input;
  const b = settings.bounds;
  const R = FirehoseDeliveryReason;
  const ev = f.evidence;
  const name = e.streamName;
  const current = f.hints;
  if (!current) {
    return escalate(
      R.FRESHNESS_UNEXPLAINED,
      `${name} is late (freshness ${f.freshnessSeconds} s) and its buffering hints are unknown${left(f)}`,
      ev,
      sev('warning', f),
      {
        summary: "read the destination's buffering hints and the bucket's request rate by hand",
        command: `aws firehose describe-delivery-stream --delivery-stream-name ${name}`,
      },
    );
  }
  const highVolume = rateLimited || f.shape?.sizeBound === true;
  if (highVolume) {
    if (f.freshnessTrend === 'falling') {
      return recheck(R.CATCHING_UP, `${name} is catching up: freshness ${f.freshnessSeconds} s and falling`, ev, RECHECK_AFTER_SECONDS);
    }
    const target = raisedHints(current, f.incomingBytesPerSecond ?? 0, b);
    if (!target) {
      return escalate(
        R.BUFFERING_AT_BOUND,
        `${name} needs bigger buffers than the bounds allow (now ${hintsText(current)}, maxSizeInMBs ${b.maxSizeInMBs})${left(f)}`,
        ev,
        sev('error', f),
        {
          summary:
            'S3 cannot take this request rate with the largest allowed buffers: spread the prefix (more partitions per second), ask for an S3 request-rate review, or raise maxSizeInMBs',
          command: hintsCommand(e, { sizeInMBs: 128, intervalInSeconds: current.intervalInSeconds }),
        },
      );
    }
    const why = rateLimited
      ? `S3 slows the requests down (${ev.deliveryErrors})`
      : `the buffer fills in ${ev.bufferFillSeconds} s, before the ${current.intervalInSeconds} s interval`;
    return hintsFix(
      R.BUFFER_TOO_SMALL,
      `${name} is late (freshness ${f.freshnessSeconds} s, ${f.freshnessTrend}): ${why}; raise buffering ${hintsText(current)} → ${hintsText(target)}`,
      input,
      f,
      target,
      'raise',
    );
  }
  const target = loweredInterval(current, b.freshnessTargetSeconds, b);
  if (!target) {
    return escalate(
      R.FRESHNESS_UNEXPLAINED,
      `${name} is late (freshness ${f.freshnessSeconds} s, ${f.freshnessTrend}) with a low volume and a ${current.intervalInSeconds} s interval: buffering does not explain it${left(f)}`,
      ev,
      sev('warning', f),
      {
        summary: "deliveries are slow without errors: check S3 latency for the bucket and the stream's data transformation, if any",
        command: `aws firehose describe-delivery-stream --delivery-stream-name ${name}`,
      },
    );
  }
  return hintsFix(
    R.INTERVAL_TOO_LONG,
    `${name} waits ${current.intervalInSeconds} s to fill buffers it never fills (freshness ${f.freshnessSeconds} s, target ${b.freshnessTargetSeconds} s); lower the interval ${hintsText(current)} → ${hintsText(target)}`,
    input,
    f,
    target,
    'lower-interval',
  );
}

function hintsFix(
  reason: string,
  summary: string,
  input: PlanInput<FirehoseDeliverySettings, FirehoseDeliveryEvidence>,
  f: DeliveryFacts,
  target: Hints,
  intent: HintsIntent,
): Decision {
  const e = input.evidence;
  const current = f.hints!;
  const params = {
    deliveryStreamName: e.streamName,
    destinationId: e.destination!.destinationId,
    versionId: e.stream!.versionId,
    sizeInMBs: target.sizeInMBs,
    intervalInSeconds: target.intervalInSeconds,
    intent,
    previousSizeInMBs: current.sizeInMBs,
    previousIntervalInSeconds: current.intervalInSeconds,
  };
  const description = `UpdateDestination ${e.streamName} (version ${params.versionId}): BufferingHints ${hintsText(current)} → ${hintsText(target)}`;
  const decision = fix(reason, summary, { ...f.evidence, targetSizeInMBs: target.sizeInMBs, targetIntervalInSeconds: target.intervalInSeconds }, [
    { type: UPDATE_BUFFERING_HINTS, resource: streamResource(e.streamName), description, params },
  ]);
  // What a person runs when the mode is `recommend` or a guardrail stops the fix.
  return { ...decision, recommendation: { summary: `set the buffering hints of ${e.streamName} to ${hintsText(target)}`, command: hintsCommand(e, target) } };
}

/** The CLI a person would run to set the hints by hand. */
export function hintsCommand(e: FirehoseDeliveryEvidence, h: Hints): string {
  return (
    `aws firehose update-destination --delivery-stream-name ${e.streamName} --current-delivery-stream-version-id ${e.stream?.versionId ?? '<VersionId>'} ` +
    `--destination-id ${e.destination?.destinationId ?? '<DestinationId>'} --extended-s3-destination-update '{"BufferingHints":{"SizeInMBs":${h.sizeInMBs},"IntervalInSeconds":${h.intervalInSeconds}}}'`
  );
}
