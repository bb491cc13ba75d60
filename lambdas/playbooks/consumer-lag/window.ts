import type { MetricSeries } from '../../adapters/cloudwatch';
import {
  evaluateMatrix,
  evaluateWindow,
  groupStatusOf,
  STATUS_NAMES,
  Status,
  type GroupStatusName,
  type LagRules,
  type StatusCode,
  type StatusName,
} from '../../analysis/lag';
import { noProgressMs, readTrend, type LagTrendName } from '../../analysis/lag-trend';
import { findSkew, skewFromTopic, type SkewReading, type SkewRules } from '../../analysis/skew';

/**
 * From CloudWatch series to a judged lag window (pure). Every series is laid on one grid of
 * one-minute slots `[startMs, startMs + width·60 s)`, so partitions line up column by column.
 */

export const PERIOD_MS = 60_000;

export interface Grid {
  startMs: number;
  width: number;
}

/** The last `minutes` complete minutes before `nowMs`. */
export const gridEndingAt = (nowMs: number, minutes: number): Grid => {
  const endMs = Math.floor(nowMs / PERIOD_MS) * PERIOD_MS;
  return { startMs: endMs - minutes * PERIOD_MS, width: minutes };
};

export const gridTimestamps = (g: Grid): Float64Array => Float64Array.from({ length: g.width }, (_, i) => g.startMs + i * PERIOD_MS);

/** A series on the grid (NaN where the series has no point), written into `into` at `at`. */
export function placeOnGrid(s: MetricSeries | undefined, g: Grid, into = new Float64Array(g.width).fill(NaN), at = 0): Float64Array {
  if (!s) return into;
  for (let k = 0; k < s.timestampsMs.length; k++) {
    const slot = Math.round((s.timestampsMs[k]! - g.startMs) / PERIOD_MS);
    if (slot >= 0 && slot < g.width) into[at + slot] = s.values[k]!;
  }
  return into;
}

/**
 * Consumer positions for the aggregate window, best source first:
 * - `processed-metric`: the job's own count of records processed per minute, accumulated;
 * - `incoming-minus-lag`: consumed = produced − Δlag per minute, accumulated (conservation);
 * - `iterator-age`: sample time − iterator age, the time position of the last record read.
 */
export type OffsetsFrom = 'processed-metric' | 'incoming-minus-lag' | 'iterator-age' | 'none';

const hasData = (a: Float64Array) => a.some((v) => v === v);

export function positions(
  lags: Float64Array,
  ts: Float64Array,
  perMinute: { processed?: Float64Array; incoming?: Float64Array; iteratorAge?: boolean },
): { offsets?: Float64Array; from: OffsetsFrom; tolerance: number } {
  const n = lags.length;
  const out = new Float64Array(n).fill(NaN);
  if (perMinute.iteratorAge) {
    for (let i = 0; i < n; i++) if (lags[i] === lags[i]) out[i] = ts[i]! - lags[i]!;
    // Ages are sampled within the minute: a position that moved by less than 5 s did not move.
    return { offsets: out, from: 'iterator-age', tolerance: 5_000 };
  }
  if (perMinute.processed && hasData(perMinute.processed)) {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const c = perMinute.processed[i]!;
      if (c === c) {
        pos += Math.max(0, c);
        out[i] = pos;
      }
    }
    return { offsets: out, from: 'processed-metric', tolerance: 0 };
  }
  if (perMinute.incoming && hasData(perMinute.incoming)) {
    let pos = 0;
    let produced = 0;
    let prevLag = NaN;
    for (let i = 0; i < n; i++) {
      const lag = lags[i]!;
      const inc = perMinute.incoming[i]!;
      if (lag === lag && inc === inc) {
        produced += inc;
        if (prevLag === prevLag) pos += inc - (lag - prevLag);
        out[i] = pos;
      }
      if (lag === lag) prevLag = lag;
    }
    // Lag and incoming rate are sampled at different instants: allow 1% of the traffic as noise.
    return { offsets: out, from: 'incoming-minus-lag', tolerance: Math.max(1, produced * 0.01) };
  }
  return { from: 'none', tolerance: 0 };
}

export interface LagReading {
  level: 'partition' | 'topic' | 'none';
  /** Unit of every lag figure below: records (MSK) or milliseconds (Kinesis iterator age). */
  unit: 'records' | 'milliseconds';
  /** Start of the slots read; each partition's window is its newest `windowMinutes` samples in them. */
  lookbackStartMs: number;
  windowMinutes: number;
  status: StatusName;
  groupStatus: GroupStatusName;
  trend: LagTrendName;
  statusCounts: Record<StatusName, number>;
  /** Partitions with data (per-partition level only). */
  partitions: number | null;
  partitionsTruncated: boolean;
  /** Complete partitions / partitions (or the aggregate window's completeness). */
  complete: number;
  maxLag: number | null;
  maxLagPartition: string | null;
  totalLag: number | null;
  firstLag: number | null;
  peakLag: number | null;
  lastLag: number | null;
  slopePerSecond: number | null;
  drainSeconds: number | null;
  newestSampleMs: number | null;
  offsetsFrom: OffsetsFrom;
  /** Minutes the consumer's position has not moved while lag remained (null: no positions). */
  noProgressMinutes: number | null;
  skew: SkewReading;
}

export interface WindowInput {
  grid: Grid;
  nowMs: number;
  unit: LagReading['unit'];
  /** The aggregate lag series (SumOffsetLag, or the iterator age). */
  aggregate?: MetricSeries;
  /** MaxOffsetLag, for topic-level skew. */
  maxLag?: MetricSeries;
  partitions?: { ids: string[]; series: (MetricSeries | undefined)[]; truncated: boolean };
  /** Per-minute counts (records per slot) for positions. */
  processedPerMinute?: Float64Array;
  incomingPerMinute?: Float64Array;
  rules: LagRules;
  skew: SkewRules;
}

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

const countsOf = (c: readonly number[]): Record<StatusName, number> =>
  Object.fromEntries(STATUS_NAMES.map((n, i) => [n, c[i] ?? 0])) as Record<StatusName, number>;

/** Judges the group: Burrow per partition (when there are per-partition series) and on the aggregate. */
export function readLagWindow(w: WindowInput): LagReading {
  const ts = gridTimestamps(w.grid);
  const parts = w.partitions && w.partitions.ids.length > 0 ? w.partitions : undefined;
  let aggregate = placeOnGrid(w.aggregate, w.grid);
  let matrix: ReturnType<typeof evaluateMatrix> | undefined;
  if (parts) {
    const lags = new Float64Array(parts.ids.length * w.grid.width).fill(NaN);
    parts.series.forEach((s, r) => placeOnGrid(s, w.grid, lags, r * w.grid.width));
    matrix = evaluateMatrix({ timestampsMs: ts, partitions: parts.ids, lags }, w.nowMs, w.rules);
    if (!hasData(aggregate)) aggregate = sumColumns(lags, parts.ids.length, w.grid.width);
  }
  const pos = positions(aggregate, ts, {
    ...(w.processedPerMinute ? { processed: w.processedPerMinute } : {}),
    ...(w.incomingPerMinute ? { incoming: w.incomingPerMinute } : {}),
    iteratorAge: w.unit === 'milliseconds',
  });
  const aggRules = { ...w.rules, offsetTolerance: Math.max(w.rules.offsetTolerance, pos.tolerance) };
  const aggWindow = { timestampsMs: ts, lags: aggregate, ...(pos.offsets ? { offsets: pos.offsets } : {}) };
  const agg = evaluateWindow(aggWindow, w.nowMs, aggRules);
  const still = noProgressMs(aggWindow, aggRules);
  const worst = Math.max(agg.status, matrix?.worst ?? Status.OK) as StatusCode;
  const complete = matrix ? matrix.completeRows / parts!.ids.length : agg.complete;
  const trend = readTrend({ timestampsMs: ts, lags: aggregate }, worst, agg.complete >= w.rules.minCompleteness, w.rules);
  let newest = NaN;
  for (let i = ts.length - 1; i >= 0 && newest !== newest; i--) if (aggregate[i] === aggregate[i]) newest = ts[i]!;
  const maxSeries = placeOnGrid(w.maxLag, w.grid);
  const lastMax = lastPresent(maxSeries);
  const skew = matrix ? findSkew(parts!.ids, matrix.currentLags, matrix.statuses, w.skew) : skewFromTopic(lastMax, agg.currentLag, w.skew);
  const counts = matrix ? [...matrix.counts] : [0, 0, 0, 0, 0];
  if (!matrix && agg.currentLag === agg.currentLag) counts[agg.status] = (counts[agg.status] ?? 0) + 1;
  return {
    level: matrix ? 'partition' : hasData(aggregate) ? 'topic' : 'none',
    unit: w.unit,
    lookbackStartMs: w.grid.startMs,
    windowMinutes: Math.min(w.grid.width, w.rules.intervals),
    status: STATUS_NAMES[worst],
    groupStatus: groupStatusOf(worst),
    trend: trend.trend,
    statusCounts: countsOf(counts),
    partitions: matrix ? matrix.rowsWithData : null,
    partitionsTruncated: parts?.truncated ?? false,
    complete,
    maxLag: matrix && matrix.maxLagRow >= 0 ? matrix.maxLag : w.unit === 'milliseconds' ? num(agg.currentLag) : num(lastMax),
    maxLagPartition: matrix && matrix.maxLagRow >= 0 ? parts!.ids[matrix.maxLagRow]! : null,
    totalLag: num(agg.currentLag),
    firstLag: num(trend.firstLag),
    peakLag: num(trend.peakLag),
    lastLag: num(trend.lastLag),
    slopePerSecond: num(trend.slopePerSecond),
    drainSeconds: trend.drainSeconds,
    newestSampleMs: num(newest),
    offsetsFrom: pos.from,
    noProgressMinutes: still === null ? null : still / PERIOD_MS,
    skew,
  };
}

function sumColumns(lags: Float64Array, rows: number, width: number): Float64Array {
  const out = new Float64Array(width).fill(NaN);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++) {
      const v = lags[r * width + i]!;
      if (v === v) out[i] = (out[i]! === out[i]! ? out[i]! : 0) + v;
    }
  }
  return out;
}

function lastPresent(a: Float64Array): number {
  for (let i = a.length - 1; i >= 0; i--) if (a[i] === a[i]) return a[i]!;
  return NaN;
}

/** Mean of the newest `k` present values (a rate "now"); NaN when none. */
export function recentMean(a: Float64Array | undefined, k = 5): number {
  if (!a) return NaN;
  let n = 0;
  let sum = 0;
  for (let i = a.length - 1; i >= 0 && n < k; i--) {
    if (a[i] === a[i]) {
      sum += a[i]!;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}
