import { BENCH_ACCOUNT, BENCH_REGION } from './world';

/** The event CloudWatch sends when an alarm changes state (the simulated CloudWatch's shape). */
export function alarmStateChange(o: {
  id: string;
  alarmName: string;
  description: string;
  metric: { namespace: string; metricName: string; dimensions: Record<string, string>; periodSeconds: number; statistic: string };
  threshold: number;
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  previous: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  atMs: number;
  previousAtMs: number;
  metricId: string;
}): Record<string, unknown> {
  const ts = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
  const above = o.comparison.startsWith('Greater');
  const word = above ? 'greater than' : 'less than';
  const reasonOf = (state: string, ms: number) => {
    if (state === 'INSUFFICIENT_DATA')
      return { reason: 'Insufficient Data: 1 datapoint was unknown.', data: { recentDatapoints: [], evaluatedDatapoints: [] } };
    // A datapoint on the breaching side of the threshold for ALARM, on the other side for OK.
    const value = (state === 'ALARM') === above ? o.threshold * 1.5 + 1 : Math.max(0, o.threshold * 0.5 - 1);
    const at = new Date(ms - o.metric.periodSeconds * 1000);
    return {
      reason: `Threshold Crossed: 1 out of the last 1 datapoints [${value.toFixed(1)} (${at.toISOString().slice(0, 19)})] was ${state === 'ALARM' ? '' : 'not '}${word} the threshold (${o.threshold.toFixed(1)}).`,
      data: { recentDatapoints: [value], evaluatedDatapoints: [{ timestamp: ts(at.getTime()), sampleCount: 1, value }] },
    };
  };
  const reasonData = (ms: number, d: Record<string, unknown>) =>
    JSON.stringify({
      version: '1.0',
      queryDate: ts(ms),
      startDate: ts(ms - o.metric.periodSeconds * 1000),
      statistic: o.metric.statistic,
      period: o.metric.periodSeconds,
      threshold: o.threshold,
      ...d,
    });
  const now = reasonOf(o.state, o.atMs);
  const before = reasonOf(o.previous, o.previousAtMs);
  return {
    version: '0',
    id: o.id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: BENCH_ACCOUNT,
    time: new Date(Math.floor(o.atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: BENCH_REGION,
    resources: [`arn:aws:cloudwatch:${BENCH_REGION}:${BENCH_ACCOUNT}:alarm:${o.alarmName}`],
    detail: {
      alarmName: o.alarmName,
      state: { value: o.state, reason: now.reason, reasonData: reasonData(o.atMs, now.data), timestamp: ts(o.atMs) },
      previousState: { value: o.previous, reason: before.reason, reasonData: reasonData(o.previousAtMs, before.data), timestamp: ts(o.previousAtMs) },
      configuration: {
        description: o.description,
        metrics: [
          {
            id: o.metricId,
            metricStat: {
              metric: { namespace: o.metric.namespace, name: o.metric.metricName, dimensions: { ...o.metric.dimensions } },
              period: o.metric.periodSeconds,
              stat: o.metric.statistic,
            },
            returnData: true,
          },
        ],
      },
    },
  };
}
