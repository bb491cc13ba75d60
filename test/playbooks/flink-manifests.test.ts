import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { pipelineContext } from '../../lambdas/wiring';
import { manifests } from '../../lambdas/playbooks/registry';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';

/**
 * The Flink side of the manifests: alarms from the Managed Flink guide on the metric names of the
 * configured runtime (clicks: Flink 1.20 on Kinesis; ledger: Flink 2.2 on MSK), and IAM scoped to
 * the configured application, stream and log group.
 */

const config = parseConfig(emrAndFlink);
const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
const manifest = (id: string) => manifests.find((m) => m.id === id)!;
const ctx = (id: string, pipeline: string) => pipelineContext(config, pipeline, config.pipelines[pipeline]!, manifest(id), env);
const alarms = (id: string, pipeline: string) => manifest(id).alarms(ctx(id, pipeline));
const permissions = (id: string, pipeline: string) => manifest(id).permissions(ctx(id, pipeline));
const app = (name: string) => `arn:aws:kinesisanalytics:eu-west-1:123456789012:application/${name}`;

describe('Flink manifests: alarms', () => {
  it("job-failed alarms on downtime, the rate of the runtime's restart counter and missing KPUs", () => {
    const clicks = alarms('job-failed', 'clicks');
    expect(clicks.map((a) => [a.signal, a.metric.metricName, a.metric.math ?? ''])).toEqual([
      ['downtime', 'downtime', ''],
      ['restarts', 'fullRestarts', 'RATE'],
      ['not-running', 'KPUs', ''],
    ]);
    expect(alarms('job-failed', 'ledger').find((a) => a.signal === 'restarts')!.metric.metricName).toBe('numRestarts');
    for (const a of clicks)
      expect(a.metric).toMatchObject({ namespace: 'AWS/KinesisAnalytics', dimensions: { Application: 'clicks-enricher' }, periodSeconds: 60 });
    // KPUs are published only while the application runs: their absence is what breaches.
    expect(clicks.find((a) => a.signal === 'not-running')).toMatchObject({
      comparison: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
      evaluationPeriods: 3,
    });
    // A rate falls back to 0 a minute later: its OK resolves nothing.
    expect(clicks.find((a) => a.signal === 'restarts')!.okMeansRecovered).toBe(false);
  });

  it("consumer-lag alarms on the source's lag metric: millisBehindLatest and the stream's iterator age for Kinesis, records_lag_max for Kafka", () => {
    const clicks = alarms('consumer-lag', 'clicks');
    expect(clicks.map((a) => `${a.metric.namespace} ${a.metric.metricName}`)).toEqual([
      'AWS/Kinesis GetRecords.IteratorAgeMilliseconds',
      'AWS/Kinesis ReadProvisionedThroughputExceeded',
      'AWS/KinesisAnalytics millisBehindLatest',
      'AWS/KinesisAnalytics cpuUtilization',
      'AWS/KinesisAnalytics heapMemoryUtilization',
    ]);
    expect(clicks[0]!.metric.dimensions).toEqual({ StreamName: 'clicks-events' });
    expect(clicks.find((a) => a.signal === 'cpu')).toMatchObject({ threshold: 80, okMeansRecovered: false });
    expect(clicks.find((a) => a.signal === 'heap')).toMatchObject({ threshold: 90, okMeansRecovered: false });
    expect(alarms('consumer-lag', 'ledger').map((a) => a.metric.metricName)).toEqual(['records_lag_max', 'cpuUtilization', 'heapMemoryUtilization']);
  });

  it('checkpoint-failure alarms on the rate of failed checkpoints and their duration, and their size only with a bound', () => {
    expect(alarms('checkpoint-failure', 'clicks').map((a) => [a.metric.metricName, a.metric.math ?? '', a.threshold])).toEqual([
      ['numberOfFailedCheckpoints', 'RATE', 0],
      ['lastCheckpointDuration', '', 30_000],
      ['lastCheckpointSize', '', 5_000_000_000],
    ]);
    expect(alarms('checkpoint-failure', 'ledger').map((a) => a.metric.metricName)).toEqual(['numberOfFailedCheckpoints', 'lastCheckpointDuration']);
  });

  it('does not apply the EMR-only playbooks to a Flink pipeline', () => {
    expect(manifest('dlq-spike').appliesTo(config.pipelines.clicks!)).toBe(false);
    expect(manifest('broker-health').appliesTo(config.pipelines.clicks!)).toBe(false);
    expect(manifest('broker-health').appliesTo(config.pipelines.ledger!)).toBe(true);
  });
});

describe('Flink manifests: IAM', () => {
  const actions = (id: string, pipeline: string, step?: string) =>
    permissions(id, pipeline)
      .filter((p) => step === undefined || p.step === step)
      .flatMap((p) => p.actions);
  const resources = (id: string, pipeline: string) => new Set(permissions(id, pipeline).flatMap((p) => p.resources));

  it('scopes every Managed Flink action to the configured application, Kinesis to its stream, logs to its log group', () => {
    for (const id of ['job-failed', 'consumer-lag', 'checkpoint-failure']) {
      for (const p of permissions(id, 'clicks')) {
        for (const r of p.resources) {
          if (p.actions.some((a) => a.startsWith('kinesisanalytics:'))) expect(r, `${id} ${p.actions}`).toBe(app('clicks-enricher'));
          if (p.actions.some((a) => a.startsWith('kinesis:'))) expect(r).toBe('arn:aws:kinesis:eu-west-1:123456789012:stream/clicks-events');
          if (p.actions.some((a) => a.startsWith('logs:')))
            expect(r).toBe('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/kinesis-analytics/clicks-enricher:*');
        }
      }
      // ledger names no log group: no logs grant at all.
      expect(actions(id, 'ledger').filter((a) => a.startsWith('logs:'))).toEqual([]);
      expect(resources(id, 'ledger')).toContain(app('ledger-aggregator'));
    }
  });

  it('acts only where the playbook fixes: job-failed starts, consumer-lag starts and updates, checkpoint-failure only reads', () => {
    expect(actions('job-failed', 'clicks', 'act').sort()).toEqual(['kinesisanalytics:DescribeApplication', 'kinesisanalytics:StartApplication']);
    expect([...new Set(actions('consumer-lag', 'clicks', 'act'))].sort()).toEqual([
      'kinesisanalytics:DescribeApplication',
      'kinesisanalytics:StartApplication',
      'kinesisanalytics:UpdateApplication',
    ]);
    expect(actions('checkpoint-failure', 'clicks', 'act')).toEqual([]);
    for (const id of ['job-failed', 'consumer-lag', 'checkpoint-failure']) {
      const all = actions(id, 'clicks');
      for (const never of [
        'iam:PassRole',
        'kinesisanalytics:StopApplication',
        'kinesisanalytics:DeleteApplicationSnapshot',
        'kinesisanalytics:CreateApplicationSnapshot',
        'kinesis:UpdateShardCount',
        'kms:PutKeyPolicy',
      ])
        expect(all, `${id}: ${never}`).not.toContain(never);
    }
  });

  it('reads the Kinesis stream for consumer-lag on a Kinesis source only', () => {
    expect(actions('consumer-lag', 'clicks')).toEqual(expect.arrayContaining(['kinesis:DescribeStreamSummary', 'kinesis:ListShards']));
    expect(actions('consumer-lag', 'ledger').filter((a) => a.startsWith('kinesis:'))).toEqual([]);
  });
});
