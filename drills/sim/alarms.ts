import type { AlarmSpec } from '../../lambdas/core/playbook';
import { cwTimestamp } from './context';
import { alignDown, type MetricStore } from './metrics';

/**
 * Metric alarm evaluation with CloudWatch's semantics: the last `evaluationPeriods` complete
 * periods, "M out of N" datapoints to alarm, the comparison operator, and how missing data is
 * treated. As CloudWatch documents it, missing datapoints are only filled in when fewer real
 * datapoints than M exist in the evaluation range; real datapoints are always evaluated:
 * - `breaching` / `notBreaching`: a filled-in datapoint counts as breaching / not breaching;
 * - `missing`: all missing → INSUFFICIENT_DATA; fewer than M real → ALARM when every real one
 *   breaches, OK otherwise;
 * - `ignore`: fewer than M real (or none) → the current state is kept.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface Evaluation {
  state: AlarmState;
  reason: string;
  /** JSON string, as in the alarm event. */
  reasonData: string;
}

type Comparison = AlarmSpec['comparison'];

export function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const WORDS: Record<Comparison, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** `01/01/26 00:03:00`, as in CloudWatch's reason text. */
const reasonDate = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};

const num = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

/**
 * The value of one period: the metric's datapoint, or with `math`, CloudWatch's metric math over it
 * ("Metric math syntax and functions", CloudWatch User Guide): DIFF is the datapoint minus the one
 * before it, RATE that difference per second; with no datapoint before, there is no value.
 */
function periodValue(spec: AlarmSpec, store: MetricStore, startMs: number): { value: number | undefined; sampleCount: number } {
  const p = spec.metric.periodSeconds;
  const id = { namespace: spec.metric.namespace, metricName: spec.metric.metricName, dimensions: spec.metric.dimensions };
  const dp = store.datapoint(id, spec.metric.statistic, p, startMs);
  if (!spec.metric.math || dp === undefined) return { value: dp?.value, sampleCount: dp?.sampleCount ?? 0 };
  const before = store.datapoints(id, spec.metric.statistic, p, startMs - 60 * p * 1000, startMs).at(-1);
  if (before === undefined) return { value: undefined, sampleCount: 0 };
  const diff = dp.value - before.value;
  return { value: spec.metric.math === 'DIFF' ? diff : diff / ((startMs - before.atMs) / 1000), sampleCount: dp.sampleCount };
}

export function evaluateAlarm(spec: AlarmSpec, store: MetricStore, nowMs: number, current: AlarmState): Evaluation {
  const p = spec.metric.periodSeconds;
  const end = alignDown(nowMs, p);
  const periods: { startMs: number; value: number | undefined; sampleCount: number }[] = [];
  for (let k = spec.evaluationPeriods; k >= 1; k--) {
    const startMs = end - k * p * 1000;
    periods.push({ startMs, ...periodValue(spec, store, startMs) });
  }
  const real = periods.filter((x): x is { startMs: number; value: number; sampleCount: number } => x.value !== undefined);
  const realBreaching = real.filter((x) => breaches(x.value, spec.comparison, spec.threshold)).length;
  const missing = periods.length - real.length;
  const m = spec.datapointsToAlarm;

  let state: AlarmState;
  let breachingCount = realBreaching;
  if (real.length >= m) {
    state = realBreaching >= m ? 'ALARM' : 'OK';
  } else {
    switch (spec.treatMissingData) {
      case 'breaching':
        breachingCount = realBreaching + missing;
        state = breachingCount >= m ? 'ALARM' : 'OK';
        break;
      case 'notBreaching':
        state = realBreaching >= m ? 'ALARM' : 'OK';
        break;
      case 'missing':
        if (real.length === 0) state = 'INSUFFICIENT_DATA';
        else state = realBreaching === real.length ? 'ALARM' : 'OK';
        break;
      case 'ignore':
        state = current;
        break;
    }
  }

  const shown = [...real].reverse();
  const list = shown.map((x) => `${num(x.value)} (${reasonDate(x.startMs)})`).join(', ');
  const word = WORDS[spec.comparison];
  const transition = `${current} -> ${state}`;
  let reason: string;
  if (state === 'INSUFFICIENT_DATA') {
    reason = `Insufficient Data: ${periods.length} datapoint${periods.length === 1 ? ' was' : 's were'} unknown.`;
  } else if (state === 'ALARM') {
    reason = `Threshold Crossed: ${breachingCount} out of the last ${periods.length} datapoints [${list}] ${breachingCount === 1 ? 'was' : 'were'} ${word} the threshold (${num(spec.threshold)}) (minimum ${m} datapoint${m === 1 ? '' : 's'} for ${transition} transition).`;
  } else {
    const okCount = periods.length - breachingCount;
    reason = `Threshold Crossed: ${okCount} out of the last ${periods.length} datapoints [${list}] ${okCount === 1 ? 'was' : 'were'} not ${word} the threshold (${num(spec.threshold)}) (minimum ${m} datapoint${m === 1 ? '' : 's'} for ${transition} transition).`;
  }
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: cwTimestamp(nowMs),
    startDate: cwTimestamp(periods[0]?.startMs ?? end),
    statistic: spec.metric.statistic,
    period: p,
    recentDatapoints: real.map((x) => x.value),
    threshold: spec.threshold,
    evaluatedDatapoints: shown.map((x) => ({ timestamp: cwTimestamp(x.startMs), sampleCount: x.sampleCount, value: x.value })),
  });
  return { state, reason, reasonData };
}
