import { DEFAULT_RULES, Status, type LagRules, type LagWindow, type StatusCode } from './lag';

/**
 * What a judged lag window means for someone deciding what to do: the trend of the group's
 * aggregate lag, how fast it moves, and how long the consumer has not moved at all.
 */

/** What the trend means for someone deciding what to do. */
export const LagTrend = {
  CaughtUp: 'caught-up',
  CatchingUp: 'catching-up',
  FallingBehind: 'falling-behind',
  Stalled: 'stalled',
  Stopped: 'stopped',
  Rewound: 'rewound',
  /** Not enough data in the window to judge. */
  Unknown: 'unknown',
} as const;
export type LagTrendName = (typeof LagTrend)[keyof typeof LagTrend];

export interface TrendReading {
  trend: LagTrendName;
  /** Highest lag in the window and when it was seen. */
  peakLag: number;
  peakAtMs: number;
  firstLag: number;
  lastLag: number;
  /** Change of lag per second: since the peak while draining (negative), else over the window; NaN with fewer than 2 samples. */
  slopePerSecond: number;
  /** At the slope since the peak, seconds until the lag is gone; null unless draining. */
  drainSeconds: number | null;
}

/**
 * The trend of one aggregate series (the topic, or the sum over partitions) over its window
 * (the newest `intervals` samples), given the group's worst status. An OK window with lag is
 * "catching up" only while the lag is below the window's peak, i.e. it is coming down now; a
 * window that dipped once and then rose above every earlier sample is still falling behind,
 * even though Burrow calls it OK.
 */
export function readTrend(w: LagWindow, worst: StatusCode, complete: boolean, rules: LagRules = DEFAULT_RULES): TrendReading {
  let firstLag = NaN;
  let firstTs = NaN;
  let lastLag = NaN;
  let lastTs = NaN;
  let peakLag = -Infinity;
  let peakAtMs = NaN;
  const n = w.timestampsMs.length;
  let from = n;
  for (let i = n - 1, found = 0; i >= 0 && found < rules.intervals; i--) {
    if (w.lags[i] === w.lags[i]) {
      found++;
      from = i;
    }
  }
  for (let i = from; i < n; i++) {
    const lag = w.lags[i]!;
    if (lag !== lag) continue;
    if (firstLag !== firstLag) {
      firstLag = lag;
      firstTs = w.timestampsMs[i]!;
    }
    lastLag = lag;
    lastTs = w.timestampsMs[i]!;
    if (lag >= peakLag) {
      peakLag = lag;
      peakAtMs = lastTs;
    }
  }
  const base = { peakLag: peakLag === -Infinity ? NaN : peakLag, peakAtMs, firstLag, lastLag };
  // Draining: the slope since the peak (what the drain time is about); else over the window.
  const draining = lastLag < peakLag;
  const spanS = (lastTs - (draining ? peakAtMs : firstTs)) / 1000;
  const slopePerSecond = spanS > 0 ? (lastLag - (draining ? peakLag : firstLag)) / spanS : NaN;
  const drainSeconds = slopePerSecond < 0 && lastLag > rules.allowedLag ? Math.round(lastLag / -slopePerSecond) : null;
  const at = (trend: LagTrendName): TrendReading => ({ trend, ...base, slopePerSecond, drainSeconds });
  if (worst === Status.REWIND) return at(LagTrend.Rewound);
  if (worst === Status.STALL) return at(LagTrend.Stalled);
  if (worst === Status.STOP) return at(LagTrend.Stopped);
  if (lastLag !== lastLag) return at(LagTrend.Unknown);
  if (lastLag <= rules.allowedLag) return at(LagTrend.CaughtUp);
  if (!complete) return at(LagTrend.Unknown);
  if (worst === Status.WARN) return at(LagTrend.FallingBehind);
  return at(lastLag < peakLag ? LagTrend.CatchingUp : LagTrend.FallingBehind);
}

/**
 * Minutes (sample time) over which the newest samples show no progress: positions within
 * `tolerance` of the newest one while the lag stays above the allowed lag. Burrow's STALL needs
 * the whole window; this sees a consumer that stopped moving a few minutes ago. Null without
 * positions.
 */
export function noProgressMs(w: LagWindow, rules: LagRules = DEFAULT_RULES): number | null {
  if (!w.offsets) return null;
  let lastOff = NaN;
  let lastTs = NaN;
  let firstStillTs = NaN;
  for (let i = w.timestampsMs.length - 1; i >= 0; i--) {
    const lag = w.lags[i]!;
    const off = w.offsets[i]!;
    if (lag !== lag || off !== off) continue;
    if (lastOff !== lastOff) {
      lastOff = off;
      lastTs = w.timestampsMs[i]!;
    }
    if (lag <= rules.allowedLag || Math.abs(off - lastOff) > rules.offsetTolerance) break;
    firstStillTs = w.timestampsMs[i]!;
  }
  if (lastOff !== lastOff) return null;
  return firstStillTs === firstStillTs ? lastTs - firstStillTs : 0;
}
