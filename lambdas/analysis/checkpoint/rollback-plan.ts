import type { S3ObjectView } from '../../core/object-store';
import type { Coverage } from './coverage';
import type { BatchListing } from './listing';
import type { StateFile } from './state';

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
  const asObject = (f: { key: string; sizeBytes: number; writtenAtMs?: number }): S3ObjectView => ({
    key: f.key,
    size: f.sizeBytes,
    lastModifiedMs: f.writtenAtMs ?? 0,
  });
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
