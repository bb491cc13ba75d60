import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { SimTopicSeed } from '../../../drills/sim/msk';
import { APP, JOB, ROLE, T0, newWorld, simClient } from '../helpers';

const MIN = 60_000;
const seed = (over: Partial<SimTopicSeed> = {}): SimTopicSeed => ({
  pipeline: 'orders',
  clusterName: 'order-processing',
  topic: 'orders.raw',
  consumerGroup: 'order-processor',
  applicationId: APP,
  jobName: JOB.jobName,
  partitions: 4,
  brokers: 2,
  recordsPerSecond: 400,
  recordsPerSecondPerCore: 100,
  lagRecords: 0,
  perPartitionMetrics: true,
  perBrokerMetrics: true,
  historyMinutes: 5,
  ...over,
});

/** A world with one RUNNING run of the job with `executors` executors of one core. */
function world(executors: number, over: Partial<SimTopicSeed> = {}) {
  const w = newWorld();
  const run = w.emr.seedRun({
    applicationId: APP,
    name: JOB.jobName,
    state: 'RUNNING',
    stateDetails: '',
    createdBy: 'deployer',
    createdAt: new Date(T0 - 3_600_000),
    updatedAt: new Date(T0 - 3_600_000),
    executionRole: ROLE,
    releaseLabel: 'emr-7.2.0',
    mode: 'STREAMING',
    retryPolicy: { maxFailedAttemptsPerHour: 1 },
    jobDriver: {
      sparkSubmit: {
        entryPoint: 's3://b/job.py',
        sparkSubmitParameters: `--conf spark.dynamicAllocation.enabled=false --conf spark.executor.instances=${executors} --conf spark.executor.cores=1`,
      },
    },
  });
  const topic = w.msk.addTopic(seed(over));
  return { w, run, topic };
}

const totalLag = (lags: number[]) => Math.round(lags.reduce((a, b) => a + b, 0));

describe('Class: SimMsk', () => {
  it('keeps the lag at zero while the job reads faster than the producers write', async () => {
    const { w, topic } = world(4);
    await w.runUntil(T0 + 5 * MIN);
    expect(totalLag(topic.lags)).toBe(0);
  });

  it('grows the lag by the deficit when the job is too small, and by everything when no run is RUNNING', async () => {
    // 2 executors of 1 core over 4 partitions: each partition reads 50/s of its 100/s.
    const { w, topic, run } = world(2);
    await w.runUntil(T0 + 2 * MIN);
    expect(totalLag(topic.lags)).toBe(200 * 120);
    w.emr.failRun(run.jobRunId, 'crash');
    await w.runUntil(T0 + 3 * MIN);
    expect(totalLag(topic.lags)).toBe(200 * 120 + 400 * 60);
  });

  it('reads nothing from a hung run, and drains once a new run reaches RUNNING', async () => {
    const { w, topic } = world(4, { lagRecords: 6_000, recordsPerSecond: 200 });
    const hung = w.msk.stallConsumer('orders')!;
    await w.runUntil(T0 + MIN);
    expect(totalLag(topic.lags)).toBe(24_000 + 200 * 60);
    w.emr.failRun(hung.jobRunId, 'killed');
    w.emr.seedRun({ ...hung, jobRunId: 'replacement', state: 'RUNNING', createdAt: new Date(T0 + MIN) });
    // 4 tasks read 100/s per partition against 50/s written: 200/s drained.
    await w.runUntil(T0 + 2 * MIN);
    expect(totalLag(topic.lags)).toBe(36_000 - 200 * 60);
  });

  it('caps a hot partition at one task while the others keep up', async () => {
    const { w, topic } = world(4, { weights: [5, 1, 1, 1] });
    await w.runUntil(T0 + MIN);
    // partition 0 gets 250/s and reads 100/s; the others get 50/s each and keep up.
    expect(topic.lags.map(Math.round)).toEqual([150 * 60, 0, 0, 0]);
  });

  it('publishes the lag with MSK dimension names, and ListMetrics finds them by group and topic', async () => {
    const { w } = world(1);
    await w.runUntil(T0 + 2 * MIN);
    const cw = simClient(w, CloudWatchClient);
    const listed = await cw.send(
      new ListMetricsCommand({
        Namespace: 'AWS/Kafka',
        MetricName: 'OffsetLag',
        Dimensions: [
          { Name: 'Consumer Group', Value: 'order-processor' },
          { Name: 'Topic', Value: 'orders.raw' },
        ],
      }),
    );
    expect(listed.Metrics!.map((m) => m.Dimensions!.find((d) => d.Name === 'Partition')!.Value).sort()).toEqual(['0', '1', '2', '3']);
    expect(listed.Metrics![0]!.Dimensions!.map((d) => d.Name).sort()).toEqual(['Cluster Name', 'Consumer Group', 'Partition', 'Topic']);
    const brokers = await cw.send(new ListMetricsCommand({ MetricName: 'MessagesInPerSec', Dimensions: [{ Name: 'Topic' }] }));
    expect(brokers.Metrics).toHaveLength(2);
    const sum = w.cloudwatch.store.datapoint(
      {
        namespace: 'AWS/Kafka',
        metricName: 'SumOffsetLag',
        dimensions: { 'Cluster Name': 'order-processing', 'Consumer Group': 'order-processor', Topic: 'orders.raw' },
      },
      'Maximum',
      60,
      T0 + MIN,
    );
    // One executor: 25/s per partition against 100/s: 300/s of lag after two minutes.
    expect(sum?.value).toBe(300 * 120);
  });
});
