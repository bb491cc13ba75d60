import * as z from 'zod';
import { playbookSettings } from '../common-settings';
import { listBucketUnder, passJobRole } from '../../core/permissions';
import { byJobKind, jobLabel } from '../../config/job-kind';
import type { EmrPipeline } from '../../config/schema';
import { flinkCheckpointAlarms } from '../../runtimes/managed-flink/alarms';
import type { AlarmSpec, EventRuleSpec, PermissionSpec, PipelineContext, PlaybookManifest } from '../../core/playbook';
import { flinkCheckpointPermissions } from './flink-manifest';
import { driverLogPermissions } from '../../runtimes/emr-serverless/driver-log-permissions';
import {
  DEFAULT_ACCESS_PATTERNS,
  DEFAULT_CORRUPTION_PATTERNS,
  DEFAULT_DISK_FULL_PATTERNS,
  DEFAULT_STATE_TOO_LARGE_PATTERNS,
  DEFAULT_KMS_PATTERNS,
  DEFAULT_STATE_STORE_PATTERNS,
  DEFAULT_TIMEOUT_PATTERNS,
} from '../../analysis/checkpoint/classify';
import { appArn } from '../../util/arn';
import { s3LocationOf } from '../../util/s3-uri';

/**
 * checkpoint-failure: the streaming job cannot write or read its checkpoint. Classify why
 * (access denied, KMS, corruption, timeout / slow storage, disk full), say what data is at
 * risk, and — only when the latest batch alone is corrupt — back up, stop, roll back past it
 * and restart. Seeds: 004 "Checkpoint Failure", 000 "Checkpoint Corruption", 001 "Checkpoint
 * Reset Procedure".
 */

const metric = (statistic: 'Sum' | 'Maximum', periodSeconds: number) =>
  z.object({
    namespace: z.string().min(1),
    metricName: z.string().min(1),
    dimensions: z.record(z.string(), z.string()).default({}),
    statistic: z.enum(['Sum', 'Maximum', 'Average', 'Minimum', 'SampleCount']).default(statistic),
    periodSeconds: z.number().int().min(10).max(86_400).default(periodSeconds),
  });

const patterns = (defaults: string[]) => z.array(z.string().min(1)).default(defaults);

export const checkpointFailureBounds = z
  .object({
    /**
     * The pipeline's checkpoint-failure count: a custom metric the job publishes, or Flink's
     * `numberOfFailedCheckpoints`. Absent = no alarm; job-run failures still trigger.
     */
    failureMetric: metric('Sum', 300)
      .extend({ threshold: z.number().min(0).default(1) })
      .strict()
      .optional(),
    /** Checkpoint (or micro-batch) duration, read to tell slow storage from other failures. */
    durationMetric: metric('Maximum', 60)
      .extend({ unit: z.enum(['Milliseconds', 'Seconds']).default('Milliseconds') })
      .strict()
      .optional(),
    /** A checkpoint slower than this counts as slow storage (seed 004: 30 s). */
    slowCheckpointMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
    /** Log group where the job writes its driver log: searched for the failure text when no run says it. */
    logGroupName: z.string().min(1).max(512).optional(),
    /** The checkpoint bucket's customer-managed KMS key: backup and rollback need it to copy and read. */
    bucketKmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'must be a KMS key ARN')
      .optional(),
    corruptionPatterns: patterns(DEFAULT_CORRUPTION_PATTERNS),
    stateStorePatterns: patterns(DEFAULT_STATE_STORE_PATTERNS),
    accessDeniedPatterns: patterns(DEFAULT_ACCESS_PATTERNS),
    kmsPatterns: patterns(DEFAULT_KMS_PATTERNS),
    timeoutPatterns: patterns(DEFAULT_TIMEOUT_PATTERNS),
    diskFullPatterns: patterns(DEFAULT_DISK_FULL_PATTERNS),
    /** Batches an automatic rollback may remove (1: only the latest). */
    maxRollbackBatches: z.number().int().min(1).max(10).default(1),
    /** A checkpoint larger than this is not backed up automatically (and so never rolled back). */
    maxBackupObjects: z.number().int().min(10).max(1_000_000).default(100_000),
    maxBackupGiB: z.number().positive().max(1_024).default(50),
    /** CancelJobRun grace period for a run still active when the fix starts. */
    stopGracePeriodSeconds: z.number().int().min(0).max(3_600).default(60),
    /** How long the stop waits for CANCELLED before it fails (within the function's time). */
    stopWaitSeconds: z.number().int().min(10).max(240).default(180),
    /** A failed run older than this is history: its stateDetails are not this failure's text. */
    maxFailureAgeMinutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .default(120),
    /**
     * Managed Flink: the job's checkpoint timeout (`execution.checkpointing.timeout`, set in the
     * application; Flink's default is 10 minutes). A checkpoint taking `nearTimeoutRatio` of it is
     * about to time out.
     */
    checkpointTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(24 * 3_600_000)
      .default(600_000),
    nearTimeoutRatio: z.number().gt(0).max(1).default(0.8),
    /** Managed Flink: alarm when lastCheckpointSize stays above this many bytes (absent: no size alarm). */
    maxCheckpointSizeBytes: z.number().int().positive().optional(),
    /** Managed Flink: what a job's log says when its state is too large to checkpoint or restore. */
    stateTooLargePatterns: patterns(DEFAULT_STATE_TOO_LARGE_PATTERNS),
    /** Managed Flink: failed checkpoints in the last 15 minutes this many or more, and growing, is a failing state backend. */
    failedCheckpointsToEscalate: z.number().int().min(1).max(1_000).default(2),
  })
  .strict();

export const checkpointFailureSettings = playbookSettings(checkpointFailureBounds, {
  mode: 'auto',
  cooldownSeconds: 600,
  // One fix is two actions on the job (stop, start) and two on the checkpoint (backup, rollback).
  maxActionsPerHour: 4,
  verifyAfterSeconds: 180,
  verifyDeadlineSeconds: 900,
  breakerWindowSeconds: 1_800,
  breakerMaxVerifyFailures: 1,
  breakerOpenSeconds: 6 * 3_600,
  maxRechecks: 3,
});

export type CheckpointFailureSettings = z.output<typeof checkpointFailureSettings>;
export type CheckpointFailureBounds = CheckpointFailureSettings['bounds'];

/** ARNs of the checkpoint: the bucket, its objects, and its backups' objects (`<prefix>_backup_*`). */
export function checkpointArns(partition: string, checkpointUri: string) {
  // Parsed here rather than with the S3 adapter: manifests are data, read by lib/ without runtime code.
  const { bucket, prefix } = s3LocationOf(checkpointUri);
  return {
    bucketName: bucket,
    prefix,
    /** The key prefix every backup of this checkpoint starts with. */
    backupPrefix: `${prefix.replace(/\/+$/, '')}_backup_`,
    bucket: `arn:${partition}:s3:::${bucket}`,
    objects: `arn:${partition}:s3:::${bucket}/${prefix}*`,
    backups: `arn:${partition}:s3:::${bucket}/${prefix.replace(/\/+$/, '')}_backup_*`,
  };
}

/** The job's own checkpoint-failure count, when configured (any runtime). */
function failureMetricAlarms(p: PipelineContext<CheckpointFailureSettings>): AlarmSpec[] {
  const m = p.settings.bounds.failureMetric;
  if (!m) return [];
  return [
    {
      signal: 'checkpoint-failures',
      description: `Checkpoint failures of ${jobLabel(p.pipeline)} (${m.namespace} ${m.metricName} ${m.statistic} ≥ ${m.threshold} in ${m.periodSeconds} s)`,
      metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, statistic: m.statistic, periodSeconds: m.periodSeconds },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: m.threshold,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      // A count in the last period: OK only means "none in the last period".
      okMeansRecovered: false,
    },
  ];
}

/** EMR Serverless: the failed runs of the application (the plan keeps those about the checkpoint). */
function emrEventRules(p: PipelineContext<CheckpointFailureSettings, EmrPipeline>): EventRuleSpec[] {
  return [
    {
      id: 'job-run-failed',
      description: `EMR Serverless job runs of ${p.pipeline.job.applicationId} that FAILED (the plan keeps those about the checkpoint)`,
      pattern: {
        source: ['aws.emr-serverless'],
        'detail-type': ['EMR Serverless Job Run State Change'],
        detail: { applicationId: [p.pipeline.job.applicationId], state: ['FAILED'] },
      },
    },
  ];
}

function emrPermissions(p: PipelineContext<CheckpointFailureSettings, EmrPipeline>): PermissionSpec[] {
  const cp = checkpointArns(p.partition, p.pipeline.job.checkpoint);
  const b = p.settings.bounds;
  const out: PermissionSpec[] = [
    {
      step: 'diagnose',
      actions: ['emr-serverless:GetJobRun', 'emr-serverless:ListJobRuns', 'emr-serverless:ListJobRunAttempts'],
      resources: [appArn(p), `${appArn(p)}/jobruns/*`],
      why: "read the failed run (its attempts, stateDetails and configuration) and the job's active runs",
    },
    ...driverLogPermissions(p),
    listBucketUnder(
      p.partition,
      cp.bucketName,
      [cp.prefix, cp.backupPrefix],
      'diagnose',
      "list the checkpoint's batches and its backups (listing limited to their prefixes)",
    ),
    { step: 'diagnose', actions: ['s3:GetEncryptionConfiguration'], resources: [cp.bucket], why: "read the bucket's default encryption key" },
    { step: 'diagnose', actions: ['s3:GetObject'], resources: [cp.objects], why: 'read the checkpoint metadata and the newest offsets and commit files' },
    {
      step: 'diagnose',
      actions: ['iam:SimulatePrincipalPolicy'],
      resources: [p.pipeline.job.executionRoleArn],
      why: 'simulate the job role for the S3 actions on the checkpoint prefix and the KMS actions on its key',
    },
    {
      step: 'act',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [cp.objects, cp.backups],
      why: 'copy the checkpoint to its backup prefix (CopyObject reads the source, writes the copy) and write the backup manifest',
    },
    {
      step: 'act',
      actions: ['s3:DeleteObject'],
      resources: [cp.objects],
      why: 'roll back: delete the offsets, commit and state files of the corrupt batch, after the backup is verified',
    },
    {
      step: 'act',
      actions: ['emr-serverless:CancelJobRun'],
      resources: [`${appArn(p)}/jobruns/*`],
      why: 'stop a run still active before the rollback: never two runs on one checkpoint',
    },
    {
      step: 'act',
      actions: ['emr-serverless:StartJobRun', 'emr-serverless:TagResource'],
      resources: [appArn(p), `${appArn(p)}/jobruns/*`],
      why: 'restart the job from the rolled-back checkpoint (tags are set at creation)',
    },
    passJobRole(p.pipeline.job.executionRoleArn),
    {
      step: 'verify',
      actions: ['emr-serverless:GetJobRun', 'emr-serverless:ListJobRuns'],
      resources: [appArn(p), `${appArn(p)}/jobruns/*`],
      why: 'check the restarted run is RUNNING',
    },
    {
      step: 'verify',
      actions: ['s3:GetObject'],
      resources: [cp.objects],
      why: 'check the restarted run committed the batch it resumed at (HeadObject of commits/N)',
    },
  ];
  if (b.bucketKmsKeyArn) {
    out.push({
      step: 'act',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [b.bucketKmsKeyArn],
      why: 'read and copy objects of a bucket encrypted with this customer-managed key',
    });
  }
  if (b.durationMetric) {
    // GetMetricData has no resource-level permissions: IAM only accepts "*" for it.
    out.push({
      step: 'diagnose',
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
      why: 'read the checkpoint duration metric to tell slow storage from other failures',
    });
  }
  if (b.logGroupName) {
    out.push({
      step: 'diagnose',
      actions: ['logs:FilterLogEvents'],
      resources: [`arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${b.logGroupName}:*`],
      why: "find the checkpoint error in the job's driver log when no failed run states it",
    });
  }
  return out;
}

export const checkpointFailureManifest: PlaybookManifest<CheckpointFailureSettings> = {
  id: 'checkpoint-failure',
  title: 'Checkpoint failure → classify; roll back a corrupt last batch after a verified backup',
  summary:
    'Reads the checkpoint (every batch listed, the newest files parsed), simulates the job role on the checkpoint prefix and ' +
    'its KMS key, and classifies the failure. Only a corrupt latest batch is fixed: back up (verified), stop the job, roll ' +
    'back past the batch, restart; everything else escalates with the missing permission, the reset options and what each ' +
    'loses, or the configuration change to make.',
  settings: checkpointFailureSettings,
  appliesTo: () => true,
  alarms: (p) => [
    ...failureMetricAlarms(p),
    ...byJobKind(p, { 'emr-serverless': () => [], 'managed-flink': (q) => flinkCheckpointAlarms(q.pipeline.job, q.settings.bounds) }),
  ],
  eventRules: (p) => byJobKind(p, { 'emr-serverless': emrEventRules, 'managed-flink': () => [] }),
  permissions: (p) => byJobKind(p, { 'emr-serverless': emrPermissions, 'managed-flink': flinkCheckpointPermissions }),
};
