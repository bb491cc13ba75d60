import { createAwsAdapters } from '../../../lambdas/adapters';
import type { MskOperationView } from '../../../lambdas/adapters/msk';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import type { AlarmTrigger } from '../../../lambdas/core/trigger';
import type { BrokerHealthEvidence, BrokerReading } from '../../../lambdas/playbooks/broker-health/diagnose';
import { brokerHealthSettings, type BrokerHealthSettings } from '../../../lambdas/playbooks/broker-health/manifest';
import { planBrokerHealth } from '../../../lambdas/playbooks/broker-health/plan';
import type { ActionContext } from '../../../lambdas/core/playbook';

export const MIN = 60_000;
/** 10 s past a minute boundary: the minute that just ended has been published. */
export const NOW = Date.parse('2026-11-22T10:30:10Z');
export const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3';
export const OP_BASE = 'arn:aws:kafka:eu-west-1:123456789012:cluster-operation/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3';

export const config = parseConfig({
  name: 'sfx',
  pipelines: {
    orders: {
      source: { kind: 'msk', clusterArn: CLUSTER, clusterName: 'order-processing', topic: 'orders.raw', consumerGroup: 'order-processor', brokers: 3 },
      job: {
        kind: 'emr-serverless',
        applicationId: '00fabcd1234efg5h',
        jobName: 'orders-stream',
        executionRoleArn: 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole',
        checkpoint: 's3://orders-data-lake/_checkpoints/streaming/orders/',
      },
    },
  },
});
export const pipeline = config.pipelines.orders!;

export const settingsWith = (over: Record<string, unknown> = {}, bounds: Record<string, unknown> = {}): BrokerHealthSettings =>
  brokerHealthSettings.parse({ ...over, bounds });

/** The alarm that opened the incident, `agoMs` before NOW. */
export const alarm = (agoMs = 0): AlarmTrigger => ({
  kind: 'alarm',
  eventId: 'e1',
  dedupeKey: 'k1',
  alarmName: 'sfx-orders-broker-health-broker-2-silent',
  state: 'ALARM',
  stateAtMs: NOW - agoMs,
  reason: '',
  composite: false,
  triggeringAlarms: [],
  metrics: [],
});

/** A broker publishing now (its newest datapoint is the minute that just ended). */
export const up = (id: number, urp = 0, isr = 0): BrokerReading => ({
  brokerId: id,
  lastDatapointMs: NOW - 10_000 - MIN,
  underReplicatedPartitions: urp,
  underMinIsrPartitions: isr,
  endpoint: `b-${id}.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com`,
});

/** A broker whose first missing datapoint started `downForMs` before NOW. */
export const down = (id: number, downForMs: number): BrokerReading => ({
  brokerId: id,
  lastDatapointMs: NOW - downForMs - MIN,
  underReplicatedPartitions: null,
  underMinIsrPartitions: null,
  endpoint: `b-${id}.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com`,
});

export const op = (type: string, state: string, startAgoMs: number, endAgoMs?: number, id = 'a1'): MskOperationView => ({
  arn: `${OP_BASE}/${id}`,
  type,
  state,
  startMs: NOW - startAgoMs,
  ...(endAgoMs !== undefined ? { endMs: NOW - endAgoMs } : {}),
});

/** One broker (2) down for 12 minutes on an ACTIVE cluster; brokers 1 and 3 lead its partitions, all in sync at 2 of 3. */
export function evidence(over: Partial<BrokerHealthEvidence> = {}): BrokerHealthEvidence {
  return {
    clusterArn: CLUSTER,
    clusterName: 'order-processing',
    configuredBrokers: 3,
    cluster: { arn: CLUSTER, name: 'order-processing', state: 'ACTIVE', numberOfBrokerNodes: 3, clusterType: 'PROVISIONED' },
    brokers: [up(1, 4), down(2, 12 * MIN), up(3, 4)],
    brokersFromNodes: true,
    operations: [],
    offlinePartitions: 0,
    activeControllers: 1,
    lag: { metric: 'SumOffsetLag', newestRecords: 1_200, trend: 'steady' },
    rebootsLastHour: 0,
    lookbackStartMs: NOW - 90 * MIN,
    ...over,
  };
}

export const healthy = (over: Partial<BrokerHealthEvidence> = {}) => evidence({ brokers: [up(1), up(2), up(3)], ...over });

export function plan(e: BrokerHealthEvidence, settings = settingsWith(), opts: { nowMs?: number; alarmAgoMs?: number } = {}) {
  return planBrokerHealth({
    pipelineName: 'orders',
    pipeline,
    settings,
    trigger: alarm(opts.alarmAgoMs ?? 0),
    evidence: e,
    nowMs: opts.nowMs ?? NOW,
    incidentId: 'orders.broker-health.20261122T103010.abc123',
  });
}

/** A playbook context on real adapters: the tests mock the SDK clients underneath. */
export function actionContext(settings: BrokerHealthSettings = settingsWith(), nowMs = NOW): ActionContext<BrokerHealthSettings> {
  return {
    pipelineName: 'orders',
    pipeline,
    settings,
    config,
    clock: new ManualClock(nowMs),
    aws: createAwsAdapters({ region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }),
    incidentId: 'orders.broker-health.20261122T103010.abc123',
    signal: new AbortController().signal,
    history: { actionsInLastHour: async () => 0 },
    actionId: 'orders.broker-health.20261122T103010.abc123#0',
  };
}
