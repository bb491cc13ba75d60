import { parseS3Uri } from '../../core/object-store';
import { BACKUP_MANIFEST, BackupDoesNotCoverError, checkCoverage, listAll, readBackupManifest } from '../../analysis/checkpoint';
import { requireIntact } from '../../checkpoint';
import { byRelativeKey } from '../../analysis/checkpoint/compare';
import type { EmrPipeline } from '../../config/schema';
import { LeaseLostError } from '../../core/lease';
import type { OperationContext, OperationResult } from '../types';
import { halfChanged, isRetriableChange } from './change';
import { slice, type SliceRun } from './restore-slice';
import { activeRun, holdsJob, refuseIfJobHeld, releaseJobLock, takeJobLock, type JobLock } from './job-lock';
import type { CheckpointOpsPayload } from './payload';
import { ensureBackup, partial, refuse, requireJobStopped, retryTransient, STOP_MARGIN_MS, type BackupProgress } from './safety';

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

const RESTORE_UNIT = 'restore-run';
const UNDO_UNIT = 'restore-undo';

export async function restoreCommand(
  p: RestorePayload,
  pipeline: EmrPipeline,
  ctx: OperationContext,
  hooks: { onBackupProgress?(p: BackupProgress): void } = {},
): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  await refuseIfJobHeld(ctx, pipeline);
  if (p.undo) return undo(p, pipeline, ctx);
  let run = (await ctx.ledger.getProgress(ctx.operationId, RESTORE_UNIT)) as SliceRun | undefined;
  let lock: JobLock;
  if (!run) {
    await requireJobStopped(ctx, pipeline);
    const m = await readBackupManifest(ctx.aws.s3, p.fromBackup);
    if (!m || m.source !== cpUri) await refuse(ctx, 'fromBackup', `${p.fromBackup} has no backup manifest for ${cpUri}: it was never verified`);
    await retryTransient(ctx, 'restore', () => requireIntact(ctx.aws.s3, p.fromBackup, m!));
    const { bucket, prefix } = parseS3Uri(cpUri);
    const current = (await retryTransient(ctx, 'restore', () => listAll(ctx.aws.s3, bucket, prefix))).objects;
    let safety: string | undefined;
    if (current.length > 0) {
      const b = await ensureBackup(ctx, cpUri, {
        ...(p.backupUri ? { given: p.backupUri } : {}),
        ...(hooks.onBackupProgress ? { onProgress: hooks.onBackupProgress } : {}),
      });
      if (b.kind === 'partial') return partial(p, b);
      safety = b.backupUri;
      const c = await retryTransient(ctx, 'restore', () => checkCoverage(ctx.aws.s3, cpUri, safety!, current, { signal: ctx.signal }));
      if (c.kind !== 'covered') await refuse(ctx, 'backupUri', new BackupDoesNotCoverError(c, safety).message);
    }
    lock = await takeJobLock(ctx, pipeline, `restore of ${cpUri} from ${p.fromBackup} (operation ${ctx.operationId})`);
    const r = await activeRun(ctx, pipeline);
    if (r) {
      await releaseJobLock(ctx, lock);
      await requireJobStopped(ctx, pipeline);
    }
    run = {
      phase: 'delete',
      source: p.fromBackup,
      coveredBy: [...(safety ? [safety] : []), p.fromBackup],
      ...(safety ? { safety } : {}),
      copied: 0,
      copiedBytes: 0,
      unchanged: 0,
      deleted: 0,
      slices: 0,
      startedAtMs: ctx.clock.now(),
    };
    await ctx.ledger.putProgress(ctx.operationId, RESTORE_UNIT, { ...run }, ctx.clock.now());
  } else {
    lock = await takeJobLock(ctx, pipeline, `restore of ${cpUri} from ${p.fromBackup} (operation ${ctx.operationId})`);
  }
  const out = await slices(ctx, pipeline, p, run, RESTORE_UNIT, lock);
  if (out.status !== 'done') return out;
  return {
    ...out,
    summary:
      `restored ${cpUri} from ${p.fromBackup}: ${run.copied} objects (${run.copiedBytes} bytes) copied, ${run.deleted} deleted, verified` +
      `${run.safety ? `; the checkpoint as it was is in ${run.safety}` : ''}; the job's lock is released`,
  };
}

/** Puts the checkpoint back as it was before this operation's restore began. */
async function undo(p: RestorePayload, pipeline: EmrPipeline, ctx: OperationContext): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  const restored = (await ctx.ledger.getProgress(ctx.operationId, RESTORE_UNIT)) as SliceRun | undefined;
  if (!restored) await refuse(ctx, 'undo', `operation ${ctx.operationId} never changed ${cpUri}: there is nothing to undo`);
  let run = (await ctx.ledger.getProgress(ctx.operationId, UNDO_UNIT)) as SliceRun | undefined;
  if (!run) {
    if (!(await holdsJob(ctx, pipeline))) await requireJobStopped(ctx, pipeline);
    run = {
      phase: 'delete',
      ...(restored!.safety ? { source: restored!.safety } : {}),
      coveredBy: [...(restored!.safety ? [restored!.safety] : []), restored!.source!],
      copied: 0,
      copiedBytes: 0,
      unchanged: 0,
      deleted: 0,
      slices: 0,
      startedAtMs: ctx.clock.now(),
    };
  }
  const lock = await takeJobLock(ctx, pipeline, `undo of the restore of ${cpUri} from ${p.fromBackup} (operation ${ctx.operationId})`);
  await ctx.ledger.putProgress(ctx.operationId, UNDO_UNIT, { ...run }, ctx.clock.now());
  const out = await slices(ctx, pipeline, p, run, UNDO_UNIT, lock);
  if (out.status !== 'done') return out;
  return {
    ...out,
    summary:
      `undid the restore of ${cpUri} from ${p.fromBackup}: the checkpoint is back as it was (${run.source ?? 'empty'}); ` +
      `${run.copied} objects copied, ${run.deleted} deleted, verified; the job's lock is released`,
    result: { ...out.result, undone: true },
  };
}

async function slices(ctx: OperationContext, pipeline: EmrPipeline, p: RestorePayload, run: SliceRun, unit: string, lock: JobLock): Promise<OperationResult> {
  const cpUri = pipeline.job.checkpoint;
  const cp = parseS3Uri(cpUri);
  const src = run.source ? parseS3Uri(run.source) : undefined;
  let setup;
  try {
    setup = await retryTransient(ctx, 'restore', async () => ({
      manifest: run.source ? await readBackupManifest(ctx.aws.s3, run.source) : undefined,
      sourceObjects: src ? (await listAll(ctx.aws.s3, src.bucket, src.prefix)).objects : [],
      currentObjects: (await listAll(ctx.aws.s3, cp.bucket, cp.prefix)).objects,
    }));
  } catch (e) {
    if (e instanceof LeaseLostError) throw e;
    return halfChanged(
      p,
      lock.pause,
      `${cpUri} is half restored and could not be read: ${(e as Error).message}; the job stays locked — invoke this operation again to finish or undo it`,
    );
  }
  const { manifest } = setup;
  if (run.source && !manifest)
    return halfChanged(
      p,
      lock.pause,
      `${run.source} lost its seal while ${cpUri} was being restored from it: the job stays locked; restore another sealed backup`,
    );
  const sealed = new Map((manifest?.entries ?? []).map((e) => [e.key, e]));
  const sourceKeys = new Set(setup.sourceObjects.map((o) => o.key.slice(src!.prefix.length)).filter((k) => k !== BACKUP_MANIFEST));
  const current = byRelativeKey(setup.currentObjects, cp.prefix);
  const save = () => ctx.ledger.putProgress(ctx.operationId, unit, { ...run }, ctx.clock.now());
  const view = () => ({ ...run, pipelinePaused: { ...lock.pause } });
  let retries = 0;
  for (;;) {
    if (run.phase === 'done') break;
    if (ctx.signal.aborted || ctx.remainingMs() < STOP_MARGIN_MS) {
      return {
        status: 'partial',
        summary:
          `${unit === UNDO_UNIT ? 'undo' : 'restore'} of ${cpUri} in progress (${run.phase}: ${run.copied} copied, ${run.deleted} deleted in ${run.slices} slice(s)); ` +
          `the job stays locked (pipeline paused for the playbooks) until it is finished: invoke again with continueWith`,
        result: view(),
        continueWith: { ...p },
      };
    }
    await ctx.lease?.ensure();
    let step: { ok: true; next?: 'copy' | 'verify' } | { ok: false; why: string };
    try {
      const r = await activeRun(ctx, pipeline);
      if (r) {
        return halfChanged(
          p,
          lock.pause,
          `run ${r.jobRunId} of ${pipeline.job.jobName} is ${r.state} while ${cpUri} is half restored: stop it now ` +
            `(aws emr-serverless cancel-job-run --application-id ${pipeline.job.applicationId} --job-run-id ${r.jobRunId}), then invoke this operation again to finish or undo it`,
        );
      }
      step = await slice(ctx, run, { cpUri, sourceKeys, sealed, current });
    } catch (e) {
      if (e instanceof LeaseLostError || !isRetriableChange(e) || ++retries > 4) {
        if (e instanceof LeaseLostError) throw e;
        return halfChanged(
          p,
          lock.pause,
          `${cpUri} is half restored: ${(e as Error).message}; the job stays locked — invoke this operation again to finish or undo it`,
        );
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
      fromBackup: p.fromBackup,
      ...(run.safety ? { backupUri: run.safety } : {}),
      copied: run.copied,
      copiedBytes: run.copiedBytes,
      deleted: run.deleted,
      unchanged: run.unchanged,
      slices: run.slices,
      verifiedByContent: sealed.size > 0,
      pipelinePaused: false,
      jobLockHeldSince: lock.pause.since,
    },
  };
}
