import type { Trigger } from '../../core/trigger';
import { readAttemptHistory } from '../../runtimes/emr-serverless/attempts';
import { readCheckpointAt } from '../../runtimes/emr-serverless/checkpoint';
import { ENDED_STATES, jobResource, listActiveRuns } from '../../runtimes/emr-serverless/job';
import type { JobFailedEvidence } from '../../runtimes/emr-serverless/restart-plan';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext } from '../../core/playbook';
import type { JobFailedSettings } from './manifest';

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
    trigger.kind === 'job-run' ? Promise.resolve([]) : emr.listJobRuns(job.applicationId, { states: ENDED_STATES, maxItems: 100 }),
    listActiveRuns(emr, job.applicationId, job.jobName),
    readCheckpointAt(ctx.aws.s3, job.checkpoint),
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
  const activeRuns = active.filter((r) => r.jobRunId !== run?.jobRunId);
  const retry = trigger.kind === 'job-run' ? trigger.retry : undefined;
  const failedOrRetried = run !== undefined && run.name === job.jobName && (run.state === 'FAILED' || (run.attempt ?? 1) > 1 || retry !== undefined);
  const history = failedOrRetried && run ? await readAttemptHistory(ctx.aws, job, run, ctx.clock.now()) : undefined;
  return { ...(run ? { run } : {}), runSource, activeRuns, checkpoint, restartsLastHour, ...(history ? { history } : {}), ...(retry ? { retry } : {}) };
}
