// biome-ignore-all lint/suspicious/noExplicitAny: the tests edit parsed JSON events in place at paths of any depth
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { describeTrigger } from '../../../lambdas/core/events/describe';
import { followUpPayload } from '../../../lambdas/core/events/follow-up';
import { parseAwsTimestamp } from '../../../lambdas/core/events/timestamp';
import { parseTrigger } from '../../../lambdas/core/events';
import type { AlarmTrigger, FollowUpTrigger, JobRunTrigger, Trigger } from '../../../lambdas/core/trigger';
import {
  alarmArn,
  anyInputArb,
  followUpFieldsArb,
  junkDetailEventArb,
  mutatedEventArb,
  validAlarmEventArb,
  validFollowUpArb,
  validJobRunEventArb,
} from '../event-arbitraries';

const RUNS = 2_000;

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/events/${name}`, import.meta.url)), 'utf8')) as Record<string, unknown>;

/** Runs parseTrigger and returns the InvalidInputError it throws; fails if it returns or throws anything else. */
function rejection(raw: unknown): InvalidInputError {
  let result: Trigger | undefined;
  try {
    result = parseTrigger(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
}

/** A deep copy of a fixture with `edit` applied. */
function edited(name: string, edit: (e: any) => void): Record<string, unknown> {
  const e = structuredClone(fixture(name));
  edit(e);
  return e;
}

const APP = '00fabcd1234efg5h';
const RUN = '00fkq3s1m2n4p5r6';
const arn = (name: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;

describe('parseTrigger: CloudWatch alarm state changes', () => {
  it('parses a metric alarm: metric ref with dimensions, reasonData parsed, +0000 timestamp', () => {
    const t = parseTrigger(fixture('alarm-metric-alarm.json'));
    expect(t).toStrictEqual<AlarmTrigger>({
      kind: 'alarm',
      eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      dedupeKey: 'alarm:streamfix-orders-job-failed-failed-runs:ALARM:2019-10-02T17:04:40.985+0000',
      alarmName: 'streamfix-orders-job-failed-failed-runs',
      alarmArn: arn('streamfix-orders-job-failed-failed-runs'),
      state: 'ALARM',
      previousState: 'OK',
      stateAtMs: Date.UTC(2019, 9, 2, 17, 4, 40, 985),
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (02/10/19 17:03:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).',
      reasonData: {
        version: '1.0',
        queryDate: '2019-10-02T17:04:40.985+0000',
        startDate: '2019-10-02T17:03:00.000+0000',
        statistic: 'Sum',
        period: 60,
        recentDatapoints: [1],
        threshold: 1,
        evaluatedDatapoints: [{ timestamp: '2019-10-02T17:03:00.000+0000', sampleCount: 1, value: 1 }],
      },
      composite: false,
      triggeringAlarms: [],
      metrics: [
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          namespace: 'AWS/EMRServerless',
          metricName: 'FailedJobs',
          dimensions: { ApplicationId: APP },
          stat: 'Sum',
          periodSeconds: 60,
        },
      ],
    });
    expect((t as AlarmTrigger).stateAtMs).toBe(1570035880985);
    expect(describeTrigger(t)).toBe('alarm streamfix-orders-job-failed-failed-runs → ALARM');
  });

  it('parses a metric-math alarm: the expression and every metric it reads', () => {
    const t = parseTrigger(fixture('alarm-metric-math.json')) as AlarmTrigger;
    expect(t.kind).toBe('alarm');
    expect(t.dedupeKey).toBe('alarm:streamfix-orders-lag-consumer-lag-total:ALARM:2019-10-02T17:20:48.554+0000');
    expect(t.stateAtMs).toBe(Date.UTC(2019, 9, 2, 17, 20, 48, 554));
    expect(t.previousState).toBe('INSUFFICIENT_DATA');
    expect(t.composite).toBe(false);
    expect(t.triggeringAlarms).toStrictEqual([]);
    expect(t.metrics).toStrictEqual([
      { id: 'e1', expression: 'm1 + m2' },
      {
        id: 'm1',
        namespace: 'AWS/Kafka',
        metricName: 'SumOffsetLag',
        dimensions: { 'Cluster Name': 'order-processing', 'Consumer Group': 'order-processor', Topic: 'orders.raw' },
        stat: 'Maximum',
        periodSeconds: 60,
      },
      {
        id: 'm2',
        namespace: 'AWS/Kafka',
        metricName: 'SumOffsetLag',
        dimensions: { 'Cluster Name': 'order-processing', 'Consumer Group': 'order-processor', Topic: 'orders.retry' },
        stat: 'Maximum',
        periodSeconds: 60,
      },
    ]);
    expect(t.reasonData).toMatchObject({ recentDatapoints: [45628], threshold: 10000 });
  });

  it('parses a composite alarm: no metrics, triggering alarms named from their ARNs', () => {
    const t = parseTrigger(fixture('alarm-composite.json')) as AlarmTrigger;
    expect(t).toMatchObject({
      kind: 'alarm',
      eventId: 'd3dfc86d-384d-24c8-0345-9f7986db0b80',
      dedupeKey: 'alarm:streamfix-orders-pipeline-down:ALARM:2022-07-22T15:57:45.394+0000',
      alarmName: 'streamfix-orders-pipeline-down',
      alarmArn: arn('streamfix-orders-pipeline-down'),
      state: 'ALARM',
      previousState: 'OK',
      stateAtMs: Date.UTC(2022, 6, 22, 15, 57, 45, 394),
      composite: true,
      metrics: [],
    });
    expect(t.triggeringAlarms).toStrictEqual(['streamfix-orders-job-failed-failed-runs', 'streamfix-orders-job-failed-not-running']);
    expect(t.reasonData).toStrictEqual({
      triggeringAlarms: [
        {
          arn: arn('streamfix-orders-job-failed-failed-runs'),
          state: { value: 'ALARM', timestamp: '2022-07-22T15:57:45.394+0000' },
        },
        {
          arn: arn('streamfix-orders-job-failed-not-running'),
          state: { value: 'ALARM', timestamp: '2022-07-22T15:56:40.112+0000' },
        },
      ],
    });
    expect(describeTrigger(t)).toBe(
      'alarm streamfix-orders-pipeline-down → ALARM (composite; triggered by streamfix-orders-job-failed-failed-runs, streamfix-orders-job-failed-not-running)',
    );
  });

  it('parses an alarm without reasonData (initial creation, INSUFFICIENT_DATA) with reasonData undefined', () => {
    const t = parseTrigger(fixture('alarm-no-reasondata.json'));
    expect(t).toStrictEqual<AlarmTrigger>({
      kind: 'alarm',
      eventId: '7f0c1a2e-3b4d-5e6f-8091-a2b3c4d5e6f7',
      dedupeKey: 'alarm:streamfix-orders-job-failed-not-running:INSUFFICIENT_DATA:2024-03-11T08:15:02.219+0000',
      alarmName: 'streamfix-orders-job-failed-not-running',
      alarmArn: arn('streamfix-orders-job-failed-not-running'),
      state: 'INSUFFICIENT_DATA',
      stateAtMs: Date.UTC(2024, 2, 11, 8, 15, 2, 219),
      reason: 'Unchecked: Initial alarm creation',
      composite: false,
      triggeringAlarms: [],
      metrics: [
        {
          id: 'm1',
          namespace: 'AWS/EMRServerless',
          metricName: 'RunningJobs',
          dimensions: { ApplicationId: APP },
          stat: 'Maximum',
          periodSeconds: 60,
        },
      ],
    });
    expect('reasonData' in t).toBe(false);
    expect('previousState' in t).toBe(false);
  });

  it('parses an OK transition', () => {
    const t = parseTrigger(fixture('alarm-ok.json')) as AlarmTrigger;
    expect(t.state).toBe('OK');
    expect(t.previousState).toBe('ALARM');
    expect(t.dedupeKey).toBe('alarm:streamfix-orders-job-failed-failed-runs:OK:2019-10-02T17:12:40.314+0000');
    expect(t.stateAtMs).toBe(Date.UTC(2019, 9, 2, 17, 12, 40, 314));
    expect(t.reasonData).toMatchObject({ recentDatapoints: [0] });
    expect(describeTrigger(t)).toBe('alarm streamfix-orders-job-failed-failed-runs → OK');
  });

  it('gives the same transition delivered twice (different event ids) the same dedupeKey', () => {
    const first = parseTrigger(fixture('alarm-metric-alarm.json'));
    const again = parseTrigger(
      edited('alarm-metric-alarm.json', (e) => {
        e.id = '0e9a7c51-1f4b-4c2e-a3d8-6b5f4e3d2c1b';
        e.time = '2019-10-02T17:04:41Z';
      }),
    );
    expect(again.kind === 'alarm' && again.eventId).toBe('0e9a7c51-1f4b-4c2e-a3d8-6b5f4e3d2c1b');
    expect(first.kind === 'alarm' && first.eventId).toBe('c4c1c1c9-6542-e61b-6ef0-8c4d36933a92');
    expect(again.dedupeKey).toBe(first.dedupeKey);
  });

  it('gives a later transition of the same alarm to the same state a different dedupeKey', () => {
    const first = parseTrigger(fixture('alarm-metric-alarm.json'));
    const later = parseTrigger(
      edited('alarm-metric-alarm.json', (e) => {
        e.detail.state.timestamp = '2019-10-02T18:04:40.985+0000';
      }),
    );
    expect(later.dedupeKey).not.toBe(first.dedupeKey);
    expect((later as AlarmTrigger).stateAtMs - (first as AlarmTrigger).stateAtMs).toBe(3_600_000);
  });

  it('treats invalid reasonData JSON as absent, never as an error', () => {
    const t = parseTrigger(
      edited('alarm-composite.json', (e) => {
        e.detail.state.reasonData = '{"triggeringAlarms":[{"arn":';
      }),
    ) as AlarmTrigger;
    expect(t.reasonData).toBeUndefined();
    expect(t.triggeringAlarms).toStrictEqual([]);
    expect(t.composite).toBe(true);

    const notAString = parseTrigger(
      edited('alarm-metric-alarm.json', (e) => {
        e.detail.state.reasonData = { recentDatapoints: [1] };
      }),
    ) as AlarmTrigger;
    expect(notAString.reasonData).toBeUndefined();
  });

  it('names triggering alarms whose names hold colons or ":alarm:" by the ARN structure', () => {
    const t = parseTrigger(
      edited('alarm-composite.json', (e) => {
        e.detail.state.reasonData = JSON.stringify({
          triggeringAlarms: [{ arn: arn('team:orders:lag'), state: { value: 'ALARM' } }, { arn: arn('a:alarm:b'), state: { value: 'ALARM' } }, { arn: 42 }],
        });
      }),
    ) as AlarmTrigger;
    expect(t.triggeringAlarms).toStrictEqual(['team:orders:lag', 'a:alarm:b']);
  });
});

describe('parseTrigger: EMR Serverless job run state changes', () => {
  it('parses a FAILED run with stateDetails, atMs from updatedAt (microseconds truncated)', () => {
    const t = parseTrigger(fixture('emr-job-run-failed.json'));
    const stateDetails =
      'Job failed, please check complete logs in configured logging destination. ExitCode: 1. Last few exceptions: org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition orders.raw-3 could be determined\n';
    expect(t).toStrictEqual<JobRunTrigger>({
      kind: 'job-run',
      eventId: '00df3ec6-5da1-36e6-ab71-20f0de68f8a0',
      dedupeKey: `job-run:${APP}:${RUN}:FAILED`,
      applicationId: APP,
      jobRunId: RUN,
      jobRunName: 'orders-stream',
      state: 'FAILED',
      previousState: 'RUNNING',
      stateDetails,
      atMs: Date.UTC(2024, 4, 31, 21, 7, 42, 299),
    });
    expect(describeTrigger(t)).toBe(
      `job run ${RUN} "orders-stream" of app ${APP} → FAILED (Job failed, please check complete logs in configured logging destination. ExitCode: 1. Last few exceptions: org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the posi…)`,
    );
    expect(describeTrigger(t)).not.toContain('\n');
  });

  it('parses a CANCELLED run', () => {
    const t = parseTrigger(fixture('emr-job-run-cancelled.json'));
    expect(t).toStrictEqual<JobRunTrigger>({
      kind: 'job-run',
      eventId: '5b7e2c1d-0f3a-4e9b-8c6d-1a2b3c4d5e6f',
      dedupeKey: `job-run:${APP}:${RUN}:CANCELLED`,
      applicationId: APP,
      jobRunId: RUN,
      jobRunName: 'orders-stream',
      state: 'CANCELLED',
      previousState: 'CANCELLING',
      stateDetails: 'Job run was cancelled because the execution timeout was reached.',
      atMs: Date.UTC(2024, 5, 2, 3, 14, 9, 841),
    });
  });

  it('parses a RUNNING run without stateDetails', () => {
    const t = parseTrigger(fixture('emr-job-run-running.json'));
    expect(t).toStrictEqual<JobRunTrigger>({
      kind: 'job-run',
      eventId: '9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9',
      dedupeKey: `job-run:${APP}:00fkr7t8u9v0w1x2:RUNNING`,
      applicationId: APP,
      jobRunId: '00fkr7t8u9v0w1x2',
      jobRunName: 'orders-stream',
      state: 'RUNNING',
      previousState: 'SCHEDULED',
      atMs: Date.UTC(2024, 5, 2, 3, 20, 31, 4),
    });
    expect(describeTrigger(t)).toBe(`job run 00fkr7t8u9v0w1x2 "orders-stream" of app ${APP} → RUNNING`);
  });

  it('falls back to the event time without updatedAt, and to detail.name without jobRunName', () => {
    const t = parseTrigger(
      edited('emr-job-run-failed.json', (e) => {
        delete e.detail.updatedAt;
        delete e.detail.jobRunName;
        e.detail.name = 'orders-stream-v2';
      }),
    ) as JobRunTrigger;
    expect(t.atMs).toBe(Date.UTC(2024, 4, 31, 21, 7, 42, 0));
    expect(t.jobRunName).toBe('orders-stream-v2');
  });

  it('gives the same run state delivered twice the same dedupeKey, and the next state another', () => {
    const first = parseTrigger(fixture('emr-job-run-failed.json'));
    const again = parseTrigger(edited('emr-job-run-failed.json', (e) => (e.id = 'another-delivery')));
    const next = parseTrigger(edited('emr-job-run-failed.json', (e) => (e.detail.state = 'CANCELLED')));
    expect(again.dedupeKey).toBe(first.dedupeKey);
    expect(next.dedupeKey).not.toBe(first.dedupeKey);
  });
});

describe('parseTrigger: follow-ups', () => {
  it('parses the payload followUpPayload builds back into the same follow-up', () => {
    const fields = { purpose: 'verify' as const, incidentId: 'inc-7', pipeline: 'orders', playbook: 'job-failed', attempt: 2 };
    const payload = followUpPayload(fields);
    expect(payload).toStrictEqual({ streamfix: 'follow-up', ...fields });
    const t = parseTrigger(JSON.parse(JSON.stringify(payload)));
    expect(t).toStrictEqual<FollowUpTrigger>({ kind: 'follow-up', dedupeKey: 'follow-up:inc-7:verify:2', ...fields });
    expect(describeTrigger(t)).toBe('follow-up verify #2 of incident inc-7 (orders/job-failed)');
  });

  it('round-trips every follow-up through followUpPayload and JSON', () => {
    fc.assert(
      fc.property(followUpFieldsArb, (fields) => {
        const t = parseTrigger(JSON.parse(JSON.stringify(followUpPayload(fields))));
        expect(t).toStrictEqual({
          kind: 'follow-up',
          dedupeKey: `follow-up:${fields.incidentId}:${fields.purpose}:${fields.attempt}`,
          ...fields,
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parseTrigger: rejections name the field', () => {
  it('rejects an unknown alarm state at detail.state.value', () => {
    const err = rejection(edited('alarm-metric-alarm.json', (e) => (e.detail.state.value = 'WARNING')));
    expect(err.field).toBe('detail.state.value');
    expect(err.message).toContain('OK, ALARM or INSUFFICIENT_DATA');
    expect(err.message).toContain('"WARNING"');
    expect(err.issues).toStrictEqual([{ field: 'detail.state.value', message: expect.any(String) }]);
  });

  it('rejects a missing alarm name at detail.alarmName', () => {
    const err = rejection(edited('alarm-ok.json', (e) => delete e.detail.alarmName));
    expect(err.field).toBe('detail.alarmName');
    expect(err.message).toMatch(/^detail\.alarmName: missing: expected the alarm name/);
  });

  it('lists every problem, the first one as the field', () => {
    const err = rejection(
      edited('alarm-metric-alarm.json', (e) => {
        e.detail.alarmName = '';
        e.detail.state.value = 'WARNING';
        e.detail.state.timestamp = '2019-02-30T17:04:40.985+0000';
        e.detail.configuration.metrics[0].metricStat.metric.dimensions = { ApplicationId: 7 };
      }),
    );
    expect(err.field).toBe('detail.alarmName');
    expect(err.issues.map((i) => i.field)).toStrictEqual([
      'detail.alarmName',
      'detail.state.value',
      'detail.state.timestamp',
      'detail.configuration.metrics[0].metricStat.metric.dimensions.ApplicationId',
    ]);
  });

  it('rejects a metric entry with neither metricStat nor expression at its index', () => {
    const err = rejection(
      edited('alarm-metric-math.json', (e) => {
        delete e.detail.configuration.metrics[1].metricStat;
      }),
    );
    expect(err.field).toBe('detail.configuration.metrics[1]');
  });

  it('rejects a job run event without jobRunId at detail.jobRunId', () => {
    const err = rejection(edited('emr-job-run-failed.json', (e) => delete e.detail.jobRunId));
    expect(err.field).toBe('detail.jobRunId');
  });

  it('rejects a job run event with neither updatedAt nor time at time', () => {
    const err = rejection(
      edited('emr-job-run-running.json', (e) => {
        delete e.detail.updatedAt;
        delete e.time;
      }),
    );
    expect(err.field).toBe('time');
  });

  it('rejects a configuration-change event at detail-type, saying it is not handled', () => {
    const err = rejection(fixture('alarm-configuration-change.json'));
    expect(err.field).toBe('detail-type');
    expect(err.message).toContain('configuration-change events are not handled');
  });

  it('rejects an unknown detail-type at detail-type and an unknown source at source', () => {
    const dt = rejection(edited('alarm-ok.json', (e) => (e['detail-type'] = 'EC2 Instance State-change Notification')));
    expect(dt.field).toBe('detail-type');
    expect(dt.issues.map((i) => i.field)).toStrictEqual(['detail-type']);

    const mismatch = rejection(edited('emr-job-run-failed.json', (e) => (e['detail-type'] = 'CloudWatch Alarm State Change')));
    expect(mismatch.field).toBe('detail-type');

    const src = rejection(edited('emr-job-run-failed.json', (e) => (e.source = 'aws.ec2')));
    expect(src.field).toBe('source');

    const neither = rejection({ hello: 'world' });
    expect(neither.issues.map((i) => i.field)).toStrictEqual(['source', 'detail-type']);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an array', [fixture('alarm-ok.json')]],
    ['a string', JSON.stringify(fixture('alarm-ok.json'))],
    ['a number', 42],
    ['a boolean', true],
  ])('rejects %s at (root)', (_label, raw) => {
    const err = rejection(raw);
    expect(err.field).toBe('(root)');
    expect(err.message).toContain('expected an object');
  });

  // Issue 13, point 10: a value that becomes part of a DynamoDB key (2,048 bytes at most) or a
  // ledger item is bounded, and a longer one is rejected naming the field, not thrown later.
  it.each([
    ['a 3 KB jobRunId', 'emr-job-run-failed.json', (e: any) => (e.detail.jobRunId = 'a'.repeat(3_000)), 'detail.jobRunId'],
    ['a 65-character applicationId', 'emr-job-run-failed.json', (e: any) => (e.detail.applicationId = 'a'.repeat(65)), 'detail.applicationId'],
    ['a 1 MB stateDetails', 'emr-job-run-failed.json', (e: any) => (e.detail.stateDetails = 'x'.repeat(1_000_000)), 'detail.stateDetails'],
    ['a 256-character alarm name', 'alarm-ok.json', (e: any) => (e.detail.alarmName = 'a'.repeat(256)), 'detail.alarmName'],
    ['a 1,024-character alarm reason', 'alarm-ok.json', (e: any) => (e.detail.state.reason = 'r'.repeat(1_024)), 'detail.state.reason'],
    [
      'reason data over 4,000 characters',
      'alarm-ok.json',
      (e: any) => (e.detail.state.reasonData = JSON.stringify({ x: 'd'.repeat(4_000) })),
      'detail.state.reasonData',
    ],
    ['a 129-character event id', 'alarm-ok.json', (e: any) => (e.id = 'i'.repeat(129)), 'id'],
  ])('rejects %s, naming the field and the bound', (_what, name, edit, field) => {
    const err = rejection(edited(name, edit));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(/at most [\d,_]+ characters/);
  });

  it('accepts the bounds themselves (64-character ids, a 255-character alarm name)', () => {
    expect(
      parseTrigger(
        edited('emr-job-run-failed.json', (e) => {
          e.detail.jobRunId = 'a'.repeat(64);
          e.detail.applicationId = 'b'.repeat(64);
        }),
      ),
    ).toMatchObject({ kind: 'job-run', jobRunId: 'a'.repeat(64) });
    expect(parseTrigger(edited('alarm-ok.json', (e) => (e.detail.alarmName = 'a'.repeat(255))))).toMatchObject({ kind: 'alarm', alarmName: 'a'.repeat(255) });
  });

  it('rejects a follow-up whose incidentId (3 KB), pipeline or playbook is over its bound', () => {
    const base = { streamfix: 'follow-up', purpose: 'verify', incidentId: 'i', pipeline: 'orders', playbook: 'job-failed', attempt: 1 };
    expect(rejection({ ...base, incidentId: 'i'.repeat(3_000) }).field).toBe('incidentId');
    expect(rejection({ ...base, pipeline: 'p'.repeat(41) }).field).toBe('pipeline');
    expect(rejection({ ...base, playbook: 'p'.repeat(65) }).field).toBe('playbook');
  });

  it('rejects a follow-up with attempt 0 at attempt', () => {
    const err = rejection({ streamfix: 'follow-up', purpose: 'verify', incidentId: 'i', pipeline: 'orders', playbook: 'job-failed', attempt: 0 });
    expect(err.field).toBe('attempt');
    expect(err.message).toContain('≥ 1');
  });

  it('rejects a follow-up with an unknown purpose or marker', () => {
    const base = { streamfix: 'follow-up', purpose: 'verify', incidentId: 'i', pipeline: 'orders', playbook: 'job-failed', attempt: 1 };
    expect(rejection({ ...base, purpose: 'restart' }).field).toBe('purpose');
    expect(rejection({ ...base, streamfix: 'follow-down' }).field).toBe('streamfix');
    expect(rejection({ ...base, attempt: 1.5 }).field).toBe('attempt');
  });
});

describe('parseAwsTimestamp', () => {
  it.each([
    ['2019-10-02T17:04:40.985+0000', Date.UTC(2019, 9, 2, 17, 4, 40, 985)],
    ['2019-10-02T17:04:40.985Z', Date.UTC(2019, 9, 2, 17, 4, 40, 985)],
    ['2019-10-02T17:04:40Z', Date.UTC(2019, 9, 2, 17, 4, 40, 0)],
    ['2022-05-31T21:07:42.299487Z', Date.UTC(2022, 4, 31, 21, 7, 42, 299)],
    ['2019-10-02T22:34:40.985+05:30', Date.UTC(2019, 9, 2, 17, 4, 40, 985)],
    ['2019-10-02T09:04:40.9-0800', Date.UTC(2019, 9, 2, 17, 4, 40, 900)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('reads %s', (text, ms) => {
    expect(parseAwsTimestamp(text)).toBe(ms);
  });

  it.each(['2019-02-29T00:00:00Z', '2019-10-02T24:00:00Z', '2019-10-02T17:04:40', '2019-10-02 17:04:40Z', '2019-13-01T00:00:00Z', 'yesterday', ''])(
    'refuses %j',
    (text) => {
      expect(parseAwsTimestamp(text)).toBeUndefined();
    },
  );
});

/** The contract for any input: a Trigger, or an InvalidInputError naming a field. */
function checkTriggerOrInvalidInput(raw: unknown): void {
  let t: Trigger;
  try {
    t = parseTrigger(raw);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw new Error(`threw something else: ${String(e)}`, { cause: e });
    expect(typeof e.field).toBe('string');
    expect(e.field.length).toBeGreaterThan(0);
    expect(e.issues.length).toBeGreaterThan(0);
    expect(e.issues[0]?.field).toBe(e.field);
    for (const issue of e.issues) {
      expect(issue.field.length).toBeGreaterThan(0);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return;
  }
  switch (t.kind) {
    case 'alarm':
      expect(t.dedupeKey.startsWith(`alarm:${t.alarmName}:${t.state}:`)).toBe(true);
      expect(Number.isFinite(t.stateAtMs)).toBe(true);
      expect(['OK', 'ALARM', 'INSUFFICIENT_DATA']).toContain(t.state);
      break;
    case 'job-run':
      expect(t.dedupeKey).toBe(`job-run:${t.applicationId}:${t.jobRunId}:${t.state}`);
      expect(Number.isFinite(t.atMs)).toBe(true);
      break;
    case 'follow-up':
      expect(t.dedupeKey).toBe(`follow-up:${t.incidentId}:${t.purpose}:${t.attempt}`);
      expect(Number.isInteger(t.attempt) && t.attempt >= 1).toBe(true);
      break;
    default:
      throw new Error(`unknown trigger kind: ${JSON.stringify(t)}`);
  }
}

describe('parseTrigger: properties', () => {
  it('returns a Trigger or throws InvalidInputError with a field, for anything at all', () => {
    fc.assert(
      fc.property(anyInputArb, (raw) => checkTriggerOrInvalidInput(raw)),
      { numRuns: RUNS },
    );
  });

  it('returns a Trigger or throws InvalidInputError with a field, for mutated valid events', () => {
    fc.assert(
      fc.property(mutatedEventArb, (raw) => checkTriggerOrInvalidInput(raw)),
      { numRuns: RUNS },
    );
  });

  it('returns a Trigger or throws InvalidInputError with a field, for known envelopes around junk', () => {
    fc.assert(
      fc.property(junkDetailEventArb, (raw) => checkTriggerOrInvalidInput(raw)),
      { numRuns: RUNS },
    );
  });

  it('parses every valid alarm event to what it describes', () => {
    fc.assert(
      fc.property(validAlarmEventArb, ({ event, expected }) => {
        const t = parseTrigger(event);
        const want: AlarmTrigger = {
          kind: 'alarm',
          eventId: expected.eventId,
          dedupeKey: `alarm:${expected.alarmName}:${expected.state}:${expected.stateTimestamp}`,
          alarmName: expected.alarmName,
          state: expected.state,
          stateAtMs: expected.stateAtMs,
          reason: expected.reason,
          composite: expected.composite,
          triggeringAlarms: expected.triggeringAlarms,
          metrics: expected.metrics,
        };
        if (expected.alarmArn !== undefined) want.alarmArn = expected.alarmArn;
        if (expected.previousState !== undefined) want.previousState = expected.previousState;
        if (expected.reasonData !== undefined) want.reasonData = expected.reasonData;
        if (expected.suppression !== undefined) want.suppression = expected.suppression;
        expect(t).toStrictEqual(want);
      }),
      { numRuns: RUNS },
    );
  });

  it('makes the alarm dedupeKey a function of alarmName + state + timestamp only', () => {
    fc.assert(
      fc.property(validAlarmEventArb, validAlarmEventArb, (a, b) => {
        // b's delivery of a's transition: everything else (id, reasonData, configuration, extras) differs.
        const bAsA = structuredClone(b.event) as any;
        bAsA.detail.alarmName = a.expected.alarmName;
        bAsA.detail.state.value = a.expected.state;
        bAsA.detail.state.timestamp = a.expected.stateTimestamp;
        if (bAsA.resources) bAsA.resources = [alarmArn(a.expected.alarmName)];
        const ka = parseTrigger(a.event).dedupeKey;
        const kb = parseTrigger(b.event).dedupeKey;
        expect(parseTrigger(bAsA).dedupeKey).toBe(ka);
        const sameTransition =
          a.expected.alarmName === b.expected.alarmName && a.expected.state === b.expected.state && a.expected.stateTimestamp === b.expected.stateTimestamp;
        expect(ka === kb).toBe(sameTransition);
      }),
      { numRuns: RUNS },
    );
  });

  it('parses every valid job run event to what it describes', () => {
    fc.assert(
      fc.property(validJobRunEventArb, ({ event, expected }) => {
        const t = parseTrigger(event);
        const want: JobRunTrigger = {
          kind: 'job-run',
          eventId: expected.eventId,
          dedupeKey: `job-run:${expected.applicationId}:${expected.jobRunId}:${expected.state}`,
          applicationId: expected.applicationId,
          jobRunId: expected.jobRunId,
          state: expected.state,
          atMs: expected.atMs,
        };
        if (expected.jobRunName !== undefined) want.jobRunName = expected.jobRunName;
        if (expected.previousState !== undefined) want.previousState = expected.previousState;
        if (expected.stateDetails !== undefined) want.stateDetails = expected.stateDetails;
        expect(t).toStrictEqual(want);
        expect(describeTrigger(t)).not.toMatch(/[\r\n]/);
      }),
      { numRuns: RUNS },
    );
  });

  it('parses every valid follow-up payload', () => {
    fc.assert(
      fc.property(validFollowUpArb, (raw) => {
        expect(parseTrigger(raw).kind).toBe('follow-up');
      }),
      { numRuns: RUNS },
    );
  });
});
