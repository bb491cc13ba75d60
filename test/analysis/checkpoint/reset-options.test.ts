import { describe, expect, it } from 'vitest';
import { resetOptions } from '../../../lambdas/analysis/checkpoint/reset-options';
import type { SparkCheckpointReport } from '../../../lambdas/analysis/checkpoint/spark';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const report = (r: Partial<SparkCheckpointReport>) => ({ uri: 's3://cp/job/', exists: true, problems: [], ...r }) as SparkCheckpointReport;

describe('resetOptions', () => {
  it('offers the rollback to the last good batch and the reset to its offsets when the checkpoint names them', () => {
    const cp = report({
      lastGoodBatch: 41,
      latestPlannedBatch: 42,
      lastGoodBatchCommittedAtMs: NOW - 90_000,
      lastGoodOffsets: [{ sourceId: '0', topic: 't', partition: 0, offset: 7 }],
    });
    const options = resetOptions('orders', cp, NOW, 168);
    expect(options.map((o) => o.command)).toEqual([
      'streamfix checkpoint --pipeline orders rollback --to-batch 41 --keep-commit --confirm',
      'streamfix checkpoint --pipeline orders reset --to last-good --confirm',
      'streamfix checkpoint --pipeline orders reset --to latest --confirm',
      'streamfix checkpoint --pipeline orders reset --to timestamp --timestamp <ISO-8601> --confirm',
      'streamfix checkpoint --pipeline orders reset --to earliest --confirm',
    ]);
    expect(options[0]!.reReads).toContain('batches 42–42 are planned again');
    expect(options[2]!.loses).toBe('every record published 90 s (since batch 41 committed) until the job restarts, and the query state');
    expect(options[4]!.reReads).toBe('everything the source retains (up to 168 h): expect duplicates downstream');
  });

  it('offers only the three resets when the checkpoint could not be read, and says the loss is unknown', () => {
    const options = resetOptions('orders', undefined, NOW, 24);
    expect(options.map((o) => o.option.slice(0, 2))).toEqual(['A:', 'B:', 'C:']);
    expect(options[0]!.loses).toBe('every record published since the last good batch (unknown) until the job restarts, and the query state');
  });

  it('offers no rollback without a planned batch, and no reset to last-good offsets without offsets', () => {
    const options = resetOptions('orders', report({ lastGoodBatch: 3 }), NOW, 24);
    expect(options.some((o) => o.command.includes('rollback'))).toBe(false);
    expect(options.some((o) => o.command.includes('last-good'))).toBe(false);
  });
});
