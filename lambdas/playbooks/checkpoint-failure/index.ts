import { startJobRunAction } from '../job-failed/act';
import type { Playbook } from '../types';
import { backupCheckpointAction, ensureJobStoppedAction, rollbackCheckpointAction } from './act';
import { diagnoseCheckpointFailure, type CheckpointFailureEvidence } from './diagnose';
import { checkpointFailureManifest, type CheckpointFailureSettings } from './manifest';
import { planCheckpointFailure } from './plan';
import { verifyCheckpointFailure } from './verify';

export const checkpointFailurePlaybook: Playbook<CheckpointFailureSettings, CheckpointFailureEvidence> = {
  manifest: checkpointFailureManifest,
  routeJobRun: (t, config) =>
    Object.entries(config.pipelines)
      .filter(([, p]) => p.job.applicationId === t.applicationId && (t.jobRunName === undefined || t.jobRunName === p.job.jobName))
      .map(([name]) => name),
  diagnose: diagnoseCheckpointFailure,
  plan: planCheckpointFailure,
  verify: verifyCheckpointFailure,
  // The restart is job-failed's own action: one definition, one lock key per job.
  actions: [backupCheckpointAction, ensureJobStoppedAction, rollbackCheckpointAction, startJobRunAction],
};
