import * as z from 'zod';
import { playbookSettings } from '../common-settings';
import { listBucketUnder, passJobRole } from '../../core/permissions';
import type { PlaybookManifest, PipelineContext } from '../types';

/**
 * job-failed: a streaming job run FAILED (or was cancelled by something other than a person):
 * restart it from its checkpoint with the same driver and configuration.
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
    maxCheckpointAgeHours: z.number().positive().max(24 * 30).default(24),
    /** Only runs younger than this are considered for restart (older failures are history). */
    maxFailureAgeMinutes: z.number().int().positive().max(24 * 60).default(120),
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

const appArn = (p: PipelineContext) =>
  `arn:${p.partition}:emr-serverless:${p.region}:${p.account}:/applications/${p.pipeline.job.applicationId}`;

export const checkpointLocation = (uri: string) => {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3 uri: ${uri}`);
  return { bucket: m[1]!, prefix: m[2]! };
};

export const jobFailedManifest: PlaybookManifest<JobFailedSettings> = {
  id: 'job-failed',
  title: 'Failed streaming job → restart from checkpoint',
  summary:
    'Restarts a FAILED (or system-cancelled) STREAMING job run from its checkpoint with the same driver and configuration, ' +
    'when no other run is active, the checkpoint exists, and the budget allows; escalates failures a restart cannot fix.',
  settings: jobFailedSettings,
  appliesTo: (pipeline) => pipeline.job.kind === 'emr-serverless',
  alarms: (p) => [
    {
      signal: 'failed-runs',
      description: `A job run of ${p.pipeline.job.applicationId} failed (backs up the best-effort job-run events)`,
      metric: {
        namespace: 'AWS/EMRServerless',
        metricName: 'FailedJobs',
        dimensions: { ApplicationId: p.pipeline.job.applicationId },
        statistic: 'Sum',
        periodSeconds: 60,
      },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      okMeansRecovered: false,
    },
    {
      signal: 'not-running',
      description: `No job run is RUNNING on ${p.pipeline.job.applicationId} for 3 minutes`,
      metric: {
        namespace: 'AWS/EMRServerless',
        metricName: 'RunningJobs',
        dimensions: { ApplicationId: p.pipeline.job.applicationId },
        statistic: 'Maximum',
        periodSeconds: 60,
      },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'breaching',
    },
  ],
  eventRules: (p) => [
    {
      id: 'job-run-ended',
      description: `EMR Serverless job runs of ${p.pipeline.job.applicationId} that FAILED or were CANCELLED`,
      pattern: {
        source: ['aws.emr-serverless'],
        'detail-type': ['EMR Serverless Job Run State Change'],
        detail: { applicationId: [p.pipeline.job.applicationId], state: ['FAILED', 'CANCELLED'] },
      },
    },
  ],
  permissions: (p) => {
    const cp = checkpointLocation(p.pipeline.job.checkpoint);
    return [
      {
        step: 'diagnose',
        actions: ['emr-serverless:GetJobRun', 'emr-serverless:ListJobRuns'],
        resources: [appArn(p), `${appArn(p)}/jobruns/*`],
        why: 'read the failed run and look for another active run of the job',
      },
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
      passJobRole(p.pipeline.job.executionRoleArn),
      {
        step: 'verify',
        actions: ['emr-serverless:GetJobRun'],
        resources: [`${appArn(p)}/jobruns/*`],
        why: 'check the replacement run is RUNNING',
      },
    ];
  },
};
