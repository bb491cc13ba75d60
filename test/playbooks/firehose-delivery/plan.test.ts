import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintViolations } from '../../../lambdas/analysis/firehose';
import { updateBufferingHintsAction } from '../../../lambdas/playbooks/firehose-delivery/act';
import { FirehoseDeliveryReason as R, RECHECK_AFTER_SECONDS, UPDATE_BUFFERING_HINTS } from '../../../lambdas/playbooks/firehose-delivery/plan';
import {
  BUCKET,
  HOUR_S,
  KEY,
  MIB,
  NOW,
  ROLE,
  STREAM,
  allowedAll,
  deny,
  destination,
  errorLines,
  evidence,
  flat,
  pipeline,
  plan,
  series,
  settingsWith,
  stalled,
  stream,
  withErrors,
} from './fixtures';

const failing = { success: flat(0), freshness: stalled(2 * HOUR_S) };

describe('Function: planFirehoseDelivery', () => {
  describe('the stream itself', () => {
    it('escalates a stream that does not exist', () => {
      const { stream: _s, destination: _d, ...rest } = evidence();
      const d = plan(rest);
      expect(d).toMatchObject({ kind: 'escalate', reason: R.STREAM_NOT_FOUND, severity: 'error' });
    });

    it('escalates a stream-level KMS failure with the command that enables the key', () => {
      const e = evidence(
        {
          stream: stream({
            encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY },
            failure: { type: 'DISABLED_KMS_KEY', details: 'The key is disabled' },
          }),
        },
        failing,
      );
      const d = plan(e);
      expect(d).toMatchObject({ kind: 'escalate', reason: R.STREAM_FAILURE });
      if (d.kind !== 'escalate') return;
      expect(d.summary).toContain('DISABLED_KMS_KEY');
      expect(d.recommendation.command).toBe(`aws kms enable-key --key-id ${KEY}`);
      expect(d.evidence.failureType).toBe('DISABLED_KMS_KEY');
    });

    it('escalates an encryption failure reported on the stream encryption only', () => {
      const e = evidence({
        stream: stream({
          encryption: { status: 'ENABLING_FAILED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY, failure: { type: 'KMS_ACCESS_DENIED', details: 'denied' } },
        }),
      });
      expect(plan(e)).toMatchObject({ kind: 'escalate', reason: R.STREAM_FAILURE });
    });

    it('escalates a stream that is not ACTIVE even without a failure description', () => {
      expect(plan(evidence({ stream: stream({ status: 'CREATING' }) }))).toMatchObject({ kind: 'escalate', reason: R.STREAM_FAILURE });
    });

    it('escalates a stream without an S3 destination', () => {
      const { destination: _d, ...rest } = evidence();
      expect(plan({ ...rest, stream: stream({ destinations: [] }) })).toMatchObject({ kind: 'escalate', reason: R.NO_S3_DESTINATION, severity: 'warning' });
    });
  });

  describe('a healthy stream', () => {
    it('ignores freshness exactly at the threshold with every delivery succeeding', () => {
      const d = plan(evidence({}, { freshness: flat(900) }));
      expect(d).toMatchObject({ kind: 'ignore', reason: R.DELIVERING });
    });

    it('does not ignore one second above the threshold', () => {
      expect(plan(evidence({}, { freshness: flat(901) })).reason).not.toBe(R.DELIVERING);
    });

    it('does not ignore a success ratio just below 1', () => {
      expect(plan(evidence({}, { success: flat(0.999) })).reason).not.toBe(R.DELIVERING);
    });

    it('ignores old access errors once deliveries succeed again', () => {
      expect(plan(evidence(withErrors(errorLines('S3.AccessDenied', 3))))).toMatchObject({ kind: 'ignore', reason: R.DELIVERING });
    });
  });

  describe('errors a person must fix', () => {
    it('escalates S3 access denied with the missing action, a minimal statement and the time left', () => {
      const e = evidence(
        {
          ...withErrors(errorLines('S3.AccessDenied', 40, 'Access was denied.')),
          permissions: { checked: true, roleArn: ROLE, results: deny(allowedAll(), 's3:PutObject') },
        },
        failing,
      );
      const d = plan(e);
      expect(d).toMatchObject({ kind: 'escalate', reason: R.ACCESS_DENIED, severity: 'error' });
      if (d.kind !== 'escalate') return;
      expect(d.summary).toContain('s3:PutObject');
      expect(d.summary).toContain('22h left before loss');
      expect(d.evidence).toMatchObject({
        deliveryErrors: 'S3.AccessDenied×40',
        timeLeftBeforeLossSeconds: 79_200,
        timeLeftBeforeLoss: '22h',
        recordsLost: 'none',
        lostRecordsEstimate: 0,
      });
      expect(d.recommendation.detail?.statements).toEqual([{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${BUCKET}/raw/orders/*`] }]);
      expect(d.recommendation.command).toBe(
        `aws iam put-role-policy --role-name firehose-orders-delivery --policy-name firehose-s3-delivery --policy-document ` +
          `'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["${BUCKET}/raw/orders/*"]}]}'`,
      );
    });

    it.each([
      [86_400 - 4 * HOUR_S, 'critical'],
      [86_400 - 4 * HOUR_S - 1, 'error'],
      [86_400, 'critical'],
    ])('rates access denied at freshness %i s as %s (critical from 4 h left)', (freshness, severity) => {
      const e = evidence(withErrors(errorLines('S3.AccessDenied', 5)), { success: flat(0), freshness: stalled(freshness) });
      expect(plan(e)).toMatchObject({ reason: R.ACCESS_DENIED, severity });
    });

    it('points at the bucket policy when the role itself allows every action', () => {
      const d = plan(evidence(withErrors(errorLines('S3.AccessDenied', 5)), failing));
      expect(d).toMatchObject({ reason: R.ACCESS_DENIED });
      if (d.kind === 'escalate') expect(d.recommendation.command).toBe('aws s3api get-bucket-policy --bucket orders-data-lake');
    });

    it('escalates a role the simulation shows cannot write while deliveries fail, even with error logging off', () => {
      const e = evidence(
        {
          errorLog: { logGroupName: '/aws/kinesisfirehose/order-firehose', logStreamName: 'S3Delivery', enabled: false, read: false },
          permissions: { checked: true, roleArn: ROLE, results: deny(allowedAll(), 's3:PutObject') },
        },
        failing,
      );
      expect(plan(e)).toMatchObject({ kind: 'escalate', reason: R.ACCESS_DENIED });
    });

    it('does not blame a simulated denial while deliveries succeed (a bucket policy may allow them)', () => {
      const e = evidence({ permissions: { checked: true, roleArn: ROLE, results: deny(allowedAll(), 's3:PutObject') } }, { freshness: stalled(2_000) });
      expect(plan(e).reason).toBe(R.BUFFER_TOO_SMALL);
    });

    it.each([
      ['S3.KMS.KeyDisabled', `aws kms enable-key --key-id ${KEY}`],
      ['KMS.DisabledException', `aws kms enable-key --key-id ${KEY}`],
      ['S3.KMS.InvalidStateException', `aws kms cancel-key-deletion --key-id ${KEY} && aws kms enable-key --key-id ${KEY}`],
    ])('escalates %s with: %s', (code, command) => {
      const e = evidence({ ...withErrors(errorLines(code, 4)), destination: destination({ kmsKeyArn: KEY }) }, failing);
      const d = plan(e);
      expect(d).toMatchObject({ kind: 'escalate', reason: R.KMS_ERROR });
      if (d.kind === 'escalate') expect(d.recommendation.command).toBe(command);
    });

    it('escalates a key the role may not use with a statement limited to S3 for this bucket', () => {
      const results = [
        ...allowedAll(),
        { action: 'kms:GenerateDataKey', resource: KEY, decision: 'implicitDeny' as const, matchedStatements: [], missingContextValues: [] },
      ];
      const e = evidence({ destination: destination({ kmsKeyArn: KEY }), permissions: { checked: true, roleArn: ROLE, results } }, failing);
      const d = plan(e);
      expect(d).toMatchObject({ reason: R.KMS_ERROR });
      if (d.kind !== 'escalate') return;
      expect(d.recommendation.detail?.statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey'],
          Resource: [KEY],
          Condition: {
            StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': `${BUCKET}/raw/orders/*` },
          },
        },
      ]);
    });

    it('escalates a missing bucket with the command that recreates it in the stream region', () => {
      const d = plan(evidence(withErrors(errorLines('S3.NoSuchBucket', 9)), failing));
      expect(d).toMatchObject({ reason: R.BUCKET_ERROR });
      if (d.kind === 'escalate')
        expect(d.recommendation.command).toBe('aws s3api create-bucket --bucket orders-data-lake --create-bucket-configuration LocationConstraint=eu-west-1');
    });

    it('escalates throttled puts with a quota recommendation and changes nothing', () => {
      const d = plan(evidence({}, { throttled: series([0, 0, 12]) }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.THROTTLED });
      if (d.kind === 'escalate') expect(d.recommendation.summary).toContain('quota increase');
    });

    it('escalates error codes it does not know', () => {
      expect(plan(evidence(withErrors(errorLines('S3.SomethingNew', 2)), failing))).toMatchObject({ kind: 'escalate', reason: R.UNKNOWN_ERRORS });
    });

    it('looks again later at transient errors that Firehose retries', () => {
      expect(plan(evidence(withErrors(errorLines('InternalError', 2)), failing))).toMatchObject({
        kind: 'recheck',
        reason: R.TRANSIENT_ERRORS,
        afterSeconds: RECHECK_AFTER_SECONDS,
      });
    });

    it('escalates failing deliveries nothing explains', () => {
      expect(plan(evidence({}, failing))).toMatchObject({ kind: 'escalate', reason: R.FAILING_UNEXPLAINED, severity: 'error' });
    });
  });

  describe('buffering', () => {
    const late = { freshness: stalled(2_000) };

    it('raises the size for a volume that fills the buffer before the interval, keeping the interval and the VersionId', () => {
      const d = plan(evidence({}, late));
      expect(d).toMatchObject({ kind: 'fix', reason: R.BUFFER_TOO_SMALL });
      if (d.kind !== 'fix') return;
      const a = d.actions[0]!;
      expect(a).toMatchObject({ type: UPDATE_BUFFERING_HINTS, resource: `firehose:${STREAM}` });
      // 100 KiB/s × 300 s × 1.25 = 36.6 MiB → 37
      expect(a.params).toEqual({
        deliveryStreamName: STREAM,
        destinationId: 'destinationId-000000000001',
        versionId: '7',
        sizeInMBs: 37,
        intervalInSeconds: 300,
        intent: 'raise',
        previousSizeInMBs: 5,
        previousIntervalInSeconds: 300,
      });
      expect(d.recommendation?.command).toContain('"BufferingHints":{"SizeInMBs":37,"IntervalInSeconds":300}');
    });

    it('raises with a flat freshness too', () => {
      expect(plan(evidence({}, { freshness: flat(2_000) })).reason).toBe(R.BUFFER_TOO_SMALL);
    });

    it('waits while the freshness falls', () => {
      const falling = series(Array.from({ length: 30 }, (_, i) => 3_000 - i * 30));
      expect(plan(evidence({}, { freshness: falling }))).toMatchObject({ kind: 'recheck', reason: R.CATCHING_UP });
    });

    it('caps the size at maxSizeInMBs', () => {
      const d = plan(evidence({}, late), settingsWith({ maxSizeInMBs: 16 }));
      if (d.kind === 'fix') expect(d.actions[0]!.params.sizeInMBs).toBe(16);
      else expect.fail(`expected a fix, got ${d.reason}`);
    });

    it('escalates when the size is already at its bound', () => {
      const e = evidence(
        { destination: destination({ bufferingHints: { sizeInMBs: 128, intervalInSeconds: 300 } }) },
        { ...late, incomingBytes: flat(60 * MIB * 60) },
      );
      expect(plan(e)).toMatchObject({ kind: 'escalate', reason: R.BUFFERING_AT_BOUND });
    });

    it('raises on S3 SlowDown errors even while some deliveries fail', () => {
      expect(plan(evidence(withErrors(errorLines('S3.SlowDown', 20)), { success: flat(0.8), ...late })).reason).toBe(R.BUFFER_TOO_SMALL);
    });

    it.each([
      [0, R.INTERVAL_TOO_LONG],
      [60, R.BUFFER_TOO_SMALL],
    ])('with a buffer that fills %i bytes/min past exactly-at-the-interval decides %s', (extraBytesPerMinute, reason) => {
      // 5 MiB in 300 s: the size fills just as the interval ends (interval-bound); any more is size-bound.
      const bytesPerMinute = (5 * MIB * 60) / 300 + extraBytesPerMinute;
      const e = evidence(
        { destination: destination({ bufferingHints: { sizeInMBs: 5, intervalInSeconds: 300 } }) },
        { ...late, incomingBytes: flat(bytesPerMinute) },
      );
      expect(plan(e).reason).toBe(reason);
    });

    const lowVolume = { freshness: flat(950), incomingBytes: flat(60 * 1024), incomingRecords: flat(60) };

    it('lowers the interval of a low volume to 80 % of the freshness target', () => {
      const e = evidence({ destination: destination({ bufferingHints: { sizeInMBs: 5, intervalInSeconds: 900 } }) }, lowVolume);
      const d = plan(e);
      expect(d).toMatchObject({ kind: 'fix', reason: R.INTERVAL_TOO_LONG });
      if (d.kind === 'fix') expect(d.actions[0]!.params).toMatchObject({ sizeInMBs: 5, intervalInSeconds: 240, intent: 'lower-interval' });
    });

    it.each([
      [241, R.INTERVAL_TOO_LONG],
      [240, R.FRESHNESS_UNEXPLAINED],
    ])('with a %i s interval decides %s', (interval, reason) => {
      const e = evidence({ destination: destination({ bufferingHints: { sizeInMBs: 5, intervalInSeconds: interval } }) }, lowVolume);
      expect(plan(e).reason).toBe(reason);
    });

    it('never lowers the interval below minIntervalInSeconds', () => {
      const e = evidence({ destination: destination({ bufferingHints: { sizeInMBs: 5, intervalInSeconds: 900 } }) }, lowVolume);
      const d = plan(e, settingsWith({ minIntervalInSeconds: 600 }));
      if (d.kind === 'fix') expect(d.actions[0]!.params.intervalInSeconds).toBe(600);
      else expect.fail(`expected a fix, got ${d.reason}`);
    });

    it("only ever plans hints that pass the action's own bounds check", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 128 }),
          fc.integer({ min: 0, max: 900 }),
          fc.integer({ min: 0, max: 50 * MIB }),
          fc.integer({ min: 1, max: 128 }),
          fc.integer({ min: 0, max: 900 }),
          (size, interval, bytesPerSecond, maxSize, minInterval) => {
            const s = settingsWith({ maxSizeInMBs: maxSize, minIntervalInSeconds: Math.min(minInterval, 900) });
            const e = evidence(
              { destination: destination({ bufferingHints: { sizeInMBs: size, intervalInSeconds: interval } }) },
              { ...late, incomingBytes: flat(bytesPerSecond * 60) },
            );
            const d = plan(e, s);
            if (d.kind !== 'fix') return;
            const p = updateBufferingHintsAction.params.parse(d.actions[0]!.params);
            expect(updateBufferingHintsAction.checkBounds(p, { pipeline, settings: s })).toEqual([]);
            expect(hintViolations(p, s.bounds)).toEqual([]);
          },
        ),
      );
    });
  });

  describe('did we lose any records?', () => {
    /** 5-minute freshness history of a stall that began `stalledSeconds` before NOW. */
    const historyOfStall = (stalledSeconds: number) => ({
      periodSeconds: 300,
      startMs: NOW - 49 * HOUR_S * 1000,
      freshness: series(
        Array.from({ length: 588 }, (_, i) => Math.max(0, stalledSeconds - (587 - i) * 300)),
        300,
      ),
      incomingRecords: flat(30_000, 588, 300),
    });
    const stall = (seconds: number) =>
      evidence({ ...withErrors(errorLines('S3.AccessDenied', 5)), history: historyOfStall(seconds) }, { success: flat(0), freshness: stalled(seconds) });

    it.each([
      [86_400 - 61, 'none', 0],
      // One minute at retention: that minute's arrivals, 24 h ago (30,000 records per 5 min).
      [86_400 - 60, 'possible', 6_000],
    ])('at freshness %i s says %s (the metric stops within a minute of retention)', (seconds, verdict, estimate) => {
      expect(plan(stall(seconds)).evidence).toMatchObject({ recordsLost: verdict, lostRecordsEstimate: estimate });
    });

    it('estimates the records of a 25 h stall that passed retention, and pages critical', () => {
      const d = plan(stall(25 * HOUR_S));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.ACCESS_DENIED, severity: 'critical' });
      expect(d.summary).toContain('Firehose is dropping records now');
      // Arrivals from the stall's start to a minute past the last point at retention: 3,660 s.
      expect(d.evidence).toMatchObject({
        recordsLost: 'possible',
        lostRecordsEstimate: (3_660 / 300) * 30_000,
        timeLeftBeforeLossSeconds: 0,
        dataLossAt: null,
      });
      expect(d.evidence.recordsLostStatement).toContain(new Date(NOW - 25 * HOUR_S * 1000).toISOString());
    });
  });
});
