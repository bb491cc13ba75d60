import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { IamAdapter } from '../../adapters/iam';
import { LogsAdapter } from '../../adapters/logs';
import { S3Adapter } from '../../adapters/s3';
import { startJobRunAction } from '../../runtimes/emr-serverless/start-run';
import { ManagedFlinkAdapter } from '../../adapters/managed-flink';
import { byJobKind } from '../../config/job-kind';
import { emrEvidence, flinkEvidence } from '../../runtimes/job-runtime';
import type { Playbook } from '../../core/playbook';
import { backupCheckpointAction, ensureJobStoppedAction, rollbackCheckpointAction } from './act';
import { diagnoseCheckpointFailure, type CheckpointFailureEvidence } from './diagnose';
import { diagnoseFlinkCheckpointFailure, type FlinkCheckpointFailureEvidence } from './flink-diagnose';
import { planFlinkCheckpointFailure } from './flink-plan';
import { verifyFlinkCheckpointFailure } from './flink-verify';
import { checkpointFailureManifest, type CheckpointFailureSettings } from './manifest';
import { planCheckpointFailure } from './plan';
import { verifyCheckpointFailure } from './verify';

export type AnyCheckpointFailureEvidence = CheckpointFailureEvidence | FlinkCheckpointFailureEvidence;

export const checkpointFailurePlaybook: Playbook<CheckpointFailureSettings, AnyCheckpointFailureEvidence> = {
  manifest: checkpointFailureManifest,
  // EMR: the failed run, the checkpoint, a simulation of the job role, the duration metric, the driver log.
  // Managed Flink: the application, its checkpoint metrics and its log.
  adapters: { emr: EmrServerlessAdapter, s3: S3Adapter, iam: IamAdapter, cloudwatch: CloudWatchAdapter, logs: LogsAdapter, flink: ManagedFlinkAdapter },
  routeJobRun: (t, config) =>
    Object.entries(config.pipelines)
      .filter(
        ([, p]) => p.job.kind === 'emr-serverless' && p.job.applicationId === t.applicationId && (t.jobRunName === undefined || t.jobRunName === p.job.jobName),
      )
      .map(([name]) => name),
  diagnose: (ctx, t) =>
    byJobKind<typeof ctx, Promise<AnyCheckpointFailureEvidence>>(ctx, {
      'emr-serverless': (c) => diagnoseCheckpointFailure(c, t),
      'managed-flink': (c) => diagnoseFlinkCheckpointFailure(c, t),
    }),
  plan: (input) =>
    byJobKind(input, {
      'emr-serverless': (i) => planCheckpointFailure({ ...i, evidence: emrEvidence<CheckpointFailureEvidence>(i.evidence) }),
      'managed-flink': (i) => planFlinkCheckpointFailure({ ...i, evidence: flinkEvidence<FlinkCheckpointFailureEvidence>(i.evidence) }),
    }),
  verify: (ctx, incident) =>
    byJobKind(ctx, { 'emr-serverless': (c) => verifyCheckpointFailure(c, incident), 'managed-flink': (c) => verifyFlinkCheckpointFailure(c) }),
  // The restart is job-failed's own action: one definition, one lock key per job. Nothing on Flink.
  actions: [backupCheckpointAction, ensureJobStoppedAction, rollbackCheckpointAction, startJobRunAction],
};
