import { describe, expect, it } from 'vitest';
import {
  counterIncrease,
  failureLines,
  latest,
  maxValue,
  parseFlinkLogLine,
  slopePerMinute,
  toPoints,
  trailingMinutesAbove,
} from '../../lambdas/analysis/flink-metrics';

const MIN = 60_000;
const pts = (...values: number[]) => values.map((value, i) => ({ atMs: i * MIN, value }));

describe('Module: flink-metrics', () => {
  it('orders a series oldest first and drops NaN', () => {
    expect(toPoints({ timestampsMs: [2 * MIN, 0, MIN], values: [3, 1, Number.NaN] })).toEqual([
      { atMs: 0, value: 1 },
      { atMs: 2 * MIN, value: 3 },
    ]);
    expect(toPoints(undefined)).toEqual([]);
    expect(latest(pts(1, 2, 3))).toEqual({ atMs: 2 * MIN, value: 3 });
  });

  it("sums a counter's rises, counting a new job from 0 after a drop", () => {
    expect(counterIncrease(pts(4, 4, 5, 7))).toBe(3);
    // The job was restarted by an update: the counter starts again at 0, then 2.
    expect(counterIncrease(pts(9, 10, 0, 2))).toBe(3);
    expect(counterIncrease(pts(5))).toBe(0);
    expect(counterIncrease([])).toBe(0);
  });

  it('counts the trailing minutes above a threshold, none when the newest is not', () => {
    expect(trailingMinutesAbove(pts(0, 5, 6, 7), 0)).toBe(3);
    expect(trailingMinutesAbove(pts(5, 6, 0), 0)).toBe(0);
    expect(trailingMinutesAbove(pts(1), 0)).toBe(1);
  });

  it('fits a slope per minute from three points on', () => {
    expect(slopePerMinute(pts(10, 20))).toBeNull();
    expect(slopePerMinute(pts(10, 20, 30))).toBeCloseTo(10);
    expect(slopePerMinute(pts(5, 5, 5))).toBe(0);
    expect(maxValue(pts(3, 9, 1))).toBe(9);
    expect(maxValue([])).toBeNull();
  });

  it("reads MSF's JSON log lines (message and throwableInformation), and keeps other lines raw", () => {
    const json = JSON.stringify({
      messageType: 'ERROR',
      message: 'Job x switched to RESTARTING.',
      throwableInformation: 'java.lang.IllegalStateException: boom',
      applicationARN: 'arn',
    });
    expect(parseFlinkLogLine(5, json)).toEqual({ atMs: 5, level: 'ERROR', text: 'Job x switched to RESTARTING.\njava.lang.IllegalStateException: boom' });
    expect(parseFlinkLogLine(6, 'plain text ERROR')).toEqual({ atMs: 6, text: 'plain text ERROR' });
    expect(parseFlinkLogLine(7, '{"other":1}')).toEqual({ atMs: 7, text: '{"other":1}' });
  });

  it('keeps the first error of a window as the cause and the newest as the echo, with the exceptions seen', () => {
    const lines = [
      { atMs: 30, level: 'ERROR', text: 'org.apache.flink.runtime.JobException: Recovery is suppressed' },
      { atMs: 10, level: 'ERROR', text: 'java.lang.NullPointerException: referrer' },
      { atMs: 20, level: 'WARN', text: 'java.net.SocketTimeoutException: slow' },
    ];
    const f = failureLines(lines);
    expect(f.first?.atMs).toBe(10);
    expect(f.last?.atMs).toBe(30);
    expect(f.errors).toBe(2);
    expect(f.exceptions).toEqual(['java.lang.NullPointerException', 'org.apache.flink.runtime.JobException']);
    expect(failureLines([])).toEqual({ errors: 0, exceptions: [] });
  });
});
