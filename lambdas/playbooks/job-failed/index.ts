import type { Playbook } from '../types';
import { startJobRunAction } from './act';
import { diagnoseJobFailed, type JobFailedEvidence } from './diagnose';
import { jobFailedManifest, type JobFailedSettings } from './manifest';
import { planJobFailed } from './plan';
import { verifyJobFailed } from './verify';

export const jobFailedPlaybook: Playbook<JobFailedSettings, JobFailedEvidence> = {
  manifest: jobFailedManifest,
  routeJobRun: (t, config) =>
    Object.entries(config.pipelines)
      .filter(([, p]) => p.job.applicationId === t.applicationId && (t.jobRunName === undefined || t.jobRunName === p.job.jobName))
      .map(([name]) => name),
  diagnose: diagnoseJobFailed,
  plan: planJobFailed,
  verify: verifyJobFailed,
  actions: [startJobRunAction],
};
