import * as z from 'zod';
import { ledgerSchema, operationsAccessSchema, vpcSchema } from './access';
import { maskingSchema } from './masking';
import { modeSchema, type Mode } from './mode';
import { isFlinkRuntime } from './flink-runtime';
import { reportsSchema, runbookBaseUrlSchema } from './operator';
import { isReleaseLabel, jobMetricDimensions } from './release';
import { s3UriSchema } from './s3-uri';

/**
 * The streamfix configuration: what the platform looks like (pipelines and their resources)
 * and how far streamfix may go on each (mode, bounds, cooldown, budget per playbook).
 *
 * Every field has a default where a safe one exists; resources never do.
 */

const name = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and dashes, starting with a letter (max 40)');

const arn = (service: string) => z.string().regex(new RegExp(`^arn:aws[a-zA-Z-]*:${service}:`), `must be an ${service} ARN`);

export { s3UriSchema };

export { modeSchema, type Mode } from './mode';

const mskSource = z
  .object({
    kind: z.literal('msk'),
    clusterArn: arn('kafka'),
    clusterName: z.string().min(1),
    topic: z.string().min(1),
    consumerGroup: z.string().min(1),
    /** How long the topic keeps data: bounds what a late restart can still re-read. */
    retentionHours: z.number().positive().default(168),
    /**
     * The cluster's broker nodes (MSK numbers them 1..brokers): broker-health alarms on the
     * per-broker metrics of exactly these, so a broker that stops publishing is seen as down.
     */
    brokers: z.number().int().min(1).max(1_000).default(3),
    /** The cluster's subnets and security groups: dlq-replay runs in them to reach the brokers (required with a DLQ). */
    vpc: vpcSchema.optional(),
  })
  .strict();

const kinesisSource = z
  .object({
    kind: z.literal('kinesis'),
    streamName: z.string().min(1),
    retentionHours: z.number().positive().default(24),
  })
  .strict();

const emrServerlessJob = z
  .object({
    kind: z.literal('emr-serverless'),
    applicationId: z.string().regex(/^[0-9a-z]{1,64}$/, 'must be an EMR Serverless application id'),
    /** The job run name streamfix looks for and restarts; runs with other names are not touched. */
    jobName: z.string().min(1),
    executionRoleArn: arn('iam'),
    checkpoint: s3UriSchema,
    /**
     * The EMR release of the job's application (`emr-7.2.0`). It decides the dimensions of the job
     * alarms (7.10 and later publish the job metrics with ApplicationName) and whether EMR retries
     * a failed streaming run by itself (7.1.0 and later). Read from here, never from AWS: synth
     * stays offline. Unset: the alarms use the older ApplicationId-only metrics and never treat
     * missing data as a failure.
     */
    releaseLabel: z.string().refine(isReleaseLabel, 'must be an EMR release label such as emr-7.2.0').optional(),
    /** The application's name, as its job metrics carry it from release 7.10 ("[Unspecified]" when it has none). */
    applicationName: z.string().min(1).optional(),
    /**
     * Where the job's runs write their driver logs (the runs' monitoringConfiguration): streamfix
     * may read the failed attempt's driver log there for the failure text beyond the 256
     * characters of stateDetails. Each location is granted in IAM; a run that logs elsewhere is
     * classified from stateDetails alone.
     */
    driverLogs: z
      .object({
        /** `s3MonitoringConfiguration.logUri`. */
        s3: s3UriSchema.optional(),
        /** `cloudWatchLoggingConfiguration.logGroupName` (EMR's default is /aws/emr-serverless). */
        cloudWatchLogGroup: z
          .string()
          .regex(/^[\w#/.-]{1,512}$/, 'must be a CloudWatch Logs log group name')
          .optional(),
      })
      .strict()
      .optional(),
    /** Custom metric the job publishes for records processed (throughput out). */
    processedRecordsMetric: z
      .object({ namespace: z.string().min(1), metricName: z.string().min(1), dimensions: z.record(z.string(), z.string()).default({}) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((job, ctx) => {
    if (jobMetricDimensions(job.releaseLabel) === 'by-id-and-name' && job.applicationName === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['applicationName'],
        message: `is required with releaseLabel ${job.releaseLabel}: from 7.10 the job metrics carry the ApplicationName dimension (use "[Unspecified]" for an application without a name)`,
      });
    }
  });

/**
 * A Flink application on Amazon Managed Service for Apache Flink (`kinesisanalyticsv2`), named as
 * the API names it. Its runtime decides the metric names its alarms use (Flink 2.2 removed
 * `fullRestarts` for `numRestarts`: "Metrics and dimensions in Managed Service for Apache Flink",
 * docs.aws.amazon.com/managed-flink/latest/java/metrics-dimensions.html). Read from here, never
 * from AWS: synth stays offline.
 */
const managedFlinkJob = z
  .object({
    kind: z.literal('managed-flink'),
    /** `ApplicationName` (1–128 of letters, digits, `_`, `.`, `-`). */
    applicationName: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'must be a Managed Service for Apache Flink application name (letters, digits, _ . -; at most 128)'),
    /** The application's `RuntimeEnvironment` (`FLINK-1_20`, `FLINK-2_2`, …): which metric names it publishes. */
    runtimeEnvironment: z.string().refine(isFlinkRuntime, 'must be a Flink runtime environment such as FLINK-1_20 or FLINK-2_2'),
    /**
     * The application's CloudWatch Logs log group (its CloudWatch logging option): streamfix reads
     * the job's exceptions there (restart loops, checkpoint failures). Absent: failures are
     * classified from the application's operations alone.
     */
    logGroupName: z
      .string()
      .regex(/^[\w#/.-]{1,512}$/, 'must be a CloudWatch Logs log group name')
      .optional(),
  })
  .strict();

const firehoseSink = z
  .object({
    kind: z.literal('firehose'),
    deliveryStreamName: z.string().min(1),
    /** Where the stream delivers (its S3 destination, up to the first `!{...}` expression): good records, read as the schema reference. */
    s3: s3UriSchema.optional(),
  })
  .strict();

const dlq = z
  .object({
    s3: s3UriSchema,
    /** The Firehose stream's ErrorOutputPrefix as an S3 URI: its failed records can be replayed (docs/dlq-format.md). */
    firehoseErrorOutput: s3UriSchema.optional(),
  })
  .strict();

/**
 * A playbook's block (`pipelines.<name>.playbooks.<id>`) as the config's shape knows it: its mode
 * and the playbook's own settings, an object. What the settings may hold is the playbook's: its
 * manifest's settings schema validates them, composed into the full schema (lambdas/schema.ts)
 * that every user config is parsed with.
 */
export interface PlaybookBlock {
  mode: Mode;
}

/** The playbooks part of a pipeline in the shape: one block (its mode, and the playbook's own settings) per playbook id. */
export const genericPlaybooksSchema: z.ZodType<Record<string, PlaybookBlock>> = z.record(z.string(), z.object({ mode: modeSchema }).loose());

export const pipelineSchemaWith = <P extends z.ZodType>(playbooks: P) =>
  z
    .object({
      description: z.string().optional(),
      source: z.discriminatedUnion('kind', [mskSource, kinesisSource]),
      job: z.discriminatedUnion('kind', [emrServerlessJob, managedFlinkJob]),
      sink: firehoseSink.optional(),
      dlq: dlq.optional(),
      /** Pause every playbook of this pipeline (the SSM pause parameter can do the same at run time). */
      paused: z.boolean().default(false),
      /** Masking of personal data and secrets in the samples pages, SNS and the ledger show (docs/configuration.md). */
      masking: maskingSchema.prefault({}),
      playbooks,
    })
    .strict();

export const escalationSchema = z
  .object({
    /** E-mail addresses subscribed to the SNS topic. */
    emails: z.array(z.email()).default([]),
    pagerDuty: z
      .object({
        /** Secrets Manager secret holding the Events v2 routing key (plain string or {"routingKey": "..."}). */
        secretName: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export const routeSchema = z.object({ alarmName: z.string().min(1), pipeline: name, playbook: z.string().min(1) }).strict();

/**
 * The config schema around a given playbooks schema: lambdas/schema.ts composes every playbook's
 * settings schema in (`playbookIds`: the ids a route may name). Used here with the generic block
 * only for the config's types.
 */
export const configSchemaWith = <P extends z.ZodType>(playbooks: P, playbookIds: readonly string[]) =>
  z
    .object({
      /** Prefix of every resource and alarm name streamfix creates. */
      name: name.default('streamfix'),
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
        .optional(),
      account: z
        .string()
        .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
        .optional(),
      escalation: escalationSchema.prefault({}),
      pipelines: z.record(name, pipelineSchemaWith(playbooks)).refine((p) => Object.keys(p).length > 0, 'at least one pipeline is required'),
      /** Alarms you created yourself (composite, metric math) that should trigger a playbook. */
      routes: z.array(routeSchema).default([]),
      /** Who may invoke the manual operations (docs/operations/access.md). */
      operations: operationsAccessSchema.prefault({}),
      /** The ledger's audit trail: how long it is kept (default: for good). */
      ledger: ledgerSchema.prefault({}),
      /** Where the runbooks live: a link in every alarm description and every page (docs/configuration.md). */
      runbookBaseUrl: runbookBaseUrlSchema.optional(),
      /** Where the post-incident report of each closed incident is written (docs/configuration.md). */
      reports: reportsSchema.optional(),
    })
    .strict()
    .superRefine((cfg, ctx) => {
      cfg.routes.forEach((r, i) => {
        if (!(r.pipeline in cfg.pipelines)) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, 'pipeline'], message: `unknown pipeline "${r.pipeline}"` });
        }
        if (!playbookIds.includes(r.playbook)) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, 'playbook'], message: `unknown playbook "${r.playbook}"` });
        }
      });
    });

/**
 * The config's shape, every playbook block generic: what the code below the playbooks reads the
 * config as (its types). A user config is parsed with the full schema (lambdas/schema.ts).
 */
export const configShapeSchema = configSchemaWith(genericPlaybooksSchema, []);
export const pipelineSchema = pipelineSchemaWith(genericPlaybooksSchema);

/** A validated config, every default filled (parsed with the full schema). */
export type StreamfixConfig = z.output<typeof configShapeSchema>;
/** A pipeline of the config, whatever runs its job. */
export type PipelineConfig = z.output<typeof pipelineSchema>;
export type JobConfig = PipelineConfig['job'];
export type JobKind = JobConfig['kind'];
export type EmrServerlessJob = Extract<JobConfig, { kind: 'emr-serverless' }>;
export type ManagedFlinkJob = Extract<JobConfig, { kind: 'managed-flink' }>;
/** A pipeline whose job is of kind K: what code written for one runtime reads. */
export type PipelineOf<K extends JobKind> = Omit<PipelineConfig, 'job'> & { job: Extract<JobConfig, { kind: K }> };
/** A pipeline whose job runs on EMR Serverless. */
export type EmrPipeline = PipelineOf<'emr-serverless'>;
/** A pipeline whose job runs on Managed Service for Apache Flink. */
export type FlinkPipeline = PipelineOf<'managed-flink'>;
