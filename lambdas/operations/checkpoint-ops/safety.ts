import { copyPrefix, freshBackupUri, sealBackup, type CopiedEntry } from '../../checkpoint';
import { readBackupManifest } from '../../analysis/checkpoint/manifest';
import type { EmrPipeline } from '../../config/schema';
import { isTransient } from '../../adapters/errors';
import { InvalidInputError } from '../../core/errors';
import { listActiveRuns } from '../../runtimes/emr-serverless/job';
import type { OperationContext, OperationResult } from '../types';

/**
 * The safety net of every checkpoint operation that changes the checkpoint: the job stopped,
 * and a sealed backup of what is about to change.
 */

/** Leave a time margin for sealing the backup (or a slice of a restore) and saving the operation before the function stops. */
export const STOP_MARGIN_MS = 90_000;

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

export async function requireJobStopped(ctx: OperationContext, pipeline: EmrPipeline): Promise<void> {
  const job = pipeline.job;
  const active = await listActiveRuns(ctx.aws.emr, job.applicationId, job.jobName);
  const r = active[0];
  if (r) {
    await refuse(
      ctx,
      'pipeline',
      `run ${r.jobRunId} of ${job.jobName} is ${r.state}: stop the job first (aws emr-serverless cancel-job-run --application-id ${job.applicationId} --job-run-id ${r.jobRunId}) — never change a checkpoint a run is using`,
    );
  }
}

export interface BackupProgress {
  backupUri: string;
  objects: number;
  bytes: number;
  lastKey?: string;
  /** Pages copied and verified so far: their entries are the `backup-entries-<n>` progress units. */
  pages?: number;
  sealed?: boolean;
}

export type EnsuredBackup =
  | { kind: 'done'; backupUri: string; objects: number; bytes: number; reused: boolean }
  | { kind: 'partial'; progress: BackupProgress };

const UNIT = 'backup';
/** One ledger item per copied page holds that page's verified entries (≤ 1,000, well under DynamoDB's 400 KB item). */
const entriesUnit = (page: number) => `backup-entries-${String(page).padStart(6, '0')}`;

async function savedEntries(ctx: OperationContext): Promise<CopiedEntry[]> {
  const units = (await ctx.ledger.listProgress(ctx.operationId)).filter((u) => u.unit.startsWith('backup-entries-'));
  return units.flatMap((u) => (Array.isArray(u.progress.entries) ? (u.progress.entries as CopiedEntry[]) : []));
}

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
  // A copy S3 failed transiently (after the SDK's own retries): the pages copied so far are saved, go on from there.
  return retryTransient(ctx, 'backup', () => backupOnce(ctx, checkpointUri, opts));
}

/** Attempts of a step S3 failed transiently (throttling, 5xx, a timeout) before the operation gives up. */
const TRANSIENT_ATTEMPTS = 5;

/**
 * Runs an idempotent step again (up to 5 times, backing off 0.5 s, 1 s, 2 s, 4 s) while it fails
 * transiently: a throttled or failed request that survived the SDK's own three attempts.
 */
export async function retryTransient<T>(ctx: OperationContext, what: string, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (!isTransient(e) || attempt >= TRANSIENT_ATTEMPTS || ctx.signal.aborted) throw e;
      ctx.logger.warn(`${what}: S3 failed transiently; trying again`, { error: e as Error, attempt });
      await ctx.clock.sleep(500 * 2 ** (attempt - 1), ctx.signal).catch(() => undefined);
    }
  }
}

async function backupOnce(
  ctx: OperationContext,
  checkpointUri: string,
  opts: { given?: string; field?: string; onProgress?(p: BackupProgress): void },
): Promise<EnsuredBackup> {
  if (opts.given !== undefined) {
    const m = await readBackupManifest(ctx.aws.s3, opts.given);
    if (!m || m.source !== checkpointUri)
      await refuse(ctx, opts.field ?? 'backupUri', `${opts.given} has no backup manifest for ${checkpointUri}: it was never verified`);
    return { kind: 'done', backupUri: opts.given, objects: m!.objects, bytes: m!.bytes, reused: true };
  }
  const saved = (await ctx.ledger.getProgress(ctx.operationId, UNIT)) as BackupProgress | undefined;
  // A prefix of its own: the operation's tag in the name, and empty when chosen.
  const progress: BackupProgress = saved ?? {
    backupUri: await freshBackupUri(ctx.aws.s3, checkpointUri, ctx.clock.now(), ctx.operationId),
    objects: 0,
    bytes: 0,
    pages: 0,
  };
  if (progress.sealed) return { kind: 'done', backupUri: progress.backupUri, objects: progress.objects, bytes: progress.bytes, reused: true };
  if (!saved) await ctx.ledger.putProgress(ctx.operationId, UNIT, { ...progress }, ctx.clock.now());
  const before = { objects: progress.objects, bytes: progress.bytes };
  let pages = progress.pages ?? 0;
  const copy = await copyPrefix(ctx.aws.s3, checkpointUri, progress.backupUri, {
    ...(progress.lastKey ? { startAfter: progress.lastKey } : {}),
    signal: ctx.signal,
    shouldStop: () => ctx.remainingMs() < STOP_MARGIN_MS,
    onPage: async (p) => {
      // The page's entries first, then the progress that counts them: a crash in between copies the page again.
      await ctx.ledger.putProgress(ctx.operationId, entriesUnit(pages), { entries: p.entries }, ctx.clock.now());
      pages++;
      const now: BackupProgress = {
        backupUri: progress.backupUri,
        objects: before.objects + p.objects,
        bytes: before.bytes + p.bytes,
        pages,
        ...(p.lastKey ? { lastKey: p.lastKey } : {}),
      };
      await ctx.ledger.putProgress(ctx.operationId, UNIT, { ...now }, ctx.clock.now());
      opts.onProgress?.(now);
    },
  });
  const copied: BackupProgress = {
    backupUri: progress.backupUri,
    objects: before.objects + copy.objects,
    bytes: before.bytes + copy.bytes,
    pages,
    ...(copy.lastKey ? { lastKey: copy.lastKey } : {}),
  };
  if (!copy.complete) return { kind: 'partial', progress: copied };
  const sealed = await sealBackup(ctx.aws.s3, checkpointUri, progress.backupUri, ctx.operationId, ctx.clock.now(), await savedEntries(ctx));
  await ctx.ledger.putProgress(
    ctx.operationId,
    UNIT,
    { backupUri: sealed.backup, objects: sealed.objects, bytes: sealed.bytes, sealed: true },
    ctx.clock.now(),
  );
  return { kind: 'done', backupUri: sealed.backup, objects: sealed.objects, bytes: sealed.bytes, reused: false };
}

/** A backup stopped near the deadline: the same payload continues it. */
export const partial = (p: object, b: Extract<EnsuredBackup, { kind: 'partial' }>): OperationResult => ({
  status: 'partial',
  summary: `backup to ${b.progress.backupUri} in progress: ${b.progress.objects} objects (${b.progress.bytes} bytes) copied; invoke again with the same request to continue`,
  result: { backup: { ...b.progress } },
  continueWith: { ...p },
});
