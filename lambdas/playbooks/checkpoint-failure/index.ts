import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { IamAdapter } from '../../adapters/iam';
import { LogsAdapter } from '../../adapters/logs';
import { S3Adapter } from '../../adapters/s3';
import { startJobRunAction } from '../job-failed/act';
import type { Playbook } from '../types';
import { backupCheckpointAction, ensureJobStoppedAction, rollbackCheckpointAction } from './act';
import { diagnoseCheckpointFailure, type CheckpointFailureEvidence } from './diagnose';
import { checkpointFailureManifest, type CheckpointFailureSettings } from './manifest';
import { planCheckpointFailure } from './plan';
import { verifyCheckpointFailure } from './verify';

export const checkpointFailurePlaybook: Playbook<CheckpointFailureSettings, CheckpointFailureEvidence> = {
  manifest: checkpointFailureManifest,
  // The failed run, the checkpoint, a simulation of the job role, the duration metric, the driver log.
  adapters: { emr: EmrServerlessAdapter, s3: S3Adapter, iam: IamAdapter, cloudwatch: CloudWatchAdapter, logs: LogsAdapter },
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
