import { describe, expect, it } from 'vitest';
import { judgeShards, judgeThrottling, SUSPECT_MINUTES } from '../../lambdas/analysis/kinesis-shards';

const MIN = 60_000;
const NOW = 60 * MIN;
const ids = ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'];
/** Ages of the last n minutes, oldest first, ending at the minute before NOW. */
const series = (ages: number[]) => ages.map((value, i) => ({ atMs: NOW - (ages.length - i) * MIN, value }));
const flat = (n: number) => series(Array.from({ length: n }, () => 200));
const growing = (minutes: number, from = 200) => series([from, ...Array.from({ length: minutes }, (_, i) => from + (i + 1) * MIN)]);
const rules = { nowMs: NOW, retentionHours: 24, stallMinutes: 10, allowedAgeMs: 60_000 };

describe('Function: judgeShards', () => {
  it('names a shard whose age follows the clock for stallMinutes while the others stay flat, with the retention left', () => {
    const j = judgeShards(
      ids,
      [
        { shardId: ids[0]!, iteratorAge: flat(12) },
        { shardId: ids[1]!, iteratorAge: flat(12) },
        { shardId: ids[2]!, iteratorAge: growing(10) },
      ],
      rules,
    );
    expect(j.level).toBe('shard');
    expect(j.stuck).toEqual([
      { shardId: ids[2], how: 'growing', ageMs: 200 + 10 * MIN, minutes: 10, retentionLeftHours: (24 * 3_600_000 - (200 + 10 * MIN)) / 3_600_000 },
    ]);
    expect(j.othersMaxAgeMs).toBe(200);
  });

  it('only watches a shard that has grown for fewer than stallMinutes, and ignores one that grew a minute', () => {
    const nine = judgeShards(
      ids,
      [
        { shardId: ids[0]!, iteratorAge: flat(12) },
        { shardId: ids[2]!, iteratorAge: growing(9) },
      ],
      rules,
    );
    expect(nine.stuck).toEqual([]);
    expect(nine.suspect.map((s) => [s.shardId, s.minutes])).toEqual([[ids[2], 9]]);
    const one = judgeShards(
      ids,
      [
        { shardId: ids[0]!, iteratorAge: flat(12) },
        { shardId: ids[2]!, iteratorAge: growing(SUSPECT_MINUTES - 1) },
      ],
      rules,
    );
    expect([...one.stuck, ...one.suspect]).toEqual([]);
  });

  it('does not count growth slower than the clock (a reader that only falls behind)', () => {
    const slow = series(Array.from({ length: 12 }, (_, i) => 61_000 + i * 0.7 * MIN));
    expect(
      judgeShards(
        ids,
        [
          { shardId: ids[0]!, iteratorAge: flat(12) },
          { shardId: ids[2]!, iteratorAge: slow },
        ],
        rules,
      ).stuck,
    ).toEqual([]);
  });

  it('names a shard that stopped publishing (no GetRecords) while the others go on, aging it by the silence', () => {
    const silent = series([200, 300]).map((p) => ({ ...p, atMs: p.atMs - 10 * MIN }));
    const j = judgeShards(
      ids,
      [
        { shardId: ids[0]!, iteratorAge: flat(12) },
        { shardId: ids[1]!, iteratorAge: silent },
      ],
      rules,
    );
    expect(j.stuck).toEqual([expect.objectContaining({ shardId: ids[1], how: 'silent', minutes: 10, ageMs: 300 + 11 * MIN })]);
  });

  it('is not one shard when every shard falls behind: that is lag', () => {
    const j = judgeShards(
      ids,
      ids.map((shardId) => ({ shardId, iteratorAge: growing(12) })),
      rules,
    );
    expect(j.stuck).toEqual([]);
    expect(j.othersMaxAgeMs).toBeNull();
  });

  it('says when no shard-level ages are published', () => {
    expect(judgeShards(ids, [], rules)).toEqual({ level: 'stream', openShards: 3, shardsWithData: 0, stuck: [], suspect: [], othersMaxAgeMs: null });
  });

  it('gives a negative retention left once the records are past it', () => {
    const old = series([23 * 3_600_000, 23 * 3_600_000 + MIN, ...Array.from({ length: 10 }, (_, i) => 23 * 3_600_000 + (i + 2) * MIN)]);
    const j = judgeShards(
      ids,
      [
        { shardId: ids[0]!, iteratorAge: flat(12) },
        { shardId: ids[2]!, iteratorAge: old },
      ],
      { ...rules, retentionHours: 23 },
    );
    expect(j.stuck[0]!.retentionLeftHours).toBeLessThan(0);
  });
});

describe('Function: judgeThrottling', () => {
  it('counts the minutes with throttled reads and the reads throttled', () => {
    expect(judgeThrottling(series([0, 3, 0, 2]))).toEqual({ minutes: 2, reads: 5 });
    expect(judgeThrottling([])).toEqual({ minutes: 0, reads: 0 });
  });
});
