import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../lambdas/analysis/lag';
import { gridEndingAt, positions, readLagWindow, type WindowInput } from '../../../lambdas/playbooks/consumer-lag/window';

const NOW = Date.parse('2026-11-22T10:00:30.000Z');
const grid = gridEndingAt(NOW, 10);
const at = (i: number) => grid.startMs + i * 60_000;
const series = (values: number[]) => ({ timestampsMs: values.map((_, i) => at(i)), values });
const f = (a: number[]) => Float64Array.from(a);
const input = (over: Partial<WindowInput>): WindowInput => ({
  grid,
  nowMs: NOW,
  unit: 'records',
  rules: { ...DEFAULT_RULES, minCompleteness: 0.6 },
  skew: { lagShare: 0.8, maxHotPartitions: 1 },
  ...over,
});
const growing = Array.from({ length: 10 }, (_, i) => 1_000 + 500 * i);

describe('Function: gridEndingAt', () => {
  it('covers the last complete minutes before now', () => {
    expect(grid).toEqual({ startMs: Date.parse('2026-11-22T09:50:00Z'), width: 10 });
  });
});

describe('Function: positions', () => {
  it("accumulates the job's processed counts, leaving gaps unknown", () => {
    const p = positions(f([5, 6, 7]), f([0, 1, 2]), { processed: f([100, NaN, 50]) });
    expect(p.from).toBe('processed-metric');
    expect([...p.offsets!]).toEqual([100, NaN, 150]);
  });

  it('derives consumed = produced − Δlag, with 1% of the traffic as tolerance', () => {
    const p = positions(f([100, 150, 150]), f([0, 1, 2]), { incoming: f([100, 100, 100]) });
    expect(p.from).toBe('incoming-minus-lag');
    expect([...p.offsets!]).toEqual([0, 50, 150]);
    expect(p.tolerance).toBe(3);
  });

  it('uses sample time − iterator age for Kinesis, and nothing without a source', () => {
    const p = positions(f([1_000, 61_000]), f([100_000, 160_000]), { iteratorAge: true });
    expect([...p.offsets!]).toEqual([99_000, 99_000]);
    expect(positions(f([1]), f([0]), {}).from).toBe('none');
    expect(positions(f([1]), f([0]), { processed: f([NaN]) }).from).toBe('none');
  });
});

describe('Function: readLagWindow', () => {
  it('calls a consumer stalled when the job reports 0 records processed while the lag grows', () => {
    const r = readLagWindow(input({ aggregate: series(growing), processedPerMinute: f(Array(10).fill(0)) }));
    expect(r).toMatchObject({ level: 'topic', status: 'STALL', groupStatus: 'ERR', trend: 'stalled', offsetsFrom: 'processed-metric' });
  });

  it('calls a consumer stalled from conservation: the lag grows by exactly what was produced', () => {
    const r = readLagWindow(input({ aggregate: series(growing), incomingPerMinute: f(Array(10).fill(500)) }));
    expect(r).toMatchObject({ status: 'STALL', offsetsFrom: 'incoming-minus-lag' });
    // Consuming 10% of the traffic is progress (WARN), beyond the 1% noise tolerance.
    const slow = readLagWindow(input({ aggregate: series(growing), incomingPerMinute: f(Array(10).fill(555)) }));
    expect(slow).toMatchObject({ status: 'WARN', trend: 'falling-behind' });
  });

  it('counts the minutes the position has not moved, before a whole window shows a stall', () => {
    const processed = f([...Array(6).fill(5_000), 0, 0, 0, 0]);
    const r = readLagWindow(input({ aggregate: series(growing), processedPerMinute: processed }));
    expect(r).toMatchObject({ status: 'WARN', trend: 'falling-behind', noProgressMinutes: 4 });
    expect(readLagWindow(input({ aggregate: series(growing) })).noProgressMinutes).toBeNull();
  });

  it('calls a lag jump far beyond the traffic a rewind', () => {
    const lags = [1_000, 1_000, 1_000, 1_000, 500_000, 500_000, 500_000, 500_000, 500_000, 500_000];
    const r = readLagWindow(input({ aggregate: series(lags), incomingPerMinute: f(Array(10).fill(1_000)) }));
    expect(r).toMatchObject({ status: 'REWIND', trend: 'rewound' });
  });

  it('judges partitions one by one, the group by its worst, and finds the hot one', () => {
    const calm = [500, 400, 450, 300, 350, 200, 250, 100, 150, 100];
    const hot = Array.from({ length: 10 }, (_, i) => 1_000 + 2_000 * i);
    const r = readLagWindow(
      input({
        aggregate: series(hot.map((h, i) => h + 3 * calm[i]!)),
        partitions: { ids: ['0', '1', '2', '3'], series: [series(calm), series(hot), series(calm), series(calm)], truncated: false },
      }),
    );
    expect(r).toMatchObject({ level: 'partition', partitions: 4, status: 'WARN', maxLagPartition: '1', maxLag: 19_000, trend: 'falling-behind' });
    expect(r.statusCounts).toMatchObject({ OK: 3, WARN: 1 });
    expect(r.skew).toMatchObject({ skewed: true, hotPartitions: ['1'] });
  });

  it('sums the partitions when the topic-level series is missing', () => {
    const r = readLagWindow(input({ partitions: { ids: ['0', '1'], series: [series(growing), series(growing)], truncated: true } }));
    expect(r).toMatchObject({ totalLag: 11_000, partitionsTruncated: true });
  });

  it('reads topic-level skew from MaxOffsetLag / SumOffsetLag', () => {
    const r = readLagWindow(input({ aggregate: series(growing), maxLag: series(growing.map((g) => g * 0.9)) }));
    expect(r.skew).toMatchObject({ skewed: true, hotPartitions: [] });
    expect(r.maxLag).toBeCloseTo(5_500 * 0.9, 6);
  });

  it('reports an incomplete window as unknown and an empty one as no data', () => {
    const sparse = readLagWindow(input({ aggregate: { timestampsMs: [at(0), at(8), at(9)], values: [10, 20, 30] } }));
    expect(sparse).toMatchObject({ trend: 'unknown', level: 'topic' });
    expect(sparse.complete).toBeCloseTo(0.3, 10);
    expect(readLagWindow(input({}))).toMatchObject({ level: 'none', trend: 'unknown', totalLag: null, newestSampleMs: null });
  });

  it('reads a Kinesis iterator age in milliseconds, stalled when the age grows with the clock', () => {
    const ages = Array.from({ length: 10 }, (_, i) => 600_000 + 60_000 * i);
    const r = readLagWindow(input({ unit: 'milliseconds', aggregate: series(ages) }));
    expect(r).toMatchObject({ unit: 'milliseconds', status: 'STALL', offsetsFrom: 'iterator-age', maxLag: 1_140_000 });
  });
});
