import { describe, expect, it } from 'vitest';
import type { Series } from '../../lambdas/analysis/firehose';
import { assessRecordLoss, freshnessPoints } from '../../lambdas/analysis/firehose-loss';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const DAY = 86_400;
const series = (values: number[], periodSeconds = 60, endMs = NOW): Series => ({
  timestampsMs: values.map((_, i) => endMs - (values.length - 1 - i) * periodSeconds * 1000),
  values,
});

describe('Function: assessRecordLoss', () => {
  const incoming = series(
    Array.from({ length: 600 }, () => 1_000),
    300,
  );
  const assess = (f: Series, periodSeconds = 300) =>
    assessRecordLoss(freshnessPoints(f, periodSeconds, { timestampsMs: [], values: [] }, 60), incoming, 300, DAY);

  it('finds no loss while freshness stays more than a minute under retention', () => {
    expect(assess(series([10, DAY - 61, 30], 300))).toEqual({ maxFreshnessSeconds: DAY - 61, verdict: 'none', lostRecordsEstimate: 0 });
    expect(assess(series([], 300))).toEqual({ maxFreshnessSeconds: null, verdict: 'none', lostRecordsEstimate: 0 });
  });

  it('counts a freshness within a minute of retention: the metric stops there once Firehose drops records', () => {
    expect(assess(series([DAY - 60], 300)).verdict).toBe('possible');
  });

  it("counts the arrivals from the stall's start to the end of the last period at retention", () => {
    // One point: freshness 24 h + 10 min → arrivals from 24h10m ago until one period past the 24 h mark.
    const r = assess(series([DAY + 600], 300));
    expect(r.verdict).toBe('possible');
    expect(r.lossWindow).toEqual({ startMs: NOW - (DAY + 600) * 1000, endMs: NOW + 300_000 - DAY * 1000 });
    expect(r.lostRecordsEstimate).toBe(3_000);
  });

  it('joins a plateau at retention into one window and counts each period once', () => {
    const r = assess(series([DAY - 30, DAY - 30, DAY - 30], 300));
    expect(r.lossWindow).toEqual({ startMs: NOW - 600_000 - DAY * 1000, endMs: NOW + 300_000 - DAY * 1000 });
    expect(r.lostRecordsEstimate).toBe(3_000);
  });

  it('ends a run at a gap in the series and at a recovery', () => {
    const f: Series = { timestampsMs: [NOW - 3_600_000, NOW - 1_800_000, NOW - 1_500_000, NOW], values: [DAY, DAY, DAY, 30] };
    const r = assess(f);
    // Two runs: [t₁ − R, t₁ + P − R] and [t₂ − R, t₃ + P − R]: 300 s + 600 s of arrivals.
    expect(r.lostRecordsEstimate).toBe(3_000);
  });

  it('counts the share of an incoming period a window overlaps', () => {
    expect(assess(series([DAY], 60), 60).lostRecordsEstimate).toBe(200);
  });

  it('dates the window by the 1-minute points where they exist, the 5-minute history before them', () => {
    // A stall that reached retention at NOW − 3 min: the history's last period says "somewhere
    // in these 5 minutes", the recent minutes say exactly when.
    const history = series([DAY - 600, DAY - 300, DAY - 60], 300, NOW - 300_000);
    const recent = series([DAY - 120, DAY - 60, DAY - 60, DAY - 60], 60);
    const points = freshnessPoints(history, 300, recent, 60);
    expect(points.map((p) => p.periodSeconds)).toEqual([300, 300, 60, 60, 60, 60]);
    const r = assessRecordLoss(points, incoming, 300, DAY);
    expect(r.lossWindow).toEqual({ startMs: NOW - 120_000 - DAY * 1000, endMs: NOW + 60_000 - DAY * 1000 });
    expect(r.lostRecordsEstimate).toBe(600);
  });
});
