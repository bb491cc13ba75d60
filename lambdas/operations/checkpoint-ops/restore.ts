import { parseS3Uri, type S3ObjectView } from '../../adapters/s3';
import {
  BACKUP_MANIFEST,
  BackupDoesNotCoverError,
  checkCoverage,
  compareListings,
  copyVerified,
  listAll,
  mapLimit,
  readBackupManifest,
  requireIntact,
  type CoveredTarget,
  type S3Store,
} from '../../analysis/checkpoint';
import { byRelativeKey } from '../../analysis/checkpoint/copy';
import type { PipelineConfig } from '../../config/schema';
import type { OperationContext, OperationResult } from '../types';
import { LeaseLostError } from '../../core/lease';
import { halfChanged, isRetriableChange } from './change';
import { activeRun, holdsJob, refuseIfJobHeld, releaseJobLock, takeJobLock, type JobLock } from './job-lock';
import type { CheckpointOpsPayload } from './payload';
import { ensureBackup, partial, refuse, requireJobStopped, STOP_MARGIN_MS, type BackupProgress } from './safety';

/**
 * `restore --from-backup <uri>` (and `undo: true`), in bounded slices.
 *
 * Before the first change (nothing is touched yet): the job stopped, the backup's seal and its
 * objects intact, the checkpoint as it is now in a sealed backup of its own (the safety backup)
 * that holds its every byte. Then the job's lock is taken (job-lock.ts) and kept, across
 * invocations and crashes, until the checkpoint is whole again: the restore finished, or undone.
 *
 * The change runs in slices of at most SLICE_OBJECTS objects: before each, the job is checked
 * again (a run started by anyone stops the restore, which says so and keeps the job locked) and
 * the run's target lease renewed; each slice's progress is written once its changes are made,
 * so a restore stopped anywhere (the deadline, a crash) is resumed by the same payload where it
 * stopped, and nothing is started on the half-restored checkpoint meanwhile: the playbooks that
 * act on the job find it locked. Each deletion or overwrite is of bytes a sealed backup holds
 * (checked right before, the deletion conditional on the ETag hashed); each copy is checked by
 * content against the backup's seal. `undo: true` puts the checkpoint back as it was before the
 * restore (its safety backup, or nothing when it was empty), the same way.
 */

type RestorePayload = Extract<CheckpointOpsPayload, { command: 'restore' }>;

/** Objects changed per slice: each slice starts with the job checked again. */
export const SLICE_OBJECTS = 250;
const RESTORE_UNIT = 'restore-run';
const UNDO_UNIT = 'restore-undo';

export interface SliceRun {
  phase: 'delete' | 'copy' | 'verify' | 'done';
  /** What is put in place; absent: nothing (the checkpoint is emptied, an undo of a restore into an empty checkpoint). */
  source?: string;
  /** Sealed backups whose bytes may be deleted or overwritten. */
  coveredBy: string[];
  /** The checkpoint as it was before the restore (absent: it was empty). */
  safety?: string;
  lastKey?: string;
  copied: number;
  copiedBytes: number;
  /** Objects already holding the backup's bytes (a slice redone after a crash). */
  unchanged: number;
  deleted: number;
  slices: number;
  startedAtMs: number;
}

export async function restoreCommand(p: RestorePayload, pipeline: PipelineConfig, ctx: OperationContext, hooks: { onBackupProgress?(p: BackupProgress): void } = {}): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await refuseIfJobHeld(ctx, pipeline);
  if (p.undo) return undo(p, pipeline, ctx);
  let run = (await ctx.ledger.getProgress(ctx.operationId, RESTORE_UNIT)) as SliceRun | undefined;
  let lock: JobLock;
  if (!run) {
    await requireJobStopped(ctx, pipeline);
    const m = await readBackupManifest(ctx.aws.s3, p.fromBackup);
    if (!m || m.source !== cpUri) await refuse(ctx, 'fromBackup', `${p.fromBackup} has no backup manifest for ${cpUri}: it was never verified`);
    await requireIntact(ctx.aws.s3, p.fromBackup, m!);
    const { bucket, prefix } = parseS3Uri(cpUri);
    const current = (await listAll(ctx.aws.s3, bucket, prefix)).objects;
    let safety: string | undefined;
    if (current.length > 0) {
      const b = await ensureBackup(ctx, cpUri, { ...(p.backupUri ? { given: p.backupUri } : {}), ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}) });
      if (b.kind === 'partial') return partial(p, b);
      safety = b.backupUri;
      const c = await checkCoverage(ctx.aws.s3, cpUri, safety, current, { signal: ctx.signal });
      if (c.kind !== 'covered') await refuse(ctx, 'backupUri', new BackupDoesNotCoverError(c, safety).message);
    }
    lock = await takeJobLock(ctx, pipeline, `restore of ${cpUri} from ${p.fromBackup} (operation ${ctx.operationId})`);
    const r = await activeRun(ctx, pipeline);
    if (r) {
      await releaseJobLock(ctx, lock);
      await requireJobStopped(ctx, pipeline);
    }
    run = { phase: 'delete', source: p.fromBackup, coveredBy: [...(safety ? [safety] : []), p.fromBackup], ...(safety ? { safety } : {}), copied: 0, copiedBytes: 0, unchanged: 0, deleted: 0, slices: 0, startedAtMs: ctx.clock.now() };
    await ctx.ledger.putProgress(ctx.operationId, RESTORE_UNIT, { ...run }, ctx.clock.now());
  } else {
    lock = await takeJobLock(ctx, pipeline, `restore of ${cpUri} from ${p.fromBackup} (operation ${ctx.operationId})`);
  }
  const out = await slices(ctx, pipeline, p, run, RESTORE_UNIT, lock);
  if (out.status !== 'done') return out;
  return {
    ...out,
    summary: `restored ${cpUri} from ${p.fromBackup}: ${run.copied} objects (${run.copiedBytes} bytes) copied, ${run.deleted} deleted, verified` +
      `${run.safety ? `; the checkpoint as it was is in ${run.safety}` : ''}; the job's lock is released`,
  };
}

/** Puts the checkpoint back as it was before this operation's restore began. */
async function undo(p: RestorePayload, pipeline: PipelineConfig, ctx: OperationContext): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  const restored = (await ctx.ledger.getProgress(ctx.operationId, RESTORE_UNIT)) as SliceRun | undefined;
  if (!restored) await refuse(ctx, 'undo', `operation ${ctx.operationId} never changed ${cpUri}: there is nothing to undo`);
  let run = (await ctx.ledger.getProgress(ctx.operationId, UNDO_UNIT)) as SliceRun | undefined;
  if (!run) {
    if (!(await holdsJob(ctx, pipeline))) await requireJobStopped(ctx, pipeline);
    run = {
      phase: 'delete', ...(restored!.safety ? { source: restored!.safety } : {}), coveredBy: [...(restored!.safety ? [restored!.safety] : []), restored!.source!],
      copied: 0, copiedBytes: 0, unchanged: 0, deleted: 0, slices: 0, startedAtMs: ctx.clock.now(),
    };
  }
  const lock = await takeJobLock(ctx, pipeline, `undo of the restore of ${cpUri} from ${p.fromBackup} (operation ${ctx.operationId})`);
  await ctx.ledger.putProgress(ctx.operationId, UNDO_UNIT, { ...run }, ctx.clock.now());
  const out = await slices(ctx, pipeline, p, run, UNDO_UNIT, lock);
  if (out.status !== 'done') return out;
  return {
    ...out,
    summary: `undid the restore of ${cpUri} from ${p.fromBackup}: the checkpoint is back as it was (${run.source ?? 'empty'}); ` +
      `${run.copied} objects copied, ${run.deleted} deleted, verified; the job's lock is released`,
    result: { ...out.result, undone: true },
  };
}

/** Conditional deletion targets for `objects`, each covered by one of the backups; otherwise why not. */
async function coverAll(s3: S3Store, cpUri: string, backups: readonly string[], objects: readonly S3ObjectView[], signal: AbortSignal): Promise<{ ok: true; targets: CoveredTarget[] } | { ok: false; why: string }> {
  let left = [...objects];
  const targets: CoveredTarget[] = [];
  let last = '';
  for (const b of backups) {
    if (left.length === 0) break;
    const c = await checkCoverage(s3, cpUri, b, left, { signal });
    if (c.kind === 'covered') {
      targets.push(...c.targets);
      left = [];
      break;
    }
    last = new BackupDoesNotCoverError(c, b).message;
    if (c.kind !== 'uncovered') continue;
    const missing = new Set(c.keys);
    const held = left.filter((o) => !missing.has(o.key));
    if (held.length > 0) {
      const again = await checkCoverage(s3, cpUri, b, held, { signal });
      if (again.kind === 'covered') targets.push(...again.targets);
      else continue;
    }
    left = left.filter((o) => missing.has(o.key));
  }
  return left.length === 0 ? { ok: true, targets } : { ok: false, why: last || `${left.length} object(s) are in no sealed backup` };
}

async function slices(ctx: OperationContext, pipeline: PipelineConfig, p: RestorePayload, run: SliceRun, unit: string, lock: JobLock): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  const cp = parseS3Uri(cpUri);
  const src = run.source ? parseS3Uri(run.source) : undefined;
  const manifest = run.source ? await readBackupManifest(ctx.aws.s3, run.source) : undefined;
  if (run.source && !manifest) return halfChanged(p, lock.pause, `${run.source} lost its seal while ${cpUri} was being restored from it: the job stays locked; restore another sealed backup`);
  const sealed = new Map((manifest?.entries ?? []).map((e) => [e.key, e]));
  const sourceKeys = src ? new Set((await listAll(ctx.aws.s3, src.bucket, src.prefix)).objects.map((o) => o.key.slice(src.prefix.length)).filter((k) => k !== BACKUP_MANIFEST)) : new Set<string>();
  const current = byRelativeKey((await listAll(ctx.aws.s3, cp.bucket, cp.prefix)).objects, cp.prefix);
  const save = () => ctx.ledger.putProgress(ctx.operationId, unit, { ...run }, ctx.clock.now());
  const view = () => ({ ...run, pipelinePaused: { ...lock.pause } });
  let retries = 0;
  for (;;) {
    if (run.phase === 'done') break;
    if (ctx.signal.aborted || ctx.remainingMs() < STOP_MARGIN_MS) {
      return {
        status: 'partial',
        summary: `${unit === UNDO_UNIT ? 'undo' : 'restore'} of ${cpUri} in progress (${run.phase}: ${run.copied} copied, ${run.deleted} deleted in ${run.slices} slice(s)); ` +
          `the job stays locked (pipeline paused for the playbooks) until it is finished: invoke again with continueWith`,
        result: view(),
        continueWith: { ...p },
      };
    }
    await ctx.lease?.ensure();
    const r = await activeRun(ctx, pipeline);
    if (r) {
      return halfChanged(p, lock.pause, `run ${r.jobRunId} of ${pipeline.job.jobName} is ${r.state} while ${cpUri} is half restored: stop it now ` +
        `(aws emr-serverless cancel-job-run --application-id ${pipeline.job.applicationId} --job-run-id ${r.jobRunId}), then invoke this operation again to finish or undo it`);
    }
    let step: { ok: true; next?: 'copy' | 'verify' } | { ok: false; why: string };
    try {
      step = await slice(ctx, run, { cpUri, sourceKeys, sealed, current });
    } catch (e) {
      if (e instanceof LeaseLostError || !isRetriableChange(e) || ++retries > 4) {
        if (e instanceof LeaseLostError) throw e;
        return halfChanged(p, lock.pause, `${cpUri} is half restored: ${(e as Error).message}; the job stays locked — invoke this operation again to finish or undo it`);
      }
      ctx.logger.warn('restore slice: S3 said try again', { error: e as Error, retries });
      await ctx.clock.sleep(Math.min(8_000, 500 * 2 ** retries), ctx.signal).catch(() => undefined);
      continue;
    }
    retries = 0;
    if (!step.ok) return halfChanged(p, lock.pause, `${step.why}; the job stays locked`);
    if (step.next) {
      run.phase = step.next;
      await save();
      continue;
    }
    run.slices++;
    await save();
  }
  await releaseJobLock(ctx, lock);
  return {
    status: 'done',
    summary: '',
    result: {
      fromBackup: p.fromBackup, ...(run.safety ? { backupUri: run.safety } : {}), copied: run.copied, copiedBytes: run.copiedBytes, deleted: run.deleted,
      unchanged: run.unchanged, slices: run.slices, verifiedByContent: sealed.size > 0, pipelinePaused: false, jobLockHeldSince: lock.pause.since,
    },
  };
}

/** One slice of the current phase: false with the reason when it must stop (nothing more is changed). */
async function slice(
  ctx: OperationContext,
  run: SliceRun,
  w: { cpUri: string; sourceKeys: Set<string>; sealed: Map<string, { sha256: string }>; current: Map<string, S3ObjectView> },
): Promise<{ ok: true; next?: 'copy' | 'verify' } | { ok: false; why: string }> {
  const cp = parseS3Uri(w.cpUri);
  const s3 = ctx.aws.s3;
  if (run.phase === 'delete') {
    const extra = [...w.current].filter(([rel]) => !w.sourceKeys.has(rel)).slice(0, SLICE_OBJECTS).map(([, o]) => o);
    if (extra.length === 0) return { ok: true, next: 'copy' };
    const c = await coverAll(s3, w.cpUri, run.coveredBy, extra, ctx.signal);
    if (!c.ok) return { ok: false, why: `not deleted: ${c.why}` };
    await s3.deleteObjects(cp.bucket, c.targets);
    for (const o of extra) w.current.delete(o.key.slice(cp.prefix.length));
    run.deleted += c.targets.length;
    return { ok: true };
  }
  if (run.phase === 'copy') {
    const src = parseS3Uri(run.source!);
    const page: S3ObjectView[] = [];
    for await (const o of s3.listPrefix(src.bucket, src.prefix, run.lastKey ? { startAfter: run.lastKey } : {})) {
      if (o.key.slice(src.prefix.length) === BACKUP_MANIFEST) continue;
      page.push(o);
      if (page.length >= SLICE_OBJECTS) break;
    }
    if (page.length === 0) return { ok: true, next: 'verify' };
    const copied = await copySlice(ctx, s3, w.cpUri, run, page, w.sealed, w.current);
    if (!copied.ok) return copied;
    run.lastKey = page[page.length - 1]!.key;
    return { ok: true };
  }
  const check = run.source
    ? await compareListings(s3, run.source, w.cpUri, (k) => k === BACKUP_MANIFEST)
    : { ok: (await listAll(s3, cp.bucket, cp.prefix, 1)).objects.length === 0, missing: [], sizeMismatch: [], extra: [...w.current.keys()] };
  if (!check.ok) {
    return { ok: false, why: `after the copy ${w.cpUri} still differs from ${run.source ?? 'an empty checkpoint'} (${check.missing.length} missing, ${check.sizeMismatch.length} with another size, ${check.extra.length} extra)` };
  }
  run.phase = 'done';
  return { ok: true };
}

/**
 * One slice of copies: an object already holding the backup's bytes is left alone; one holding
 * other bytes is overwritten only when a sealed backup holds those; each copy is checked by
 * content against the seal.
 */
async function copySlice(
  ctx: OperationContext,
  s3: S3Store,
  cpUri: string,
  run: SliceRun,
  page: readonly S3ObjectView[],
  sealed: Map<string, { sha256: string }>,
  current: Map<string, S3ObjectView>,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const src = parseS3Uri(run.source!);
  const cp = parseS3Uri(cpUri);
  const rel = (o: S3ObjectView) => o.key.slice(src.prefix.length);
  const existing = page.filter((o) => current.has(rel(o)));
  const digests = await mapLimit(existing, 16, (o) => s3.digestObject(cp.bucket, `${cp.prefix}${rel(o)}`), ctx.signal);
  const same = new Set(existing.filter((o, i) => digests[i] !== undefined && sealed.get(rel(o))?.sha256 === digests[i]!.sha256).map(rel));
  const overwritten = existing.filter((o, i) => digests[i] !== undefined && !same.has(rel(o))).map((o) => current.get(rel(o))!);
  if (overwritten.length > 0) {
    const c = await coverAll(s3, cpUri, run.coveredBy, overwritten, ctx.signal);
    if (!c.ok) return { ok: false, why: `not overwritten: ${c.why}` };
  }
  const todo = page.filter((o) => !same.has(rel(o)));
  const entries = await mapLimit(
    todo,
    16,
    (o) => copyVerified(s3, { bucket: src.bucket, key: o.key, size: o.size, ...(o.etag !== undefined ? { etag: o.etag } : {}) }, { bucket: cp.bucket, key: `${cp.prefix}${rel(o)}` }, rel(o)),
    ctx.signal,
  );
  const wrong = entries.filter((e) => sealed.size > 0 && sealed.get(e.key)?.sha256 !== e.sha256).map((e) => e.key);
  if (wrong.length > 0) return { ok: false, why: `restored objects hold other bytes than ${run.source} sealed (${wrong.slice(0, 5).join(', ')}): the checkpoint is not whole` };
  for (const o of todo) current.set(rel(o), { key: `${cp.prefix}${rel(o)}`, size: o.size, lastModifiedMs: ctx.clock.now() });
  run.copied += todo.length;
  run.copiedBytes += todo.reduce((n, o) => n + o.size, 0);
  run.unchanged += same.size;
  return { ok: true };
}
