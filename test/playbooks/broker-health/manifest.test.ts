import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import { pipelineContext } from '../../../lambdas/wiring';
import { brokerHealthManifest, brokerHealthSettings, type BrokerHealthSettings } from '../../../lambdas/playbooks/broker-health/manifest';
import type { PipelineContext } from '../../../lambdas/core/playbook';
import { CLUSTER, config } from './fixtures';

const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
const ctxOf = (c = config) => pipelineContext(c, 'orders', c.pipelines.orders!, brokerHealthManifest, env) as PipelineContext<BrokerHealthSettings>;

describe('Manifest: broker-health', () => {
  it('applies to MSK pipelines only', () => {
    const kinesis = parseConfig({ pipelines: { p: { ...config.pipelines.orders, source: { kind: 'kinesis', streamName: 's' } } } });
    expect(brokerHealthManifest.appliesTo(config.pipelines.orders!)).toBe(true);
    expect(brokerHealthManifest.appliesTo(kinesis.pipelines.p!)).toBe(false);
  });

  it('alarms on the controller, offline partitions and, per configured broker, silence, under-replication and under-min-ISR', () => {
    const alarms = brokerHealthManifest.alarms(ctxOf());
    expect(alarms.map((a) => a.signal)).toEqual([
      'active-controller',
      'offline-partitions',
      'broker-1-silent',
      'under-replicated-broker-1',
      'under-min-isr-broker-1',
      'broker-2-silent',
      'under-replicated-broker-2',
      'under-min-isr-broker-2',
      'broker-3-silent',
      'under-replicated-broker-3',
      'under-min-isr-broker-3',
    ]);
    const by = Object.fromEntries(alarms.map((a) => [a.signal, a]));
    expect(by['active-controller']).toMatchObject({
      metric: {
        namespace: 'AWS/Kafka',
        metricName: 'ActiveControllerCount',
        dimensions: { 'Cluster Name': 'order-processing' },
        statistic: 'Sum',
        periodSeconds: 60,
      },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'breaching',
      okMeansRecovered: false,
    });
    expect(by['offline-partitions']).toMatchObject({
      metric: { metricName: 'OfflinePartitionsCount', dimensions: { 'Cluster Name': 'order-processing' }, statistic: 'Maximum' },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    });
    expect(by['broker-2-silent']).toMatchObject({
      metric: { metricName: 'CpuUser', dimensions: { 'Cluster Name': 'order-processing', 'Broker ID': '2' }, statistic: 'SampleCount' },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'breaching',
    });
    expect(by['under-replicated-broker-3']).toMatchObject({
      metric: { metricName: 'UnderReplicatedPartitions', dimensions: { 'Broker ID': '3' }, statistic: 'Maximum' },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: 'notBreaching',
    });
    expect(by['under-min-isr-broker-1']).toMatchObject({ metric: { metricName: 'UnderMinIsrPartitionCount' }, evaluationPeriods: 2, datapointsToAlarm: 2 });
    // One alarm's OK is one signal back, not the cluster: none resolves an incident.
    expect(alarms.every((a) => a.okMeansRecovered === false)).toBe(true);
  });

  it('makes missing-data alarms only for the brokers the config names', () => {
    const six = parseConfig({ pipelines: { orders: { ...config.pipelines.orders, source: { ...config.pipelines.orders!.source, brokers: 6 } } } });
    const silent = brokerHealthManifest.alarms(ctxOf(six)).filter((a) => a.treatMissingData === 'breaching' && a.metric.metricName === 'CpuUser');
    expect(silent.map((a) => a.metric.dimensions['Broker ID'])).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('takes the periods from the bounds', () => {
    const s = brokerHealthSettings.parse({ bounds: { silentMinutes: 5, underReplicatedAlarmMinutes: 10 } });
    const c = { ...ctxOf(), settings: s };
    const by = Object.fromEntries(brokerHealthManifest.alarms(c).map((a) => [a.signal, a]));
    expect(by['broker-1-silent']).toMatchObject({ evaluationPeriods: 5, datapointsToAlarm: 5 });
    expect(by['under-replicated-broker-1']).toMatchObject({ evaluationPeriods: 10, datapointsToAlarm: 10 });
  });

  it('grants the MSK reads and RebootBroker on the configured cluster only', () => {
    const perms = brokerHealthManifest.permissions(ctxOf());
    const onCluster = perms.filter((p) => p.resources.includes(CLUSTER)).flatMap((p) => p.actions);
    expect(new Set(onCluster)).toEqual(new Set(['kafka:DescribeClusterV2', 'kafka:ListNodes', 'kafka:ListClusterOperationsV2', 'kafka:RebootBroker']));
    const reboot = perms.filter((p) => p.actions.includes('kafka:RebootBroker'));
    expect(reboot.map((p) => [p.step, p.resources])).toEqual([['act', [CLUSTER]]]);
    const star = perms.filter((p) => p.resources.includes('*')).flatMap((p) => p.actions);
    expect(new Set(star)).toEqual(new Set(['cloudwatch:GetMetricData', 'kafka:DescribeClusterOperationV2']));
  });

  it('rejects a lookback too short to see the first missing datapoint, naming the field', () => {
    const r = brokerHealthSettings.safeParse({ bounds: { lookbackMinutes: 30, waitForRecoveryMinutes: 30 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['bounds', 'lookbackMinutes']);
  });

  it('defaults to one reboot per cluster per hour and a breaker that opens on one failed verification', () => {
    const s = brokerHealthSettings.parse({});
    expect(s).toMatchObject({ mode: 'auto', maxActionsPerHour: 1, breakerMaxVerifyFailures: 1 });
    expect(s.bounds).toMatchObject({ waitForRecoveryMinutes: 10, awsActingMaxMinutes: 20, silentMinutes: 3 });
  });
});
