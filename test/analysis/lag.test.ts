import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_RULES, evaluateMatrix, evaluateWindow, groupStatusOf, Status, STATUS_NAMES, type LagRules, type LagWindow } from '../../lambdas/analysis/lag';
import { LagTrend, noProgressMs, readTrend } from '../../lambdas/analysis/lag-trend';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const MIN = 60_000;
const ts = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * MIN);
/** A window of one-minute samples; `now` defaults to one minute after the last sample. */
const win = (lags: number[], offsets?: number[]): LagWindow => ({ timestampsMs: ts(lags.length), lags, ...(offsets ? { offsets } : {}) });
const nowAfter = (n: number, ms = MIN) => T0 + (n - 1) * MIN + ms;
/** Burrow's rules with a window as long as the test's samples unless told otherwise. */
const RULES: LagRules = { ...DEFAULT_RULES, intervals: 60 };
const judge = (lags: number[], offsets?: number[], r: Partial<LagRules> = {}, now = nowAfter(lags.length)) =>
  STATUS_NAMES[evaluateWindow(win(lags, offsets), now, { ...RULES, ...r }).status];
const rising = (n: number, from = 100, step = 10) => Array.from({ length: n }, (_, i) => from + i * step);
const moving = (n: number, from = 1_000, step = 50) => Array.from({ length: n }, (_, i) => from + i * step);

describe('Function: evaluateWindow', () => {
  describe('rule 1: not enough data, or caught up', () => {
    it('says OK with no sample at all, and reports the window empty', () => {
      const r = evaluateWindow(win([NaN, NaN, NaN]), nowAfter(3));
      expect(r).toMatchObject({ status: Status.OK, complete: 0 });
      expect(r.currentLag).toBeNaN();
    });

    it('judges a window exactly at the completeness bound and not one sample below it', () => {
      // 10 slots, 6 present = 0.6: judged (lag never decreases → WARN). 5 present: OK, not judged.
      const six = [100, 110, 120, 130, 140, 150, NaN, NaN, NaN, NaN];
      const five = [100, 110, 120, 130, 140, NaN, NaN, NaN, NaN, NaN];
      expect(judge(six, moving(10), { minCompleteness: 0.6 }, nowAfter(6))).toBe('WARN');
      expect(judge(five, moving(10), { minCompleteness: 0.6 }, nowAfter(5))).toBe('OK');
    });

    it('says OK when the current lag is at the allowed lag, and judges one record above it', () => {
      const lags = [50, 60, 70, 80, 100];
      expect(judge(lags, moving(5), { allowedLag: 100 })).toBe('OK');
      expect(judge([...lags.slice(0, 4), 101], moving(5), { allowedLag: 100 })).toBe('OK'); // 50 ≤ allowed earlier: caught up recently
      expect(judge([101, 102, 103, 104, 105], moving(5), { allowedLag: 100 })).toBe('WARN');
    });
  });

  describe('rule 2: STOP', () => {
    const lags = rising(5);
    // span of the window = 4 min; STOP when the newest sample is more than 4 min old.
    it('stops when now − newest sample exceeds the window span by one millisecond, not at equality', () => {
      const newest = T0 + 4 * MIN;
      expect(judge(lags, moving(5), {}, newest + 4 * MIN)).toBe('WARN');
      expect(judge(lags, moving(5), {}, newest + 4 * MIN + 1)).toBe('STOP');
    });

    it('does not stop a consumer that was caught up within the window', () => {
      expect(judge([0, 10, 20, 30, 40], moving(5), {}, T0 + 60 * MIN)).toBe('OK');
    });

    it('stops even without positions (samples simply stopped coming)', () => {
      expect(judge([100, 120, NaN, NaN, NaN], undefined, { minCompleteness: 0.4 }, T0 + 3 * MIN)).toBe('STOP');
    });
  });

  describe('the window: the newest `intervals` samples', () => {
    it('judges only the newest samples: an old dip outside the window does not make it OK', () => {
      const lags = [500, 0, 100, 200, 300, 400, 500];
      expect(judge(lags, moving(7), { intervals: 7 })).toBe('OK');
      expect(judge(lags, moving(7), { intervals: 5 })).toBe('WARN');
    });

    it("keeps a partition's old window when its samples stop, so it shows STOP", () => {
      // 5-sample windows over 12 slots; samples stopped after slot 5; now is at slot 12.
      const lags = [100, 120, 140, 160, 180, 200, NaN, NaN, NaN, NaN, NaN, NaN];
      const r = evaluateWindow(win(lags, moving(12)), nowAfter(12), { ...RULES, intervals: 5 });
      expect(r).toMatchObject({ status: Status.STOP, complete: 1, currentLag: 200 });
    });

    it('counts completeness against the window size, or the slots when there are fewer', () => {
      expect(evaluateWindow(win([1, NaN, 3, 4]), nowAfter(4), { ...RULES, intervals: 10 }).complete).toBe(0.75);
      expect(evaluateWindow(win([1, NaN, 3, 4, 5, 6]), nowAfter(6), { ...RULES, intervals: 4 }).complete).toBe(1);
    });
  });

  describe('rule 3: REWIND', () => {
    it('rewinds when the newest position is below an earlier one', () => {
      expect(judge(rising(5), [100, 200, 300, 150, 250])).toBe('REWIND');
    });

    it('does not rewind once the position recovered to where it was before the drop', () => {
      expect(judge(rising(5), [100, 200, 300, 150, 300])).toBe('WARN');
      expect(judge(rising(5), [100, 200, 300, 150, 301])).toBe('WARN');
    });

    it('ignores drops within the offset tolerance and rewinds one record beyond it', () => {
      expect(judge(rising(5), [100, 200, 300, 290, 290], { offsetTolerance: 10 })).toBe('WARN');
      expect(judge(rising(5), [100, 200, 300, 289, 289], { offsetTolerance: 10 })).toBe('REWIND');
    });

    it('rewinds even when the lag touched zero (rule 4 alone needs lag at every point)', () => {
      expect(judge([0, 10, 20, 30, 40], [500, 600, 700, 100, 120])).toBe('REWIND');
    });
  });

  describe('rule 4: STALL and WARN need lag above the allowed lag at every sample', () => {
    it('stalls when the position never moves', () => {
      expect(judge(rising(5), [700, 700, 700, 700, 700])).toBe('STALL');
    });

    it('does not stall when the position moved by one, or within the tolerance, but warns', () => {
      expect(judge(rising(5), [700, 700, 700, 700, 701])).toBe('WARN');
      expect(judge(rising(5), [700, 700, 700, 700, 705], { offsetTolerance: 5 })).toBe('STALL');
      expect(judge(rising(5), [700, 700, 700, 700, 706], { offsetTolerance: 5 })).toBe('WARN');
    });

    it('never stalls without positions', () => {
      expect(judge([500, 500, 500, 500, 500])).toBe('WARN');
    });

    it('warns when the lag never decreases (flat counts), and says OK after a single decrease', () => {
      expect(judge([100, 100, 100, 100, 100], moving(5))).toBe('WARN');
      expect(judge([100, 110, 120, 119, 130], moving(5))).toBe('OK');
    });

    it('says OK for a constant position when the lag was zero at one sample', () => {
      expect(judge([40, 30, 0, 10, 20], [700, 700, 700, 700, 700])).toBe('OK');
    });

    it('skips missing samples when comparing neighbours', () => {
      expect(judge([100, NaN, 120, NaN, 140, 150], moving(6), { minCompleteness: 0.5 })).toBe('WARN');
      expect(judge([100, NaN, 90, NaN, 140, 150], moving(6), { minCompleteness: 0.5 })).toBe('OK');
    });
  });

  describe('properties', () => {
    const windowArb = fc.integer({ min: 2, max: 15 }).chain((n) =>
      fc.record({
        lags: fc.array(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constant(NaN)), { minLength: n, maxLength: n }),
        offsets: fc.array(fc.integer({ min: 0, max: 1_000_000_000 }), { minLength: n, maxLength: n }),
        nowExtraMs: fc.integer({ min: 0, max: 60 * MIN }),
        allowedLag: fc.integer({ min: 0, max: 1_000 }),
      }),
    );

    it('never warns, stalls or stops when the lag was within the allowed lag at some sample', () => {
      fc.assert(
        fc.property(windowArb, ({ lags, offsets, nowExtraMs, allowedLag }) => {
          const s = evaluateWindow(win(lags, offsets), nowAfter(lags.length, nowExtraMs), { ...RULES, minCompleteness: 0, allowedLag }).status;
          if (lags.some((l) => l <= allowedLag)) expect([Status.OK, Status.REWIND]).toContain(s);
        }),
      );
    });

    it('does not depend on where positions start (shifting every offset changes nothing)', () => {
      fc.assert(
        fc.property(windowArb, fc.integer({ min: -1_000_000, max: 1_000_000 }), ({ lags, offsets, nowExtraMs }, shift) => {
          const now = nowAfter(lags.length, nowExtraMs);
          const a = evaluateWindow(win(lags, offsets), now, { ...RULES, minCompleteness: 0 });
          const b = evaluateWindow(
            win(
              lags,
              offsets.map((o) => o + shift),
            ),
            now,
            { ...RULES, minCompleteness: 0 },
          );
          expect(b.status).toBe(a.status);
        }),
      );
    });

    it('judges a consumer that advances while its lag shrinks as OK', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 2, maxLength: 15 }), (drops) => {
          let lag = drops.reduce((a, d) => a + d, 1);
          const lags = drops.map((d) => (lag -= d) + 0);
          const offsets = drops.map((_, i) => 1_000 * (i + 1));
          expect(judge(lags, offsets)).toBe('OK');
        }),
      );
    });

    it('gives each matrix row the status of the same window judged alone', () => {
      fc.assert(
        fc.property(fc.array(windowArb, { minLength: 1, maxLength: 8 }), (rows) => {
          const width = 15;
          const pad = (a: number[]) => [...a, ...Array<number>(width - a.length).fill(NaN)];
          const m = {
            timestampsMs: ts(width),
            partitions: rows.map((_, i) => String(i)),
            lags: Float64Array.from(rows.flatMap((r) => pad(r.lags))),
            offsets: Float64Array.from(rows.flatMap((r) => pad(r.offsets))),
          };
          const now = nowAfter(width);
          const rules = { ...DEFAULT_RULES, intervals: 10, minCompleteness: 0.1 };
          const all = evaluateMatrix(m, now, rules);
          rows.forEach((r, i) => {
            const alone = evaluateWindow({ timestampsMs: ts(width), lags: pad(r.lags), offsets: pad(r.offsets) }, now, rules);
            expect(all.statuses[i]).toBe(alone.status);
          });
          expect(all.worst).toBe(Math.max(...all.statuses));
        }),
      );
    });
  });
});

describe('Function: evaluateMatrix', () => {
  it('reports the worst partition, counts, max lag with its partition, total lag and complete rows', () => {
    // Prepare: p0 catching up, p1 falling behind, p2 stalled, p3 no data.
    const w = 5;
    const lags = Float64Array.from([50, 40, 30, 20, 10, 100, 200, 300, 400, 500, 70, 80, 90, 100, 110, NaN, NaN, NaN, NaN, NaN]);
    const offsets = Float64Array.from([...moving(5), ...moving(5), 9, 9, 9, 9, 9, ...Array<number>(5).fill(NaN)]);
    // Act
    const r = evaluateMatrix({ timestampsMs: ts(w), partitions: ['0', '1', '2', '3'], lags, offsets }, nowAfter(w));
    // Assess
    expect([...r.statuses]).toEqual([Status.OK, Status.WARN, Status.STALL, Status.OK]);
    expect(r.worst).toBe(Status.STALL);
    expect(r.counts).toEqual([2, 1, 0, 1, 0]);
    expect(r).toMatchObject({ maxLag: 500, maxLagRow: 1, totalLag: 620, completeRows: 3, rowsWithData: 3 });
    expect(groupStatusOf(r.worst)).toBe('ERR');
  });

  it('maps statuses to Burrow group statuses', () => {
    expect(groupStatusOf(Status.OK)).toBe('OK');
    expect(groupStatusOf(Status.WARN)).toBe('WARN');
    for (const s of [Status.STOP, Status.STALL, Status.REWIND]) expect(groupStatusOf(s)).toBe('ERR');
  });
});

describe('Function: readTrend', () => {
  const trend = (lags: number[], worst = Status.OK as number, complete = true) => readTrend(win(lags), worst as never, complete, RULES);

  it('calls a shrinking lag catching up, with the drain time at the slope since the peak', () => {
    const t = trend([100, 5_000, 8_000, 6_000, 4_000]);
    expect(t.trend).toBe(LagTrend.CatchingUp);
    expect(t).toMatchObject({ peakLag: 8_000, lastLag: 4_000 });
    expect(t.slopePerSecond).toBeCloseTo(-2_000 / 60, 6);
    expect(t.drainSeconds).toBe(120);
  });

  it('calls a lag that dipped and then rose to a new peak falling behind, though Burrow says OK', () => {
    expect(trend([100, 200, 150, 300]).trend).toBe(LagTrend.FallingBehind);
    // Back at the peak is not coming down; one record below it is.
    expect(trend([100, 300, 150, 300]).trend).toBe(LagTrend.FallingBehind);
    expect(trend([100, 300, 150, 299]).trend).toBe(LagTrend.CatchingUp);
  });

  it('gives a growing lag its slope over the whole window and no drain time', () => {
    const t = trend([1_000, 1_600, 1_300, 2_800]);
    expect(t.trend).toBe(LagTrend.FallingBehind);
    expect(t.slopePerSecond).toBeCloseTo(1_800 / 180, 10);
    expect(t.drainSeconds).toBeNull();
  });

  it('follows the worst status for WARN, STALL, STOP and REWIND', () => {
    expect(trend([300, 200], Status.WARN).trend).toBe(LagTrend.FallingBehind);
    expect(trend([300, 200], Status.STALL).trend).toBe(LagTrend.Stalled);
    expect(trend([300, 200], Status.STOP).trend).toBe(LagTrend.Stopped);
    expect(trend([300, 200], Status.REWIND).trend).toBe(LagTrend.Rewound);
  });

  it('is caught up at the allowed lag, and unknown without data or with an incomplete window', () => {
    expect(trend([300, 0]).trend).toBe(LagTrend.CaughtUp);
    expect(trend([NaN, NaN]).trend).toBe(LagTrend.Unknown);
    expect(trend([300, 200], Status.OK, false).trend).toBe(LagTrend.Unknown);
  });
});

describe('Function: noProgressMs', () => {
  it('measures how long the newest positions stayed within the tolerance while lag remained', () => {
    const w = { ...win([100, 200, 300, 400, 500], [10, 20, 30, 30, 30]) };
    expect(noProgressMs(w, RULES)).toBe(2 * MIN);
    expect(noProgressMs({ ...w, offsets: [10, 20, 30, 31, 30] }, { ...RULES, offsetTolerance: 1 })).toBe(2 * MIN);
    expect(noProgressMs({ ...w, offsets: [10, 20, 30, 32, 30] }, { ...RULES, offsetTolerance: 1 })).toBe(0);
  });

  it('stops at a sample within the allowed lag, skips gaps, and is null without positions', () => {
    expect(noProgressMs(win([100, 0, 300, 400], [30, 30, 30, 30]), RULES)).toBe(MIN);
    expect(noProgressMs(win([100, NaN, 300, 400], [30, 30, NaN, 30]), RULES)).toBe(3 * MIN);
    expect(noProgressMs(win([100, 200]), RULES)).toBeNull();
    expect(noProgressMs(win([NaN, NaN], [NaN, NaN]), RULES)).toBeNull();
    expect(noProgressMs(win([100, 200], [1, 2]), RULES)).toBe(0);
  });
});
