import type { SparkCheckpointReport } from './spark';

/**
 * The ways out of a broken Spark checkpoint (the checkpoint reset procedure, docs/operations/checkpoint-ops.md),
 * for one checkpoint, each with the command that takes it and what data it loses or reads twice.
 * Pure: the checkpoint-failure playbook puts them in its escalations, `checkpoint inspect` lists them.
 */

export interface ResetOption {
  option: string;
  command: string;
  /** What data the option skips (never processed). */
  loses: string;
  /** What data the option processes a second time. */
  reReads: string;
}

/** The options of the checkpoint reset procedure, for this checkpoint, with their cost in data. */
export function resetOptions(pipelineName: string, cp: SparkCheckpointReport | undefined, nowMs: number, retentionHours: number): ResetOption[] {
  const cli = `streamfix checkpoint --pipeline ${pipelineName}`;
  const good = cp?.lastGoodBatch;
  const ageS = cp?.lastGoodBatchCommittedAtMs !== undefined ? Math.round((nowMs - cp.lastGoodBatchCommittedAtMs) / 1000) : undefined;
  const since = ageS !== undefined ? `${ageS} s (since batch ${good} committed)` : 'since the last good batch (unknown)';
  const out: ResetOption[] = [];
  if (good !== undefined && cp?.latestPlannedBatch !== undefined) {
    out.push({
      option: `roll back to after batch ${good} (the last good batch)`,
      command: `${cli} rollback --to-batch ${good} --keep-commit --confirm`,
      loses: 'nothing the source still holds',
      reReads: `nothing committed; batches ${good + 1}–${cp.latestPlannedBatch} are planned again (a sink that is not idempotent per batch id may see their records twice)`,
    });
  }
  if (cp?.lastGoodOffsets?.length) {
    out.push({
      option: 'reset, starting at the last good offsets (startingOffsets = the end of the last good batch)',
      command: `${cli} reset --to last-good --confirm`,
      loses: 'the query state (aggregations, deduplication, joins): stateful results restart empty; no source data',
      reReads: 'nothing',
    });
  }
  out.push(
    {
      option: 'A: reset to latest (resume from now)',
      command: `${cli} reset --to latest --confirm`,
      loses: `every record published ${since} until the job restarts, and the query state`,
      reReads: 'nothing',
    },
    {
      option: 'B: reset to a timestamp (startingOffsetsByTimestamp)',
      command: `${cli} reset --to timestamp --timestamp <ISO-8601> --confirm`,
      loses: 'the records before the timestamp that were not processed yet, and the query state',
      reReads: 'the records after the timestamp that were already processed',
    },
    {
      option: 'C: reset to earliest (reprocess everything retained)',
      command: `${cli} reset --to earliest --confirm`,
      loses: 'the query state',
      reReads: `everything the source retains (up to ${retentionHours} h): expect duplicates downstream`,
    },
  );
  return out;
}
