import { describe, expect, it } from 'vitest';
import { alarmTriggerOf, reevaluations } from '../../lambdas/engine/resume';
import type { IncidentRecord } from '../../lambdas/ledger/types';

const T0 = Date.parse('2026-01-01T00:20:00Z');

describe('Function: alarmTriggerOf', () => {
  it('makes the alarm event streamfix would have received from DescribeAlarms', () => {
    const t = alarmTriggerOf(
      {
        name: 'streamfix-orders-job-failed-not-running',
        arn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:streamfix-orders-job-failed-not-running',
        state: 'ALARM',
        reason: 'Threshold Crossed',
        reasonData: '{"version":"1.0","recentDatapoints":[0]}',
        composite: false,
        stateUpdatedMs: T0 - 900_000,
        metric: { namespace: 'AWS/EMRServerless', metricName: 'RunningJobs', dimensions: { ApplicationId: 'app' }, stat: 'Maximum', periodSeconds: 60 },
      },
      T0,
      'resume:x:1',
    );
    expect(t).toEqual({
      kind: 'alarm',
      eventId: 'resume:x:1',
      dedupeKey: 'resume:x:1',
      alarmName: 'streamfix-orders-job-failed-not-running',
      alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:streamfix-orders-job-failed-not-running',
      state: 'ALARM',
      stateAtMs: T0 - 900_000,
      reason: 'Threshold Crossed',
      reasonData: { version: '1.0', recentDatapoints: [0] },
      composite: false,
      triggeringAlarms: [],
      metrics: [
        { id: 'm1', namespace: 'AWS/EMRServerless', metricName: 'RunningJobs', dimensions: { ApplicationId: 'app' }, stat: 'Maximum', periodSeconds: 60 },
      ],
    });
  });

  it("reads a composite alarm's triggering alarms, and survives reason data that is not JSON", () => {
    const composite = alarmTriggerOf(
      { name: 'c', state: 'ALARM', reason: 'r', composite: true, reasonData: '{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:eu-west-1:1:alarm:a:b"}]}' },
      T0,
      'k',
    );
    expect(composite).toMatchObject({ composite: true, triggeringAlarms: ['a:b'], stateAtMs: T0, metrics: [] });
    expect(alarmTriggerOf({ name: 'c', state: 'ALARM', reason: 'r', composite: false, reasonData: '{' }, T0, 'k').reasonData).toBeUndefined();
  });
});

describe('Function: reevaluations', () => {
  const inc = (id: string, pipeline: string, reason: string, status = 'escalated') =>
    ({
      incidentId: id,
      pipeline,
      status,
      openedAtMs: 0,
      decision: { kind: 'escalate', reason },
      trigger: { kind: 'job-run', dedupeKey: `job-run:${id}`, eventId: 'e', applicationId: 'a', jobRunId: id, state: 'FAILED', atMs: 0 },
    }) as unknown as IncidentRecord;
  const alarmOf = (name: string, state = 'ALARM') => ({ name, state, reason: 'r', composite: false, stateUpdatedMs: T0 - 60_000 });
  const base = {
    order: ['orders', 'payments', 'returns'],
    routes: [
      { alarmName: 'orders-b', pipeline: 'orders' },
      { alarmName: 'orders-a', pipeline: 'orders' },
      { alarmName: 'payments-a', pipeline: 'payments' },
    ],
    mark: '3.7',
    nowMs: T0,
  };

  it("re-evaluates each pipeline once: its first alarm in ALARM, keyed by pipeline and the switches' versions", () => {
    const w = reevaluations({ ...base, pipelines: ['orders'], firing: [alarmOf('orders-b'), alarmOf('orders-a')], open: [inc('i1', 'orders', 'PAUSED')] });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ pipeline: 'orders', requestSuffix: 'r0', trigger: { kind: 'alarm', alarmName: 'orders-a', dedupeKey: 'resume:orders:3.7' } });
  });

  it('without an alarm in ALARM: the incident the pause held, or one a dead attempt left acting; nothing otherwise', () => {
    const w = reevaluations({
      ...base,
      pipelines: ['orders', 'payments', 'returns'],
      firing: [alarmOf('payments-a', 'OK')],
      open: [inc('i1', 'orders', 'PAUSED'), inc('i2', 'payments', 'JOB_FAILED_RESTARTABLE', 'acting'), inc('i3', 'returns', 'JOB_FAILURE_NOT_RESTARTABLE')],
    });
    expect(w.map((x) => [x.pipeline, x.requestSuffix, x.trigger.kind, (x.trigger as { jobRunId?: string }).jobRunId, x.trigger.dedupeKey])).toEqual([
      ['orders', 'r0', 'job-run', 'i1', 'resume:orders:3.7'],
      ['payments', 'r1', 'job-run', 'i2', 'resume:payments:3.7'],
    ]);
  });
});
