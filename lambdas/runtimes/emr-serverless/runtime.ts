import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { S3Adapter } from '../../adapters/s3';
import type { AwsAdapters } from '../../adapters/select';
import type { EmrPipeline, EmrServerlessJob } from '../../config/schema';
import { listBucketUnder, passJobRole } from '../../core/permissions';
import type { PermissionSpec, PipelineContext } from '../../core/playbook';
import { restartWithParametersAction } from './scale';
import { readExecutorSettings } from './spark-conf';
import { startJobRunAction } from './start-run';
import { checkpointLocation, readCheckpointAt } from './checkpoint';
import { ENDED_STATES, jobResource, listActiveRuns } from './job';
import type { JobPhase, JobRuntime, JobState, RestorePoint, RuntimeCapability } from '../job-runtime';
import { appArn } from '../../util/arn';

/**
 * EMR Serverless behind the job-runtime interface. The job is the newest run named `jobName` on
 * the application; it resumes from its Spark checkpoint; it restarts with one StartJobRun
 * (start-run.ts: the old run's driver and configuration) and scales with a replacement run
 * (scale.ts: the executor setting raised). Those actions carry their bounds; the playbooks that
 * plan them (job-failed, consumer-lag, checkpoint-failure) import them from here.
 */

const PHASE: Readonly<Record<string, JobPhase>> = {
  RUNNING: 'running',
  SUBMITTED: 'starting',
  PENDING: 'starting',
  SCHEDULED: 'starting',
  QUEUED: 'starting',
  CANCELLING: 'stopping',
  FAILED: 'failed',
  CANCELLED: 'stopped',
  SUCCESS: 'stopped',
};

async function readJob(aws: AwsAdapters, job: EmrServerlessJob): Promise<JobState> {
  const named = <T extends { name?: string; createdAtMs: number }>(runs: T[]) =>
    runs.filter((r) => r.name === job.jobName).sort((a, b) => b.createdAtMs - a.createdAtMs);
  const active = named(await listActiveRuns(aws.emr, job.applicationId, job.jobName));
  const newest = active[0] ?? named(await aws.emr.listJobRuns(job.applicationId, { states: ENDED_STATES, maxItems: 50 }))[0];
  if (!newest) return { phase: 'gone', status: 'NONE', detail: `no run of ${job.jobName} on ${job.applicationId}` };
  const state: JobState = {
    phase: PHASE[newest.state] ?? 'gone',
    status: newest.state,
    id: newest.jobRunId,
    ...(newest.stateDetails ? { detail: newest.stateDetails } : {}),
  };
  if (newest.state !== 'RUNNING') return state;
  const run = await aws.emr.getJobRun(job.applicationId, newest.jobRunId);
  const x = readExecutorSettings(run.jobDriver, run.configurationOverrides);
  return x.executors !== undefined ? { ...state, parallelism: x.executors * x.coresPerExecutor } : state;
}

async function readRestorePoint(aws: AwsAdapters, job: EmrServerlessJob): Promise<RestorePoint> {
  const cp = await readCheckpointAt(aws.s3, job.checkpoint);
  return { kind: 'checkpoint', exists: cp.exists, name: job.checkpoint, ...(cp.lastWriteMs !== undefined ? { atMs: cp.lastWriteMs } : {}) };
}

function permissions(p: PipelineContext<unknown, EmrPipeline>, needs: readonly RuntimeCapability[]): PermissionSpec[] {
  const runs = [appArn(p), `${appArn(p)}/jobruns/*`];
  const cp = checkpointLocation(p.pipeline.job.checkpoint);
  const out: PermissionSpec[] = [];
  if (needs.includes('read')) {
    out.push(
      {
        step: 'diagnose',
        actions: ['emr-serverless:ListJobRuns', 'emr-serverless:GetJobRun'],
        resources: runs,
        why: "find the job's newest run and its executor settings",
      },
      listBucketUnder(p.partition, cp.bucket, [cp.prefix], 'diagnose', 'find when the checkpoint was last written (listing of the checkpoint prefix)'),
      {
        step: 'diagnose',
        actions: ['s3:GetObject'],
        resources: [`arn:${p.partition}:s3:::${cp.bucket}/${cp.prefix}metadata`],
        why: 'check the checkpoint exists (HeadObject of its metadata file)',
      },
    );
  }
  if (needs.includes('restart') || needs.includes('scale')) {
    out.push(
      {
        step: 'act',
        actions: ['emr-serverless:StartJobRun', 'emr-serverless:TagResource', 'emr-serverless:ListJobRuns', 'emr-serverless:GetJobRun'],
        resources: runs,
        why: 'start exactly one run of the job from its checkpoint (tags set at creation)',
      },
      passJobRole(p.pipeline.job.executionRoleArn),
    );
  }
  if (needs.includes('scale'))
    out.push({ step: 'act', actions: ['emr-serverless:CancelJobRun'], resources: runs, why: 'cancel the run a rescaled one replaces' });
  return out;
}

export const emrServerlessRuntime: JobRuntime<'emr-serverless'> = {
  kind: 'emr-serverless',
  title: 'EMR Serverless',
  resource: (job) => jobResource(job.applicationId, job.jobName),
  readJob,
  readRestorePoint,
  actions: { restart: startJobRunAction, scale: restartWithParametersAction },
  permissions,
  adapters: { emr: EmrServerlessAdapter, s3: S3Adapter },
};
