import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HINT_LIMITS,
  bufferShape,
  dataLossClock,
  formatDuration,
  hintViolations,
  loweredInterval,
  maxSeverity,
  raisedHints,
  trendOf,
  type HintBounds,
  type Series,
} from '../../lambdas/analysis/firehose';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const MIB = 1024 * 1024;
const DAY = 86_400;
const clockOpts = { retentionSeconds: DAY, criticalBelowSeconds: 4 * 3_600, errorBelowSeconds: 12 * 3_600 };
const bounds: HintBounds = { minSizeInMBs: 1, maxSizeInMBs: 128, minIntervalInSeconds: 60, maxIntervalInSeconds: 900 };
const series = (values: number[], periodSeconds = 60, endMs = NOW): Series => ({
  timestampsMs: values.map((_, i) => endMs - (values.length - 1 - i) * periodSeconds * 1000),
  values,
});

describe('Function: dataLossClock', () => {
  it('counts the time left from retention minus freshness and dates the loss', () => {
    const c = dataLossClock(3_600, NOW, clockOpts);
    expect(c).toEqual({ timeLeftSeconds: 82_800, lossAtMs: NOW + 82_800_000, losingNow: false, severity: 'warning' });
  });

  it.each([
    [DAY - 12 * 3_600 - 1, 'warning'],
    [DAY - 12 * 3_600, 'error'],
    [DAY - 4 * 3_600 - 1, 'error'],
    [DAY - 4 * 3_600, 'critical'],
  ])('at freshness %i s the clock alone says %s', (freshness, severity) => {
    expect(dataLossClock(freshness, NOW, clockOpts).severity).toBe(severity);
  });

  it('reports losing now from a minute under retention (the metric stops there), never a negative time', () => {
    expect(dataLossClock(DAY - 61, NOW, clockOpts)).toMatchObject({ losingNow: false, timeLeftSeconds: 61 });
    expect(dataLossClock(DAY - 60, NOW, clockOpts)).toMatchObject({ losingNow: true, timeLeftSeconds: 0, lossAtMs: NOW });
    expect(dataLossClock(DAY + 500, NOW, clockOpts).timeLeftSeconds).toBe(0);
  });

  it('never lowers severity as freshness grows', () => {
    const rank = { info: 0, warning: 1, error: 2, critical: 3 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * DAY }), fc.integer({ min: 0, max: 2 * DAY }), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(rank[dataLossClock(hi, NOW, clockOpts).severity]).toBeGreaterThanOrEqual(rank[dataLossClock(lo, NOW, clockOpts).severity]);
      }),
    );
  });
});

describe('Function: maxSeverity / formatDuration', () => {
  it('takes the worst severity', () => {
    expect(maxSeverity('warning', 'critical', 'error')).toBe('critical');
    expect(maxSeverity('error', 'warning')).toBe('error');
  });

  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [250, '4m 10s'],
    [3_600, '1h'],
    [77_700, '21h 35m'],
    [DAY, '24h'],
    [DAY + 7_200, '26h'],
    [2 * DAY, '2d'],
    [2 * DAY + 10_800, '2d 3h'],
  ])('%i s reads %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('Function: trendOf', () => {
  it('sees a stall (one second per second) as rising and a drain as falling', () => {
    expect(trendOf(series([100, 160, 220, 280]))).toBe('rising');
    expect(trendOf(series([900, 700, 500, 300]))).toBe('falling');
  });

  it('calls a change below 3 s per minute flat, and fewer than three points unknown', () => {
    expect(trendOf(series([300, 302, 304, 306]))).toBe('flat');
    expect(trendOf(series([300, 304, 308, 312]))).toBe('rising');
    expect(trendOf(series([100, 200]))).toBe('unknown');
  });
});

describe('Function: hintViolations', () => {
  it('accepts the edges of both ranges', () => {
    expect(hintViolations({ sizeInMBs: 1, intervalInSeconds: 60 }, bounds)).toEqual([]);
    expect(hintViolations({ sizeInMBs: 128, intervalInSeconds: 900 }, bounds)).toEqual([]);
  });

  it.each([
    [{ sizeInMBs: 0, intervalInSeconds: 300 }, "sizeInMBs 0 is outside Firehose's limits [1, 128]"],
    [{ sizeInMBs: 129, intervalInSeconds: 300 }, "sizeInMBs 129 is outside Firehose's limits [1, 128]"],
    [{ sizeInMBs: 5, intervalInSeconds: 901 }, "intervalInSeconds 901 is outside Firehose's limits [0, 900]"],
    [{ sizeInMBs: 5, intervalInSeconds: 59 }, 'intervalInSeconds 59 is outside the configured bounds [60, 900]'],
    [{ sizeInMBs: 2.5, intervalInSeconds: 300 }, 'sizeInMBs 2.5 is not a whole number'],
  ])('rejects %o: %s', (h, message) => {
    expect(hintViolations(h, bounds)).toEqual([message]);
  });

  it('checks the configured bounds inside Firehose limits', () => {
    expect(hintViolations({ sizeInMBs: 64, intervalInSeconds: 300 }, { ...bounds, maxSizeInMBs: 32 })).toEqual([
      'sizeInMBs 64 is outside the configured bounds [1, 32]',
    ]);
  });
});

describe('Function: bufferShape', () => {
  it('is size-bound when the buffer fills before the interval', () => {
    const s = bufferShape({ sizeInMBs: 5, intervalInSeconds: 300 }, MIB / 10);
    expect(s.sizeBound).toBe(true);
    expect(s.fillSeconds).toBeCloseTo(50);
    expect(s.objectsPerSecond).toBeCloseTo(1 / 50);
  });

  it('is interval-bound when the buffer fills exactly at the interval or never', () => {
    expect(bufferShape({ sizeInMBs: 5, intervalInSeconds: 300 }, (5 * MIB) / 300).sizeBound).toBe(false);
    expect(bufferShape({ sizeInMBs: 5, intervalInSeconds: 300 }, 0)).toMatchObject({ sizeBound: false, objectsPerSecond: 0, fillSeconds: Infinity });
  });
});

describe('Function: raisedHints', () => {
  it('at least doubles the size and reaches 1.25 × one interval of data', () => {
    expect(raisedHints({ sizeInMBs: 5, intervalInSeconds: 300 }, MIB / 100, bounds)).toEqual({ sizeInMBs: 10, intervalInSeconds: 300 });
    expect(raisedHints({ sizeInMBs: 5, intervalInSeconds: 300 }, MIB / 10, bounds)).toEqual({ sizeInMBs: 38, intervalInSeconds: 300 });
  });

  it('stops at the bound and gives up when the size cannot grow', () => {
    expect(raisedHints({ sizeInMBs: 100, intervalInSeconds: 300 }, MIB, bounds)).toEqual({ sizeInMBs: 128, intervalInSeconds: 300 });
    expect(raisedHints({ sizeInMBs: 128, intervalInSeconds: 300 }, MIB, bounds)).toBeUndefined();
  });

  it('moves an interval outside the bounds into them', () => {
    expect(raisedHints({ sizeInMBs: 5, intervalInSeconds: 0 }, MIB / 10, bounds)).toEqual({ sizeInMBs: 10, intervalInSeconds: 60 });
  });

  it('always returns hints within the bounds and Firehose limits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: HINT_LIMITS.sizeInMBs.min, max: HINT_LIMITS.sizeInMBs.max }),
        fc.integer({ min: 0, max: 900 }),
        fc.double({ min: 0, max: 100 * MIB, noNaN: true }),
        (size, interval, rate) => {
          const h = raisedHints({ sizeInMBs: size, intervalInSeconds: interval }, rate, bounds);
          if (h) expect(hintViolations(h, bounds)).toEqual([]);
          if (h) expect(h.sizeInMBs).toBeGreaterThan(size);
        },
      ),
    );
  });
});

describe('Function: loweredInterval', () => {
  it('lowers to 80 % of the target and keeps the size', () => {
    expect(loweredInterval({ sizeInMBs: 5, intervalInSeconds: 900 }, 300, bounds)).toEqual({ sizeInMBs: 5, intervalInSeconds: 240 });
  });

  it('stops at the lower bound and gives up when it would not shorten', () => {
    expect(loweredInterval({ sizeInMBs: 5, intervalInSeconds: 900 }, 60, bounds)).toEqual({ sizeInMBs: 5, intervalInSeconds: 60 });
    expect(loweredInterval({ sizeInMBs: 5, intervalInSeconds: 240 }, 300, bounds)).toBeUndefined();
    expect(loweredInterval({ sizeInMBs: 5, intervalInSeconds: 241 }, 300, bounds)).toEqual({ sizeInMBs: 5, intervalInSeconds: 240 });
  });
});
