import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { LogsAdapter } from '../../adapters/logs';
import { ManagedFlinkAdapter } from '../../adapters/managed-flink';
import { S3Adapter } from '../../adapters/s3';
import { byJobKind } from '../../config/job-kind';
import { emrEvidence, flinkEvidence } from '../../runtimes/job-runtime';
import { startFlinkApplicationAction } from '../../runtimes/managed-flink/start';
import type { Playbook } from '../../core/playbook';
import { startJobRunAction } from '../../runtimes/emr-serverless/start-run';
import { replaceWithMemoryAction } from '../../runtimes/emr-serverless/replace-with-memory';
import { diagnoseJobFailed } from './diagnose';
import { diagnoseFlinkJobFailed, type FlinkJobFailedEvidence } from '../../runtimes/managed-flink/failure-evidence';
import { planFlinkJobFailed } from '../../runtimes/managed-flink/restart-plan';
import { verifyFlinkJobFailed } from './flink-verify';
import { jobFailedManifest, type JobFailedSettings } from './manifest';
import { planJobFailed, type JobFailedEvidence } from '../../runtimes/emr-serverless/restart-plan';
import { verifyJobFailed } from './verify';

export type AnyJobFailedEvidence = JobFailedEvidence | FlinkJobFailedEvidence;

export const jobFailedPlaybook: Playbook<JobFailedSettings, AnyJobFailedEvidence> = {
  manifest: jobFailedManifest,
  // EMR: the failed run, its attempts' driver logs (S3 or CloudWatch Logs), its checkpoint.
  // Managed Flink: the application, its snapshots and operations, its metrics and log.
  adapters: { emr: EmrServerlessAdapter, s3: S3Adapter, logs: LogsAdapter, flink: ManagedFlinkAdapter, cloudwatch: CloudWatchAdapter },
  routeJobRun: (t, config) =>
    Object.entries(config.pipelines)
      .filter(
        ([, p]) => p.job.kind === 'emr-serverless' && p.job.applicationId === t.applicationId && (t.jobRunName === undefined || t.jobRunName === p.job.jobName),
      )
      .map(([name]) => name),
  diagnose: (ctx, t) =>
    byJobKind<typeof ctx, Promise<AnyJobFailedEvidence>>(ctx, {
      'emr-serverless': (c) => diagnoseJobFailed(c, t),
      'managed-flink': (c) => diagnoseFlinkJobFailed(c, t),
    }),
  plan: (input) =>
    byJobKind(input, {
      'emr-serverless': (i) => planJobFailed({ ...i, evidence: emrEvidence<JobFailedEvidence>(i.evidence) }),
      'managed-flink': (i) => planFlinkJobFailed({ ...i, evidence: flinkEvidence<FlinkJobFailedEvidence>(i.evidence) }),
    }),
  verify: (ctx, incident) => byJobKind(ctx, { 'emr-serverless': (c) => verifyJobFailed(c, incident), 'managed-flink': (c) => verifyFlinkJobFailed(c) }),
  actions: [startJobRunAction, replaceWithMemoryAction, startFlinkApplicationAction],
};
