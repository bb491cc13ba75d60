import type { S3ObjectView } from '../../core/object-store';
import { parseS3Uri } from '../../core/object-store';
import { checkCoverage, type Coverage, type CoveredTarget } from './coverage';
import { listAll, listBatchFiles, type BatchListing, type S3Store } from './listing';
import { listStateFiles, type StateFile } from './state';

/**
 * Rolling a Spark checkpoint back, the job stopped and the checkpoint backed up first.
 *
 * `{ batchId: K, rerun: true }` — "roll back to batch K": delete offsets/N for N > K and
 * commits/N for N ≥ K. On restart Spark finds offsets/K uncommitted and runs batch K again
 * with the same offsets (it needs offsets/K-1).
 *
 * `{ batchId: K, rerun: false }` — "roll back to after batch K": delete offsets/N and
 * commits/N for N > K. On restart Spark finds batch K committed and plans batch K+1 from the
 * end offsets of K.
 *
 * State (stateful queries): batch B writes state version B+1, so the versions written by the
 * removed batches go too — versions > K when K is re-run, > K+1 otherwise — along with the
 * operator metadata and schema files named by a removed batch id. Spark loads the state of
 * the version it resumes from; a newer version left behind (a snapshot or changelog of the
 * abandoned run) could be picked up later in place of the one the re-run writes.
 */
export interface RollbackTarget {
  batchId: number;
  rerun: boolean;
}

export interface RollbackPlan {
  deletions: S3ObjectView[];
  offsetsRemoved: number[];
  commitsRemoved: number[];
  stateFilesRemoved: number;
  /** The batch Spark runs first after the restart. */
  resumeBatch: number;
}

/** Pure: which objects a rollback removes. */
export function planRollback(offsets: BatchListing, commits: BatchListing, state: readonly StateFile[], target: RollbackTarget): RollbackPlan {
  const k = target.batchId;
  const offsetsRemoved = offsets.ids.filter((id) => id > k);
  const commitsRemoved = commits.ids.filter((id) => (target.rerun ? id >= k : id > k));
  const keepVersion = target.rerun ? k : k + 1;
  const keepBatch = target.rerun ? k - 1 : k;
  const stateGone = state.filter((f) => (f.tie === 'version' ? f.n > keepVersion : f.n > keepBatch));
  const asObject = (f: { key: string; sizeBytes: number; writtenAtMs?: number }): S3ObjectView => ({ key: f.key, size: f.sizeBytes, lastModifiedMs: f.writtenAtMs ?? 0 });
  return {
    deletions: [
      ...offsetsRemoved.map((id) => asObject(offsets.files.get(id)!)),
      ...commitsRemoved.map((id) => asObject(commits.files.get(id)!)),
      ...stateGone.map(asObject),
    ],
    offsetsRemoved,
    commitsRemoved,
    stateFilesRemoved: stateGone.length,
    resumeBatch: target.rerun ? k : k + 1,
  };
}

export class BackupDoesNotCoverError extends Error {
  override readonly name = 'BackupDoesNotCoverError';
  /** The keys whose bytes the backup does not hold, or why the backup cannot be relied on at all. */
  readonly keys: string[] | 'no-manifest' | 'sizes-only';
  constructor(coverage: Exclude<Coverage, { kind: 'covered' }>, backupUri: string) {
    super(
      coverage.kind === 'no-manifest'
        ? `${backupUri} is not a verified backup of this checkpoint (no matching manifest): nothing deleted`
        : coverage.kind === 'sizes-only'
          ? `${backupUri} was sealed by an older streamfix with sizes only, no content hashes: it cannot prove it holds the bytes; take a new backup. Nothing deleted`
          : `${coverage.keys.length} object(s) to delete are not in ${backupUri} byte for byte (${coverage.reasons.slice(0, 5).join('; ')}): nothing deleted`,
    );
    this.keys = coverage.kind === 'uncovered' ? coverage.keys : coverage.kind;
  }
}

/** The conditional deletion of what the backup was shown to hold: each object only while it has the ETag it was hashed with. */
export async function coveredTargets(s3: S3Store, checkpointUri: string, backupUri: string, objects: readonly S3ObjectView[]): Promise<{ targets: CoveredTarget[]; bytes: number }> {
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
  return { ...plan, deleted: targets.length, ...(n2 !== undefined ? { latestPlannedAfter: n2 } : {}), ...(c2max !== undefined ? { latestCommittedAfter: c2max } : {}) };
}

/** Every object under the checkpoint prefix, after the backup check (a reset: options A/B/C of the reset procedure). */
export async function deleteCheckpoint(s3: S3Store, checkpointUri: string, backupUri: string): Promise<{ deleted: number; bytes: number }> {
  const { bucket, prefix } = parseS3Uri(checkpointUri);
  const all = await listAll(s3, bucket, prefix);
  const { targets, bytes } = await coveredTargets(s3, checkpointUri, backupUri, all.objects);
  await s3.deleteObjects(bucket, targets);
  return { deleted: targets.length, bytes };
}
