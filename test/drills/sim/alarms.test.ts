import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  InvalidParameterValueException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { AlarmSpec } from '../../../lambdas/core/playbook';
import { breaches, evaluateAlarm } from '../../../drills/sim/alarms';
import { MetricStore } from '../../../drills/sim/metrics';
import { T0, newWorld, simClient } from '../helpers';

const metric = { namespace: 'AWS/EMRServerless', metricName: 'RunningJobs', dimensions: { ApplicationId: 'app' } };

function spec(over: Partial<AlarmSpec> = {}): AlarmSpec {
  return {
    signal: 's',
    description: 'd',
    metric: { ...metric, statistic: 'Maximum', periodSeconds: 60 },
    comparison: 'LessThanThreshold',
    threshold: 1,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'breaching',
    ...over,
  };
}

/** Values for the minutes before T0 + 3 min, oldest first; undefined = no datapoint. */
function store(values: (number | undefined)[]): MetricStore {
  const s = new MetricStore();
  values.forEach((v, k) => {
    if (v !== undefined) s.putValue(metric, T0 + k * 60_000 + 1_000, v);
  });
  return s;
}

const NOW = T0 + 3 * 60_000;

describe('Function: evaluateAlarm', () => {
  it('alarms on M of N breaching datapoints and not on M-1', () => {
    const twoOfThree = spec({ datapointsToAlarm: 2 });
    expect(evaluateAlarm(twoOfThree, store([0, 5, 0]), NOW, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(twoOfThree, store([5, 5, 0]), NOW, 'OK').state).toBe('OK');
    expect(evaluateAlarm(spec(), store([0, 0, 0]), NOW, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(spec(), store([0, 0, 1]), NOW, 'OK').state).toBe('OK');
  });

  it('only looks at complete periods: a datapoint in the running minute does not count', () => {
    const s = store([5, 5, 5, 0]);
    expect(evaluateAlarm(spec({ evaluationPeriods: 1, datapointsToAlarm: 1 }), s, NOW + 59_999, 'OK').state).toBe('OK');
    expect(evaluateAlarm(spec({ evaluationPeriods: 1, datapointsToAlarm: 1 }), s, NOW + 60_000, 'OK').state).toBe('ALARM');
  });

  it('treats missing data as breaching or not breaching when fewer than M real datapoints exist', () => {
    expect(evaluateAlarm(spec({ treatMissingData: 'breaching' }), store([undefined, undefined, undefined]), NOW, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(spec({ treatMissingData: 'notBreaching' }), store([undefined, undefined, undefined]), NOW, 'ALARM').state).toBe('OK');
    expect(evaluateAlarm(spec({ treatMissingData: 'breaching' }), store([undefined, 0, undefined]), NOW, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(spec({ treatMissingData: 'breaching' }), store([undefined, 5, undefined]), NOW, 'OK').state).toBe('OK');
    expect(evaluateAlarm(spec({ treatMissingData: 'notBreaching' }), store([0, undefined, 0]), NOW, 'OK').state).toBe('OK');
  });

  it('does not fill in missing data once M real datapoints exist', () => {
    const twoOfThree = spec({ datapointsToAlarm: 2, treatMissingData: 'breaching' });
    expect(evaluateAlarm(twoOfThree, store([0, 5, undefined]), NOW, 'OK').state).toBe('OK');
  });

  it('missing: all missing is INSUFFICIENT_DATA; ignore: keeps the current state', () => {
    expect(evaluateAlarm(spec({ treatMissingData: 'missing' }), store([]), NOW, 'OK').state).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm(spec({ treatMissingData: 'missing' }), store([undefined, undefined, 0]), NOW, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(spec({ treatMissingData: 'ignore' }), store([]), NOW, 'ALARM').state).toBe('ALARM');
    expect(evaluateAlarm(spec({ treatMissingData: 'ignore' }), store([undefined, undefined, 5]), NOW, 'ALARM').state).toBe('ALARM');
  });

  it.each([
    ['GreaterThanThreshold', [false, false, true]],
    ['GreaterThanOrEqualToThreshold', [false, true, true]],
    ['LessThanThreshold', [true, false, false]],
    ['LessThanOrEqualToThreshold', [true, true, false]],
  ] as const)('%s: below, equal to and above the threshold', (comparison, expected) => {
    expect([0.999, 1, 1.001].map((v) => breaches(v, comparison, 1))).toEqual(expected);
    const states = [0.999, 1, 1.001].map(
      (v) => evaluateAlarm(spec({ comparison, evaluationPeriods: 1, datapointsToAlarm: 1 }), store([0, 0, v]), NOW, 'OK').state,
    );
    expect(states).toEqual(expected.map((b) => (b ? 'ALARM' : 'OK')));
  });

  it('gives reasonData as a JSON string with the evaluated datapoints', () => {
    const e = evaluateAlarm(spec(), store([0, 0, 0]), NOW, 'OK');
    expect(typeof e.reasonData).toBe('string');
    const data = JSON.parse(e.reasonData) as { recentDatapoints: number[]; period: number; threshold: number; queryDate: string };
    expect(data).toMatchObject({ recentDatapoints: [0, 0, 0], period: 60, threshold: 1, queryDate: '2026-01-01T00:03:00.000+0000' });
    expect(e.reason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[0\.0 \(01\/01\/26 00:02:00\)/);
  });
});

describe('Function: evaluateAlarm with metric math', () => {
  // A counter that only grows (fullRestarts): the alarm is on its rate, not its value.
  const rate = (math: 'RATE' | 'DIFF') =>
    spec({
      metric: { ...metric, statistic: 'Maximum', periodSeconds: 60, math },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
    });

  it('RATE: the change from the datapoint before, per second; a flat counter does not breach', () => {
    expect(evaluateAlarm(rate('RATE'), store([5, 5, 5]), NOW, 'OK').state).toBe('OK');
    const up = evaluateAlarm(rate('RATE'), store([5, 5, 65]), NOW, 'OK');
    expect(up.state).toBe('ALARM');
    expect(JSON.parse(up.reasonData).recentDatapoints).toEqual([1]);
  });

  it('DIFF: the change from the datapoint before, as is', () => {
    const e = evaluateAlarm(rate('DIFF'), store([5, 5, 8]), NOW, 'OK');
    expect(JSON.parse(e.reasonData).recentDatapoints).toEqual([3]);
  });

  it('RATE over a gap divides by the time between the two datapoints', () => {
    const e = evaluateAlarm(rate('RATE'), store([5, undefined, 125]), NOW, 'OK');
    expect(JSON.parse(e.reasonData).recentDatapoints).toEqual([1]);
  });

  it('gives no value without a datapoint before (missing data)', () => {
    expect(evaluateAlarm(rate('RATE'), store([undefined, undefined, 100]), NOW, 'ALARM').state).toBe('OK');
    expect(evaluateAlarm({ ...rate('RATE'), treatMissingData: 'missing' }, store([undefined, undefined, 100]), NOW, 'OK').state).toBe('INSUFFICIENT_DATA');
  });
});

describe('Class: SimCloudWatch', () => {
  it('emits an alarm state change event only when the state changes, with the real shape', async () => {
    const world = newWorld();
    const events: Record<string, unknown>[] = [];
    world.cloudwatch.publish = (e) => events.push(e);
    world.cloudwatch.addAlarm({
      name: 'streamfix-orders-job-failed-failed-runs',
      pipeline: 'orders',
      playbook: 'job-failed',
      spec: spec({
        metric: { ...metric, metricName: 'FailedJobs', statistic: 'Sum', periodSeconds: 60 },
        comparison: 'GreaterThanOrEqualToThreshold',
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
      }),
    });
    world.cloudwatch.settleAlarms();
    expect(world.cloudwatch.alarmState('streamfix-orders-job-failed-failed-runs')).toBe('OK');
    world.cloudwatch.store.putValue({ ...metric, metricName: 'FailedJobs' }, T0 + 10_000, 1);
    await world.clock.runUntil(T0 + 60_000);
    world.cloudwatch.evaluateAlarms();
    world.cloudwatch.evaluateAlarms();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:streamfix-orders-job-failed-failed-runs'],
      detail: {
        alarmName: 'streamfix-orders-job-failed-failed-runs',
        state: { value: 'ALARM', timestamp: '2026-01-01T00:01:00.000+0000' },
        previousState: { value: 'OK' },
        configuration: {
          metrics: [
            {
              metricStat: { metric: { namespace: 'AWS/EMRServerless', name: 'FailedJobs', dimensions: { ApplicationId: 'app' } }, period: 60, stat: 'Sum' },
              returnData: true,
            },
          ],
        },
      },
    });
    expect(typeof (events[0]!.detail as { state: { reasonData: unknown } }).state.reasonData).toBe('string');
  });

  it('answers PutMetricData, GetMetricData and DescribeAlarms through the SDK', async () => {
    const world = newWorld();
    const cw = simClient(world, CloudWatchClient);
    world.cloudwatch.addAlarm({ name: 'a1', pipeline: 'orders', playbook: 'job-failed', spec: spec() });
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'streamfix',
        MetricData: [
          { MetricName: 'Lag', Value: 3, Timestamp: new Date(T0 + 5_000) },
          { MetricName: 'Lag', Values: [5, 7], Counts: [1, 1], Timestamp: new Date(T0 + 65_000) },
        ],
      }),
    );
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0),
        EndTime: new Date(T0 + 120_000),
        MetricDataQueries: [{ Id: 'm1', MetricStat: { Metric: { Namespace: 'streamfix', MetricName: 'Lag' }, Period: 60, Stat: 'Maximum' } }],
      }),
    );
    expect(data.MetricDataResults?.[0]).toMatchObject({ Id: 'm1', Values: [7, 3], StatusCode: 'Complete' });
    expect(data.MetricDataResults?.[0]?.Timestamps?.map((t) => t.getTime())).toEqual([T0 + 60_000, T0]);
    const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a1'] }));
    expect(alarms.MetricAlarms?.[0]).toMatchObject({
      AlarmName: 'a1',
      StateValue: 'INSUFFICIENT_DATA',
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
    });
    await expect(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/Kafka', MetricData: [{ MetricName: 'x', Value: 1 }] }))).rejects.toBeInstanceOf(
      InvalidParameterValueException,
    );
  });
});
