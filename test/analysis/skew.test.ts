import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Status } from '../../lambdas/analysis/lag';
import { findSkew, skewFromTopic } from '../../lambdas/analysis/skew';

const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i));
const ok = (n: number) => new Uint8Array(n).fill(Status.OK);
const rules = { lagShare: 0.8, maxHotPartitions: 2 };

describe('Function: findSkew', () => {
  it('finds one hot partition holding the lag while the others keep up', () => {
    // Prepare: partition 3 holds 9,000 of 10,000 records.
    const lags = [250, 250, 250, 9_000, 250];
    const statuses = ok(5);
    statuses[3] = Status.WARN;
    // Act
    const r = findSkew(ids(5), lags, statuses, rules);
    // Assess
    expect(r).toMatchObject({ skewed: true, hotPartitions: ['3'], othersHealthy: true });
    expect(r.hotLagShare).toBeCloseTo(0.9, 10);
  });

  it('is skewed at exactly the lag share and not one record below it', () => {
    const one = { lagShare: 0.8, maxHotPartitions: 1 };
    expect(findSkew(ids(3), [8_000, 1_000, 1_000], ok(3), one).skewed).toBe(true);
    expect(findSkew(ids(3), [7_999, 1_000, 1_001], ok(3), one).skewed).toBe(false);
  });

  it('allows at most maxHotPartitions hot partitions', () => {
    // Two partitions needed for 80%: skewed with a limit of 2, not with 1.
    const lags = [4_500, 4_000, 500, 500, 500];
    expect(findSkew(ids(5), lags, ok(5), { lagShare: 0.8, maxHotPartitions: 2 })).toMatchObject({ skewed: true, hotPartitions: ['0', '1'] });
    expect(findSkew(ids(5), lags, ok(5), { lagShare: 0.8, maxHotPartitions: 1 }).skewed).toBe(false);
  });

  it('is not skew when another partition is not OK (the whole job is behind)', () => {
    const statuses = ok(5);
    statuses[0] = Status.WARN;
    const r = findSkew(ids(5), [100, 100, 100, 9_000, 100], statuses, rules);
    expect(r).toMatchObject({ skewed: false, othersHealthy: false, hotPartitions: ['3'] });
  });

  it('never calls every partition hot, nor judges fewer than two partitions or no lag', () => {
    expect(findSkew(ids(2), [5_000, 5_000], ok(2), { lagShare: 0.8, maxHotPartitions: 5 }).skewed).toBe(false);
    expect(findSkew(ids(1), [9_000], ok(1), rules).skewed).toBe(false);
    expect(findSkew(ids(3), [0, 0, NaN], ok(3), rules).skewed).toBe(false);
  });

  it('picks the same hot partitions as sorting everything would', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 2, maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (lags, k) => {
        const r = findSkew(ids(lags.length), lags, ok(lags.length), { lagShare: 0.5, maxHotPartitions: k });
        const total = lags.reduce((a, b) => a + b, 0);
        if (total === 0) return;
        const sorted = [...lags].sort((a, b) => b - a);
        let held = 0;
        let n = 0;
        while (n < Math.min(k, lags.length - 1) && held / total < 0.5) held += sorted[n++]!;
        expect(r.skewed).toBe(held / total >= 0.5);
        if (r.skewed) expect(r.hotPartitions.map((p) => lags[Number(p)]).sort((a, b) => b! - a!)).toEqual(sorted.slice(0, n));
      }),
    );
  });
});

describe('Function: skewFromTopic', () => {
  it('calls one partition holding the lag share skew, from MaxOffsetLag / SumOffsetLag', () => {
    expect(skewFromTopic(8_000, 10_000, rules)).toMatchObject({ skewed: true, hotLagShare: 0.8 });
    expect(skewFromTopic(7_999, 10_000, rules).skewed).toBe(false);
  });

  it('does not judge a share of exactly 1 (a single-partition topic looks the same) nor no lag', () => {
    expect(skewFromTopic(10_000, 10_000, rules).skewed).toBe(false);
    expect(skewFromTopic(0, 0, rules).skewed).toBe(false);
    expect(skewFromTopic(NaN, 10, rules).skewed).toBe(false);
  });
});
