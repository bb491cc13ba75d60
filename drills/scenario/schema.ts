import { z } from 'zod';
import { isReleaseLabel } from '../../lambdas/config/release';
import { durationSchema } from './duration';
import { firehoseExpectSchema, firehoseFaults, firehoseWorldSchema } from './firehose';
import { mskExpectSchema, mskFaults, mskWorldSchema } from './msk';
import { dlqExpectSchema, dlqFaults, operationsExpectSchema } from './dlq';
import { checkpointFaults, checkpointWorldSchema } from './checkpoint';
import { flinkExpectSchema, flinkFaults, flinkWorldSchema } from './flink';
import { approvalFaults, approvedBySchema } from './approvals';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario file format, version 1 (docs/scenarios.md). Every object is strict: an unknown
 * field is an error naming its path, so a typo never silently changes a drill. The format only
 * grows in backward-compatible ways; a change that would break files bumps `version`.
 */

const name = z.string().min(1);
const text = z.string().min(1);
const stringMap = z.record(z.string(), z.string());

const jobRunState = z.enum(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLING', 'CANCELLED', 'QUEUED']);

const releaseLabelSchema = z.string().refine(isReleaseLabel, 'must be an EMR release label such as emr-7.2.0');
const retryPolicySchema = z
  .object({ maxFailedAttemptsPerHour: z.number().int().min(1).max(10).optional(), maxAttempts: z.number().int().min(1).max(10).optional() })
  .strict();

const jobRunSeed = z
  .object({
    /** Fill name, application, role and checkpoint from this pipeline's job. */
    pipeline: pipelineRef.optional(),
    applicationId: z
      .string()
      .regex(/^[0-9a-z]{1,64}$/)
      .optional(),
    name: name.optional(),
    state: jobRunState.default('RUNNING'),
    stateDetails: z.string().default(''),
    /** How long before the drill starts the run was created. */
    createdAgo: durationSchema.prefault(7_200),
    executionRole: z
      .string()
      .regex(/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
      .optional(),
    entryPoint: z.string().min(1).optional(),
    entryPointArguments: z.array(z.string()).optional(),
    sparkSubmitParameters: z.string().optional(),
    configurationOverrides: z.record(z.string(), z.unknown()).optional(),
    mode: z.enum(['STREAMING', 'BATCH']).default('STREAMING'),
    retryPolicy: retryPolicySchema.optional(),
    tags: stringMap.optional(),
    releaseLabel: releaseLabelSchema.optional(),
    /** The run's session policy (StartJobRun's executionIamPolicy): a restart must carry it. */
    executionIamPolicy: z
      .object({ policy: z.string().min(1).optional(), policyArns: z.array(z.string().min(1)).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => r.pipeline !== undefined || (r.applicationId !== undefined && r.name !== undefined), {
    message: 'give either `pipeline`, or both `applicationId` and `name`',
  });

const checkpointSeed = z
  .object({
    pipeline: pipelineRef.optional(),
    uri: z
      .string()
      .regex(/^s3:\/\/[^/]+\/(.+\/)?$/, 'must be s3://bucket/prefix/ ending with a slash')
      .optional(),
    batches: z.number().int().min(1).max(100_000).default(120),
    lastBatchAge: durationSchema.prefault(30),
    batchInterval: durationSchema.prefault(60),
    lastBatchCommitted: z.boolean().default(true),
    partitions: z.number().int().min(1).max(1_000).optional(),
    topic: z.string().min(1).optional(),
    recordsPerBatch: z.number().int().min(0).default(6_000),
    /**
     * Sealed backups of the checkpoint as seeded, made earlier by streamfix: one per entry, at
     * `<checkpoint>_backup_<entry>/` (a UTC time such as `20251231T230000Z`), with a version 2
     * manifest (every object's SHA-256). What a drill restores from.
     */
    sealedBackups: z
      .array(z.string().regex(/^\d{8}T\d{6}Z$/, 'must be a UTC time such as 20251231T230000Z'))
      .max(5)
      .default([]),
  })
  .strict()
  .refine((c) => (c.pipeline === undefined) !== (c.uri === undefined), { message: 'give exactly one of `pipeline` or `uri`' });

export const worldSchema = z
  .object({
    emr: z
      .object({
        applications: z
          .array(
            z
              .object({
                applicationId: z.string().regex(/^[0-9a-z]{1,64}$/),
                name: z.string().optional(),
                releaseLabel: releaseLabelSchema.optional(),
                /** schedulerConfiguration.maxConcurrentRuns: runs beyond it wait QUEUED. */
                maxConcurrentRuns: z.number().int().min(1).max(1000).optional(),
              })
              .strict(),
          )
          .default([]),
        /**
         * Release of the pipelines' applications (and of the runs seeded on them). Default: the
         * pipeline job's `releaseLabel` in the config, else emr-7.2.0.
         */
        releaseLabel: releaseLabelSchema.optional(),
        /**
         * Retry policy of the STREAMING runs seeded without one. Default maxFailedAttemptsPerHour 1
         * (EMR does not retry): version-1 files were written for a platform where one crash ends the
         * run. Set 5 (EMR's own default) or more to drill job resiliency.
         */
        retryPolicy: retryPolicySchema.default({ maxFailedAttemptsPerHour: 1 }),
        /** Absent: one RUNNING run per pipeline. An empty list: no runs at all. */
        jobRuns: z.array(jobRunSeed).optional(),
        brokenEntryPoints: z.array(z.object({ entryPoint: text, stateDetails: text }).strict()).default([]),
        timings: z
          .object({
            pending: durationSchema.optional(),
            scheduled: durationSchema.optional(),
            running: durationSchema.optional(),
            cancel: durationSchema.optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .prefault({}),
    s3: z
      .object({
        buckets: z.array(z.string().min(3)).default([]),
        objects: z.array(z.object({ uri: z.string().regex(/^s3:\/\/[^/]+\/.+$/, 'must be s3://bucket/key'), body: z.string() }).strict()).default([]),
        /** Absent: a healthy checkpoint per pipeline. An empty list: no checkpoints. */
        checkpoints: z.array(checkpointSeed).optional(),
      })
      .strict()
      .prefault({}),
    /** SSM parameters by name. */
    ssm: stringMap.default({}),
    /** Secrets Manager secrets by name (string values; JSON strings are fine). */
    secrets: stringMap.default({}),
    eventBridge: z.object({ deliveryDelay: durationSchema.optional() }).strict().default({}),
    ...firehoseWorldSchema,
    ...mskWorldSchema,
    ...checkpointWorldSchema,
    ...flinkWorldSchema,
  })
  .strict()
  .prefault({});

const faults = {
  'fail-job-run': z.object({ pipeline: pipelineRef, stateDetails: text }).strict(),
  'cancel-job-run': z.object({ pipeline: pipelineRef, by: z.enum(['person', 'system']), stateDetails: text.optional() }).strict(),
  'crash-new-runs': z
    .object({
      pipeline: pipelineRef,
      after: durationSchema,
      stateDetails: text,
      /** The crash loop lasts this long: runs and attempts created later are healthy (default: for ever). */
      for: durationSchema.optional(),
      /** Runs whose spark.executor.memory is at least this many GiB do not crash: an out-of-memory that more memory cures. */
      untilExecutorMemoryGiB: z.number().positive().optional(),
    })
    .strict(),
  'break-entry-point': z
    .object({ pipeline: pipelineRef.optional(), entryPoint: text.optional(), stateDetails: text })
    .strict()
    .refine((b) => (b.pipeline === undefined) !== (b.entryPoint === undefined), { message: 'give exactly one of `pipeline` or `entryPoint`' }),
  'drop-native-events': z.object({ count: z.number().int().min(1), states: z.array(jobRunState).optional() }).strict(),
  'duplicate-deliveries': z
    .object({
      times: z.number().int().min(2).max(20),
      concurrent: z.boolean().default(false),
      count: z.number().int().min(1).default(1),
      source: z.string().min(1).optional(),
    })
    .strict(),
  'pagerduty-errors': z.object({ status: z.union([z.literal(429), z.number().int().min(500).max(599)]), count: z.number().int().min(1) }).strict(),
  'aws-errors': z
    .object({
      service: z.enum([
        'emr-serverless',
        's3',
        'cloudwatch',
        'scheduler',
        'sns',
        'ssm',
        'secrets-manager',
        'firehose',
        'logs',
        'iam',
        'kafka',
        'kinesisanalytics',
        'kinesis',
      ]),
      operation: z.string().min(1),
      error: z.string().regex(/^[A-Za-z]+$/, 'must be an error name such as ThrottlingException'),
      status: z.number().int().min(400).max(599).optional(),
      message: z.string().optional(),
      count: z.number().int().min(1),
    })
    .strict(),
  pause: z.object({ pipeline: pipelineRef.optional(), reason: text }).strict(),
  resume: z.object({ pipeline: pipelineRef.optional() }).strict(),
  'put-metric': z.object({ namespace: text, metricName: text, dimensions: stringMap.default({}), value: z.number(), unit: z.string().optional() }).strict(),
  deliver: z
    .object({
      playbook: text,
      event: z.record(z.string(), z.unknown()),
      times: z.number().int().min(1).max(20).default(1),
      concurrent: z.boolean().default(false),
    })
    .strict(),
  'kill-invocation': z
    .object({
      playbook: text.optional(),
      operation: text.optional(),
      pipeline: pipelineRef.optional(),
      point: z.enum(['before-action', 'after-action', 'mid-diagnosis']),
      how: z.enum(['timeout', 'crash']),
      /** Only a call of this operation reaches the point (`service:Operation`, e.g. `s3:DeleteObjects`, `kafka:Send`). */
      call: z
        .string()
        .regex(/^[a-z][a-z0-9-]*:[A-Z][A-Za-z0-9]*$/, 'must be service:Operation, such as s3:DeleteObjects')
        .optional(),
    })
    .strict()
    .refine((k) => (k.playbook === undefined) !== (k.operation === undefined), { message: 'give exactly one of `playbook` or `operation`' }),
  /** A CloudWatch alarm mute rule targets the alarm, from now for `for` (a one-time window). */
  'mute-alarm': z
    .object({
      alarm: text,
      for: durationSchema,
      rule: z
        .string()
        .regex(/^[\w.-]{1,255}$/, 'must be a mute rule name')
        .default('maintenance-window'),
    })
    .strict(),
  ...firehoseFaults,
  ...mskFaults,
  ...checkpointFaults,
  ...dlqFaults,
  ...flinkFaults,
  ...approvalFaults,
} as const;

export type FaultName = keyof typeof faults;
export const FAULT_NAMES = Object.keys(faults) as FaultName[];

const optionalFaults = Object.fromEntries(FAULT_NAMES.map((k) => [k, faults[k].optional()])) as {
  [K in FaultName]: z.ZodOptional<(typeof faults)[K]>;
};

export const timelineEntrySchema = z
  .object({ at: durationSchema, note: z.string().optional(), ...optionalFaults })
  .strict()
  .superRefine((e, ctx) => {
    const given = FAULT_NAMES.filter((k) => e[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: given.length === 0 ? `needs one of: ${FAULT_NAMES.join(', ')}` : `has ${given.join(' and ')}: one entry holds exactly one fault or delivery`,
      });
    }
  });

const decisionKind = z.enum(['fix', 'recheck', 'escalate', 'ignore']);
const countMap = z.record(z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'must be an operation name such as StartJobRun'), z.number().int().min(0));

export const incidentExpectationSchema = z
  .object({
    pipeline: pipelineRef,
    playbook: text,
    /** Which incidents of this pipeline and playbook the checks below apply to. */
    which: z.enum(['first', 'last', 'any', 'all']).default('first'),
    /** How many incidents this pipeline and playbook must have. */
    count: z.number().int().min(0).optional(),
    decision: decisionKind.optional(),
    reason: z.union([text, z.array(text).min(1)]).optional(),
    status: z.enum(['open', 'acting', 'verifying', 'rechecking', 'resolved', 'escalated', 'ignored', 'recommended']).optional(),
    actions: countMap.optional(),
    verified: z.boolean().optional(),
    escalations: z
      .array(z.object({ channel: z.enum(['pagerduty', 'sns']), severity: z.enum(['critical', 'error', 'warning', 'info']).optional() }).strict())
      .optional(),
    timeToRecoverSeconds: z.number().positive().optional(),
    /** The final decision's summary contains this text. */
    summaryIncludes: text.optional(),
    /** These reasons are among the incident's recorded decisions, in this order (others may come between). */
    decisionsInclude: z.array(text).min(1).optional(),
    /** Who approved the fix that was carried out (mode approve): a user name or an ARN; absent when no approved fix ran. */
    approvedBy: approvedBySchema,
  })
  .strict();

export const expectSchema = z
  .object({
    incidents: z.array(incidentExpectationSchema).default([]),
    incidentCount: z.number().int().min(0).optional(),
    guardrailViolations: z.number().int().min(0).optional(),
    maxCallsPerOperation: countMap.optional(),
    calls: countMap.optional(),
    pagerduty: z
      .object({ triggered: z.number().int().min(0).optional(), resolved: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    invocationErrors: z.number().int().min(0).optional(),
    /** Events that reached an on-failure destination or a Scheduler dead-letter queue. */
    deadLetters: z.number().int().min(0).optional(),
    jobs: z.record(pipelineRef, z.object({ state: jobRunState.optional(), runs: z.number().int().min(0).optional() }).strict()).optional(),
    /** Each simulated Firehose stream at the end, by stream name. */
    firehose: firehoseExpectSchema,
    /** Each simulated MSK topic at the end, by pipeline. */
    msk: mskExpectSchema,
    /** What replays delivered to each pipeline's source topic, by pipeline. */
    dlqReplay: dlqExpectSchema,
    /** Invocations of each manual operation's function, by operation id. */
    operations: operationsExpectSchema,
    /** Each pipeline's simulated Managed Flink application and Kinesis stream at the end. */
    flink: flinkExpectSchema,
  })
  .strict()
  .prefault({});

export const scenarioSchema = z
  .object({
    version: z.literal(1, { error: 'must be 1 (the only scenario format version so far)' }),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits and dashes'),
    description: text,
    config: z.record(z.string(), z.unknown()).optional(),
    configFile: text.optional(),
    seed: z.number().int().min(0).default(1),
    start: z.iso.datetime({ message: 'must be an ISO 8601 UTC time such as 2026-01-01T00:00:00Z' }).default('2026-01-01T00:00:00Z'),
    world: worldSchema,
    timeline: z.array(timelineEntrySchema).default([]),
    runFor: durationSchema,
    expect: expectSchema,
  })
  .strict()
  .refine((s) => (s.config === undefined) !== (s.configFile === undefined), { message: 'give exactly one of `config` or `configFile`', path: ['config'] });

export type Scenario = z.output<typeof scenarioSchema>;
export type TimelineEntry = z.output<typeof timelineEntrySchema>;
export type IncidentExpectation = z.output<typeof incidentExpectationSchema>;
export type Expectations = z.output<typeof expectSchema>;
export type WorldSpec = z.output<typeof worldSchema>;
