import type { CheckpointProblem, RollbackTarget, SparkCheckpointReport } from './index';

/**
 * How deep a Spark checkpoint's damage goes, pure. Only one shape is repaired automatically:
 * every problem is in the newest batch N, and batch N-1 is good (offsets/N-1 and commits/N-1
 * read cleanly, and offsets/N-2 exists for Spark's restart check).
 *   - offsets/N unreadable (empty, malformed, a version the job's Spark cannot read):
 *     roll back to after N-1 — Spark plans batch N again from the end offsets of N-1;
 *   - offsets/N fine, commits/N unreadable: roll back to batch N — Spark re-runs N with the
 *     same offsets, exactly as after a crash before the commit.
 */
export type CorruptionVerdict =
  | { kind: 'clean' }
  | { kind: 'missing' }
  | { kind: 'unassessable'; why: string }
  | { kind: 'latest-batch'; target: RollbackTarget; badBatch: number; batchesRemoved: number; problems: CheckpointProblem[] }
  | { kind: 'deep'; why: string; problems: CheckpointProblem[] };

const OFFSETS_FAULTS = new Set(['offsets-empty', 'offsets-malformed', 'offsets-unsupported-version']);
const COMMIT_FAULTS = new Set(['commit-empty', 'commit-malformed', 'commit-unsupported-version']);

export function judgeCorruption(cp: SparkCheckpointReport | undefined): CorruptionVerdict {
  if (!cp) return { kind: 'unassessable', why: 'the checkpoint could not be read' };
  if (!cp.exists) return { kind: 'missing' };
  if (!cp.listingComplete) return { kind: 'unassessable', why: `the listing of ${cp.uri} stopped at its cap: the newest batches may not have been seen` };
  if (cp.problems.length === 0) return { kind: 'clean' };
  const n = cp.latestPlannedBatch;
  if (n === undefined) return { kind: 'deep', why: 'commits without any offsets file', problems: cp.problems };
  const outside = cp.problems.filter((p) => p.batchId !== n || !(OFFSETS_FAULTS.has(p.kind) || COMMIT_FAULTS.has(p.kind)));
  if (outside.length > 0) {
    return { kind: 'deep', why: `problems beyond the latest batch ${n}: ${outside.map((p) => p.message).join('; ')}`, problems: cp.problems };
  }
  if (cp.lastGoodBatch !== n - 1) {
    return {
      kind: 'deep',
      why: `batch ${n - 1} before the corrupt batch ${n} is not good (last good batch: ${cp.lastGoodBatch ?? 'none'})`,
      problems: cp.problems,
    };
  }
  const offsetsBad = cp.problems.some((p) => OFFSETS_FAULTS.has(p.kind));
  const target: RollbackTarget = offsetsBad ? { batchId: n - 1, rerun: false } : { batchId: n, rerun: true };
  return { kind: 'latest-batch', target, badBatch: n, batchesRemoved: 1, problems: cp.problems };
}

/** One line per problem, for evidence and pages. */
export const describeProblems = (problems: readonly CheckpointProblem[]): string =>
  problems.map((p) => `${p.kind}${p.batchId !== undefined ? `@${p.batchId}` : ''}`).join(', ');
