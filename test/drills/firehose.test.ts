import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeDeliveryStreamCommand, FirehoseClient, UpdateDestinationCommand } from '@aws-sdk/client-firehose';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { deliveryRoleStatements } from '../../drills/firehose';
import type { FirehoseStreamSeed } from '../../drills/sim/firehose';
import { S3_DELIVERY_ERRORS } from '../../drills/sim/firehose-delivery';
import { T0, newWorld, simClient } from './helpers';

const MIN = 60_000;
const ROLE = 'arn:aws:iam::123456789012:role/firehose-orders-delivery';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/5f0c1b2a-7d3e-4c4f-9a8b-1c2d3e4f5a6b';
const GROUP = '/aws/kinesisfirehose/order-firehose';

const seed = (over: Partial<FirehoseStreamSeed> = {}): FirehoseStreamSeed => ({
  name: 'order-firehose',
  roleArn: ROLE,
  bucket: 'orders-lake',
  prefix: 'raw/orders/',
  sizeInMBs: 5,
  intervalInSeconds: 60,
  errorLogging: true,
  logGroupName: GROUP,
  logStreamName: 'S3Delivery',
  recordsPerSecond: 100,
  recordBytes: 1024,
  maxObjectsPerMinute: 600,
  quotaRecordsPerSecond: 5_000,
  retentionSeconds: 86_400,
  historyMs: 10 * MIN,
  ...over,
});

function world(over: Partial<FirehoseStreamSeed> = {}) {
  const w = newWorld();
  w.s3.createBucket('orders-lake');
  w.iam.addRole(ROLE, deliveryRoleStatements('orders-lake', GROUP, 'eu-west-1', '123456789012', over.kmsKeyArn));
  if (over.kmsKeyArn) w.kms.addKey(over.kmsKeyArn);
  const s = w.firehose.addStream(seed(over));
  return { w, s };
}

describe('Class: SimFirehose', () => {
  it('delivers every minute while the role, key and bucket allow it, with a short freshness', async () => {
    const { w, s } = world();
    await w.runUntil(T0 + 5 * MIN);
    expect(s.lastError).toBeUndefined();
    expect(s.freshnessSeconds).toBeLessThanOrEqual(60);
    expect(s.deliveredRecords).toBe(100 * 60 * 15);
    expect(w.s3.keys('orders-lake', 'raw/orders/').length).toBeGreaterThan(0);
  });

  it('fails with S3.AccessDenied without s3:PutObject, grows the freshness a second per second, and recovers', async () => {
    const { w, s } = world();
    await w.runUntil(T0 + MIN);
    w.iam.revoke(ROLE, ['s3:PutObject']);
    await w.runUntil(T0 + 11 * MIN);
    expect(s.lastError?.code).toBe('S3.AccessDenied');
    expect(s.freshnessSeconds).toBe(600);
    expect(w.logs.count(GROUP)).toBeGreaterThan(0);
    w.iam.grant(ROLE, ['s3:PutObject']);
    await w.runUntil(T0 + 12 * MIN);
    expect(s.lastError).toBeUndefined();
    expect(s.chunks).toHaveLength(0);
  });

  it('fails with S3.KMS.KeyDisabled while the destination key is disabled', async () => {
    const { w, s } = world({ kmsKeyArn: KEY });
    w.kms.setEnabled(KEY, false);
    await w.runUntil(T0 + 2 * MIN);
    expect(s.lastError?.code).toBe('S3.KMS.KeyDisabled');
  });

  it('writes only documented delivery error codes: a role that may not use the key gets S3.AccessDenied', async () => {
    const { w, s } = world({ kmsKeyArn: KEY });
    w.iam.revoke(ROLE, ['kms:GenerateDataKey']);
    await w.runUntil(T0 + 2 * MIN);
    expect(s.lastError).toEqual({ code: 'S3.AccessDenied', message: S3_DELIVERY_ERRORS['S3.AccessDenied'] });
    const logged = await simClient(w, CloudWatchLogsClient).send(new FilterLogEventsCommand({ logGroupName: GROUP }));
    const codes = new Set((logged.events ?? []).map((e) => (JSON.parse(e.message!) as { errorCode: string }).errorCode));
    expect([...codes]).toEqual(['S3.AccessDenied']);
    for (const code of codes) expect(Object.keys(S3_DELIVERY_ERRORS)).toContain(code);
  });

  it('falls behind when the volume needs more objects than the bucket takes, and catches up with bigger buffers', async () => {
    // 100 KiB/s fills 1 MiB in 10 s: 6 objects a minute needed, 1 taken.
    const { w, s } = world({ sizeInMBs: 1, maxObjectsPerMinute: 1, historyMs: 0 });
    await w.runUntil(T0 + 20 * MIN);
    const late = s.freshnessSeconds;
    expect(late).toBeGreaterThan(600);
    s.sizeInMBs = 8;
    await w.runUntil(T0 + 30 * MIN);
    expect(s.freshnessSeconds).toBeLessThan(late);
  });

  it('drops records older than retention and counts them as lost', async () => {
    const { w, s } = world({ retentionSeconds: 300, historyMs: 0 });
    w.iam.revoke(ROLE, ['s3:PutObject']);
    await w.runUntil(T0 + 10 * MIN);
    expect(s.lostRecords).toBeGreaterThan(0);
    expect(s.freshnessSeconds).toBeLessThanOrEqual(300);
  });

  it('throttles records above the quota', async () => {
    const { w } = world({ recordsPerSecond: 6_000 });
    await w.runUntil(T0 + 2 * MIN);
    const dps = w.cloudwatch.store.datapoints(
      { namespace: 'AWS/Firehose', metricName: 'ThrottledRecords', dimensions: { DeliveryStreamName: 'order-firehose' } },
      'Sum',
      60,
      T0,
      T0 + 2 * MIN,
    );
    expect(dps.map((d) => d.value)).toEqual([60_000, 60_000]);
  });

  describe('API', () => {
    it('describes the stream as DescribeDeliveryStream does and checks the VersionId on UpdateDestination', async () => {
      const { w } = world();
      const fh = simClient(w, FirehoseClient);
      const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'order-firehose' }))).DeliveryStreamDescription!;
      expect(d.VersionId).toBe('1');
      expect(d.Destinations?.[0]?.ExtendedS3DestinationDescription?.BufferingHints).toEqual({ SizeInMBs: 5, IntervalInSeconds: 60 });
      const update = (version: string, SizeInMBs = 8) =>
        fh.send(
          new UpdateDestinationCommand({
            DeliveryStreamName: 'order-firehose',
            CurrentDeliveryStreamVersionId: version,
            DestinationId: d.Destinations![0]!.DestinationId!,
            ExtendedS3DestinationUpdate: { BufferingHints: { SizeInMBs, IntervalInSeconds: 60 } },
          }),
        );
      await update('1');
      await expect(update('1')).rejects.toMatchObject({ name: 'ConcurrentModificationException' });
      await expect(update('2', 129)).rejects.toMatchObject({ name: 'InvalidArgumentException' });
      expect(w.firehose.stream('order-firehose')).toMatchObject({ versionId: 2, sizeInMBs: 8 });
    });

    it('applies a change by someone else right before the next update, so that update conflicts', async () => {
      const { w, s } = world();
      s.beforeNextUpdate.push({ intervalInSeconds: 120 });
      const fh = simClient(w, FirehoseClient);
      const call = new UpdateDestinationCommand({
        DeliveryStreamName: 'order-firehose',
        CurrentDeliveryStreamVersionId: '1',
        DestinationId: s.destinationId,
        ExtendedS3DestinationUpdate: { BufferingHints: { SizeInMBs: 8, IntervalInSeconds: 60 } },
      });
      await expect(fh.send(call)).rejects.toMatchObject({ name: 'ConcurrentModificationException' });
      expect(s).toMatchObject({ versionId: 2, intervalInSeconds: 120, sizeInMBs: 5 });
    });

    it('answers FilterLogEvents from the error log and SimulatePrincipalPolicy from the role', async () => {
      const { w } = world();
      w.iam.revoke(ROLE, ['s3:PutObject']);
      await w.runUntil(T0 + 3 * MIN);
      const logs = simClient(w, CloudWatchLogsClient);
      const events = await logs.send(
        new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: ['S3Delivery'], startTime: T0, endTime: T0 + 3 * MIN, limit: 2 }),
      );
      expect(events.events).toHaveLength(2);
      expect(events.nextToken).toBeDefined();
      expect(events.events?.[0]?.message).toContain('"errorCode":"S3.AccessDenied"');
      await expect(logs.send(new FilterLogEventsCommand({ logGroupName: '/nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

      const iam = simClient(w, IAMClient);
      const r = await iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: ROLE,
          ActionNames: ['s3:PutObject', 's3:GetObject'],
          ResourceArns: ['arn:aws:s3:::orders-lake/raw/orders/*'],
        }),
      );
      expect(r.EvaluationResults?.map((e) => [e.EvalActionName, e.EvalDecision])).toEqual([
        ['s3:PutObject', 'implicitDeny'],
        ['s3:GetObject', 'allowed'],
      ]);
      await expect(
        iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: 'arn:aws:iam::123456789012:role/nobody', ActionNames: ['s3:PutObject'] })),
      ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    });
  });
});
