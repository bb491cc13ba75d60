/**
 * Consumer lag, judged the way Burrow (linkedin/Burrow) judges it: no fixed threshold, but the
 * shape of a sliding window of samples per partition. Pure and allocation-light: a group of
 * 10,000 partitions × 15 samples is one pass over two Float64Arrays.
 *
 * A window is the last `intervals` samples a partition has (Burrow keeps the last N commits),
 * taken from a longer run of sample slots: a partition whose samples stopped keeps its old
 * window, which is how STOP can be seen at all.
 *
 * A window's samples are (time, lag, offset). `offset` is the consumer's position: a committed
 * offset, or any measure that only grows while the consumer makes progress (records consumed
 * so far; for an iterator-age source, sample time minus age). Without offsets the rules that
 * need them (STALL, REWIND) cannot fire; the others still do.
 *
 * Rules, in order (FACTS §2):
 *   1. not enough of the window present → OK; current lag ≤ allowed lag → OK;
 *   2. STOP: the newest sample is older than the window's own span (samples stopped coming),
 *      unless the lag was within the allowed lag somewhere in the window (caught up recently);
 *   3. REWIND: the newest offset is below an earlier one (a drop that did not recover);
 *   4. only when the lag is above the allowed lag at every sample:
 *      STALL when the offset never moved, WARN when the lag never decreased;
 *   5. otherwise OK: the lag went down somewhere (catching up).
 */

/** Partition statuses by severity, as numbers (Burrow's order: OK < WARN < STOP < STALL < REWIND). */
export const Status = { OK: 0, WARN: 1, STOP: 2, STALL: 3, REWIND: 4 } as const;
export type StatusCode = (typeof Status)[keyof typeof Status];
export const STATUS_NAMES = ['OK', 'WARN', 'STOP', 'STALL', 'REWIND'] as const;
export type StatusName = (typeof STATUS_NAMES)[number];

/** The group's status as Burrow reports it: a partition error of any kind is ERR. */
export type GroupStatusName = 'OK' | 'WARN' | 'ERR';

export interface LagRules {
  /** Samples in a window (Burrow's `intervals`): the newest this many present samples are judged. */
  intervals: number;
  /** Fraction of the window's samples that must be present to judge (Burrow: a complete window). */
  minCompleteness: number;
  /** Lag at or below this counts as caught up (Burrow's allowed lag). */
  allowedLag: number;
  /** Offset moves up to this size count as no move (0: exact, as Burrow); for estimated offsets. */
  offsetTolerance: number;
}

export const DEFAULT_RULES: LagRules = { intervals: 10, minCompleteness: 1, allowedLag: 0, offsetTolerance: 0 };

/**
 * Windows of many partitions, column-aligned: every row has one sample slot per timestamp
 * (CloudWatch returns aligned periods). Row r's slot i is at `r * width + i`; NaN = no sample.
 */
export interface LagMatrix {
  timestampsMs: ArrayLike<number>;
  partitions: readonly string[];
  lags: Float64Array;
  /** Same shape as `lags`; NaN = position unknown at that sample. Absent = no positions at all. */
  offsets?: Float64Array;
}

/** One partition's window, for callers with a single series (the topic, a Kinesis stream). */
export interface LagWindow {
  timestampsMs: ArrayLike<number>;
  lags: ArrayLike<number>;
  offsets?: ArrayLike<number>;
}

export interface PartitionResult {
  status: StatusCode;
  /** Newest present lag; NaN when the window has no sample. */
  currentLag: number;
  /** Present samples in the window / window size (min(intervals, slots)). */
  complete: number;
}

/**
 * Classifies the `width` slots starting at `base` into `out`: one pass, no allocation, shared
 * by the matrix and the single-window entry points.
 */
function classifyRow(
  ts: ArrayLike<number>,
  lags: ArrayLike<number>,
  offsets: ArrayLike<number> | undefined,
  base: number,
  width: number,
  nowMs: number,
  r: LagRules,
  out: PartitionResult,
): void {
  let present = 0;
  let firstTs = NaN;
  let lastTs = NaN;
  let lastLag = NaN;
  let minLag = Infinity;
  let lagNeverDecreases = true;
  let offPresent = 0;
  let minOff = Infinity;
  let maxOff = -Infinity;
  let lastOff = NaN;
  // The window: the newest `size` present samples.
  const size = Math.min(width, r.intervals);
  let from = width;
  let found = 0;
  for (let i = width - 1; i >= 0 && found < size; i--) {
    if (lags[base + i] === lags[base + i]) {
      found++;
      from = i;
    }
  }
  for (let i = from; i < width; i++) {
    const lag = lags[base + i]!;
    if (lag !== lag) continue; // NaN: no sample in this slot
    if (present === 0) firstTs = ts[i]!;
    else if (lag < lastLag) lagNeverDecreases = false;
    present++;
    lastTs = ts[i]!;
    lastLag = lag;
    if (lag < minLag) minLag = lag;
    if (offsets !== undefined) {
      const off = offsets[base + i]!;
      if (off === off) {
        offPresent++;
        if (off < minOff) minOff = off;
        if (off > maxOff) maxOff = off;
        lastOff = off;
      }
    }
  }
  out.currentLag = lastLag;
  out.complete = size <= 0 ? 0 : present / size;
  out.status = Status.OK;
  if (present === 0 || out.complete < r.minCompleteness || lastLag <= r.allowedLag) return;
  const caughtUpRecently = minLag <= r.allowedLag;
  if (nowMs - lastTs > lastTs - firstTs && !caughtUpRecently) {
    out.status = Status.STOP;
    return;
  }
  if (offPresent >= 2 && lastOff < maxOff - r.offsetTolerance) {
    out.status = Status.REWIND;
    return;
  }
  if (caughtUpRecently) return;
  if (offPresent >= 2 && maxOff - minOff <= r.offsetTolerance) out.status = Status.STALL;
  else if (lagNeverDecreases && present >= 2) out.status = Status.WARN;
}

/** One window, judged alone. */
export function evaluateWindow(w: LagWindow, nowMs: number, rules: LagRules = DEFAULT_RULES): PartitionResult {
  const out: PartitionResult = { status: Status.OK, currentLag: NaN, complete: 0 };
  classifyRow(w.timestampsMs, w.lags, w.offsets, 0, w.timestampsMs.length, nowMs, rules, out);
  return out;
}

export interface MatrixEvaluation {
  /** Status code per row. */
  statuses: Uint8Array;
  /** Newest lag per row (NaN: no sample). */
  currentLags: Float64Array;
  /** Rows whose window was complete enough to judge. */
  completeRows: number;
  /** Rows with at least one sample. */
  rowsWithData: number;
  /** Worst status over all rows. */
  worst: StatusCode;
  /** Row count per status code. */
  counts: [number, number, number, number, number];
  maxLag: number;
  /** Index of the row holding `maxLag` (-1: no data). */
  maxLagRow: number;
  totalLag: number;
}

/** Every partition of a group, one pass each. */
export function evaluateMatrix(m: LagMatrix, nowMs: number, rules: LagRules = DEFAULT_RULES): MatrixEvaluation {
  const width = m.timestampsMs.length;
  const rows = m.partitions.length;
  const statuses = new Uint8Array(rows);
  const currentLags = new Float64Array(rows);
  const counts: MatrixEvaluation['counts'] = [0, 0, 0, 0, 0];
  const out: PartitionResult = { status: Status.OK, currentLag: NaN, complete: 0 };
  let worst: StatusCode = Status.OK;
  let completeRows = 0;
  let rowsWithData = 0;
  let maxLag = 0;
  let maxLagRow = -1;
  let totalLag = 0;
  for (let row = 0; row < rows; row++) {
    classifyRow(m.timestampsMs, m.lags, m.offsets, row * width, width, nowMs, rules, out);
    statuses[row] = out.status;
    currentLags[row] = out.currentLag;
    counts[out.status]++;
    if (out.status > worst) worst = out.status;
    if (out.complete >= rules.minCompleteness && out.complete > 0) completeRows++;
    if (out.currentLag === out.currentLag) {
      rowsWithData++;
      totalLag += out.currentLag;
      if (maxLagRow < 0 || out.currentLag > maxLag) {
        maxLag = out.currentLag;
        maxLagRow = row;
      }
    }
  }
  return { statuses, currentLags, completeRows, rowsWithData, worst, counts, maxLag, maxLagRow, totalLag };
}

/** Burrow's group status: the worst partition, with STOP / STALL / REWIND reported as ERR. */
export const groupStatusOf = (worst: StatusCode): GroupStatusName => (worst === Status.OK ? 'OK' : worst === Status.WARN ? 'WARN' : 'ERR');
