import { detectCheckpointKind, readFlinkCheckpoints, readSparkCheckpoint, type SparkCheckpointReport } from '../../analysis/checkpoint';
import type { EmrPipeline } from '../../config/schema';
import { iso } from '../../core/clock';
import { listActiveRuns } from '../../runtimes/emr-serverless/job';
import { describeProblems, judgeCorruption } from '../../analysis/checkpoint/corruption';
import { resetOptions } from '../../analysis/checkpoint/reset-options';
import type { OperationContext, OperationResult } from '../types';
import type { CheckpointOpsPayload } from './payload';

type InspectPayload = Extract<CheckpointOpsPayload, { command: 'inspect' }>;

const ago = (nowMs: number, t: number | undefined) => (t === undefined ? 'never' : `${Math.round((nowMs - t) / 1000)} s ago (${iso(t)})`);

/** Kafka offsets of the last good batch as a `startingOffsets` JSON value. */
export function startingOffsetsJson(cp: SparkCheckpointReport): string | undefined {
  if (!cp.lastGoodOffsets?.length) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const o of cp.lastGoodOffsets) (out[o.topic] ??= {})[String(o.partition)] = o.offset;
  return JSON.stringify(out);
}

export function sparkSummary(cp: SparkCheckpointReport, nowMs: number): string {
  if (!cp.exists) return `no checkpoint at ${cp.uri}`;
  const range = cp.latestPlannedBatch !== undefined ? `batches ${cp.oldestBatch}–${cp.latestPlannedBatch} planned` : 'no offsets';
  const problems = cp.problems.length ? `${cp.problems.length} problem(s): ${describeProblems(cp.problems)}` : 'no problems';
  return (
    `spark checkpoint ${cp.uri}: ${range}, latest committed ${cp.latestCommittedBatch ?? 'none'}, last good ${cp.lastGoodBatch ?? 'none'} ` +
    `(committed ${ago(nowMs, cp.lastGoodBatchCommittedAtMs)}); ${problems}`
  );
}

/** Read-only: what the checkpoint holds, what is wrong with it, and what each way out costs. */
export async function inspectCheckpoint(p: InspectPayload, pipeline: EmrPipeline, ctx: OperationContext): Promise<OperationResult> {
  const uri = p.checkpoint ?? pipeline.job.checkpoint;
  const job = pipeline.job;
  const [kind, active] = await Promise.all([
    p.format === 'auto' ? detectCheckpointKind(ctx.aws.s3, uri) : Promise.resolve(p.format),
    listActiveRuns(ctx.aws.emr, job.applicationId, job.jobName),
  ]);
  const activeRuns = active.map((r) => ({ jobRunId: r.jobRunId, state: r.state }));
  const now = ctx.clock.now();
  if (kind === 'flink') {
    const f = await readFlinkCheckpoints(ctx.aws.s3, uri, p.savepoints ? { savepointsUri: p.savepoints } : {});
    const latest = f.latestCompleted;
    const summary =
      `flink checkpoints ${uri}: ${f.completedCount} completed, latest ${latest ? `chk-${latest.id} (${ago(now, latest.writtenAtMs)})` : 'none'}, ` +
      `${f.incompleteAfterLatest.length} incomplete after it; ${f.savepoints.length} savepoint(s)${f.problems.length ? `; ${f.problems.map((x) => x.message).join('; ')}` : ''}`;
    return { status: 'done', summary, result: { kind, report: { ...f }, activeRuns } };
  }
  const cp = await readSparkCheckpoint(ctx.aws.s3, uri, { maxFileReads: p.maxFileReads });
  const verdict = judgeCorruption(cp);
  const offsets = startingOffsetsJson(cp);
  return {
    status: 'done',
    summary: `${sparkSummary(cp, now)}${activeRuns.length ? `; job active (${activeRuns.map((r) => `${r.jobRunId} ${r.state}`).join(', ')})` : '; job not running'}`,
    result: {
      kind: 'spark',
      report: { ...cp },
      verdict: verdict.kind,
      ...(verdict.kind === 'latest-batch' ? { rollback: verdict.target } : {}),
      lastGoodBatchAgeSeconds: cp.lastGoodBatchCommittedAtMs !== undefined ? Math.round((now - cp.lastGoodBatchCommittedAtMs) / 1000) : null,
      sourceRetentionHours: pipeline.source.retentionHours,
      ...(offsets ? { lastGoodStartingOffsets: offsets } : {}),
      activeRuns,
      options: resetOptions(p.pipeline, cp, now, pipeline.source.retentionHours),
    },
  };
}
