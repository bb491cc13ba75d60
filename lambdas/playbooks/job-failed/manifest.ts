import * as z from 'zod';
import { jobMetricDimensions, publishedApplicationName } from '../../config/release';
import { byJobKind } from '../../config/job-kind';
import type { EmrPipeline, EmrServerlessJob } from '../../config/schema';
import { checkpointLocation } from '../../runtimes/emr-serverless/checkpoint';
import { driverLogPermissions } from '../../runtimes/emr-serverless/driver-log-permissions';
import { playbookSettings } from '../common-settings';
import { listBucketUnder, passJobRole } from '../../core/permissions';
import type { AlarmSpec, EventRuleSpec, PermissionSpec, PlaybookManifest, PipelineContext } from '../../core/playbook';
import { flinkJobFailedAlarms, flinkJobFailedPermissions } from './flink-manifest';
import { appArn } from '../../util/arn';

/**
 * job-failed: a streaming job run FAILED (or was cancelled by something other than a person):
 * restart it from its checkpoint with the same driver and configuration. On releases with job
 * resiliency (7.1.0+) EMR retries a failed attempt by itself: streamfix watches the attempts,
 * escalates a crash loop before EMR gives up, and after EMR gives up restarts only a run whose
 * attempts failed for transient reasons.
 * Seeds: 002 "P0: Flink job failed → restart from checkpoint", 000 "Case 1: job crashed".
 */

/** stateDetails that a restart cannot fix: the run would fail the same way. */
export const DEFAULT_NON_RESTARTABLE = [
  'AccessDenied',
  'Access Denied',
  'not authorized',
  'NoSuchKey',
  'NoSuchBucket',
  'entry ?point',
  'No such file',
  'ClassNotFoundException',
  'ModuleNotFoundError',
  'Invalid configuration',
  'ValidationException',
  'IllegalArgumentException: Invalid',
  'UnsupportedLogVersion',
  'Log file was malformed',
  'Incomplete log file',
  'CANNOT_LOAD_STATE_STORE',
];

/** stateDetails of a CANCELLED run that mean the system, not a person, stopped it. */
export const DEFAULT_SYSTEM_CANCEL = ['timed out', 'timeout', 'execution time', 'application (was )?stopped', 'shut ?down', 'capacity'];

export const jobFailedBounds = z
  .object({
    /** Regular expressions (case-insensitive) on stateDetails: a match means escalate, never restart. */
    nonRestartablePatterns: z.array(z.string().min(1)).default(DEFAULT_NON_RESTARTABLE),
    /** Regular expressions on a CANCELLED run's stateDetails that mark a system cancel (restartable). */
    systemCancelPatterns: z.array(z.string().min(1)).default(DEFAULT_SYSTEM_CANCEL),
    /** Refuse to restart from a checkpoint older than this: the source may no longer hold the data. */
    maxCheckpointAgeHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    /** Only runs younger than this are considered for restart (older failures are history). */
    maxFailureAgeMinutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .default(120),
    /**
     * While EMR retries a run: this many attempts failing the same non-transient way within the
     * hour are escalated at once, before EMR's own limit (maxFailedAttemptsPerHour) gives up.
     */
    crashLoopAttempts: z.number().int().min(2).max(10).default(3),
    /**
     * How far an automatic restart may raise the memory of a job whose attempts run out of it
     * (mode auto only). Absent: out-of-memory crash loops are escalated with a recommendation.
     */
    memory: z
      .object({
        maxExecutorGiB: z.number().positive().max(120),
        maxDriverGiB: z.number().positive().max(120),
        factor: z.number().gt(1).max(4).default(1.5),
      })
      .strict()
      .optional(),
    /** Replacing a crash-looping run: its shutdown grace period, and how long to wait for it to end. */
    stopGracePeriodSeconds: z.number().int().min(0).max(1_800).default(0),
    stopWaitSeconds: z.number().int().min(10).max(240).default(120),
    /**
     * Managed Flink: this many restarts (`fullRestarts` / `numRestarts`) within
     * `restartLoopMinutes` is a restart loop Flink will not get out of by itself: escalated with
     * the log's lines, never restarted again.
     */
    restartLoopRestarts: z.number().int().min(2).max(100).default(3),
    restartLoopMinutes: z.number().int().min(5).max(120).default(15),
    /**
     * Managed Flink: an application held in a transient status (UPDATING, AUTOSCALING, ROLLING_BACK,
     * MAINTENANCE, STOPPING…) by an operation in progress this long is stuck: escalated with the
     * commands a person may use (a forced stop or a rollback; never automatic).
     */
    stuckOperationMinutes: z
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .default(30),
  })
  .strict();

export const jobFailedSettings = playbookSettings(jobFailedBounds, {
  mode: 'auto',
  cooldownSeconds: 300,
  maxActionsPerHour: 3,
  verifyAfterSeconds: 120,
  verifyDeadlineSeconds: 600,
  breakerWindowSeconds: 900,
  breakerMaxVerifyFailures: 2,
  breakerOpenSeconds: 3_600,
  maxRechecks: 3,
});

export type JobFailedSettings = z.output<typeof jobFailedSettings>;

/**
 * The job alarms on the dimensions the job's release publishes ("Monitoring EMR Serverless
 * applications and jobs", app-job-metrics.html): `ApplicationId` below 7.10, `ApplicationId` +
 * `ApplicationName` from 7.10, whose "older metrics will no longer be updated". `not-running`
 * treats missing data as breaching only when the release is configured, so the metric is known
 * to be published on those dimensions; otherwise missing data is missing (INSUFFICIENT_DATA).
 */
export function jobAlarms(job: EmrServerlessJob): AlarmSpec[] {
  const dimensions: Record<string, string> =
    jobMetricDimensions(job.releaseLabel) === 'by-id-and-name'
      ? { ApplicationId: job.applicationId, ApplicationName: publishedApplicationName(job.applicationName) }
      : { ApplicationId: job.applicationId };
  const known = job.releaseLabel !== undefined;
  return [
    {
      signal: 'failed-runs',
      description: `A job run of ${job.applicationId} failed (backs up the best-effort job-run events)`,
      metric: { namespace: 'AWS/EMRServerless', metricName: 'FailedJobs', dimensions, statistic: 'Sum', periodSeconds: 60 },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      okMeansRecovered: false,
    },
    {
      signal: 'not-running',
      description: `No job run is RUNNING on ${job.applicationId} for 3 minutes${known ? '' : ' (release not configured: missing data is not a failure)'}`,
      metric: { namespace: 'AWS/EMRServerless', metricName: 'RunningJobs', dimensions, statistic: 'Maximum', periodSeconds: 60 },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: known ? 'breaching' : 'missing',
    },
  ];
}

/** EMR Serverless: the job run state change and retry events of the application. */
function emrEventRules(p: PipelineContext<JobFailedSettings, EmrPipeline>): EventRuleSpec[] {
  return [
    {
      id: 'job-run-ended',
      description: `EMR Serverless job runs of ${p.pipeline.job.applicationId} that FAILED or were CANCELLED`,
      pattern: {
        source: ['aws.emr-serverless'],
        'detail-type': ['EMR Serverless Job Run State Change'],
        detail: { applicationId: [p.pipeline.job.applicationId], state: ['FAILED', 'CANCELLED'] },
      },
    },
    {
      id: 'job-run-retry',
      description: `EMR retried a failed attempt of a job run of ${p.pipeline.job.applicationId} (releases 7.1.0+)`,
      pattern: {
        source: ['aws.emr-serverless'],
        'detail-type': ['EMR Serverless Job Run Retry'],
        detail: { applicationId: [p.pipeline.job.applicationId] },
      },
    },
  ];
}

function emrPermissions(p: PipelineContext<JobFailedSettings, EmrPipeline>): PermissionSpec[] {
  const cp = checkpointLocation(p.pipeline.job.checkpoint);
  return [
    {
      step: 'diagnose',
      actions: ['emr-serverless:GetJobRun', 'emr-serverless:ListJobRuns', 'emr-serverless:ListJobRunAttempts'],
      resources: [appArn(p), `${appArn(p)}/jobruns/*`],
      why: 'read the failed run and its attempts, and look for another active run of the job',
    },
    ...driverLogPermissions(p),
    listBucketUnder(p.partition, cp.bucket, [cp.prefix], 'diagnose', 'find when the checkpoint was last written (listing limited to the checkpoint prefix)'),
    {
      step: 'diagnose',
      actions: ['s3:GetObject'],
      resources: [`arn:${p.partition}:s3:::${cp.bucket}/${cp.prefix}metadata`],
      why: "check the checkpoint's metadata file exists (HeadObject needs s3:GetObject on that one key)",
    },
    {
      step: 'act',
      actions: ['emr-serverless:StartJobRun', 'emr-serverless:TagResource'],
      resources: [appArn(p), `${appArn(p)}/jobruns/*`],
      why: 'start the replacement run (tags are set at creation)',
    },
    {
      step: 'act',
      actions: ['emr-serverless:CancelJobRun'],
      resources: [`${appArn(p)}/jobruns/*`],
      why: 'replace a run whose attempts keep running out of memory by one with more (only with a memory bound)',
    },
    passJobRole(p.pipeline.job.executionRoleArn),
    {
      step: 'verify',
      actions: ['emr-serverless:GetJobRun'],
      resources: [`${appArn(p)}/jobruns/*`],
      why: 'check the replacement run is RUNNING',
    },
  ];
}

export const jobFailedManifest: PlaybookManifest<JobFailedSettings> = {
  id: 'job-failed',
  title: 'Failed streaming job → restart from checkpoint',
  summary:
    'Restarts a FAILED (or system-cancelled) STREAMING job run from its checkpoint with the same driver and configuration, ' +
    'when no other run is active, the checkpoint exists, and the budget allows; escalates failures a restart cannot fix.',
  settings: jobFailedSettings,
  // Every pipeline has a job: EMR Serverless runs or a Managed Flink application.
  appliesTo: () => true,
  alarms: (p) => byJobKind(p, { 'emr-serverless': (q) => jobAlarms(q.pipeline.job), 'managed-flink': flinkJobFailedAlarms }),
  // Managed Service for Apache Flink sends no application state events: its alarms are the triggers.
  eventRules: (p) => byJobKind(p, { 'emr-serverless': emrEventRules, 'managed-flink': () => [] }),
  permissions: (p) => byJobKind(p, { 'emr-serverless': emrPermissions, 'managed-flink': flinkJobFailedPermissions }),
};
