import { copyPrefix, freshBackupUri, readBackupManifest, sealBackup } from '../../analysis/checkpoint/backup';
import type { PipelineConfig } from '../../config/schema';
import { InvalidInputError } from '../../core/errors';
import { ACTIVE_STATES } from '../../playbooks/job-failed/diagnose';
import type { OperationContext } from '../types';

/**
 * The safety net of every checkpoint operation that changes the checkpoint: the job stopped,
 * and a sealed backup of what is about to change.
 */

/** Leave a time margin for sealing the backup and saving the operation before the function stops. */
const STOP_MARGIN_MS = 90_000;

/**
 * A refusal found while running (the job is active, a backup is not verified, …): the ledger
 * record says `refused` with the reason, and the caller gets an InvalidInputError naming the field.
 */
export async function refuse(ctx: OperationContext, field: string, message: string): Promise<never> {
  const latest = (await ctx.ledger.getOperation(ctx.operationId)) ?? ctx.record;
  const now = ctx.clock.now();
  await ctx.ledger.saveOperation({ ...latest, status: 'refused', summary: `${field}: ${message}`, endedAtMs: now }, now);
  throw new InvalidInputError(field, message);
}

export async function requireJobStopped(ctx: OperationContext, pipeline: PipelineConfig): Promise<void> {
  const job = pipeline.job;
  const active = (await ctx.aws.emr.listJobRuns(job.applicationId, { states: ACTIVE_STATES, maxItems: 100 })).filter((r) => r.name === job.jobName);
  const r = active[0];
  if (r) {
    await refuse(ctx, 'pipeline', `run ${r.jobRunId} of ${job.jobName} is ${r.state}: stop the job first (aws emr-serverless cancel-job-run --application-id ${job.applicationId} --job-run-id ${r.jobRunId}) — never change a checkpoint a run is using`);
  }
}

export interface BackupProgress {
  backupUri: string;
  objects: number;
  bytes: number;
  lastKey?: string;
  sealed?: boolean;
}

export type EnsuredBackup =
  | { kind: 'done'; backupUri: string; objects: number; bytes: number; reused: boolean }
  | { kind: 'partial'; progress: BackupProgress };

const UNIT = 'backup';

/**
 * A sealed backup of the checkpoint: the one given (its manifest must exist), or a new one
 * copied a page at a time with its progress in the ledger, so a function stopped near its
 * timeout continues where it was when invoked again with the same request.
 */
export async function ensureBackup(
  ctx: OperationContext,
  checkpointUri: string,
  opts: { given?: string; field?: string; onProgress?(p: BackupProgress): void } = {},
): Promise<EnsuredBackup> {
  if (opts.given !== undefined) {
    const m = await readBackupManifest(ctx.aws.s3, opts.given);
    if (!m || m.source !== checkpointUri) await refuse(ctx, opts.field ?? 'backupUri', `${opts.given} has no backup manifest for ${checkpointUri}: it was never verified`);
    return { kind: 'done', backupUri: opts.given, objects: m!.objects, bytes: m!.bytes, reused: true };
  }
  const saved = (await ctx.ledger.getProgress(ctx.operationId, UNIT)) as BackupProgress | undefined;
  const progress: BackupProgress = saved ?? { backupUri: await freshBackupUri(ctx.aws.s3, checkpointUri, ctx.clock.now()), objects: 0, bytes: 0 };
  if (progress.sealed) return { kind: 'done', backupUri: progress.backupUri, objects: progress.objects, bytes: progress.bytes, reused: true };
  if (!saved) await ctx.ledger.putProgress(ctx.operationId, UNIT, { ...progress }, ctx.clock.now());
  const before = { objects: progress.objects, bytes: progress.bytes };
  const copy = await copyPrefix(ctx.aws.s3, checkpointUri, progress.backupUri, {
    ...(progress.lastKey ? { startAfter: progress.lastKey } : {}),
    signal: ctx.signal,
    shouldStop: () => ctx.remainingMs() < STOP_MARGIN_MS,
    onPage: async (p) => {
      const now: BackupProgress = { backupUri: progress.backupUri, objects: before.objects + p.objects, bytes: before.bytes + p.bytes, ...(p.lastKey ? { lastKey: p.lastKey } : {}) };
      await ctx.ledger.putProgress(ctx.operationId, UNIT, { ...now }, ctx.clock.now());
      opts.onProgress?.(now);
    },
  });
  const copied: BackupProgress = { backupUri: progress.backupUri, objects: before.objects + copy.objects, bytes: before.bytes + copy.bytes, ...(copy.lastKey ? { lastKey: copy.lastKey } : {}) };
  if (!copy.complete) return { kind: 'partial', progress: copied };
  const sealed = await sealBackup(ctx.aws.s3, checkpointUri, progress.backupUri, ctx.operationId, ctx.clock.now());
  await ctx.ledger.putProgress(ctx.operationId, UNIT, { backupUri: sealed.backup, objects: sealed.objects, bytes: sealed.bytes, sealed: true }, ctx.clock.now());
  return { kind: 'done', backupUri: sealed.backup, objects: sealed.objects, bytes: sealed.bytes, reused: false };
}
