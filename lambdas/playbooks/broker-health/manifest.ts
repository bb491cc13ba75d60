import * as z from 'zod';
import type { PipelineConfig } from '../../config/schema';
import { playbookSettings } from '../common-settings';
import type { AlarmSpec, PipelineContext, PlaybookManifest } from '../../core/playbook';

/**
 * broker-health: a Kafka broker of the pipeline's MSK cluster is down. AWS's own recovery
 * replaces a failed broker within 5–15 minutes most of the time, so this playbook waits for it;
 * when exactly one broker stays down with the cluster ACTIVE and no AWS operation running, it
 * reboots that one broker; when data is at risk (two brokers down, offline or under-min-ISR
 * partitions) it pages at once and never acts. Seed: 004 "Kafka Broker Down — CRITICAL".
 *
 * Metrics (MSK developer guide, "Amazon MSK metrics for monitoring Standard brokers with
 * CloudWatch", DEFAULT level, namespace AWS/Kafka):
 *   ActiveControllerCount      Cluster Name                 (one controller per cluster)
 *   OfflinePartitionsCount     Cluster Name
 *   UnderMinIsrPartitionCount  Cluster Name, Broker ID      (per broker)
 *   UnderReplicatedPartitions  Cluster Name, Broker ID      (per broker)
 *   CpuUser                    Cluster Name, Broker ID      (every live broker publishes it)
 */

export const brokerHealthBounds = z
  .object({
    /** A single broker down less than this long is left to AWS's own recovery (counted from its first missing datapoint). */
    waitForRecoveryMinutes: z.number().int().min(1).max(240).default(10),
    /** How long streamfix waits while AWS acts (HEALING, MAINTENANCE, UPDATING, REBOOTING_BROKER, an operation running) before it pages. */
    awsActingMaxMinutes: z.number().int().min(1).max(720).default(20),
    /** A broker is down once this many one-minute datapoints of its CpuUser are missing (the alarm's periods too). */
    silentMinutes: z.number().int().min(1).max(30).default(3),
    /** The under-replicated alarm: UnderReplicatedPartitions above 0 for this many minutes in a row. */
    underReplicatedAlarmMinutes: z.number().int().min(1).max(60).default(5),
    /** The under-min-ISR alarm: UnderMinIsrPartitionCount above 0 for this many minutes in a row. */
    underMinIsrAlarmMinutes: z.number().int().min(1).max(60).default(2),
    /** The controller alarm: ActiveControllerCount (Sum) below 1 for this many minutes in a row. */
    controllerAlarmMinutes: z.number().int().min(1).max(60).default(3),
    /** Under-replicated partitions with every broker up: replicas catching up, until this long after the alarm. */
    underReplicatedMaxMinutes: z.number().int().min(1).max(720).default(30),
    /** After REBOOT_COMPLETE, how long a rebooted broker may take to publish again before it counts as still down. */
    rebootGraceMinutes: z.number().int().min(1).max(60).default(3),
    /** After REBOOT_COMPLETE, under-replicated partitions must be back to 0 within this. */
    replicationCatchUpMinutes: z.number().int().min(1).max(240).default(15),
    /** Look again after at most this many seconds while waiting. */
    recheckSeconds: z.number().int().min(60).max(3_600).default(180),
    /** Metric history read to date a broker's first missing datapoint and the cluster's recent operations. */
    lookbackMinutes: z.number().int().min(30).max(1_440).default(90),
    /** The consumer-lag metric read (topic level, DEFAULT monitoring). */
    lagMetric: z.enum(['SumOffsetLag', 'MaxOffsetLag']).default('SumOffsetLag'),
    /** MSK publishes the lag metrics with a "Cluster Name" dimension; false for clusters that do not. */
    clusterNameDimension: z.boolean().default(true),
  })
  .strict()
  .refine((b) => b.lookbackMinutes >= b.waitForRecoveryMinutes + b.silentMinutes, {
    message: 'lookbackMinutes must cover waitForRecoveryMinutes + silentMinutes (the first missing datapoint must be inside it)',
    path: ['lookbackMinutes'],
  });

export const brokerHealthSettings = playbookSettings(brokerHealthBounds, {
  mode: 'auto',
  cooldownSeconds: 1_800,
  // One reboot per cluster per hour.
  maxActionsPerHour: 1,
  verifyAfterSeconds: 300,
  verifyDeadlineSeconds: 1_800,
  breakerWindowSeconds: 3_600,
  breakerMaxVerifyFailures: 1,
  breakerOpenSeconds: 3_600,
  // Waiting for AWS (10 + 20 minutes at most every 3 minutes) and the alarms that join the incident meanwhile.
  maxRechecks: 15,
});

export type BrokerHealthSettings = z.output<typeof brokerHealthSettings>;
export type BrokerHealthBounds = BrokerHealthSettings['bounds'];

export type MskSource = Extract<PipelineConfig['source'], { kind: 'msk' }>;

/** The pipeline's MSK source (appliesTo guarantees it). */
export function mskSourceOf(pipeline: PipelineConfig): MskSource {
  if (pipeline.source.kind !== 'msk') throw new Error('the pipeline does not read from MSK');
  return pipeline.source;
}

/** Broker ids 1..brokers, as MSK numbers a provisioned cluster's brokers. */
export const configuredBrokerIds = (source: MskSource): number[] => Array.from({ length: source.brokers }, (_, i) => i + 1);

export const NAMESPACE = 'AWS/Kafka';
export const PERIOD_SECONDS = 60;

/** The lock, cooldown and budget key of a cluster: one reboot per cluster at a time. */
export const clusterResource = (clusterArn: string) => `kafka:${clusterArn}`;

export const clusterDims = (clusterName: string) => ({ 'Cluster Name': clusterName });
/** In CloudWatch's (and the stack's) order: sorted by name. */
export const brokerDims = (clusterName: string, brokerId: number) => ({ 'Broker ID': String(brokerId), 'Cluster Name': clusterName });

/** The topic-level lag metric's dimensions for the pipeline's group and topic. */
export const lagDims = (source: MskSource, b: Pick<BrokerHealthBounds, 'clusterNameDimension'>): Record<string, string> => ({
  ...(b.clusterNameDimension ? { 'Cluster Name': source.clusterName } : {}),
  'Consumer Group': source.consumerGroup,
  Topic: source.topic,
});

function alarms(p: PipelineContext<BrokerHealthSettings>): AlarmSpec[] {
  const src = mskSourceOf(p.pipeline);
  const b = p.settings.bounds;
  const name = src.clusterName;
  // An alarm's OK says one signal is back, not that the cluster is: one broker back while another is
  // still down must not resolve the page. Incidents end by a recheck or a verification that sees
  // every broker publishing.
  const base = { okMeansRecovered: false } as const;
  const perBroker = configuredBrokerIds(src).flatMap((id): AlarmSpec[] => [
    {
      ...base,
      signal: `broker-${id}-silent`,
      description: `${name}: broker ${id} published no CpuUser datapoint for ${b.silentMinutes} minutes (broker down)`,
      metric: { namespace: NAMESPACE, metricName: 'CpuUser', dimensions: brokerDims(name, id), statistic: 'SampleCount', periodSeconds: PERIOD_SECONDS },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: b.silentMinutes,
      datapointsToAlarm: b.silentMinutes,
      // Missing data is the signal: only brokers the config names get this alarm.
      treatMissingData: 'breaching',
    },
    {
      ...base,
      signal: `under-replicated-broker-${id}`,
      description: `${name}: broker ${id} leads under-replicated partitions for ${b.underReplicatedAlarmMinutes} minutes`,
      metric: {
        namespace: NAMESPACE,
        metricName: 'UnderReplicatedPartitions',
        dimensions: brokerDims(name, id),
        statistic: 'Maximum',
        periodSeconds: PERIOD_SECONDS,
      },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: b.underReplicatedAlarmMinutes,
      datapointsToAlarm: b.underReplicatedAlarmMinutes,
      treatMissingData: 'notBreaching',
    },
    {
      ...base,
      signal: `under-min-isr-broker-${id}`,
      description: `${name}: broker ${id} leads partitions with fewer in-sync replicas than min.insync.replicas (acks=all producers fail)`,
      metric: {
        namespace: NAMESPACE,
        metricName: 'UnderMinIsrPartitionCount',
        dimensions: brokerDims(name, id),
        statistic: 'Maximum',
        periodSeconds: PERIOD_SECONDS,
      },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: b.underMinIsrAlarmMinutes,
      datapointsToAlarm: b.underMinIsrAlarmMinutes,
      treatMissingData: 'notBreaching',
    },
  ]);
  return [
    {
      ...base,
      signal: 'active-controller',
      description: `${name}: no active controller (ActiveControllerCount summed over the brokers below 1)`,
      metric: { namespace: NAMESPACE, metricName: 'ActiveControllerCount', dimensions: clusterDims(name), statistic: 'Sum', periodSeconds: PERIOD_SECONDS },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: b.controllerAlarmMinutes,
      datapointsToAlarm: b.controllerAlarmMinutes,
      // No broker reporting is no controller.
      treatMissingData: 'breaching',
    },
    {
      ...base,
      signal: 'offline-partitions',
      description: `${name}: partitions without a leader (OfflinePartitionsCount above 0): they can be neither written nor read`,
      metric: {
        namespace: NAMESPACE,
        metricName: 'OfflinePartitionsCount',
        dimensions: clusterDims(name),
        statistic: 'Maximum',
        periodSeconds: PERIOD_SECONDS,
      },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // Only the controller publishes it: its absence is the controller alarm's to see.
      treatMissingData: 'notBreaching',
    },
    ...perBroker,
  ];
}

export const brokerHealthManifest: PlaybookManifest<BrokerHealthSettings> = {
  id: 'broker-health',
  title: 'Kafka broker down on MSK → wait for AWS, reboot one broker when safe, page when data is at risk',
  summary:
    'Reads the cluster (DescribeClusterV2), its brokers (ListNodes), its operations (ListClusterOperationsV2) and the per-broker and ' +
    'partition metrics; waits while AWS recovers or acts; reboots exactly one broker that stays down on an ACTIVE cluster with no ' +
    'operation running and no partition offline; pages critical when two brokers are down or partitions are offline or under min ISR.',
  settings: brokerHealthSettings,
  appliesTo: (pipeline) => pipeline.source.kind === 'msk',
  alarms,
  eventRules: () => [],
  permissions: (p) => {
    const cluster = mskSourceOf(p.pipeline).clusterArn;
    const read = {
      actions: ['kafka:DescribeClusterV2', 'kafka:ListNodes', 'kafka:ListClusterOperationsV2'],
      resources: [cluster],
    };
    const metrics = {
      // GetMetricData has no resource-level permissions: IAM only accepts "*" for it.
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
    };
    return [
      { step: 'diagnose', ...read, why: "read the cluster's state, its broker nodes and the operations AWS or a person started on it" },
      { step: 'diagnose', ...metrics, why: 'read the per-broker CpuUser (which brokers publish), the partition metrics and the consumer lag (AWS/Kafka)' },
      {
        step: 'act',
        actions: ['kafka:DescribeClusterV2', 'kafka:ListClusterOperationsV2', 'kafka:RebootBroker'],
        resources: [cluster],
        why: 'reboot one broker of the configured cluster, after checking it is ACTIVE and no reboot of this incident already started',
      },
      { step: 'act', ...metrics, why: 'check the broker is still silent right before rebooting it' },
      { step: 'verify', ...read, why: 'check the cluster is ACTIVE again and find the reboot operation' },
      {
        step: 'verify',
        // DescribeClusterOperationV2 has no resource-level permissions (Service Authorization Reference, Amazon MSK): "*".
        actions: ['kafka:DescribeClusterOperationV2'],
        resources: ['*'],
        why: 'read the reboot operation (REBOOT_IN_PROGRESS → REBOOT_COMPLETE, or its error)',
      },
      { step: 'verify', ...metrics, why: 'check every broker publishes, under-replicated partitions are back to 0 and the lag is not growing' },
    ];
  },
};
