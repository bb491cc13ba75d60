import type { JobRunView, StartJobRunParams } from '../../adapters/emr-serverless';
import type { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import type { Clock } from '../../core/clock';
import { listActiveRuns } from './job';

/**
 * Replace one run of a streaming job by exactly one new run on the same checkpoint: CancelJobRun
 * (with a grace period) → wait until the old run has ended (bounded polling) → StartJobRun with
 * the new parameters and an incident-derived clientToken. Never two runs on one checkpoint.
 * Idempotent on resume: an old run already ended is not cancelled again, and a run of the job
 * tagged with this incident means the start already happened.
 */

const ENDED = new Set(['CANCELLED', 'FAILED', 'SUCCESS']);
const POLL_MS = 10_000;

export interface ReplaceRunParams {
  applicationId: string;
  /** The run to replace. */
  jobRunId: string;
  /** Its sparkSubmitParameters as diagnosed: a run changed since is not replaced. */
  previousSparkSubmitParameters: string;
  shutdownGracePeriodSeconds: number;
  cancelWaitSeconds: number;
  start: StartJobRunParams & { name: string; tags?: Record<string, string> };
}

export interface ReplaceRunOutcome {
  /** The old run as the action found it. */
  old: JobRunView;
  /** The old run as it ended. */
  ended: JobRunView;
  jobRunId: string;
  jobRunState: string;
  /** The new run had already been started by this incident (a resumed action). */
  alreadyStarted: boolean;
}

export async function replaceRun(
  ctx: { clock: Clock; signal?: AbortSignal; aws: { emr: EmrServerlessAdapter } },
  p: ReplaceRunParams,
): Promise<ReplaceRunOutcome> {
  const emr = ctx.aws.emr;
  const incident = p.start.tags?.['streamfix:incident'];
  const old = await emr.getJobRun(p.applicationId, p.jobRunId);
  if (!ENDED.has(old.state) && old.state !== 'CANCELLING') {
    const live = old.jobDriver.sparkSubmit?.sparkSubmitParameters ?? '';
    if (live !== p.previousSparkSubmitParameters) throw new Error(`run ${p.jobRunId}'s sparkSubmitParameters changed since the diagnosis: not replacing it`);
    await emr.cancelJobRun(p.applicationId, p.jobRunId, p.shutdownGracePeriodSeconds);
  }
  const deadline = ctx.clock.now() + p.cancelWaitSeconds * 1000;
  let ended = old;
  while (!ENDED.has(ended.state)) {
    if (ctx.clock.now() >= deadline)
      throw new Error(`run ${p.jobRunId} is still ${ended.state} ${p.cancelWaitSeconds} s after CancelJobRun: not starting a second run on its checkpoint`);
    await ctx.clock.sleep(POLL_MS, ctx.signal);
    ended = await emr.getJobRun(p.applicationId, p.jobRunId);
  }
  const active = await listActiveRuns(emr, p.applicationId, p.start.name);
  for (const a of active) {
    const r = await emr.getJobRun(p.applicationId, a.jobRunId);
    if (incident !== undefined && r.tags?.['streamfix:incident'] === incident)
      return { old, ended, jobRunId: a.jobRunId, jobRunState: a.state, alreadyStarted: true };
    throw new Error(`run ${a.jobRunId} of ${p.start.name} is ${a.state}: refusing to start a second run on the same checkpoint`);
  }
  const { jobRunId } = await emr.startJobRun(p.start);
  return { old, ended, jobRunId, jobRunState: 'SUBMITTED', alreadyStarted: false };
}
