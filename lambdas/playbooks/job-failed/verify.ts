import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import type { JobFailedSettings } from './manifest';

/** Recovered when the newest run of the job, started at or after the fix, is RUNNING. */
export async function verifyJobFailed(
  ctx: PlaybookContext<JobFailedSettings, EmrPipeline>,
  incident: { fixedAtMs?: number; startedAtMs: number },
): Promise<VerifyOutcome> {
  const job = ctx.pipeline.job;
  const since = (incident.fixedAtMs ?? incident.startedAtMs) - 60_000;
  const runs = (await ctx.aws.emr.listJobRuns(job.applicationId, { createdAfterMs: since, maxItems: 50 }))
    .filter((r) => r.name === job.jobName)
    .sort((a, b) => b.createdAtMs - a.createdAtMs);
  const r = runs[0];
  if (!r) return { status: 'failed', summary: `no run of ${job.jobName} was created after the fix`, evidence: { runsSinceFix: 0 } };
  const evidence = { jobRunId: r.jobRunId, jobRunState: r.state, runAgeSeconds: Math.round((ctx.clock.now() - r.createdAtMs) / 1000) };
  if (r.state === 'RUNNING') return { status: 'recovered', summary: `run ${r.jobRunId} is RUNNING`, evidence };
  if (['SUBMITTED', 'PENDING', 'SCHEDULED', 'QUEUED'].includes(r.state)) return { status: 'pending', summary: `run ${r.jobRunId} is ${r.state}`, evidence };
  return { status: 'failed', summary: `run ${r.jobRunId} is ${r.state}${r.stateDetails ? `: ${r.stateDetails}` : ''}`, evidence };
}
