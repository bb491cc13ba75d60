import type { Severity } from '../core/decision';

/**
 * Pure Firehose → S3 domain logic: the data-loss clock and buffering hints within bounds. No
 * I/O; times are injected. "Did we lose any records?" lives in firehose-loss.ts, error-log
 * parsing in firehose-errors.ts.
 *
 * Firehose retries a failed S3 delivery until the retention period (24 h for Direct PUT) runs
 * out, then drops the records. `DeliveryToS3.DataFreshness` is the age of the oldest record not
 * yet delivered, so `retention − freshness` is the time left before the first record is lost.
 */

const MIB = 1024 * 1024;

/** Firehose's own limits on S3 buffering hints (both are always set together). */
export const HINT_LIMITS = {
  sizeInMBs: { min: 1, max: 128 },
  intervalInSeconds: { min: 0, max: 900 },
} as const;

export interface Hints {
  sizeInMBs: number;
  intervalInSeconds: number;
}

export interface HintBounds {
  minSizeInMBs: number;
  maxSizeInMBs: number;
  minIntervalInSeconds: number;
  maxIntervalInSeconds: number;
}

/** A time series, oldest point first (the CloudWatch adapter's shape). */
export interface Series {
  timestampsMs: number[];
  values: number[];
}

// ---------------------------------------------------------------- the data-loss clock

export interface LossClockOptions {
  retentionSeconds: number;
  /** Time left at or below which the clock alone makes an escalation critical. */
  criticalBelowSeconds: number;
  /** Time left at or below which the clock alone makes an escalation at least an error. */
  errorBelowSeconds: number;
}

export interface LossClock {
  /** Seconds before the oldest undelivered record reaches retention; 0 once records are being dropped. */
  timeLeftSeconds: number;
  /** When that happens if delivery stays stalled (freshness grows one second per second). */
  lossAtMs: number;
  /** Freshness has reached retention (within a minute): records are being dropped now. */
  losingNow: boolean;
  severity: Severity;
}

/**
 * How close to retention counts as "at retention": Firehose drops what is older, so the
 * freshness metric (one value a minute) stops just under retention instead of passing it.
 */
export const RETENTION_TOLERANCE_SECONDS = 60;

export function dataLossClock(freshnessSeconds: number, nowMs: number, o: LossClockOptions): LossClock {
  const losingNow = freshnessSeconds >= o.retentionSeconds - RETENTION_TOLERANCE_SECONDS;
  const timeLeftSeconds = losingNow ? 0 : Math.round(o.retentionSeconds - freshnessSeconds);
  return {
    timeLeftSeconds,
    lossAtMs: nowMs + timeLeftSeconds * 1000,
    losingNow,
    severity: timeLeftSeconds <= o.criticalBelowSeconds ? 'critical' : timeLeftSeconds <= o.errorBelowSeconds ? 'error' : 'warning',
  };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

export const maxSeverity = (...s: Severity[]): Severity => s.reduce((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a), 'info');

/** `2d 3h`, `24h`, `21h 35m`, `4m 10s`, `0s`: how a person reads the time left (days from 48 h). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = s >= 2 * 86_400 ? Math.floor(s / 86_400) : 0;
  const h = Math.floor((s - d * 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m ${sec}s` : `${m}m`;
  return `${sec}s`;
}

// ---------------------------------------------------------------- series helpers

export const latest = (s: Series): number | undefined => s.values[s.values.length - 1];
export const sumOf = (s: Series): number => s.values.reduce((a, b) => a + b, 0);

/** Mean per second of a Sum series over the points it has (undefined without data). */
export function ratePerSecond(s: Series, periodSeconds: number): number | undefined {
  if (s.values.length === 0) return undefined;
  return sumOf(s) / (s.values.length * periodSeconds);
}

export type Trend = 'rising' | 'falling' | 'flat' | 'unknown';

/** The last `n` points of a series. */
export const tail = (s: Series, n: number): Series => ({ timestampsMs: s.timestampsMs.slice(-n), values: s.values.slice(-n) });

/**
 * Least-squares slope of the series (units per second). A stalled stream's freshness grows one
 * second per second; `minSlope` (default 0.05: three seconds a minute) tells a real rise or fall
 * from noise. Fewer than three points say nothing.
 */
export function trendOf(s: Series, minSlope = 0.05): Trend {
  const n = s.values.length;
  if (n < 3) return 'unknown';
  const t0 = s.timestampsMs[0]!;
  const xs = s.timestampsMs.map((t) => (t - t0) / 1000);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = s.values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (s.values[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  if (den === 0) return 'unknown';
  const slope = num / den;
  return slope > minSlope ? 'rising' : slope < -minSlope ? 'falling' : 'flat';
}

// ---------------------------------------------------------------- buffering hints

/** Every way `h` breaks Firehose's limits or the configured bounds, one sentence each. */
export function hintViolations(h: Hints, b: HintBounds): string[] {
  const v: string[] = [];
  const check = (name: keyof Hints, value: number, lo: number, hi: number, what: string) => {
    if (!Number.isInteger(value)) v.push(`${name} ${value} is not a whole number`);
    else if (value < lo || value > hi) v.push(`${name} ${value} is outside ${what} [${lo}, ${hi}]`);
  };
  check('sizeInMBs', h.sizeInMBs, HINT_LIMITS.sizeInMBs.min, HINT_LIMITS.sizeInMBs.max, "Firehose's limits");
  check('intervalInSeconds', h.intervalInSeconds, HINT_LIMITS.intervalInSeconds.min, HINT_LIMITS.intervalInSeconds.max, "Firehose's limits");
  if (v.length > 0) return v;
  check('sizeInMBs', h.sizeInMBs, b.minSizeInMBs, b.maxSizeInMBs, 'the configured bounds');
  check('intervalInSeconds', h.intervalInSeconds, b.minIntervalInSeconds, b.maxIntervalInSeconds, 'the configured bounds');
  return v;
}

export interface BufferShape {
  /** Seconds for the incoming bytes to fill SizeInMBs (Infinity without traffic). */
  fillSeconds: number;
  /** A buffer is delivered when it is full or when the interval ends, whichever comes first. */
  flushSeconds: number;
  /** The size fills before the interval ends: the volume decides how many objects S3 receives. */
  sizeBound: boolean;
  /** S3 objects (PUT requests, before multipart) per second this buffering produces. */
  objectsPerSecond: number;
}

export function bufferShape(h: Hints, incomingBytesPerSecond: number): BufferShape {
  const fillSeconds = incomingBytesPerSecond > 0 ? (h.sizeInMBs * MIB) / incomingBytesPerSecond : Infinity;
  // An interval of 0 still delivers about once a second (zero buffering is not zero latency).
  const interval = Math.max(1, h.intervalInSeconds);
  const flushSeconds = Math.min(fillSeconds, interval);
  return {
    fillSeconds,
    flushSeconds,
    sizeBound: fillSeconds < interval,
    objectsPerSecond: incomingBytesPerSecond > 0 ? 1 / flushSeconds : 0,
  };
}

/** Room the raised size leaves over one interval's worth of data, so the interval decides again. */
const SIZE_HEADROOM = 1.25;

/**
 * Bigger buffers for a volume that fills them too fast: SizeInMBs at least doubles and reaches
 * 1.25 × the bytes of one interval, capped by the bounds; IntervalInSeconds is kept (moved into
 * the bounds if outside them). Undefined when the size bound leaves nothing to raise.
 */
export function raisedHints(current: Hints, incomingBytesPerSecond: number, b: HintBounds): Hints | undefined {
  const interval = clamp(current.intervalInSeconds, b.minIntervalInSeconds, b.maxIntervalInSeconds);
  const wantedMB = Math.ceil((incomingBytesPerSecond * Math.max(1, interval) * SIZE_HEADROOM) / MIB);
  const size = clamp(Math.max(current.sizeInMBs * 2, wantedMB), b.minSizeInMBs, b.maxSizeInMBs);
  if (size <= current.sizeInMBs) return undefined;
  return { sizeInMBs: size, intervalInSeconds: interval };
}

/** Share of the freshness target the buffer interval may use; the rest is for delivery itself. */
export const INTERVAL_SHARE_OF_TARGET = 0.8;

/**
 * A shorter interval for a low volume whose buffer waits too long: 80 % of the freshness target,
 * within the bounds. Undefined when that would not shorten the interval.
 */
export function loweredInterval(current: Hints, freshnessTargetSeconds: number, b: HintBounds): Hints | undefined {
  const interval = clamp(Math.floor(freshnessTargetSeconds * INTERVAL_SHARE_OF_TARGET), b.minIntervalInSeconds, b.maxIntervalInSeconds);
  if (interval >= current.intervalInSeconds) return undefined;
  return { sizeInMBs: clamp(current.sizeInMBs, b.minSizeInMBs, b.maxSizeInMBs), intervalInSeconds: interval };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
