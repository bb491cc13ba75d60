import { parseS3Uri } from '../../adapters/s3';
import {
  BackupDoesNotCoverError,
  deleteCheckpoint,
  listAll,
  readBackupManifest,
  readSparkCheckpoint,
  restoreCheckpoint,
  rollbackCheckpoint,
  type SparkCheckpointReport,
} from '../../analysis/checkpoint';
import type { EmrPipeline } from '../../config/schema';
import type { OperationContext, OperationResult } from '../types';
import { startingOffsetsJson } from './inspect';
import type { CheckpointOpsPayload } from './payload';
import { ensureBackup, refuse, requireJobStopped, type BackupProgress, type EnsuredBackup } from './safety';

type P<C extends CheckpointOpsPayload['command']> = Extract<CheckpointOpsPayload, { command: C }>;

export interface MutateHooks {
  onBackupProgress?(p: BackupProgress): void;
}

const partial = (p: CheckpointOpsPayload, b: Extract<EnsuredBackup, { kind: 'partial' }>): OperationResult => ({
  status: 'partial',
  summary: `backup to ${b.progress.backupUri} in progress: ${b.progress.objects} objects (${b.progress.bytes} bytes) copied; invoke again with the same request to continue`,
  result: { backup: { ...b.progress } },
  continueWith: { ...p },
});

async function covered<T>(ctx: OperationContext, backupUri: string, f: () => Promise<T>): Promise<T> {
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

/** `rollback --to-batch K [--keep-commit]`: the job stopped, a verified backup, then the rollback. */
export async function rollbackCommand(p: P<'rollback'>, pipeline: EmrPipeline, ctx: OperationContext, hooks: MutateHooks = {}): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await requireJobStopped(ctx, pipeline);
  const cp = await readSparkCheckpoint(ctx.aws.s3, cpUri, { maxFileReads: 3 });
  if (cp.latestPlannedBatch === undefined || p.toBatch > cp.latestPlannedBatch) {
    await refuse(ctx, 'toBatch', `batch ${p.toBatch} is beyond the latest planned batch ${cp.latestPlannedBatch ?? '(none)'} of ${cpUri}`);
  }
  if (p.toBatch < (cp.oldestBatch ?? 0) + (p.toBatch > 0 ? 1 : 0)) {
    await refuse(ctx, 'toBatch', `batch ${p.toBatch} cannot be resumed: Spark needs offsets/${p.toBatch - 1}, and the oldest batch kept is ${cp.oldestBatch}`);
  }
  const b = await ensureBackup(ctx, cpUri, { ...(p.backupUri ? { given: p.backupUri } : {}), ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}) });
  if (b.kind === 'partial') return partial(p, b);
  await requireJobStopped(ctx, pipeline);
  const r = await covered(ctx, b.backupUri, () => rollbackCheckpoint(ctx.aws.s3, cpUri, b.backupUri, { batchId: p.toBatch, rerun: !p.keepCommit }));
  return {
    status: 'done',
    summary: `rolled ${cpUri} back ${p.keepCommit ? `to after batch ${p.toBatch}` : `to batch ${p.toBatch}`}: deleted ${r.deleted} object(s) ` +
      `(offsets ${r.offsetsRemoved.join(',') || '-'}, commits ${r.commitsRemoved.join(',') || '-'}, ${r.stateFilesRemoved} state files); ` +
      `the job resumes at batch ${r.resumeBatch}; backup ${b.backupUri}`,
    result: { backupUri: b.backupUri, ...r, deletions: r.deletions.length },
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

/** `reset --to latest|earliest|timestamp|last-good`: the job stopped, a verified backup, then the checkpoint deleted. */
export async function resetCommand(p: P<'reset'>, pipeline: EmrPipeline, ctx: OperationContext, hooks: MutateHooks = {}): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await requireJobStopped(ctx, pipeline);
  const cp = await readSparkCheckpoint(ctx.aws.s3, cpUri);
  const options = startingOptions(p, cp);
  if (p.to === 'last-good' && !options.startingOffsets) await refuse(ctx, 'to', `${cpUri} has no good batch with Kafka offsets to start from`);
  const b = await ensureBackup(ctx, cpUri, { ...(p.backupUri ? { given: p.backupUri } : {}), ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}) });
  if (b.kind === 'partial') return partial(p, b);
  await requireJobStopped(ctx, pipeline);
  const d = await covered(ctx, b.backupUri, () => deleteCheckpoint(ctx.aws.s3, cpUri, b.backupUri));
  const start = Object.entries(options).map(([k, v]) => `.option("${k}", '${v}')`).join('');
  return {
    status: 'done',
    summary: `deleted ${cpUri} (${d.deleted} objects, ${d.bytes} bytes; backup ${b.backupUri}); start the job with ${start} — ` +
      'these options apply only because no checkpoint exists now',
    result: { backupUri: b.backupUri, deletedObjects: d.deleted, deletedBytes: d.bytes, to: p.to, startingOptions: options, lastGoodBatch: cp.lastGoodBatch ?? null },
  };
}

/** `restore --from-backup <uri>`: the job stopped, the current checkpoint backed up, then the backup put back. */
export async function restoreCommand(p: P<'restore'>, pipeline: EmrPipeline, ctx: OperationContext, hooks: MutateHooks = {}): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await requireJobStopped(ctx, pipeline);
  const m = await readBackupManifest(ctx.aws.s3, p.fromBackup);
  if (!m || m.source !== cpUri) await refuse(ctx, 'fromBackup', `${p.fromBackup} has no backup manifest for ${cpUri}: it was never verified`);
  const { bucket, prefix } = parseS3Uri(cpUri);
  const current = await listAll(ctx.aws.s3, bucket, prefix, 1);
  let safety: string | undefined;
  if (current.objects.length > 0) {
    const b = await ensureBackup(ctx, cpUri, { ...(p.backupUri ? { given: p.backupUri } : {}), ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}) });
    if (b.kind === 'partial') return partial(p, b);
    safety = b.backupUri;
  }
  await requireJobStopped(ctx, pipeline);
  const r = await covered(ctx, safety ?? p.fromBackup, () => restoreCheckpoint(ctx.aws.s3, cpUri, p.fromBackup, safety, { signal: ctx.signal }));
  return {
    status: 'done',
    summary: `restored ${cpUri} from ${p.fromBackup}: ${r.copied} objects (${r.copiedBytes} bytes) copied, ${r.deleted} deleted, verified${safety ? `; the checkpoint as it was is in ${safety}` : ''}`,
    result: { fromBackup: p.fromBackup, ...(safety ? { backupUri: safety } : {}), copied: r.copied, copiedBytes: r.copiedBytes, deleted: r.deleted, objects: r.check.copyObjects, bytes: r.check.copyBytes },
  };
}
