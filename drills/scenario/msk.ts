import { z } from 'zod';
import { durationSchema } from './duration';

/**
 * The scenario format's MSK part (docs/scenarios.md, "MSK topics and consumer lag"): the
 * topics read by the pipelines' jobs at the start, the faults that change traffic or hang the
 * consumer, and the lag expected at the end. All optional: files without them keep their meaning.
 */

const pipelineRef = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a pipeline name from the config');
const weights = z.array(z.number().min(0)).min(1).refine((w) => w.some((x) => x > 0), { message: 'at least one weight must be positive' });

export const mskTopicSeedSchema = z
  .object({
    /** The pipeline whose MSK source (cluster, topic, consumer group) and job this is. */
    pipeline: pipelineRef,
    partitions: z.number().int().min(1).max(10_000).default(12),
    brokers: z.number().int().min(1).max(30).default(3),
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

export const mskWorldSchema = {
  msk: z.object({ topics: z.array(mskTopicSeedSchema).default([]) }).strict().prefault({}),
};

export const mskFaults = {
  /** The producers' rate (and optionally its spread over partitions) changes now. */
  'msk-traffic': z.object({ pipeline: pipelineRef, recordsPerSecond: z.number().min(0), weights: weights.optional() }).strict(),
  /** The job's RUNNING run hangs: it stays RUNNING but reads nothing more. */
  'stall-consumer': z.object({ pipeline: pipelineRef }).strict(),
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
      })
      .strict(),
  )
  .optional();

export type MskTopicSeedSpec = z.output<typeof mskTopicSeedSchema>;
export type MskExpectations = z.output<typeof mskExpectSchema>;
