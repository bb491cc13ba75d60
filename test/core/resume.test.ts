import { describe, expect, it } from 'vitest';
import { alarmTriggerOf, heldByPause } from '../../lambdas/core/resume';
import type { IncidentRecord } from '../../lambdas/ledger/types';

const T0 = Date.parse('2026-01-01T00:20:00Z');

describe('Function: alarmTriggerOf', () => {
  it('makes the alarm event streamfix would have received from DescribeAlarms', () => {
    const t = alarmTriggerOf({
      name: 'streamfix-orders-job-failed-not-running', arn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:streamfix-orders-job-failed-not-running', state: 'ALARM',
      reason: 'Threshold Crossed', reasonData: '{"version":"1.0","recentDatapoints":[0]}', composite: false, stateUpdatedMs: T0 - 900_000,
      metric: { namespace: 'AWS/EMRServerless', metricName: 'RunningJobs', dimensions: { ApplicationId: 'app' }, stat: 'Maximum', periodSeconds: 60 },
    }, T0, 'resume:x:1');
    expect(t).toEqual({
      kind: 'alarm', eventId: 'resume:x:1', dedupeKey: 'resume:x:1', alarmName: 'streamfix-orders-job-failed-not-running',
      alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:streamfix-orders-job-failed-not-running', state: 'ALARM', stateAtMs: T0 - 900_000,
      reason: 'Threshold Crossed', reasonData: { version: '1.0', recentDatapoints: [0] }, composite: false, triggeringAlarms: [],
      metrics: [{ id: 'm1', namespace: 'AWS/EMRServerless', metricName: 'RunningJobs', dimensions: { ApplicationId: 'app' }, stat: 'Maximum', periodSeconds: 60 }],
    });
  });

  it("reads a composite alarm's triggering alarms, and survives reason data that is not JSON", () => {
    const composite = alarmTriggerOf({ name: 'c', state: 'ALARM', reason: 'r', composite: true, reasonData: '{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:eu-west-1:1:alarm:a:b"}]}' }, T0, 'k');
    expect(composite).toMatchObject({ composite: true, triggeringAlarms: ['a:b'], stateAtMs: T0, metrics: [] });
    expect(alarmTriggerOf({ name: 'c', state: 'ALARM', reason: 'r', composite: false, reasonData: '{' }, T0, 'k').reasonData).toBeUndefined();
  });
});

describe('Function: heldByPause', () => {
  it("keeps the open incidents of the resumed pipelines whose last decision was the pause's refusal, oldest first", () => {
    const inc = (id: string, pipeline: string, reason: string, openedAtMs: number) =>
      ({ incidentId: id, pipeline, openedAtMs, decision: { kind: 'escalate', reason } }) as unknown as IncidentRecord;
    const open = [inc('b', 'orders', 'PAUSED', 2), inc('a', 'orders', 'PAUSED', 1), inc('c', 'orders', 'JOB_FAILURE_NOT_RESTARTABLE', 0), inc('d', 'payments', 'PAUSED', 0)];
    expect(heldByPause(open, ['orders']).map((i) => i.incidentId)).toEqual(['a', 'b']);
  });
});
