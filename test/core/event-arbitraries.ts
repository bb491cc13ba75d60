import fc from 'fast-check';
import type { AlarmMetricRef, AlarmStateValue, AlarmSuppression, FollowUpTrigger } from '../../lambdas/core/trigger';

/**
 * Generators of intake events for the property tests of parseTrigger. Each valid event comes with
 * what parsing it must produce, worked out from how the event was built (not by parsing it).
 */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const alarmArn = (name: string): string => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export type TimestampStyle = 'cloudwatch' | 'zulu' | 'zulu-seconds' | 'zulu-micros' | 'offset-colon' | 'offset-no-colon';

export interface GeneratedTimestamp {
  text: string;
  /** The instant the text names, to the millisecond. */
  ms: number;
}

/** Formats `ms` as AWS writes timestamps; the fraction is never rounded, so `ms` stays exact. */
export function formatTimestamp(ms: number, style: TimestampStyle, offsetMinutes = 0, micros = 0): string {
  const useOffset = style === 'offset-colon' || style === 'offset-no-colon';
  const local = new Date(ms + (useOffset ? offsetMinutes * 60_000 : 0));
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const millis = pad(local.getUTCMilliseconds(), 3);
  const abs = Math.abs(offsetMinutes);
  const sign = offsetMinutes < 0 ? '-' : '+';
  switch (style) {
    case 'cloudwatch':
      return `${date}T${time}.${millis}+0000`;
    case 'zulu':
      return `${date}T${time}.${millis}Z`;
    case 'zulu-seconds':
      // Only exact when the instant has no milliseconds: the arbitrary rounds `ms` down first.
      return `${date}T${time}Z`;
    case 'zulu-micros':
      return `${date}T${time}.${millis}${pad(micros, 3)}Z`;
    case 'offset-colon':
      return `${date}T${time}.${millis}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    case 'offset-no-colon':
      return `${date}T${time}.${millis}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  }
}

export const timestampArb: fc.Arbitrary<GeneratedTimestamp> = fc
  .record({
    ms: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31, 23, 59, 59, 999) }),
    style: fc.constantFrom<TimestampStyle>('cloudwatch', 'zulu', 'zulu-seconds', 'zulu-micros', 'offset-colon', 'offset-no-colon'),
    offsetMinutes: fc.integer({ min: -12 * 60, max: 14 * 60 }),
    micros: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ ms, style, offsetMinutes, micros }) => {
    const exact = style === 'zulu-seconds' ? ms - (ms % 1000) : ms;
    return { text: formatTimestamp(exact, style, offsetMinutes, micros), ms: exact };
  });

const realisticAlarmNames = [
  'streamfix-orders-job-failed-failed-runs',
  'streamfix-orders-job-failed-not-running',
  'streamfix-orders-lag-consumer-lag',
  'streamfix-payments-firehose-delivery-freshness',
];

/** Alarm names: realistic ones, and any non-empty text (colons, `:alarm:`, unicode included). */
export const alarmNameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...realisticAlarmNames),
  fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9._-]{0,40}$/),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}:alarm:${b}`),
);

export const alarmStateArb: fc.Arbitrary<AlarmStateValue> = fc.constantFrom('OK', 'ALARM', 'INSUFFICIENT_DATA');

/** Extra fields AWS may add: names start with `x` so they never collide with fields streamfix reads. */
const extraFieldsArb = fc.dictionary(fc.stringMatching(/^x[A-Za-z0-9]{0,10}$/), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});

const dimensionsArb = fc.dictionary(fc.stringMatching(/^[A-Z][A-Za-z0-9 ]{0,15}$/), fc.string({ maxLength: 30 }), {
  maxKeys: 4,
});

interface MetricCase {
  entry: Record<string, unknown>;
  ref: AlarmMetricRef;
}

const metricStatArb: fc.Arbitrary<MetricCase> = fc
  .record({
    id: fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,15}$/),
    namespace: fc.constantFrom('AWS/Kafka', 'AWS/EMRServerless', 'AWS/Firehose', 'Streaming/Orders'),
    name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9.]{0,30}$/),
    dimensions: dimensionsArb,
    period: fc.constantFrom(10, 30, 60, 300, 3600),
    stat: fc.constantFrom('Average', 'Sum', 'Maximum', 'Minimum', 'SampleCount', 'p99'),
    returnData: fc.boolean(),
  })
  .map((m) => ({
    entry: {
      id: m.id,
      metricStat: {
        metric: { dimensions: m.dimensions, name: m.name, namespace: m.namespace },
        period: m.period,
        stat: m.stat,
      },
      returnData: m.returnData,
    },
    ref: {
      id: m.id,
      namespace: m.namespace,
      metricName: m.name,
      dimensions: { ...m.dimensions },
      stat: m.stat,
      periodSeconds: m.period,
    },
  }));

const metricMathArb: fc.Arbitrary<MetricCase> = fc
  .record({
    id: fc.stringMatching(/^e[a-zA-Z0-9_]{0,10}$/),
    expression: fc.constantFrom('SUM(METRICS())', 'm1 + m2', 'RATE(m1)', 'ANOMALY_DETECTION_BAND(m1, 2)', 'FILL(m1, 0)'),
    label: fc.string({ maxLength: 30 }),
  })
  .map((m) => ({
    entry: { expression: m.expression, id: m.id, label: m.label, returnData: true },
    ref: { id: m.id, expression: m.expression },
  }));

/** What parsing a generated alarm event must produce. */
export interface ExpectedAlarm {
  eventId: string;
  alarmName: string;
  alarmArn: string | undefined;
  state: AlarmStateValue;
  previousState: AlarmStateValue | undefined;
  stateTimestamp: string;
  stateAtMs: number;
  reason: string;
  reasonData: unknown;
  composite: boolean;
  triggeringAlarms: string[];
  metrics: AlarmMetricRef[];
  /** What the parsed trigger's `suppression` must be (composite alarms carry an actions suppressor). */
  suppression: AlarmSuppression | undefined;
}

export interface AlarmEventCase {
  event: Record<string, unknown>;
  expected: ExpectedAlarm;
}

type ReasonDataVariant = { kind: 'absent' } | { kind: 'valid' } | { kind: 'invalid-json'; text: string } | { kind: 'not-a-string'; value: unknown };

const reasonDataVariantArb: fc.Arbitrary<ReasonDataVariant> = fc.oneof(
  fc.constant<ReasonDataVariant>({ kind: 'absent' }),
  fc.constant<ReasonDataVariant>({ kind: 'valid' }),
  fc.constantFrom('', '{', '{"version":"1.0",', 'Unchecked', '[1,2', 'undefined', "{'a':1}").map((text): ReasonDataVariant => ({ kind: 'invalid-json', text })),
  fc
    .oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }))
    .map((value): ReasonDataVariant => ({ kind: 'not-a-string', value })),
);

const alarmShapeArb = fc.oneof(
  fc.record({
    kind: fc.constant('metric' as const),
    metrics: fc.oneof(
      metricStatArb.map((m) => [m]),
      fc.tuple(metricMathArb, fc.array(metricStatArb, { minLength: 1, maxLength: 3 })).map(([e, ms]) => [e, ...ms]),
    ),
  }),
  fc.record({
    kind: fc.constant('composite' as const),
    children: fc.array(alarmNameArb, { minLength: 1, maxLength: 4 }),
    childStates: fc.array(alarmStateArb, { minLength: 4, maxLength: 4 }),
  }),
);

/** Valid "CloudWatch Alarm State Change" events: metric, metric-math and composite alarms. */
export const validAlarmEventArb: fc.Arbitrary<AlarmEventCase> = fc
  .record({
    id: fc.uuid(),
    alarmName: alarmNameArb,
    state: alarmStateArb,
    timestamp: timestampArb,
    reason: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
    previous: fc.option(fc.record({ value: alarmStateArb, timestamp: timestampArb, reason: fc.string({ maxLength: 40 }) }), {
      nil: undefined,
    }),
    withResources: fc.boolean(),
    reasonData: reasonDataVariantArb,
    shape: alarmShapeArb,
    extraTop: extraFieldsArb,
    extraDetail: extraFieldsArb,
    extraState: extraFieldsArb,
    datapoint: fc.double({ min: 0, max: 1e9, noNaN: true }).map(Math.abs),
  })
  .map((g): AlarmEventCase => {
    let validReasonData: unknown;
    let configuration: Record<string, unknown>;
    let metrics: AlarmMetricRef[] = [];
    let triggeringAlarms: string[] = [];
    if (g.shape.kind === 'composite') {
      const children = g.shape.children;
      const states = g.shape.childStates;
      configuration = {
        alarmRule: children.map((c) => `ALARM("${c}")`).join(' OR '),
        actionsSuppressor: 'streamfix-maintenance',
        actionsSuppressorWaitPeriod: 120,
        actionsSuppressorExtensionPeriod: 180,
      };
      validReasonData = {
        triggeringAlarms: children.map((c, i) => ({
          arn: alarmArn(c),
          state: { value: states[i % states.length], timestamp: g.timestamp.text },
        })),
      };
      triggeringAlarms = g.reasonData.kind === 'valid' ? [...children] : [];
    } else {
      configuration = { description: 'generated alarm', metrics: g.shape.metrics.map((m) => m.entry) };
      metrics = g.shape.metrics.map((m) => m.ref);
      validReasonData = {
        version: '1.0',
        queryDate: g.timestamp.text,
        startDate: g.timestamp.text,
        statistic: 'Average',
        period: 60,
        recentDatapoints: [g.datapoint],
        threshold: 1,
        evaluatedDatapoints: [{ timestamp: g.timestamp.text, value: g.datapoint }],
      };
    }
    const state: Record<string, unknown> = { ...g.extraState, value: g.state, timestamp: g.timestamp.text };
    if (g.reason !== undefined) state.reason = g.reason;
    let expectedReasonData: unknown;
    switch (g.reasonData.kind) {
      case 'absent':
        break;
      case 'valid':
        state.reasonData = JSON.stringify(validReasonData);
        expectedReasonData = validReasonData;
        break;
      case 'invalid-json':
        state.reasonData = g.reasonData.text;
        break;
      case 'not-a-string':
        state.reasonData = g.reasonData.value;
        break;
    }
    const detail: Record<string, unknown> = { ...g.extraDetail, alarmName: g.alarmName, state, configuration };
    if (g.previous) {
      detail.previousState = { value: g.previous.value, timestamp: g.previous.timestamp.text, reason: g.previous.reason };
    }
    const event: Record<string, unknown> = {
      ...g.extraTop,
      version: '0',
      id: g.id,
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: `${new Date(g.timestamp.ms).toISOString().slice(0, 19)}Z`,
      region: REGION,
      detail,
    };
    if (g.withResources) event.resources = [alarmArn(g.alarmName)];
    return {
      event,
      expected: {
        eventId: g.id,
        alarmName: g.alarmName,
        alarmArn: g.withResources ? alarmArn(g.alarmName) : undefined,
        state: g.state,
        previousState: g.previous?.value,
        stateTimestamp: g.timestamp.text,
        stateAtMs: g.timestamp.ms,
        reason: g.reason ?? '',
        reasonData: expectedReasonData,
        composite: g.shape.kind === 'composite',
        triggeringAlarms,
        metrics,
        suppression:
          g.shape.kind === 'composite' ? { suppressor: { alarm: 'streamfix-maintenance', waitPeriodSeconds: 120, extensionPeriodSeconds: 180 } } : undefined,
      },
    };
  });

export const JOB_RUN_STATES = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLING', 'CANCELLED', 'QUEUED'] as const;

export interface ExpectedJobRun {
  eventId: string;
  applicationId: string;
  jobRunId: string;
  jobRunName: string | undefined;
  state: string;
  previousState: string | undefined;
  stateDetails: string | undefined;
  atMs: number;
}

export interface JobRunEventCase {
  event: Record<string, unknown>;
  expected: ExpectedJobRun;
}

const emrIdArb = fc.stringMatching(/^[0-9a-z]{16}$/);

/** Valid "EMR Serverless Job Run State Change" events. */
export const validJobRunEventArb: fc.Arbitrary<JobRunEventCase> = fc
  .record({
    id: fc.uuid(),
    applicationId: emrIdArb,
    jobRunId: emrIdArb,
    state: fc.constantFrom(...JOB_RUN_STATES),
    previousState: fc.option(fc.constantFrom(...JOB_RUN_STATES), { nil: undefined }),
    stateDetails: fc.option(fc.string({ minLength: 1, maxLength: 120 }), { nil: undefined }),
    naming: fc.constantFrom('jobRunName', 'name', 'both', 'none'),
    jobRunName: fc.string({ minLength: 1, maxLength: 30 }),
    otherName: fc.string({ minLength: 1, maxLength: 30 }),
    updatedAt: fc.option(timestampArb, { nil: undefined }),
    time: timestampArb,
    extraTop: extraFieldsArb,
    extraDetail: extraFieldsArb,
  })
  .map((g): JobRunEventCase => {
    const detail: Record<string, unknown> = {
      ...g.extraDetail,
      jobRunId: g.jobRunId,
      applicationId: g.applicationId,
      arn: `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${g.applicationId}/jobruns/${g.jobRunId}`,
      releaseLabel: 'emr-7.2.0',
      state: g.state,
      createdBy: `arn:aws:sts::${ACCOUNT}:assumed-role/StreamingDeployRole/session`,
      createdAt: '2024-01-01T00:00:00.000000Z',
    };
    if (g.previousState !== undefined) detail.previousState = g.previousState;
    if (g.stateDetails !== undefined) detail.stateDetails = g.stateDetails;
    if (g.naming === 'jobRunName' || g.naming === 'both') detail.jobRunName = g.jobRunName;
    if (g.naming === 'name') detail.name = g.otherName;
    if (g.naming === 'both') detail.name = g.otherName;
    if (g.updatedAt !== undefined) detail.updatedAt = g.updatedAt.text;
    const event: Record<string, unknown> = {
      ...g.extraTop,
      version: '0',
      id: g.id,
      'detail-type': 'EMR Serverless Job Run State Change',
      source: 'aws.emr-serverless',
      account: ACCOUNT,
      time: g.time.text,
      region: REGION,
      resources: [],
      detail,
    };
    const jobRunName = g.naming === 'jobRunName' || g.naming === 'both' ? g.jobRunName : g.naming === 'name' ? g.otherName : undefined;
    return {
      event,
      expected: {
        eventId: g.id,
        applicationId: g.applicationId,
        jobRunId: g.jobRunId,
        jobRunName,
        state: g.state,
        previousState: g.previousState,
        stateDetails: g.stateDetails,
        atMs: (g.updatedAt ?? g.time).ms,
      },
    };
  });

/** The fields of a follow-up, as the engine schedules them. */
export const followUpFieldsArb: fc.Arbitrary<Omit<FollowUpTrigger, 'kind' | 'dedupeKey'>> = fc.record({
  purpose: fc.constantFrom('verify' as const, 'recheck' as const),
  incidentId: fc.string({ minLength: 1, maxLength: 40 }),
  pipeline: fc.stringMatching(/^[a-z][a-z0-9-]{0,39}$/),
  playbook: fc.constantFrom('job-failed', 'consumer-lag', 'firehose-delivery', 'checkpoint-corrupt'),
  attempt: fc.integer({ min: 1, max: 1_000 }),
});

/** A follow-up payload written out by hand (independently of followUpPayload). */
export const validFollowUpArb: fc.Arbitrary<Record<string, unknown>> = followUpFieldsArb.map((f) => ({
  streamfix: 'follow-up',
  purpose: f.purpose,
  incidentId: f.incidentId,
  pipeline: f.pipeline,
  playbook: f.playbook,
  attempt: f.attempt,
}));

/** Any valid intake. */
export const validEventArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  validAlarmEventArb.map((c) => c.event),
  validJobRunEventArb.map((c) => c.event),
  validFollowUpArb,
);

// ---------------------------------------------------------------------------------------------
// Mutations

type PathSeg = string | number;

/** Every path in a JSON-like value, the root (`[]`) included. */
export function allPaths(value: unknown, prefix: PathSeg[] = [], out: PathSeg[][] = []): PathSeg[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => allPaths(v, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) {
    for (const k of Object.keys(value)) allPaths((value as Record<string, unknown>)[k], [...prefix, k], out);
  }
  return out;
}

export type Mutation = { pick: number; op: 'delete' | 'replace'; value: unknown };

/**
 * Applies one mutation at the path `pick` selects (modulo the number of paths below the root; the
 * root itself only when it has nothing below it); returns the new root.
 */
export function applyMutation(root: unknown, m: Mutation): unknown {
  const all = allPaths(root);
  const paths = all.length > 1 ? all.slice(1) : all;
  const path = paths[m.pick % paths.length] ?? [];
  if (path.length === 0) return m.op === 'delete' ? undefined : m.value;
  let parent: unknown = root;
  for (const seg of path.slice(0, -1)) parent = (parent as Record<PathSeg, unknown>)[seg];
  const last = path[path.length - 1] as PathSeg;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (m.op === 'delete') parent.splice(last, 1);
    else parent[last] = m.value;
  } else if (typeof parent === 'object' && parent !== null) {
    const obj = parent as Record<string, unknown>;
    if (m.op === 'delete') delete obj[last];
    else obj[last] = m.value;
  }
  return root;
}

/** Values that look almost right: the wrong type, empty, a near-miss enum, a bad timestamp, junk JSON. */
export const nearMissValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    '',
    ' ',
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    [],
    {},
    [{}],
    'ALARM',
    'alarm',
    'WARNING',
    'FAILED',
    'follow-up',
    'verify',
    '2019-10-02T17:04:40.985+0000',
    '2019-02-30T17:04:40.985+0000',
    '2019-10-02 17:04:40',
    '2019-10-02T25:04:40Z',
    'not json',
    '{"triggeringAlarms":5}',
    '{"triggeringAlarms":[{"arn":7},{"arn":"arn:aws:cloudwatch:eu-west-1:1:alarm:x"}]}',
    'CloudWatch Alarm Configuration Change',
    'aws.cloudwatch',
    'aws.emr-serverless',
    'x'.repeat(100_000),
  ),
  fc.anything(),
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('delete' as const, 'replace' as const),
  value: nearMissValueArb,
});

/** Valid events with 1–4 random deletions/replacements at random paths. */
export const mutatedEventArb: fc.Arbitrary<unknown> = fc
  .tuple(validEventArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([event, mutations]) => mutations.reduce<unknown>((acc, m) => applyMutation(acc, m), structuredClone(event)));

/** Known envelopes (source + detail-type) around details made of junk in the fields streamfix reads. */
export const junkDetailEventArb: fc.Arbitrary<unknown> = fc
  .record({
    pair: fc.constantFrom(['aws.cloudwatch', 'CloudWatch Alarm State Change'], ['aws.emr-serverless', 'EMR Serverless Job Run State Change']),
    id: fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, { arbitrary: nearMissValueArb, weight: 1 }),
    time: fc.oneof({ arbitrary: timestampArb.map((t) => t.text), weight: 4 }, { arbitrary: nearMissValueArb, weight: 1 }),
    resources: fc.oneof({ arbitrary: fc.array(fc.string()), weight: 4 }, { arbitrary: nearMissValueArb, weight: 1 }),
    detail: fc.oneof(
      nearMissValueArb,
      fc.record(
        {
          alarmName: nearMissValueArb,
          state: fc.oneof(
            nearMissValueArb,
            fc.record({ value: nearMissValueArb, reason: nearMissValueArb, reasonData: nearMissValueArb, timestamp: nearMissValueArb }, { requiredKeys: [] }),
          ),
          previousState: nearMissValueArb,
          configuration: fc.oneof(
            nearMissValueArb,
            fc.record({ alarmRule: nearMissValueArb, metrics: fc.oneof(nearMissValueArb, fc.array(nearMissValueArb)) }, { requiredKeys: [] }),
          ),
          jobRunId: nearMissValueArb,
          applicationId: nearMissValueArb,
          stateDetails: nearMissValueArb,
          jobRunName: nearMissValueArb,
          name: nearMissValueArb,
          updatedAt: nearMissValueArb,
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map(({ pair, ...rest }) => ({ source: pair[0], 'detail-type': pair[1], ...rest }));

/** Anything at all, including null-prototype objects, boxed values, maps, typed arrays and sparse arrays. */
export const anyInputArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.anything({
    withBoxedValues: true,
    withNullPrototype: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withBigInt: true,
    withTypedArray: true,
    withSparseArray: true,
    withObjectString: true,
  }),
);
