import { RETENTION_TOLERANCE_SECONDS, type Series } from './firehose';

/**
 * "Did we lose any records?" (pure): from the freshness history and IncomingRecords, whether
 * records reached Firehose's retention undelivered, when they arrived, and how many.
 */

export interface RecordLoss {
  /** Highest freshness seen in the history window. */
  maxFreshnessSeconds: number | null;
  /** `none`: freshness never reached retention; `possible`: records older than retention were dropped. */
  verdict: 'none' | 'possible';
  /** Records that arrived while their delivery could pass retention (an upper bound); 0 for none. */
  lostRecordsEstimate: number;
  /** Arrival window of the records that may be lost (ms), when any. */
  lossWindow?: { startMs: number; endMs: number };
}

/** One freshness value (Maximum) and the period it covers. */
export interface FreshnessPoint {
  atMs: number;
  seconds: number;
  periodSeconds: number;
}

/**
 * A coarse history (5-minute points) up to where a finer recent series (1-minute points)
 * begins, then the recent series: the recent minutes decide where a loss window starts and ends.
 */
export function freshnessPoints(history: Series, historyPeriodSeconds: number, recent: Series, recentPeriodSeconds: number): FreshnessPoint[] {
  const recentStart = recent.timestampsMs[0] ?? Infinity;
  const out: FreshnessPoint[] = [];
  history.values.forEach((v, i) => {
    const t = history.timestampsMs[i]!;
    if (t + historyPeriodSeconds * 1000 <= recentStart) out.push({ atMs: t, seconds: v, periodSeconds: historyPeriodSeconds });
  });
  recent.values.forEach((v, i) => out.push({ atMs: recent.timestampsMs[i]!, seconds: v, periodSeconds: recentPeriodSeconds }));
  return out;
}

/**
 * Firehose drops a record once it is older than retention, so the freshness metric stops at
 * retention (within the metric's minute) instead of passing it. Each run of points at retention
 * ([t₁ … tₖ], tₖ's period P) means: the records that arrived from t₁ − max(F₁, R) (the stall's
 * start, as seen when freshness first reached retention) to tₖ + P − R expired undelivered. The
 * union of those windows, summed over IncomingRecords, is what may have been lost: an upper bound
 * (part of a period, or records delivered late in a partial recovery, count in full).
 */
export function assessRecordLoss(
  freshness: readonly FreshnessPoint[],
  incomingRecords: Series,
  incomingPeriodSeconds: number,
  retentionSeconds: number,
): RecordLoss {
  const maxFreshnessSeconds = freshness.length ? Math.max(...freshness.map((p) => p.seconds)) : null;
  const atRetention = (f: number) => f >= retentionSeconds - RETENTION_TOLERANCE_SECONDS;
  if (maxFreshnessSeconds === null || !atRetention(maxFreshnessSeconds)) {
    return { maxFreshnessSeconds, verdict: 'none', lostRecordsEstimate: 0 };
  }
  const R = retentionSeconds * 1000;
  const windows: [number, number][] = [];
  let run: { startMs: number; last: FreshnessPoint } | undefined;
  const close = () => {
    if (run) windows.push([run.startMs, run.last.atMs + run.last.periodSeconds * 1000 - R]);
    run = undefined;
  };
  for (const p of [...freshness].sort((a, b) => a.atMs - b.atMs)) {
    if (!atRetention(p.seconds)) {
      close();
      continue;
    }
    // A gap in the series ends the run: nothing is known about the time in between.
    if (run && p.atMs - run.last.atMs > 1.5 * run.last.periodSeconds * 1000) close();
    if (run) run.last = p;
    else run = { startMs: p.atMs - Math.max(p.seconds, retentionSeconds) * 1000, last: p };
  }
  close();
  const merged = mergeWindows(windows.filter(([a, b]) => b > a));
  const periodMs = incomingPeriodSeconds * 1000;
  let estimate = 0;
  incomingRecords.values.forEach((count, i) => {
    // A period's records arrived across [ts, ts + period): count the share that overlaps.
    const start = incomingRecords.timestampsMs[i]!;
    const overlap = merged.reduce((acc, [a, b]) => acc + Math.max(0, Math.min(b, start + periodMs) - Math.max(a, start)), 0);
    estimate += count * (overlap / periodMs);
  });
  return {
    maxFreshnessSeconds,
    verdict: 'possible',
    lostRecordsEstimate: Math.round(estimate),
    ...(merged.length ? { lossWindow: { startMs: merged[0]![0], endMs: merged[merged.length - 1]![1] } } : {}),
  };
}

function mergeWindows(ws: [number, number][]): [number, number][] {
  const sorted = [...ws].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else out.push([w[0], w[1]]);
  }
  return out;
}
