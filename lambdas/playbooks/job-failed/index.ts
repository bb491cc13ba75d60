import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { LogsAdapter } from '../../adapters/logs';
import { S3Adapter } from '../../adapters/s3';
import type { Playbook } from '../types';
import { startJobRunAction } from './act';
import { replaceWithMemoryAction } from './act-memory';
import { diagnoseJobFailed, type JobFailedEvidence } from './diagnose';
import { jobFailedManifest, type JobFailedSettings } from './manifest';
import { planJobFailed } from './plan';
import { verifyJobFailed } from './verify';

export const jobFailedPlaybook: Playbook<JobFailedSettings, JobFailedEvidence> = {
  manifest: jobFailedManifest,
  // Reads the failed run, its attempts' driver logs (S3 or CloudWatch Logs) and its checkpoint; restarts the job.
  adapters: { emr: EmrServerlessAdapter, s3: S3Adapter, logs: LogsAdapter },
  routeJobRun: (t, config) =>
    Object.entries(config.pipelines)
      .filter(([, p]) => p.job.applicationId === t.applicationId && (t.jobRunName === undefined || t.jobRunName === p.job.jobName))
      .map(([name]) => name),
  diagnose: diagnoseJobFailed,
  plan: planJobFailed,
  verify: verifyJobFailed,
  actions: [startJobRunAction, replaceWithMemoryAction],
};
