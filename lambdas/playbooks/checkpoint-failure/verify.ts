import { parseS3Uri } from '../../core/object-store';
import type { Evidence } from '../../core/decision';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import type { CheckpointFailureSettings } from './manifest';

const WAITING = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'QUEUED'];

/**
 * Recovered when the run started by the fix is RUNNING and has committed the batch Spark
 * resumes at (`commits/<resumeBatch>` written after the fix): the checkpoint reads and writes
 * again. RUNNING without that commit yet is pending; a run that ended, or none, failed.
 */
export async function verifyCheckpointFailure(
  ctx: PlaybookContext<CheckpointFailureSettings, EmrPipeline>,
  incident: { startedAtMs: number; fixedAtMs?: number; evidence: Evidence },
): Promise<VerifyOutcome> {
  const job = ctx.pipeline.job;
  const fixedAt = incident.fixedAtMs ?? incident.startedAtMs;
  const resume = typeof incident.evidence.resumeBatch === 'number' ? incident.evidence.resumeBatch : undefined;
  const { bucket, prefix } = parseS3Uri(job.checkpoint);
  const [runs, commit] = await Promise.all([
    ctx.aws.emr.listJobRuns(job.applicationId, { createdAfterMs: fixedAt - 60_000, maxItems: 50 }),
    resume !== undefined ? ctx.aws.s3.headObject(bucket, `${prefix}commits/${resume}`) : Promise.resolve(undefined),
  ]);
  const r = runs.filter((x) => x.name === job.jobName).sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
  if (!r) return { status: 'failed', summary: `no run of ${job.jobName} was created after the fix`, evidence: { runsSinceFix: 0 } };
  const committed = commit !== undefined && commit.lastModifiedMs >= fixedAt;
  const evidence: Evidence = { jobRunId: r.jobRunId, jobRunState: r.state, resumeBatch: resume ?? null, resumeBatchCommitted: committed };
  if (r.state === 'RUNNING') {
    if (committed || resume === undefined)
      return { status: 'recovered', summary: `run ${r.jobRunId} is RUNNING${committed ? ` and committed batch ${resume}` : ''}`, evidence };
    return { status: 'pending', summary: `run ${r.jobRunId} is RUNNING; batch ${resume} not committed yet`, evidence };
  }
  if (WAITING.includes(r.state)) return { status: 'pending', summary: `run ${r.jobRunId} is ${r.state}`, evidence };
  return { status: 'failed', summary: `run ${r.jobRunId} is ${r.state}${r.stateDetails ? `: ${r.stateDetails}` : ''}`, evidence };
}
