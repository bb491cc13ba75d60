import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeClusterV2Command,
  KafkaClient,
  KafkaServiceException,
  ListClusterOperationsV2Command,
  ListNodesCommand,
  type ListNodesCommandOutput,
} from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { diagnoseBrokerHealth } from '../../../lambdas/playbooks/broker-health/diagnose';
import { planBrokerHealth, BrokerHealthReason as R } from '../../../lambdas/playbooks/broker-health/plan';
import { pages, recordedError } from '../../adapters/aws-fixtures';
import { clusterMetrics, fakeCluster, minute } from './cluster-fake';
import { CLUSTER, MIN, NOW, actionContext, alarm, pipeline, settingsWith } from './fixtures';

const kafka = mockClient(KafkaClient);
const cw = mockClient(CloudWatchClient);

beforeEach(() => {
  kafka.reset();
  cw.reset();
});

afterAll(() => {
  kafka.restore();
  cw.restore();
});

describe('Function: diagnoseBrokerHealth', () => {
  it('reads the cluster, its brokers, its operations and every metric in one round, and dates the silent broker', async () => {
    // Prepare: broker 2 stopped publishing 12 minutes ago; brokers 1 and 3 lead 4 under-replicated partitions each.
    const since = minute(NOW) - 12 * MIN;
    fakeCluster(kafka, cw, {
      operations: [{ id: 'old', type: 'UPDATE_CLUSTER_CONFIGURATION', state: 'UPDATE_COMPLETE', startMs: NOW - 80 * MIN, endMs: NOW - 70 * MIN }],
      metrics: clusterMetrics({ 2: since }, { urp_1: () => 4, urp_3: () => 4, lag: (t) => (t - NOW) / 1000 + 10_000 }),
    });
    const ctx = { ...actionContext(), history: { actionsInLastHour: async (r: string) => (r === `kafka:${CLUSTER}` ? 1 : 0) } };

    // Act
    const e = await diagnoseBrokerHealth(ctx, alarm());

    // Assess
    expect(kafka.commandCalls(DescribeClusterV2Command)[0]?.args[0].input).toEqual({ ClusterArn: CLUSTER });
    expect(kafka.commandCalls(ListNodesCommand)).toHaveLength(2);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(new Date(NOW - 90 * MIN));
    const q = Object.fromEntries((input.MetricDataQueries ?? []).map((x) => [x.Id, x.MetricStat]));
    expect(q.cpu_2).toEqual({
      Metric: {
        Namespace: 'AWS/Kafka',
        MetricName: 'CpuUser',
        Dimensions: [
          { Name: 'Broker ID', Value: '2' },
          { Name: 'Cluster Name', Value: 'order-processing' },
        ],
      },
      Period: 60,
      Stat: 'SampleCount',
    });
    expect(q.ctrl).toMatchObject({
      Metric: { MetricName: 'ActiveControllerCount', Dimensions: [{ Name: 'Cluster Name', Value: 'order-processing' }] },
      Stat: 'Sum',
    });
    expect(q.offline).toMatchObject({ Metric: { MetricName: 'OfflinePartitionsCount' }, Stat: 'Maximum' });
    expect(q.isr_3).toMatchObject({ Metric: { MetricName: 'UnderMinIsrPartitionCount' }, Stat: 'Maximum' });
    expect(q.urp_1).toMatchObject({ Metric: { MetricName: 'UnderReplicatedPartitions' }, Stat: 'Maximum' });
    expect(q.lag?.Metric?.Dimensions).toEqual([
      { Name: 'Cluster Name', Value: 'order-processing' },
      { Name: 'Consumer Group', Value: 'order-processor' },
      { Name: 'Topic', Value: 'orders.raw' },
    ]);
    expect(e.cluster?.state).toBe('ACTIVE');
    expect(e.brokers.map((b) => [b.brokerId, b.lastDatapointMs, b.underReplicatedPartitions])).toEqual([
      [1, minute(NOW) - MIN, 4],
      [2, since - MIN, null],
      [3, minute(NOW) - MIN, 4],
    ]);
    expect(e.brokers[1]!.endpoint).toBe('b-2.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com');
    expect(e).toMatchObject({ brokersFromNodes: true, offlinePartitions: 0, activeControllers: 1, rebootsLastHour: 1, configuredBrokers: 3 });
    expect(e.lag).toEqual({ metric: 'SumOffsetLag', newestRecords: 10_000 - 70, trend: 'growing' });
    expect(e.operations.map((o) => o.type)).toEqual(['UPDATE_CLUSTER_CONFIGURATION']);

    // …and the plan reads it as broker 2 down for 12 minutes, budget used.
    const d = planBrokerHealth({ pipelineName: 'orders', pipeline, settings: settingsWith(), trigger: alarm(), evidence: e, nowMs: NOW, incidentId: 'i' });
    expect(d).toMatchObject({ kind: 'escalate', reason: R.BUDGET_EXHAUSTED });
    expect(d.evidence.broker2DownSeconds).toBe((NOW - since) / 1000);
  });

  it('leaves the cluster out when it does not exist, and watches the configured brokers', async () => {
    const nf = () => recordedError(KafkaServiceException, 'kafka', 'NotFoundException');
    fakeCluster(kafka, cw, { metrics: {} });
    kafka.on(DescribeClusterV2Command).rejects(nf());
    kafka.on(ListNodesCommand).rejects(nf());
    kafka.on(ListClusterOperationsV2Command).rejects(nf());

    const e = await diagnoseBrokerHealth(actionContext(), alarm());

    expect(e.cluster).toBeUndefined();
    expect(e.brokersFromNodes).toBe(false);
    expect(e.brokers.map((b) => [b.brokerId, b.lastDatapointMs])).toEqual([
      [1, null],
      [2, null],
      [3, null],
    ]);
    expect(e.operations).toEqual([]);
  });

  it('reads the metrics of a broker the cluster has and the config does not name (a second read)', async () => {
    fakeCluster(kafka, cw, {});
    const [n1, n2] = pages<ListNodesCommandOutput>('kafka', 'ListNodes');
    const four = { ...n2!.NodeInfoList![0]!, BrokerNodeInfo: { ...n2!.NodeInfoList![0]!.BrokerNodeInfo!, BrokerId: 4, Endpoints: ['b-4.x'] } };
    kafka.on(ListNodesCommand, { NextToken: n1!.NextToken }).resolves({ ...n2!, NodeInfoList: [...n2!.NodeInfoList!, four] });

    const e = await diagnoseBrokerHealth(actionContext(), alarm());

    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    expect(e.brokers.map((b) => b.brokerId)).toEqual([1, 2, 3, 4]);
    expect(e.brokers[3]).toMatchObject({ brokerId: 4, lastDatapointMs: null, endpoint: 'b-4.x' });
  });

  it('reads again after a transient failure that outlived the SDK retries', async () => {
    fakeCluster(kafka, cw, {});
    const [n1] = pages<ListNodesCommandOutput>('kafka', 'ListNodes');
    kafka
      .on(ListNodesCommand, { NextToken: undefined })
      .rejectsOnce(recordedError(KafkaServiceException, 'kafka', 'TooManyRequestsException'))
      .resolves(n1!);
    const e = await diagnoseBrokerHealth(actionContext(), alarm());
    expect(e.brokers.map((b) => b.brokerId)).toEqual([1, 2, 3]);
  });

  it('fails when the control plane cannot be read (the engine escalates DIAGNOSIS_FAILED)', async () => {
    fakeCluster(kafka, cw, {});
    kafka.on(ListNodesCommand).rejects(recordedError(KafkaServiceException, 'kafka', 'ForbiddenException'));
    await expect(diagnoseBrokerHealth(actionContext(), alarm())).rejects.toMatchObject({ name: 'AwsRequestError', code: 'ForbiddenException' });
  });
});
