import type { JobRunSummaryView, JobRunView } from '../../adapters/emr-serverless';
import { parseS3Uri, type S3Adapter } from '../../adapters/s3';
import type { JobRunRetry, Trigger } from '../../core/trigger';
import { readAttemptHistory, type AttemptHistory } from '../../runtimes/emr-serverless/attempts';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext } from '../../core/playbook';
import type { JobFailedSettings } from './manifest';

export const ACTIVE_STATES = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED', 'CANCELLING'];

export interface CheckpointSummary {
  exists: boolean;
  /** Newest write among `metadata` and `commits/*` (ms). */
  lastWriteMs?: number;
  commitFiles: number;
  /** False when the listing stopped at its cap: `lastWriteMs` may be older than the truth. */
  complete: boolean;
}

export interface JobFailedEvidence {
  /** The run the trigger is about: the event's run, or the job's newest run for an alarm. */
  run?: JobRunView;
  runSource: 'event' | 'newest-run' | 'none';
  /** Other runs of the same job that are active now. */
  activeRuns: JobRunSummaryView[];
  checkpoint: CheckpointSummary;
  restartsLastHour: number;
  /**
   * The run's attempts and each attempt that failed in the last hour, with its failure text (the
   * driver log where the config lets streamfix read it, else stateDetails). Absent when the run
   * neither failed nor retried.
   */
  history?: AttemptHistory;
  /** The trigger was EMR's "Job Run Retry" event. */
  retry?: JobRunRetry;
}

/** The lock, cooldown and budget key of a job: one streaming job = one checkpoint. */
export const jobResource = (applicationId: string, jobName: string) => `emr-serverless:${applicationId}:${jobName}`;

const MAX_CHECKPOINT_KEYS = 10_000;

export async function readCheckpoint(ctx: PlaybookContext, uri: string): Promise<CheckpointSummary> {
  return readCheckpointAt(ctx.aws.s3, uri);
}

/** The same, from the S3 adapter alone (the EMR runtime reads its restore point with it). */
export async function readCheckpointAt(s3: S3Adapter, uri: string): Promise<CheckpointSummary> {
  const { bucket, prefix } = parseS3Uri(uri);
  const [meta, commits] = await Promise.all([
    s3.headObject(bucket, `${prefix}metadata`),
    (async () => {
      let newest: number | undefined;
      let n = 0;
      for await (const o of s3.listPrefix(bucket, `${prefix}commits/`, { maxKeys: MAX_CHECKPOINT_KEYS })) {
        n++;
        if (newest === undefined || o.lastModifiedMs > newest) newest = o.lastModifiedMs;
      }
      return { newest, n };
    })(),
  ]);
  const times = [meta?.lastModifiedMs, commits.newest].filter((t): t is number => t !== undefined);
  return {
    exists: meta !== undefined,
    ...(times.length ? { lastWriteMs: Math.max(...times) } : {}),
    commitFiles: commits.n,
    complete: commits.n < MAX_CHECKPOINT_KEYS,
  };
}

/**
 * Read-only. Calls in parallel: the run (GetJobRun for an event; the newest ended run for an
 * alarm), the job's active runs (no time filter: a streaming run may be days old), the
 * checkpoint, and the restart history. An alarm costs one more round trip (GetJobRun of the
 * newest ended run). A run that failed or retried then costs one more: its attempts
 * (ListJobRunAttempts) and the driver logs of those that failed in the last hour.
 */
export async function diagnoseJobFailed(ctx: PlaybookContext<JobFailedSettings, EmrPipeline>, trigger: Trigger): Promise<JobFailedEvidence> {
  const job = ctx.pipeline.job;
  const emr = ctx.aws.emr;
  const [ended, active, checkpoint, restartsLastHour, fromEvent] = await Promise.all([
    trigger.kind === 'job-run' ? Promise.resolve([]) : emr.listJobRuns(job.applicationId, { states: ['FAILED', 'CANCELLED', 'SUCCESS'], maxItems: 100 }),
    emr.listJobRuns(job.applicationId, { states: ACTIVE_STATES, maxItems: 100 }),
    readCheckpoint(ctx, job.checkpoint),
    ctx.history.actionsInLastHour(jobResource(job.applicationId, job.jobName)),
    trigger.kind === 'job-run' ? emr.getJobRun(job.applicationId, trigger.jobRunId) : Promise.resolve(undefined),
  ]);
  let run = fromEvent;
  let runSource: JobFailedEvidence['runSource'] = run ? 'event' : 'none';
  const newestEnded = ended.filter((r) => r.name === job.jobName).sort((a, b) => b.updatedAtMs - a.updatedAtMs)[0];
  if (!run && newestEnded) {
    run = await emr.getJobRun(job.applicationId, newestEnded.jobRunId);
    runSource = 'newest-run';
  }
  const activeRuns = active.filter((r) => r.name === job.jobName && r.jobRunId !== run?.jobRunId);
  const retry = trigger.kind === 'job-run' ? trigger.retry : undefined;
  const failedOrRetried = run !== undefined && run.name === job.jobName && (run.state === 'FAILED' || (run.attempt ?? 1) > 1 || retry !== undefined);
  const history = failedOrRetried && run ? await readAttemptHistory(ctx.aws, job, run, ctx.clock.now()) : undefined;
  return { ...(run ? { run } : {}), runSource, activeRuns, checkpoint, restartsLastHour, ...(history ? { history } : {}), ...(retry ? { retry } : {}) };
}
