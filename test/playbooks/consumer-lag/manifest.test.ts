import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import { pipelineContext } from '../../../lambdas/wiring';
import { consumerLagPlaybook } from '../../../lambdas/playbooks/consumer-lag';
import { consumerLagManifest as manifest, consumerLagSettings, type ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import type { PipelineContext } from '../../../lambdas/core/playbook';
import exampleConfig from '../../../streamfix.config';

const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
const orders = exampleConfig.pipelines.orders!;
const ctxFor = (playbookSettings: Record<string, unknown> = {}, source: Record<string, unknown> = orders.source) => {
  const config = parseConfig({ ...exampleConfig, pipelines: { orders: { ...orders, source, playbooks: { 'consumer-lag': playbookSettings } } } });
  return pipelineContext(config, 'orders', config.pipelines.orders!, manifest, env) as PipelineContext<ConsumerLagSettings>;
};

describe('Manifest: consumer-lag', () => {
  it('alarms on MaxOffsetLag and EstimatedMaxTimeLag with the MSK dimension names, spaces included', () => {
    const [lag, time] = manifest.alarms(ctxFor());
    const dimensions = { 'Cluster Name': 'order-processing', 'Consumer Group': 'order-processor', Topic: 'orders.raw' };
    expect(lag).toMatchObject({
      signal: 'offset-lag',
      metric: { namespace: 'AWS/Kafka', metricName: 'MaxOffsetLag', dimensions, statistic: 'Maximum', periodSeconds: 60 },
      comparison: 'GreaterThanThreshold',
      threshold: 100_000,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: 'missing',
    });
    expect(time).toMatchObject({ signal: 'time-lag', metric: { metricName: 'EstimatedMaxTimeLag', dimensions }, threshold: 900 });
    expect(lag!.okMeansRecovered ?? true).toBe(true);
  });

  it('follows the configured lag metric, thresholds and dimension style', () => {
    const [lag, time] = manifest.alarms(
      ctxFor({ bounds: { lagMetric: 'SumOffsetLag', lagAlarmRecords: 5_000_000, timeLagAlarmSeconds: 300, alarmMinutes: 3, clusterNameDimension: false } }),
    );
    expect(lag).toMatchObject({
      metric: { metricName: 'SumOffsetLag', dimensions: { 'Consumer Group': 'order-processor', Topic: 'orders.raw' } },
      threshold: 5_000_000,
      evaluationPeriods: 3,
    });
    expect(Object.keys(lag!.metric.dimensions)).not.toContain('Cluster Name');
    expect(time!.threshold).toBe(300);
  });

  it('alarms on GetRecords.IteratorAgeMilliseconds (and throttled reads) for a Kinesis source', () => {
    const alarms = manifest.alarms(ctxFor({ bounds: { iteratorAgeAlarmSeconds: 120 } }, { kind: 'kinesis', streamName: 'orders-stream-in' }));
    expect(alarms).toEqual([
      expect.objectContaining({
        signal: 'iterator-age',
        threshold: 120_000,
        metric: {
          namespace: 'AWS/Kinesis',
          metricName: 'GetRecords.IteratorAgeMilliseconds',
          dimensions: { StreamName: 'orders-stream-in' },
          statistic: 'Maximum',
          periodSeconds: 60,
        },
      }),
      expect.objectContaining({
        signal: 'read-throttled',
        threshold: 0,
        comparison: 'GreaterThanThreshold',
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: 'notBreaching',
        metric: {
          namespace: 'AWS/Kinesis',
          metricName: 'ReadProvisionedThroughputExceeded',
          dimensions: { StreamName: 'orders-stream-in' },
          statistic: 'Sum',
          periodSeconds: 60,
        },
      }),
    ]);
  });

  it('grants the job calls on the configured application, role and checkpoint, and CloudWatch reads on "*" only', () => {
    const perms = manifest.permissions(ctxFor());
    const app = 'arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabcd1234efg5h';
    const byAction = new Map<string, string[]>();
    for (const p of perms) for (const a of p.actions) byAction.set(a, [...(byAction.get(a) ?? []), ...p.resources]);
    expect([...byAction.keys()].sort()).toEqual([
      'cloudwatch:GetMetricData',
      'cloudwatch:ListMetrics',
      'emr-serverless:CancelJobRun',
      'emr-serverless:GetJobRun',
      'emr-serverless:ListJobRunAttempts',
      'emr-serverless:ListJobRuns',
      'emr-serverless:StartJobRun',
      'emr-serverless:TagResource',
      'iam:PassRole',
      's3:GetObject',
      's3:ListBucket',
    ]);
    expect(byAction.get('emr-serverless:CancelJobRun')).toEqual([app, `${app}/jobruns/*`]);
    expect(byAction.get('iam:PassRole')).toEqual(['arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole']);
    expect(byAction.get('s3:GetObject')).toEqual(['arn:aws:s3:::orders-data-lake/_checkpoints/streaming/orders/metadata']);
    expect(byAction.get('s3:ListBucket')).toEqual(['arn:aws:s3:::orders-data-lake']);
    for (const [a, r] of byAction) if (r.includes('*')) expect(a.startsWith('cloudwatch:')).toBe(true);
  });

  it('declares, under act, every write its EMR actions make (restart and replace)', () => {
    const act = new Set(
      manifest
        .permissions(ctxFor())
        .filter((p) => p.step === 'act')
        .flatMap((p) => p.actions),
    );
    const all = new Set(manifest.permissions(ctxFor()).flatMap((p) => p.actions));
    for (const a of consumerLagPlaybook.actions.filter((x) => x.runtime === 'emr-serverless')) {
      for (const iam of a.iamActions) {
        const write = !/:(Get|List|Describe)/.test(iam);
        expect(write ? act.has(iam) : all.has(iam), `${a.type}: ${iam}`).toBe(true);
      }
    }
  });

  it('rejects a cancel wait shorter than the grace period, and unknown settings', () => {
    expect(consumerLagSettings.safeParse({ bounds: { cancelGracePeriodSeconds: 120, cancelWaitSeconds: 60 } }).success).toBe(false);
    expect(consumerLagSettings.safeParse({ bounds: { maxExecutor: 5 } }).success).toBe(false);
    expect(consumerLagSettings.parse({})).toMatchObject({
      mode: 'auto',
      maxActionsPerHour: 2,
      breakerMaxVerifyFailures: 1,
      bounds: { maxExecutors: 20, maxScaleFactor: 2 },
    });
  });
});
