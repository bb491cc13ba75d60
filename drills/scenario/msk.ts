import { z } from 'zod';
import { durationSchema } from './duration';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario format's MSK part (docs/scenarios.md, "MSK topics and consumer lag" and "MSK
 * clusters and brokers"): the clusters and the topics read by the pipelines' jobs at the start,
 * the faults that change traffic, hang the consumer, stop a broker or hold the cluster in a
 * state, and the lag, brokers and reboots expected at the end. All optional: files without them
 * keep their meaning.
 */

const weights = z
  .array(z.number().min(0))
  .min(1)
  .refine((w) => w.some((x) => x > 0), { message: 'at least one weight must be positive' });

export const mskTopicSeedSchema = z
  .object({
    /** The pipeline whose MSK source (cluster, topic, consumer group) and job this is. */
    pipeline: pipelineRef,
    partitions: z.number().int().min(1).max(10_000).default(12),
    /** Absent: the pipeline's simulated cluster's broker count (its `source.brokers`, 3 by default). */
    brokers: z.number().int().min(1).max(30).optional(),
    /** Replicas per partition: partition p lives on brokers ((p + k) mod brokers) + 1, k < replicationFactor. Default 3, or the broker count when smaller. */
    replicationFactor: z.number().int().min(1).max(30).optional(),
    /** The topic's min.insync.replicas. Default 2, or the replication factor when smaller. */
    minInSyncReplicas: z.number().int().min(1).max(30).optional(),
    /** Records a second the producers write to the topic. */
    recordsPerSecond: z.number().min(0).default(1_000),
    /** Share of the traffic per partition, one weight per partition (normalized). Default: even. */
    weights: weights.optional(),
    /** Records a second one executor core of the job reads. */
    recordsPerSecondPerCore: z.number().positive().default(500),
    /** Lag of every partition at the start, in records. */
    lagRecords: z.number().int().min(0).default(0),
    /** PER_TOPIC_PER_PARTITION monitoring: per-partition OffsetLag. */
    perPartitionMetrics: z.boolean().default(true),
    /** PER_TOPIC_PER_BROKER monitoring: MessagesInPerSec per broker and topic. */
    perBrokerMetrics: z.boolean().default(true),
    /** Metric history before the start (the seeded state held steady). The default is output-typed: milliseconds. */
    history: durationSchema.default(3_600_000),
  })
  .strict()
  .refine((t) => t.weights === undefined || t.weights.length === t.partitions, { message: 'give one weight per partition', path: ['weights'] });

export const CLUSTER_STATES = ['ACTIVE', 'CREATING', 'DELETING', 'FAILED', 'HEALING', 'MAINTENANCE', 'REBOOTING_BROKER', 'UPDATING'] as const;
const clusterState = z.enum(CLUSTER_STATES);
const clusterArn = z.string().regex(/^arn:aws[a-zA-Z-]*:kafka:[^:]+:\d{12}:cluster\/[^/]+\/.+$/, 'must be an MSK cluster ARN');

/** The pipeline's cluster, or a cluster by ARN: exactly one of the two. */
const clusterRef = { pipeline: pipelineRef.optional(), clusterArn: clusterArn.optional() };
const oneCluster = (r: { pipeline?: string | undefined; clusterArn?: string | undefined }) => (r.pipeline === undefined) !== (r.clusterArn === undefined);
const ONE_CLUSTER = { message: 'give exactly one of `pipeline` or `clusterArn`' };

export const mskClusterSeedSchema = z
  .object({
    ...clusterRef,
    /** Broker nodes, ids 1..brokers. Absent: the pipeline's `source.brokers` (3 by default). */
    brokers: z.number().int().min(1).max(30).optional(),
    state: clusterState.default('ACTIVE'),
  })
  .strict()
  .refine(oneCluster, ONE_CLUSTER);

export const mskWorldSchema = {
  msk: z
    .object({
      /** Absent: a healthy ACTIVE cluster for every pipeline reading from MSK. */
      clusters: z.array(mskClusterSeedSchema).optional(),
      topics: z.array(mskTopicSeedSchema).default([]),
    })
    .strict()
    .prefault({}),
};

export const mskFaults = {
  /** The producers' rate (and optionally its spread over partitions) changes now. */
  'msk-traffic': z.object({ pipeline: pipelineRef, recordsPerSecond: z.number().min(0), weights: weights.optional() }).strict(),
  /** The job's RUNNING run hangs: it stays RUNNING but reads nothing more. */
  'stall-consumer': z.object({ pipeline: pipelineRef }).strict(),
  /** A broker stops: it publishes nothing and its replicas fall out of sync. */
  'broker-down': z
    .object({
      ...clusterRef,
      /** Broker id, 1-based as MSK numbers them. */
      broker: z.number().int().min(1).max(30),
      /** AWS's own recovery brings it back after this long; absent: never. */
      recoversAfter: durationSchema.optional(),
      /** A RebootBroker of this broker brings it back (when the reboot completes). */
      rebootFixes: z.boolean().default(true),
    })
    .strict()
    .refine(oneCluster, ONE_CLUSTER),
  /** AWS holds the cluster in a state (HEALING, MAINTENANCE...) for a while, then it returns to what it was. */
  'cluster-state': z
    .object({ ...clusterRef, state: clusterState, for: durationSchema.optional() })
    .strict()
    .refine(oneCluster, ONE_CLUSTER),
} as const;

export const mskExpectSchema = z
  .record(
    pipelineRef,
    z
      .object({
        /** The group's total lag at the end is at most this many records. */
        maxLagRecords: z.number().int().min(0).optional(),
        /** The total lag at the end is at least this many records (it was not caught up). */
        minLagRecords: z.number().int().min(0).optional(),
        /** The executor count of the job's newest run (its capping Spark setting). */
        executors: z.number().int().min(1).optional(),
        /** Brokers of the pipeline's cluster up (publishing) at the end. */
        brokersUp: z.number().int().min(0).optional(),
        /** RebootBroker calls MSK accepted on the pipeline's cluster. */
        reboots: z.number().int().min(0).optional(),
      })
      .strict(),
  )
  .optional();

export type MskTopicSeedSpec = z.output<typeof mskTopicSeedSchema>;
export type MskClusterSeedSpec = z.output<typeof mskClusterSeedSchema>;
export type MskExpectations = z.output<typeof mskExpectSchema>;
