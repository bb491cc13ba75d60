import { BackupDoesNotCoverError, readSparkCheckpoint, type SparkCheckpointReport } from '../../analysis/checkpoint';
import { deleteCheckpoint, rollbackCheckpoint } from '../../checkpoint';
import type { EmrPipeline } from '../../config/schema';
import type { OperationContext, OperationResult } from '../types';
import { startingOffsetsJson } from './inspect';
import type { CheckpointOpsPayload } from './payload';
import { underJobLock } from './change';
import { holdsJob, refuseIfJobHeld } from './job-lock';
import { ensureBackup, partial, refuse, requireJobStopped, type BackupProgress } from './safety';

type P<C extends CheckpointOpsPayload['command']> = Extract<CheckpointOpsPayload, { command: C }>;

export interface MutateHooks {
  onBackupProgress?(p: BackupProgress): void;
}

const RESET_UNIT = 'reset-start';

export async function covered<T>(ctx: OperationContext, _backupUri: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof BackupDoesNotCoverError) return refuse(ctx, 'backupUri', e.message);
    throw e;
  }
}

/** `backup`: a verified copy, page by page with progress; the checkpoint is not changed. */
export async function backupCommand(p: P<'backup'>, pipeline: EmrPipeline, ctx: OperationContext, hooks: MutateHooks = {}): Promise<OperationResult> {
  const b = await ensureBackup(ctx, pipeline.job.checkpoint, hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {});
  if (b.kind === 'partial') return partial(p, b);
  return {
    status: 'done',
    summary: `backed up ${pipeline.job.checkpoint} to ${b.backupUri}: ${b.objects} objects, ${b.bytes} bytes, verified`,
    result: { backupUri: b.backupUri, objects: b.objects, bytes: b.bytes, verified: true },
  };
}

/** `rollback --to-batch K [--keep-commit]`: the job stopped, a verified backup, then the rollback under the job's lock. */
export async function rollbackCommand(p: P<'rollback'>, pipeline: EmrPipeline, ctx: OperationContext, hooks: MutateHooks = {}): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await refuseIfJobHeld(ctx, pipeline);
  // A rollback this operation left half done (it still holds the job): finish it, whatever the job looks like now.
  const resuming = await holdsJob(ctx, pipeline);
  if (!resuming) await requireJobStopped(ctx, pipeline);
  const cp = await readSparkCheckpoint(ctx.aws.s3, cpUri, { maxFileReads: 3 });
  if (cp.latestPlannedBatch === undefined || p.toBatch > cp.latestPlannedBatch) {
    await refuse(ctx, 'toBatch', `batch ${p.toBatch} is beyond the latest planned batch ${cp.latestPlannedBatch ?? '(none)'} of ${cpUri}`);
  }
  if (p.toBatch < (cp.oldestBatch ?? 0) + (p.toBatch > 0 ? 1 : 0)) {
    await refuse(ctx, 'toBatch', `batch ${p.toBatch} cannot be resumed: Spark needs offsets/${p.toBatch - 1}, and the oldest batch kept is ${cp.oldestBatch}`);
  }
  const b = await ensureBackup(ctx, cpUri, {
    ...(p.backupUri ? { given: p.backupUri } : {}),
    ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}),
  });
  if (b.kind === 'partial') return partial(p, b);
  const reason = `rollback of ${cpUri} to ${p.keepCommit ? 'after ' : ''}batch ${p.toBatch} (operation ${ctx.operationId})`;
  const c = await underJobLock(ctx, pipeline, p, reason, (s3) =>
    covered(ctx, b.backupUri, () => rollbackCheckpoint(s3, cpUri, b.backupUri, { batchId: p.toBatch, rerun: !p.keepCommit })),
  );
  if (!c.ok) return c.result;
  const r = c.value;
  return {
    status: 'done',
    summary:
      `rolled ${cpUri} back ${p.keepCommit ? `to after batch ${p.toBatch}` : `to batch ${p.toBatch}`}: deleted ${r.deleted} object(s) ` +
      `(offsets ${r.offsetsRemoved.join(',') || '-'}, commits ${r.commitsRemoved.join(',') || '-'}, ${r.stateFilesRemoved} state files); ` +
      `the job resumes at batch ${r.resumeBatch}; backup ${b.backupUri}`,
    result: { backupUri: b.backupUri, ...r, deletions: r.deletions.length, pipelinePaused: false, jobLockHeldSince: c.pause.since },
  };
}

/** Reader options the job must start with once its checkpoint is gone (they apply only without one). */
export function startingOptions(p: P<'reset'>, cp: SparkCheckpointReport | undefined): Record<string, string> {
  switch (p.to) {
    case 'latest':
      return { startingOffsets: 'latest' };
    case 'earliest':
      return { startingOffsets: 'earliest' };
    case 'last-good':
      return { startingOffsets: cp ? (startingOffsetsJson(cp) ?? '') : '' };
    case 'timestamp': {
      const ms = Date.parse(p.timestamp!);
      const byTopic: Record<string, Record<string, number>> = {};
      for (const o of cp?.lastGoodOffsets ?? []) (byTopic[o.topic] ??= {})[String(o.partition)] = ms;
      return { startingTimestamp: String(ms), ...(Object.keys(byTopic).length ? { startingOffsetsByTimestamp: JSON.stringify(byTopic) } : {}) };
    }
  }
}

/**
 * `reset --to latest|earliest|timestamp|last-good`: the job stopped, a verified backup, then the
 * checkpoint deleted under the job's lock. The reader options are worked out once, from the
 * checkpoint as it was, and kept with the operation: a reset resumed after a crash reports the
 * same ones, not those of a half-deleted checkpoint.
 */
export async function resetCommand(p: P<'reset'>, pipeline: EmrPipeline, ctx: OperationContext, hooks: MutateHooks = {}): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await refuseIfJobHeld(ctx, pipeline);
  const resuming = await holdsJob(ctx, pipeline);
  if (!resuming) await requireJobStopped(ctx, pipeline);
  const saved = (await ctx.ledger.getProgress(ctx.operationId, RESET_UNIT)) as { options: Record<string, string>; lastGoodBatch: number | null } | undefined;
  let start = saved;
  if (!start) {
    const cp = await readSparkCheckpoint(ctx.aws.s3, cpUri);
    start = { options: startingOptions(p, cp), lastGoodBatch: cp.lastGoodBatch ?? null };
    if (p.to === 'last-good' && !start.options.startingOffsets) await refuse(ctx, 'to', `${cpUri} has no good batch with Kafka offsets to start from`);
  }
  const b = await ensureBackup(ctx, cpUri, {
    ...(p.backupUri ? { given: p.backupUri } : {}),
    ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}),
  });
  if (b.kind === 'partial') return partial(p, b);
  if (!saved) await ctx.ledger.putProgress(ctx.operationId, RESET_UNIT, { ...start }, ctx.clock.now());
  const options = start.options;
  const c = await underJobLock(ctx, pipeline, p, `reset of ${cpUri} (operation ${ctx.operationId})`, (s3) =>
    covered(ctx, b.backupUri, () => deleteCheckpoint(s3, cpUri, b.backupUri)),
  );
  if (!c.ok) return c.result;
  const d = c.value;
  const startWith = Object.entries(options)
    .map(([k, v]) => `.option("${k}", '${v}')`)
    .join('');
  return {
    status: 'done',
    summary:
      `deleted ${cpUri} (${d.deleted} objects, ${d.bytes} bytes; backup ${b.backupUri}); start the job with ${startWith} — ` +
      'these options apply only because no checkpoint exists now',
    result: {
      backupUri: b.backupUri,
      deletedObjects: d.deleted,
      deletedBytes: d.bytes,
      to: p.to,
      startingOptions: options,
      lastGoodBatch: start.lastGoodBatch,
      pipelinePaused: false,
      jobLockHeldSince: c.pause.since,
    },
  };
}
