import { z } from 'zod';
import { durationSchema } from './duration';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario format's Managed Flink and Kinesis parts (docs/scenarios.md, "Managed Flink
 * applications and Kinesis streams"): the applications of the pipelines whose job is
 * `managed-flink` and the Kinesis streams they read, at the start; the faults of a job, an
 * operation, checkpoints, traffic and one shard; what must hold at the end. All optional: files
 * without them keep their meaning.
 */

const kmsKeyArn = z.string().regex(/^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'must be a KMS key ARN');
const weights = z
  .array(z.number().min(0))
  .min(1)
  .refine((w) => w.some((x) => x > 0), { message: 'at least one weight must be positive' });

export const flinkApplicationSeedSchema = z
  .object({
    /** The pipeline whose job (`managed-flink`) this application is. */
    pipeline: pipelineRef,
    status: z.enum(['RUNNING', 'READY']).default('RUNNING'),
    parallelism: z.number().int().min(1).max(1_000).default(4),
    parallelismPerKPU: z.number().int().min(1).max(8).default(1),
    autoScalingEnabled: z.boolean().default(false),
    snapshotsEnabled: z.boolean().default(true),
    /** System rollbacks (opt-in): a failed operation is rolled back instead of leaving the application READY. */
    rollbackEnabled: z.boolean().default(false),
    /** Ages of the snapshots that exist at the start, newest first (default: one, 1 h old). */
    snapshots: z.array(durationSchema).default([3_600_000]),
    checkpointInterval: durationSchema.default(60_000),
    /** The job's checkpoint timeout (execution.checkpointing.timeout). */
    checkpointTimeout: durationSchema.default(600_000),
    /** Size of the job's state: what each checkpoint writes. */
    stateBytes: z.number().int().min(0).default(50_000_000),
    /** The application's state is encrypted with this customer managed key (else an AWS owned key). */
    kmsKeyArn: kmsKeyArn.optional(),
    /** Records a second one subtask reads (a subtask reads its shards in turn). */
    recordsPerSecondPerSubtask: z.number().positive().default(1_000),
    versionId: z.number().int().min(1).default(3),
    /** How long before the start its job started (RUNNING). */
    startedAgo: durationSchema.default(7_200_000),
  })
  .strict();

export const kinesisStreamSeedSchema = z
  .object({
    /** The pipeline whose source (`kinesis`) this stream is. */
    pipeline: pipelineRef,
    shards: z.number().int().min(1).max(500).default(4),
    recordsPerSecond: z.number().min(0).default(1_000),
    /** Share of the traffic per shard, one per shard. Default: even. */
    weights: weights.optional(),
    /** Default: the pipeline's source.retentionHours. */
    retention: durationSchema.optional(),
    /** Shard-level metrics enhanced monitoring publishes (ALL, IteratorAgeMilliseconds, …); default none, as a new stream has. */
    enhancedMonitoring: z
      .array(
        z.enum([
          'ALL',
          'IncomingBytes',
          'IncomingRecords',
          'OutgoingBytes',
          'OutgoingRecords',
          'WriteProvisionedThroughputExceeded',
          'ReadProvisionedThroughputExceeded',
          'IteratorAgeMilliseconds',
        ]),
      )
      .default([]),
    /** Records a second one shard gives a reader (2 MB/s of ~1 KB records). */
    readLimitRecordsPerSecond: z.number().positive().default(2_000),
    /** Backlog of every shard at the start, in records. */
    lagRecords: z.number().int().min(0).default(0),
    history: durationSchema.default(3_600_000),
  })
  .strict()
  .refine((s) => s.weights === undefined || s.weights.length === s.shards, { message: 'give one weight per shard', path: ['weights'] });

export const flinkWorldSchema = {
  flink: z
    .object({ applications: z.array(flinkApplicationSeedSchema).default([]) })
    .strict()
    .prefault({}),
  kinesis: z
    .object({ streams: z.array(kinesisStreamSeedSchema).default([]) })
    .strict()
    .prefault({}),
};

export const flinkFaults = {
  /** The Flink job fails with this error; Flink restarts it; it fails again `times` times in all (absent: after every restart). */
  'fail-flink-job': z
    .object({ pipeline: pipelineRef, error: z.string().min(1), times: z.number().int().min(1).optional(), after: durationSchema.default(20_000) })
    .strict(),
  /** An operation on the application fails after `after` in its transient status; rolled back when rollbacks are on. */
  'fail-flink-operation': z
    .object({
      pipeline: pipelineRef,
      operation: z.enum(['UpdateApplication', 'Scaling', 'Maintenance']).default('Maintenance'),
      error: z.string().min(1),
      after: durationSchema.default(120_000),
      rollback: z.enum(['succeeds', 'fails']).default('fails'),
    })
    .strict(),
  /** A person stops the application (StopApplication, with a snapshot). */
  'stop-flink-application': z.object({ pipeline: pipelineRef }).strict(),
  /** Checkpoints fail from now (for `for`): the key policy denies the key, they time out, or the state grows past them. */
  'flink-checkpoint-failures': z
    .object({ pipeline: pipelineRef, cause: z.enum(['kms-denied', 'timeout', 'state-too-large']), for: durationSchema.optional() })
    .strict(),
  /** The producers' rate into the pipeline's stream (and its spread over shards) changes now. */
  'kinesis-traffic': z.object({ pipeline: pipelineRef, recordsPerSecond: z.number().min(0), weights: weights.optional() }).strict(),
  /** One shard stops being read: `stuck` (GetRecords keeps returning the same position) or `unread` (no GetRecords at all). */
  'kinesis-shard-stuck': z.object({ pipeline: pipelineRef, shard: z.number().int().min(0), how: z.enum(['stuck', 'unread']).default('stuck') }).strict(),
} as const;

export const flinkExpectSchema = z
  .record(
    pipelineRef,
    z
      .object({
        /** The application's status at the end. */
        status: z.string().min(1).optional(),
        parallelism: z.number().int().min(1).optional(),
        /** StartApplication calls that took effect. */
        starts: z.number().int().min(0).optional(),
        /** UpdateApplication calls that took effect. */
        updates: z.number().int().min(0).optional(),
        /** The highest shard backlog of the stream at the end, in records (Kinesis). */
        maxBacklogRecords: z.number().int().min(0).optional(),
        /** Records past the stream's retention, lost in all. */
        lostRecords: z.number().int().min(0).optional(),
      })
      .strict(),
  )
  .optional();

export type FlinkApplicationSeedSpec = z.output<typeof flinkApplicationSeedSchema>;
export type KinesisStreamSeedSpec = z.output<typeof kinesisStreamSeedSchema>;
export type FlinkExpectations = z.output<typeof flinkExpectSchema>;
