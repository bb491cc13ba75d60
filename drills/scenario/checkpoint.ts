import { z } from 'zod';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario format's checkpoint parts (docs/scenarios.md, "Checkpoints"): how the jobs'
 * checkpoint storage behaves at the start (the bucket's KMS key, the checkpoint-failure metric
 * the jobs publish) and the `corrupt-checkpoint` fault. All optional: files without them keep
 * their meaning.
 */

const kmsKeyArn = z.string().regex(/^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'must be a KMS key ARN');

export const checkpointWorldSchema = {
  checkpointing: z
    .object({
      /** SSE-KMS default encryption of buckets (what GetBucketEncryption answers; writes need the key). */
      bucketEncryption: z.array(z.object({ bucket: z.string().min(3), kmsKeyArn }).strict()).default([]),
      /** The count every job publishes when a checkpoint read or write fails (1 per failure). */
      failureMetric: z
        .object({ namespace: z.string().min(1), metricName: z.string().min(1), dimensions: z.record(z.string(), z.string()).default({}) })
        .strict()
        .optional(),
    })
    .strict()
    .prefault({}),
};

export const checkpointFaults = {
  'corrupt-checkpoint': z
    .object({
      pipeline: pipelineRef,
      /** Which log: `offsets/N` (write-ahead) or `commits/N`. */
      file: z.enum(['offsets', 'commits']).default('offsets'),
      /** How many of the newest files of that log are damaged. */
      batches: z.number().int().min(1).max(50).default(1),
      /** `empty` (Incomplete log file), `truncate` (half a JSON line), `version` (written as v9). */
      how: z.enum(['empty', 'truncate', 'version']).default('empty'),
      /** The job's newest active run fails on it now, with Spark's message (as its restart attempt would). */
      failRun: z.boolean().default(true),
    })
    .strict(),
} as const;
