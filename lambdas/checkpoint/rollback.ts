import { checkCoverage, type CoveredTarget } from '../analysis/checkpoint/coverage';
import { listAll, listBatchFiles } from '../analysis/checkpoint/listing';
import { BackupDoesNotCoverError, planRollback, type RollbackPlan, type RollbackTarget } from '../analysis/checkpoint/rollback-plan';
import { listStateFiles } from '../analysis/checkpoint/state';
import { parseS3Uri, type S3ObjectView } from '../core/object-store';
import type { S3Store } from './store';

/**
 * Rolling a Spark checkpoint back and deleting it (S3 I/O: lists, checks against the sealed
 * backup, deletes). What a rollback removes is planned by analysis/checkpoint/rollback-plan.ts.
 */

/** The conditional deletion of what the backup was shown to hold: each object only while it has the ETag it was hashed with. */
export async function coveredTargets(
  s3: S3Store,
  checkpointUri: string,
  backupUri: string,
  objects: readonly S3ObjectView[],
): Promise<{ targets: CoveredTarget[]; bytes: number }> {
  const c = await checkCoverage(s3, checkpointUri, backupUri, objects);
  if (c.kind !== 'covered') throw new BackupDoesNotCoverError(c, backupUri);
  return { targets: c.targets, bytes: c.bytes };
}

export interface RollbackResult extends RollbackPlan {
  deleted: number;
  latestPlannedAfter?: number;
  latestCommittedAfter?: number;
}

/**
 * Lists, plans, checks every object to delete against the sealed backup, deletes, and lists
 * again to confirm. Idempotent: run twice, the second run finds nothing left to delete.
 */
export async function rollbackCheckpoint(
  s3: S3Store,
  checkpointUri: string,
  backupUri: string,
  target: RollbackTarget,
  opts: { expectLatestBatch?: number } = {},
): Promise<RollbackResult> {
  const { bucket, prefix } = parseS3Uri(checkpointUri);
  const [offsets, commits, state] = await Promise.all([
    listBatchFiles(s3, bucket, `${prefix}offsets/`),
    listBatchFiles(s3, bucket, `${prefix}commits/`),
    listStateFiles(s3, bucket, prefix),
  ]);
  if (!offsets.complete || !commits.complete || !state.complete) throw new Error(`${checkpointUri} is too large to list completely: nothing deleted`);
  const latest = offsets.ids[offsets.ids.length - 1];
  // The plan saw batch N as the latest; a checkpoint that moved on since is not the one judged.
  // Already at the target (a resumed rollback) is fine: what is left of it is finished.
  if (opts.expectLatestBatch !== undefined && latest !== opts.expectLatestBatch && latest !== target.batchId) {
    throw new Error(`the latest batch of ${checkpointUri} is ${latest ?? 'none'}, not ${opts.expectLatestBatch} as judged: nothing deleted`);
  }
  const plan = planRollback(offsets, commits, state.files, target);
  if (target.batchId > 0 && !offsets.files.has(target.batchId - 1)) {
    throw new Error(`offsets/${target.batchId - 1} is missing: Spark could not restart at batch ${target.batchId}; nothing deleted`);
  }
  if (!offsets.files.has(target.batchId)) throw new Error(`offsets/${target.batchId} is missing: cannot roll back to batch ${target.batchId}; nothing deleted`);
  const { targets } = await coveredTargets(s3, checkpointUri, backupUri, plan.deletions);
  await s3.deleteObjects(bucket, targets);
  const [o2, c2] = await Promise.all([listBatchFiles(s3, bucket, `${prefix}offsets/`), listBatchFiles(s3, bucket, `${prefix}commits/`)]);
  const n2 = o2.ids[o2.ids.length - 1];
  const c2max = c2.ids[c2.ids.length - 1];
  return {
    ...plan,
    deleted: targets.length,
    ...(n2 !== undefined ? { latestPlannedAfter: n2 } : {}),
    ...(c2max !== undefined ? { latestCommittedAfter: c2max } : {}),
  };
}

/** Every object under the checkpoint prefix, after the backup check (a reset: options A/B/C of the reset procedure). */
export async function deleteCheckpoint(s3: S3Store, checkpointUri: string, backupUri: string): Promise<{ deleted: number; bytes: number }> {
  const { bucket, prefix } = parseS3Uri(checkpointUri);
  const all = await listAll(s3, bucket, prefix);
  const { targets, bytes } = await coveredTargets(s3, checkpointUri, backupUri, all.objects);
  await s3.deleteObjects(bucket, targets);
  return { deleted: targets.length, bytes };
}
