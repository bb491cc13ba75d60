import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  KafkaClient,
  ListClusterOperationsV2Command,
  ListNodesCommand,
  RebootBrokerCommand,
} from '@aws-sdk/client-kafka';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REBOOT_MS } from '../../../drills/sim/msk-cluster';
import { partitionHealth, replicasOf } from '../../../drills/sim/msk-partitions';
import { validateScenario } from '../../../drills/scenario/load';
import { APP, JOB, T0, newWorld, simClient } from '../helpers';

const MIN = 60_000;
const ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3';

function world(brokers = 3, partitions = 6) {
  const w = newWorld();
  w.kafka.addCluster({ arn: ARN, name: 'order-processing', brokers, state: 'ACTIVE' });
  w.msk.addTopic({
    pipeline: 'orders',
    clusterName: 'order-processing',
    topic: 'orders.raw',
    consumerGroup: 'order-processor',
    applicationId: APP,
    jobName: JOB.jobName,
    partitions,
    brokers,
    recordsPerSecond: 100,
    recordsPerSecondPerCore: 100,
    lagRecords: 0,
    perPartitionMetrics: false,
    perBrokerMetrics: true,
    historyMinutes: 5,
  });
  return { w, kafka: simClient(w, KafkaClient), cw: simClient(w, CloudWatchClient) };
}

const newest = async (cw: CloudWatchClient, metricName: string, dims: Record<string, string>, stat = 'Maximum') => {
  const r = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(T0 - 200 * MIN),
      EndTime: new Date(T0 + 300 * MIN),
      MetricDataQueries: [
        {
          Id: 'q',
          MetricStat: {
            Metric: { Namespace: 'AWS/Kafka', MetricName: metricName, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) },
            Period: 60,
            Stat: stat,
          },
        },
      ],
    }),
  );
  const q = r.MetricDataResults![0]!;
  return { at: q.Timestamps?.[0]?.getTime(), value: q.Values?.[0] };
};
const broker = (id: number) => ({ 'Cluster Name': 'order-processing', 'Broker ID': String(id) });

describe('Function: partitionHealth', () => {
  it('places replicas on ((p + k) mod brokers) + 1', () => {
    expect(replicasOf(0, 3, 3)).toEqual([1, 2, 3]);
    expect(replicasOf(2, 3, 3)).toEqual([3, 1, 2]);
    expect(replicasOf(4, 5, 2)).toEqual([5, 1]);
    expect(replicasOf(1, 2, 3)).toEqual([2, 1]);
  });

  it('counts under-replicated and under-min-ISR partitions at their leader, offline ones apart', () => {
    const t = [{ partitions: 6, replicationFactor: 3, minInSyncReplicas: 2 }];
    expect(partitionHealth(3, new Set([1, 2, 3]), t)).toEqual({ offline: 0, underReplicatedByLeader: new Map(), underMinIsrByLeader: new Map() });
    // Broker 2 down: every partition has 2 of 3 in sync; the ones it led move to the next replica.
    const one = partitionHealth(3, new Set([1, 3]), t);
    expect(one.offline).toBe(0);
    expect([...one.underReplicatedByLeader.entries()].sort()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(one.underMinIsrByLeader.size).toBe(0);
    // Brokers 2 and 3 down: 1 in sync, under min ISR 2, all led by broker 1.
    const two = partitionHealth(3, new Set([1]), t);
    expect(two.underMinIsrByLeader.get(1)).toBe(6);
    // Replication factor 2 on 3 brokers: partitions whose two replicas are both down are offline.
    expect(partitionHealth(3, new Set([1]), [{ partitions: 6, replicationFactor: 2, minInSyncReplicas: 1 }]).offline).toBe(2);
  });
});

describe('Class: SimKafka', () => {
  it('describes the cluster and its broker nodes as DescribeClusterV2 and ListNodes do, in pages', async () => {
    const { kafka } = world(12);
    const d = await kafka.send(new DescribeClusterV2Command({ ClusterArn: ARN }));
    expect(d.ClusterInfo).toMatchObject({
      ClusterArn: ARN,
      ClusterName: 'order-processing',
      State: 'ACTIVE',
      ClusterType: 'PROVISIONED',
      Provisioned: { NumberOfBrokerNodes: 12 },
    });
    const p1 = await kafka.send(new ListNodesCommand({ ClusterArn: ARN }));
    expect(p1.NodeInfoList).toHaveLength(10);
    const p2 = await kafka.send(new ListNodesCommand({ ClusterArn: ARN, NextToken: p1.NextToken }));
    expect(p2.NodeInfoList!.map((n) => n.BrokerNodeInfo?.BrokerId)).toEqual([11, 12]);
    expect(p2.NextToken).toBeUndefined();
    await expect(kafka.send(new DescribeClusterV2Command({ ClusterArn: ARN.replace('-3', '-9') }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('reboots one broker at a time, only while ACTIVE: REBOOTING_BROKER, REBOOT_IN_PROGRESS, then REBOOT_COMPLETE', async () => {
    const { w, kafka } = world();
    await expect(kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['1', '2'] }))).rejects.toMatchObject({
      name: 'BadRequestException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['4'] }))).rejects.toMatchObject({ name: 'BadRequestException' });
    const r = await kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['2'] }));
    expect(r.ClusterArn).toBe(ARN);
    expect((await kafka.send(new DescribeClusterV2Command({ ClusterArn: ARN }))).ClusterInfo).toMatchObject({
      State: 'REBOOTING_BROKER',
      ActiveOperationArn: r.ClusterOperationArn,
    });
    // The cluster is not ACTIVE: a second reboot is refused.
    await expect(kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['3'] }))).rejects.toThrow(/REBOOTING_BROKER state/);
    const ops = await kafka.send(new ListClusterOperationsV2Command({ ClusterArn: ARN }));
    expect(ops.ClusterOperationInfoList).toMatchObject([
      { OperationArn: r.ClusterOperationArn, OperationType: 'REBOOT_NODE', OperationState: 'REBOOT_IN_PROGRESS' },
    ]);
    await w.runUntil(T0 + REBOOT_MS);
    const done = await kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: r.ClusterOperationArn }));
    expect(done.ClusterOperationInfo).toMatchObject({ OperationState: 'REBOOT_COMPLETE', EndTime: new Date(T0 + REBOOT_MS) });
    expect((await kafka.send(new DescribeClusterV2Command({ ClusterArn: ARN }))).ClusterInfo?.State).toBe('ACTIVE');
    expect(w.kafka.cluster(ARN).reboots).toBe(1);
  });

  it('refuses a reboot while AWS holds the cluster HEALING, and accepts it once the cluster is ACTIVE again', async () => {
    const { w, kafka } = world();
    w.kafka.holdState(ARN, 'HEALING', 10 * MIN);
    await expect(kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['2'] }))).rejects.toThrow(/HEALING state/);
    await w.runUntil(T0 + 10 * MIN);
    await expect(kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['2'] }))).resolves.toMatchObject({ ClusterArn: ARN });
  });

  it('brings a down broker back on REBOOT_COMPLETE only when a reboot fixes it', async () => {
    const { w, kafka } = world();
    w.kafka.brokerDown(ARN, 2, { rebootFixes: false });
    w.kafka.brokerDown(ARN, 3, { rebootFixes: true });
    await kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['2'] }));
    await w.runUntil(T0 + REBOOT_MS);
    expect(w.kafka.isUp('order-processing', 2)).toBe(false);
    await kafka.send(new RebootBrokerCommand({ ClusterArn: ARN, BrokerIds: ['3'] }));
    await w.runUntil(T0 + 2 * REBOOT_MS);
    expect(w.kafka.isUp('order-processing', 3)).toBe(true);
  });

  it("brings a broker back by AWS's own recovery", async () => {
    const { w } = world();
    w.kafka.brokerDown(ARN, 1, { rebootFixes: true, recoversAfterMs: 7 * MIN });
    await w.runUntil(T0 + 7 * MIN - 1);
    expect(w.kafka.isUp('order-processing', 1)).toBe(false);
    await w.runUntil(T0 + 7 * MIN);
    expect(w.kafka.isUp('order-processing', 1)).toBe(true);
  });

  it('publishes the per-broker and cluster metrics of live brokers only, with the partition counts of their topics', async () => {
    const { w, cw } = world();
    w.start();
    // History: every broker publishes, the controller (broker 1) counts 1 active controller.
    expect((await newest(cw, 'CpuUser', broker(2), 'SampleCount')).value).toBe(1);
    w.kafka.brokerDown(ARN, 1, { rebootFixes: true });
    await w.runUntil(T0 + 4 * MIN);
    const cpu1 = await newest(cw, 'CpuUser', broker(1), 'SampleCount');
    expect(cpu1.at).toBe(T0 - MIN);
    // Broker 1 down: broker 2 is the controller now; every partition is under-replicated (2 of 3).
    const ctrl = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0 + 3 * MIN),
        EndTime: new Date(T0 + 4 * MIN),
        MetricDataQueries: [
          {
            Id: 'c',
            MetricStat: {
              Metric: { Namespace: 'AWS/Kafka', MetricName: 'ActiveControllerCount', Dimensions: [{ Name: 'Cluster Name', Value: 'order-processing' }] },
              Period: 60,
              Stat: 'Sum',
            },
          },
          {
            Id: 'o',
            MetricStat: {
              Metric: { Namespace: 'AWS/Kafka', MetricName: 'OfflinePartitionsCount', Dimensions: [{ Name: 'Cluster Name', Value: 'order-processing' }] },
              Period: 60,
              Stat: 'Maximum',
            },
          },
          {
            Id: 'u2',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Kafka',
                MetricName: 'UnderReplicatedPartitions',
                Dimensions: [
                  { Name: 'Cluster Name', Value: 'order-processing' },
                  { Name: 'Broker ID', Value: '2' },
                ],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
          {
            Id: 'u3',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Kafka',
                MetricName: 'UnderReplicatedPartitions',
                Dimensions: [
                  { Name: 'Cluster Name', Value: 'order-processing' },
                  { Name: 'Broker ID', Value: '3' },
                ],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
          {
            Id: 'm1',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Kafka',
                MetricName: 'MessagesInPerSec',
                Dimensions: [
                  { Name: 'Cluster Name', Value: 'order-processing' },
                  { Name: 'Broker ID', Value: '1' },
                  { Name: 'Topic', Value: 'orders.raw' },
                ],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const v = Object.fromEntries(ctrl.MetricDataResults!.map((r) => [r.Id, r.Values]));
    expect(v).toEqual({ c: [1], o: [0], u2: [4], u3: [2], m1: [] });
  });
});

describe('Scenario format: MSK clusters and brokers', () => {
  const doc = (over: Record<string, unknown>) => ({
    version: 1,
    name: 'x',
    description: 'x',
    configFile: 'configs/broker-orders.yaml',
    runFor: '10m',
    ...over,
  });
  const file = `${process.cwd()}/drills/scenarios/x.yaml`;

  it('rejects a broker the cluster does not have, naming the entry', async () => {
    const d = doc({ timeline: [{ at: '1m', 'broker-down': { pipeline: 'orders', broker: 4 } }] });
    await expect(validateScenario(file, d)).rejects.toThrow('timeline[0].broker-down.broker: cluster order-processing has brokers 1..3, not 4');
  });

  it('rejects a cluster reference with both or neither of pipeline and clusterArn', async () => {
    await expect(validateScenario(file, doc({ timeline: [{ at: '1m', 'cluster-state': { state: 'HEALING' } }] }))).rejects.toThrow(
      'give exactly one of `pipeline` or `clusterArn`',
    );
    await expect(validateScenario(file, doc({ world: { msk: { clusters: [{ pipeline: 'orders', clusterArn: ARN }] } } }))).rejects.toThrow(
      'world.msk.clusters[0]',
    );
  });

  it('rejects a cluster state MSK does not have, and an unknown expectation field', async () => {
    await expect(validateScenario(file, doc({ timeline: [{ at: '1m', 'cluster-state': { pipeline: 'orders', state: 'BROKEN' } }] }))).rejects.toThrow(
      'timeline[0].cluster-state.state',
    );
    await expect(validateScenario(file, doc({ expect: { msk: { orders: { brokersDown: 1 } } } }))).rejects.toThrow('unknown field "brokersDown"');
  });

  it('accepts the format the issue gives', async () => {
    const text = `
version: 1
name: x
description: x
configFile: configs/broker-orders.yaml
world:
  msk:
    clusters:
      - pipeline: orders
        brokers: 3
        state: ACTIVE
timeline:
  - at: 2m
    broker-down:
      pipeline: orders
      broker: 2
      recoversAfter: 25m
      rebootFixes: true
  - at: 3m
    cluster-state: { pipeline: orders, state: HEALING, for: 12m }
runFor: 30m
expect:
  msk:
    orders:
      brokersUp: 3
      reboots: 1
`;
    const loaded = await validateScenario(file, parseYaml(text));
    expect(loaded.scenario.timeline[0]!['broker-down']).toEqual({ pipeline: 'orders', broker: 2, recoversAfter: 25 * MIN, rebootFixes: true });
    expect(loaded.scenario.expect.msk).toEqual({ orders: { brokersUp: 3, reboots: 1 } });
  });
});
