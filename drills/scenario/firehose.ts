import { z } from 'zod';
import { durationSchema } from './duration';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario format's Firehose, IAM and KMS parts (docs/scenarios.md, "Firehose"): the
 * streams at the start, the roles and keys they use, the faults that change them, and what
 * must be true of each stream at the end. All optional: files without them keep their meaning.
 */

const roleArn = z.string().regex(/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN');
const kmsKeyArn = z.string().regex(/^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'must be a KMS key ARN');
const iamAction = z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*?]+$/, 'must be an IAM action such as s3:PutObject');

const hints = z.object({ sizeInMBs: z.number().int().min(1).max(128), intervalInSeconds: z.number().int().min(0).max(900) }).strict();

const streamRef = {
  /** The stream of this pipeline's sink. */
  pipeline: pipelineRef.optional(),
  /** Or a stream by name. */
  stream: z.string().min(1).optional(),
};
const oneStream = (o: { pipeline?: string | undefined; stream?: string | undefined }) => (o.pipeline === undefined) !== (o.stream === undefined);
const ONE_STREAM = { message: 'give exactly one of `pipeline` or `stream`' };

export const firehoseStreamSeedSchema = z
  .object({
    ...streamRef,
    /** Default: arn:aws:iam::<account>:role/<stream>-delivery, created with the permissions Firehose needs. */
    roleArn: roleArn.optional(),
    /** Default: <stream>-destination (created). */
    bucket: z.string().min(3).optional(),
    prefix: z.string().default('raw/!{timestamp:yyyy/MM/dd}/'),
    errorOutputPrefix: z.string().default('errors/!{firehose:error-output-type}/'),
    /** SSE-KMS key of the objects Firehose writes (created enabled unless world.kms says otherwise). */
    kmsKeyArn: kmsKeyArn.optional(),
    /** Customer key of the stream's own encryption. */
    sseKeyArn: kmsKeyArn.optional(),
    bufferingHints: hints.default({ sizeInMBs: 5, intervalInSeconds: 300 }),
    errorLogging: z.boolean().default(true),
    recordsPerSecond: z.number().min(0).default(100),
    recordBytes: z.number().int().min(1).max(1_024_000).default(1_024),
    /** Objects per minute the bucket accepts from this stream (its request rate). */
    maxObjectsPerMinute: z.number().int().min(1).default(600),
    quotaRecordsPerSecond: z.number().int().min(1).default(5_000),
    retention: durationSchema.default(86_400_000),
    /** Delivery has failed for this long at the start, for the reason the seeded role, key and bucket give. */
    stalledFor: durationSchema.default(0),
    /** Simulated history before the start (metrics, backlog, error log). Default: stalledFor + 1h. */
    history: durationSchema.optional(),
    versionId: z.number().int().min(1).default(1),
  })
  .strict()
  .refine(oneStream, ONE_STREAM);

const statement = z
  .object({
    sid: z.string().optional(),
    effect: z.enum(['Allow', 'Deny']).default('Allow'),
    actions: z.array(iamAction).min(1),
    resources: z.array(z.string().min(1)).min(1),
  })
  .strict();

export const firehoseWorldSchema = {
  firehose: z
    .object({ streams: z.array(firehoseStreamSeedSchema).default([]) })
    .strict()
    .prefault({}),
  iam: z
    .object({ roles: z.array(z.object({ arn: roleArn, statements: z.array(statement) }).strict()).default([]) })
    .strict()
    .prefault({}),
  kms: z
    .object({ keys: z.array(z.object({ arn: kmsKeyArn, enabled: z.boolean().default(true) }).strict()).default([]) })
    .strict()
    .prefault({}),
};

export const firehoseFaults = {
  'iam-revoke': z.object({ role: roleArn, actions: z.array(iamAction).min(1) }).strict(),
  'iam-grant': z.object({ role: roleArn, actions: z.array(iamAction).min(1) }).strict(),
  'kms-key': z.object({ keyArn: kmsKeyArn, enabled: z.boolean() }).strict(),
  'firehose-traffic': z
    .object({ ...streamRef, recordsPerSecond: z.number().min(0), recordBytes: z.number().int().min(1).max(1_024_000).optional() })
    .strict()
    .refine(oneStream, ONE_STREAM),
  'update-firehose': z
    .object({
      ...streamRef,
      bufferingHints: hints.optional(),
      prefix: z.string().optional(),
      /** `now`, or right before the next UpdateDestination call is processed (a change racing the caller's). */
      when: z.enum(['now', 'before-next-update']).default('now'),
    })
    .strict()
    .refine(oneStream, ONE_STREAM),
} as const;

export const firehoseExpectSchema = z
  .record(
    z.string().min(1),
    z
      .object({
        bufferingHints: hints.optional(),
        /** The last minute's deliveries succeeded. */
        delivering: z.boolean().optional(),
        /** The freshness at the end is at most this. */
        maxFreshnessSeconds: z.number().min(0).optional(),
        /** Records dropped after retention, in all. */
        lostRecords: z.number().int().min(0).optional(),
        versionId: z.number().int().min(1).optional(),
      })
      .strict(),
  )
  .optional();

export type FirehoseStreamSeedSpec = z.output<typeof firehoseStreamSeedSchema>;
export type FirehoseExpectations = z.output<typeof firehoseExpectSchema>;
