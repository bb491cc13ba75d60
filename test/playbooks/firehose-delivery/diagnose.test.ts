import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeDeliveryStreamCommand, FirehoseClient, FirehoseServiceException } from '@aws-sdk/client-firehose';
import { IAMClient, SimulatePrincipalPolicyCommand, type SimulatePrincipalPolicyCommandInput } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { diagnoseFirehoseDelivery } from '../../../lambdas/playbooks/firehose-delivery/diagnose';
import { verifyFirehoseDelivery } from '../../../lambdas/playbooks/firehose-delivery/verify';
import { pages, recordedError } from '../../adapters/aws-fixtures';
import { actionContext, describedAs } from './context';
import { KEY, NOW, ROLE, settingsWith } from './fixtures';

const firehose = mockClient(FirehoseClient);
const logs = mockClient(CloudWatchLogsClient);
const iam = mockClient(IAMClient);
const cw = mockClient(CloudWatchClient);
const trigger = {
  kind: 'alarm' as const,
  eventId: 'e',
  dedupeKey: 'k',
  alarmName: 'a',
  state: 'ALARM' as const,
  stateAtMs: NOW,
  reason: '',
  composite: false,
  triggeringAlarms: [],
  metrics: [],
};

/** Metric answers by query id: a function of each point's time (one point per period of the window). */
function metrics(values: Record<string, (tMs: number) => number | undefined>) {
  cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const start = input.StartTime!.getTime();
    const end = input.EndTime!.getTime();
    return {
      $metadata: {},
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const period = q.MetricStat!.Period! * 1000;
        const f = values[`${q.Id}@${q.MetricStat!.Period}`] ?? values[q.Id!];
        const ts: Date[] = [];
        const vs: number[] = [];
        for (let t = start; f && t < end; t += period) {
          const v = f(t);
          if (v !== undefined) {
            ts.push(new Date(t));
            vs.push(v);
          }
        }
        return { Id: q.Id, Timestamps: ts, Values: vs, StatusCode: 'Complete' as const };
      }),
    };
  });
}

const stallSince = (startMs: number) => (t: number) => (t >= startMs ? (t - startMs) / 1000 : undefined);

beforeEach(() => {
  for (const m of [firehose, logs, iam, cw]) m.reset();
  firehose.on(DescribeDeliveryStreamCommand).resolves(describedAs('7', 5, 300));
  const [first, second] = pages<FilterLogEventsCommandOutput>('logs', 'FilterLogEvents');
  logs.on(FilterLogEventsCommand).resolvesOnce(first!).resolvesOnce(second!).resolves({ $metadata: {}, events: [] });
  iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => ({
    $metadata: {},
    EvaluationResults: (input.ActionNames ?? []).map((a) => ({
      EvalActionName: a,
      EvalResourceName: input.ResourceArns![0],
      EvalDecision: a === 's3:PutObject' ? 'implicitDeny' : 'allowed',
    })),
    IsTruncated: false,
  }));
  metrics({ freshness: stallSince(NOW - 2 * 3_600_000), success: () => 0, records: () => 6_000, bytes: () => 6_000 * 1024, throttled: () => 0 });
});

afterAll(() => {
  for (const m of [firehose, logs, iam, cw]) m.restore();
});

describe('Function: diagnoseFirehoseDelivery', () => {
  it('reads the stream, both metric windows, its error log and the simulated role, then counts the errors', async () => {
    // Act
    const e = await diagnoseFirehoseDelivery(actionContext(), trigger);

    // Assess
    expect(e.stream?.versionId).toBe('7');
    expect(e.destination?.kmsKeyArn).toBe(KEY);
    expect(e.errors.byCode.map((c) => [c.code, c.count])).toEqual([
      ['S3.AccessDenied', 4],
      ['S3.KMS.KeyDisabled', 1],
    ]);
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toMatchObject({
      logGroupName: '/aws/kinesisfirehose/order-firehose',
      logStreamNames: ['S3Delivery'],
      startTime: NOW - 30 * 60_000,
      endTime: NOW,
    });
    const sims = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    expect(sims.map((s) => [s.ActionNames, s.ResourceArns])).toEqual([
      [['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], ['arn:aws:s3:::orders-data-lake']],
      [['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], ['arn:aws:s3:::orders-data-lake/raw/orders/*']],
      [['kms:Decrypt', 'kms:GenerateDataKey'], [KEY]],
    ]);
    expect(sims.every((s) => s.PolicySourceArn === ROLE)).toBe(true);
    expect(sims[2]?.ContextEntries).toEqual([
      { ContextKeyName: 'kms:ViaService', ContextKeyValues: ['s3.eu-west-1.amazonaws.com'], ContextKeyType: 'string' },
      { ContextKeyName: 'kms:EncryptionContext:aws:s3:arn', ContextKeyValues: ['arn:aws:s3:::orders-data-lake/raw/orders/'], ContextKeyType: 'string' },
    ]);
    expect(e.permissions.results.filter((r) => r.decision !== 'allowed').map((r) => r.action)).toEqual(['s3:PutObject']);
    expect(e.recent.freshness.values.at(-1)).toBe(2 * 3_600 - 60);
    expect(e.recent.freshness.values).toHaveLength(30);
    expect(e.history.periodSeconds).toBe(300);
    expect(cw.commandCalls(GetMetricDataCommand)[1]?.args[0].input.StartTime).toEqual(new Date(NOW - (2 * 86_400 + 3_600) * 1000));
  });

  it('reads nothing else about a stream that does not exist', async () => {
    // Prepare
    firehose.on(DescribeDeliveryStreamCommand).rejects(recordedError(FirehoseServiceException, 'firehose', 'ResourceNotFoundException'));

    // Act
    const e = await diagnoseFirehoseDelivery(actionContext(), trigger);

    // Assess
    expect(e.stream).toBeUndefined();
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(0);
  });

  it('simulates no role unless the config names it, and not another one', async () => {
    // Act
    const without = await diagnoseFirehoseDelivery(actionContext(settingsWith({ deliveryRoleArn: undefined })), trigger);
    const other = await diagnoseFirehoseDelivery(actionContext(settingsWith({ deliveryRoleArn: 'arn:aws:iam::123456789012:role/another' })), trigger);

    // Assess
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(0);
    expect(without.permissions).toMatchObject({ checked: false, error: 'bounds.deliveryRoleArn is not configured' });
    expect(other.permissions.error).toContain('not the configured deliveryRoleArn');
  });

  it('reads only the log group its role may read, and says which to configure when the stream logs elsewhere', async () => {
    // Prepare
    const r = describedAs('7', 5, 300);
    for (const d of r.DeliveryStreamDescription!.Destinations ?? []) {
      if (d.ExtendedS3DestinationDescription)
        d.ExtendedS3DestinationDescription.CloudWatchLoggingOptions = { Enabled: true, LogGroupName: '/custom/firehose', LogStreamName: 'S3Delivery' };
    }
    firehose.on(DescribeDeliveryStreamCommand).resolves(r);

    // Act
    const e = await diagnoseFirehoseDelivery(actionContext(), trigger);

    // Assess
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
    expect(e.errorLog).toMatchObject({
      logGroupName: '/custom/firehose',
      read: false,
      error: expect.stringContaining('set bounds.errorLogGroupName to /custom/firehose'),
    });
  });

  it('records an error log it cannot read instead of failing the diagnosis', async () => {
    // Prepare
    logs.reset();
    logs.on(FilterLogEventsCommand).rejects(recordedError(CloudWatchLogsServiceException, 'logs', 'ResourceNotFoundException'));

    // Act
    const e = await diagnoseFirehoseDelivery(actionContext(), trigger);

    // Assess
    expect(e.errorLog).toMatchObject({ enabled: true, read: false, error: expect.stringContaining('does not exist') });
    expect(e.errors.total).toBe(0);
  });
});

describe('Function: verifyFirehoseDelivery', () => {
  const fixedAtMs = NOW - 10 * 60_000;
  const incident = { startedAtMs: fixedAtMs - 60_000, fixedAtMs, evidence: { freshnessSeconds: 2_000 } };

  it('is recovered when every delivery succeeds and the freshness falls since the fix', async () => {
    // Prepare: freshness 2,000 s at the fix, draining 2 s per second since.
    metrics({ freshness: (t) => (t < fixedAtMs ? 2_000 : Math.max(30, 2_000 - (2 * (t - fixedAtMs)) / 1000)), success: () => 1, records: () => 6_000 });

    // Act
    const out = await verifyFirehoseDelivery(actionContext(), incident);

    // Assess
    expect(out.status).toBe('recovered');
    expect(out.evidence).toMatchObject({ deliverySuccessRatio: 1, freshnessTrend: 'falling', recordsLost: 'none', lostRecordsEstimate: 0 });
    expect(out.summary).toContain('no records lost');
  });

  it('is pending while deliveries still fail or the freshness still rises', async () => {
    // Prepare
    metrics({ freshness: stallSince(NOW - 3_600_000), success: () => 0 });
    const failing = await verifyFirehoseDelivery(actionContext(), incident);
    metrics({ freshness: (t) => 2_000 + (t - fixedAtMs) / 1000, success: () => 1 });
    const rising = await verifyFirehoseDelivery(actionContext(), incident);

    // Assess
    expect(failing).toMatchObject({ status: 'pending', summary: expect.stringContaining('success 0') });
    expect(rising).toMatchObject({ status: 'pending', summary: expect.stringContaining('not falling') });
  });

  it('says how many records may have been lost after a stall past retention', async () => {
    // Prepare: stalled for 25 h until the fix, 100 records per minute.
    const stall = fixedAtMs - 25 * 3_600_000;
    metrics({
      'freshness@300': (t) => (t >= stall && t < fixedAtMs ? (t - stall) / 1000 : t >= fixedAtMs ? 60 : undefined),
      'records@300': () => 500,
      freshness: () => 60,
      success: () => 1,
    });

    // Act
    const out = await verifyFirehoseDelivery(actionContext(), incident);

    // Assess
    expect(out.status).toBe('recovered');
    expect(out.evidence.recordsLost).toBe('possible');
    expect(out.evidence.lostRecordsEstimate).toBeGreaterThan(0);
    expect(out.summary).toMatch(/up to \d+ records may have been lost/);
  });
});
