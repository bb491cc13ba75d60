import * as z from 'zod';
import { InvalidInputError } from './errors';
import { parseOperatorInput } from './operator-events';
import type {
  AlarmMetricRef,
  AlarmSuppression,
  AlarmStateValue,
  AlarmTrigger,
  FollowUpTrigger,
  JobRunTrigger,
  Trigger,
} from './trigger';

/**
 * Every way an invocation can start, parsed into a `Trigger`:
 *  - EventBridge "CloudWatch Alarm State Change" (metric, metric-math and composite alarms);
 *  - EventBridge "EMR Serverless Job Run State Change" and "EMR Serverless Job Run Retry";
 *  - a follow-up payload the engine scheduled for itself (`followUpPayload`).
 *
 * Anything else is rejected with an `InvalidInputError` whose `field` is the path of the first
 * problem and whose `issues` list every problem found. AWS adds fields to its events over time,
 * so the schemas accept unknown fields and validate only what streamfix reads.
 */

export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';
export const ALARM_CONFIGURATION_CHANGE = 'CloudWatch Alarm Configuration Change';
export const JOB_RUN_STATE_CHANGE = 'EMR Serverless Job Run State Change';
export const JOB_RUN_RETRY = 'EMR Serverless Job Run Retry';
export const CLOUDWATCH_SOURCE = 'aws.cloudwatch';
export const EMR_SERVERLESS_SOURCE = 'aws.emr-serverless';
export const FOLLOW_UP_MARKER = 'follow-up';
/** The scheduled sweep's payload is `{"streamfix": "sweep"}`. */
export const SWEEP_MARKER = 'sweep';

/** The payload a scheduled follow-up delivers back to the engine. */
export interface FollowUpPayload {
  streamfix: typeof FOLLOW_UP_MARKER;
  purpose: FollowUpTrigger['purpose'];
  incidentId: string;
  pipeline: string;
  playbook: string;
  attempt: number;
  token?: string;
}

type Issue = { field: string; message: string };

// ---------------------------------------------------------------------------------------------
// Timestamps

const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Milliseconds since the epoch for an ISO-8601 date-time as AWS writes them:
 * `2019-10-02T17:04:40.985+0000` (CloudWatch: offset without a colon), `2022-05-31T21:07:42Z`
 * (EventBridge `time`), `2022-05-31T21:07:42.299487Z` (EMR Serverless: microseconds) or an
 * offset with a colon. Fractions beyond milliseconds are truncated. `undefined` when `s` is not
 * such a timestamp or names an impossible date.
 */
export function parseAwsTimestamp(s: string): number | undefined {
  const m = TIMESTAMP_RE.exec(s);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  const t = d.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(t) ? t : undefined;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** A short, one-line rendering of an input value for error messages. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 60)}…` : v;
    return JSON.stringify(s);
  }
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return `a ${typeof v}`;
}

/** A zod error function: "missing: expected X" or "expected X, got Y". */
const expected =
  (what: string) =>
  (iss: { input?: unknown }): string =>
    iss.input === undefined ? `missing: expected ${what}` : `expected ${what}, got ${show(iss.input)}`;

const nonEmptyString = (what = 'a non-empty string') =>
  z.string({ error: expected(what) }).min(1, { error: expected(what) });


/**
 * Every string below is kept: in a DynamoDB key (at most 2,048 bytes) or in a ledger item (at
 * most 400 KB). Each has a bound, AWS's own where it documents one (alarm names 255, state
 * reasons 1,023 and reason data 4,000 characters: PutMetricAlarm / SetAlarmState; EMR Serverless
 * ids 64: JobRun), and a longer value is rejected naming the field.
 */
const atMost = (max: number) => (iss: { input?: unknown }) =>
  `at most ${max} characters, got ${typeof iss.input === 'string' ? iss.input.length : 'more'}`;
const boundedString = (what: string, max: number) => nonEmptyString(what).max(max, { error: atMost(max) });
const boundedText = (max: number) => z.string({ error: expected('a string') }).max(max, { error: atMost(max) }).nullish();
/** Free text with a bound (alarm names, suppressors, run names): long enough for any AWS value. */
const optionalText = boundedText(2_048);

const timestamp = (what = 'an ISO-8601 timestamp such as 2019-10-02T17:04:40.985+0000') =>
  z
    .string({ error: expected(what) })
    .refine((s) => parseAwsTimestamp(s) !== undefined, { error: expected(what) });

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

function reject(issues: Issue[]): never {
  const first = issues[0] ?? { field: '(root)', message: 'invalid input' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).map((i) => i.field).join(', ')})` : '';
  throw new InvalidInputError(first.field, `${first.message}${more}`, issues);
}

function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  reject(r.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message })));
}

// ---------------------------------------------------------------------------------------------
// Schemas

const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
const alarmStateValue = z.enum(ALARM_STATES, { error: expected('OK, ALARM or INSUFFICIENT_DATA') });

const metricStatSchema = z.looseObject(
  {
    metric: z.looseObject(
      {
        namespace: boundedString('a non-empty string', 255),
        name: boundedString('a non-empty string', 255),
        dimensions: z
          .record(z.string().max(255, { error: atMost(255) }), z.string({ error: expected('a string dimension value') }).max(1_024, { error: atMost(1_024) }), {
            error: expected('an object of dimension name → value'),
          })
          .nullish(),
      },
      { error: expected('an object {namespace, name, dimensions}') },
    ),
    period: z
      .number({ error: expected('a period in seconds') })
      .int({ error: expected('a whole number of seconds') })
      .positive({ error: expected('a positive number of seconds') }),
    stat: boundedString('a statistic such as Average or p99', 64),
  },
  { error: expected('an object {metric, period, stat}') },
);

const metricEntrySchema = z
  .looseObject(
    {
      id: boundedString('a metric id', 255),
      metricStat: metricStatSchema.optional(),
      expression: boundedString('a metric-math expression', 2_048).optional(),
    },
    { error: expected('an object {id, metricStat} or {id, expression}') },
  )
  .superRefine((entry, ctx) => {
    if (entry.metricStat === undefined && entry.expression === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected metricStat or expression, got neither', path: [] });
    }
  });

const seconds = z.number({ error: expected('a number of seconds') }).int({ error: expected('a whole number of seconds') }).min(0, { error: expected('a number of seconds ≥ 0') });

const alarmStateSchema = z.looseObject(
  {
    value: alarmStateValue,
    reason: boundedText(1_023),
    actionsSuppressedBy: optionalText,
    actionsSuppressedReason: optionalText,
    /** A JSON string, read defensively below: never a reason to reject the event, unless over CloudWatch's 4,000 characters. */
    reasonData: z.unknown().refine((v) => typeof v !== 'string' || v.length <= 4_000, { error: atMost(4_000) }).optional(),
    timestamp: timestamp(),
  },
  { error: expected('an object {value, reason, reasonData, timestamp}') },
);

const alarmEventSchema = z.looseObject({
  id: boundedString('the event id (a non-empty string)', 128),
  resources: z.array(z.string({ error: expected('an ARN string') }).max(2_048, { error: atMost(2_048) }), { error: expected('an array of ARNs') }).max(20, { error: expected('at most 20 ARNs') }).nullish(),
  detail: z.looseObject(
    {
      alarmName: boundedString('the alarm name (a non-empty string)', 255),
      state: alarmStateSchema,
      previousState: z
        .looseObject({ value: alarmStateValue }, { error: expected('an object {value, ...}') })
        .nullish(),
      configuration: z
        .looseObject(
          {
            alarmRule: boundedString('a composite alarm rule', 10_240).nullish(),
            metrics: z.array(metricEntrySchema, { error: expected('an array of metrics') }).nullish(),
            actionsSuppressor: optionalText,
            actionsSuppressorWaitPeriod: seconds.nullish(),
            actionsSuppressorExtensionPeriod: seconds.nullish(),
          },
          { error: expected('an object') },
        )
        .nullish(),
      muteDetail: z
        .looseObject(
          { mutedByArn: nonEmptyString('the mute rule ARN'), muteWindowStart: timestamp(), muteWindowEnd: timestamp() },
          { error: expected('an object {mutedByArn, muteWindowStart, muteWindowEnd}') },
        )
        .nullish(),
    },
    { error: expected('an object (the alarm state change)') },
  ),
});

const jobRunEventSchema = z
  .looseObject({
    id: boundedString('the event id (a non-empty string)', 128),
    time: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:42Z').nullish(),
    detail: z.looseObject(
      {
        jobRunId: boundedString('the job run id (a non-empty string)', 64),
        applicationId: boundedString('the application id (a non-empty string)', 64),
        state: boundedString('a job run state such as FAILED', 32),
        previousState: boundedText(32),
        stateDetails: boundedText(16_384),
        jobRunName: boundedText(256),
        name: boundedText(256),
        updatedAt: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:42.299487Z').nullish(),
      },
      { error: expected('an object (the job run state change)') },
    ),
  })
  .superRefine((e, ctx) => {
    if (e.detail.updatedAt == null && e.time == null) {
      ctx.addIssue({
        code: 'custom',
        message: 'missing: expected an ISO-8601 timestamp (neither detail.updatedAt nor time is present)',
        path: ['time'],
      });
    }
  });

const attemptNumber = z
  .number({ error: expected('an attempt number (a whole number ≥ 1)') })
  .int({ error: expected('an attempt number (a whole number ≥ 1)') })
  .min(1, { error: expected('an attempt number (a whole number ≥ 1)') });

/** EMR Serverless User Guide, "Automating EMR Serverless with Amazon EventBridge": "Job run retry event". */
const jobRunRetrySchema = z.looseObject({
  id: nonEmptyString('the event id (a non-empty string)'),
  time: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:42Z'),
  detail: z.looseObject(
    {
      jobRunId: nonEmptyString('the job run id (a non-empty string)'),
      applicationId: nonEmptyString('the application id (a non-empty string)'),
      jobRunName: optionalText,
      previousAttempt: attemptNumber,
      previousAttemptState: nonEmptyString('the previous attempt\'s state such as FAILED'),
      previousAttemptEndedAt: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:30.325900Z').nullish(),
      newAttempt: attemptNumber,
    },
    { error: expected('an object (the job run retry)') },
  ),
});

const followUpSchema = z.looseObject({
  streamfix: z.literal(FOLLOW_UP_MARKER, { error: expected(`"${FOLLOW_UP_MARKER}"`) }),
  purpose: z.enum(['verify', 'recheck'], { error: expected('verify or recheck') }),
  incidentId: boundedString('the incident id (a non-empty string)', 200),
  pipeline: boundedString('the pipeline name (a non-empty string)', 40),
  playbook: boundedString('the playbook id (a non-empty string)', 64),
  attempt: z
    .number({ error: expected('an attempt number (a whole number ≥ 1)') })
    .int({ error: expected('an attempt number (a whole number ≥ 1)') })
    .min(1, { error: expected('an attempt number (a whole number ≥ 1)') }),
  token: z.string({ error: expected('a scheduling token (a string)') }).regex(/^[A-Za-z0-9-]{1,64}$/, { error: expected('a scheduling token (1–64 letters, digits or dashes)') }).optional(),
});

// ---------------------------------------------------------------------------------------------
// Parsing

const HANDLED: Record<string, string> = {
  [ALARM_STATE_CHANGE]: CLOUDWATCH_SOURCE,
  [JOB_RUN_STATE_CHANGE]: EMR_SERVERLESS_SOURCE,
  [JOB_RUN_RETRY]: EMR_SERVERLESS_SOURCE,
};
const SOURCES = new Set(Object.values(HANDLED));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `state.reasonData`: a JSON string; anything else, or invalid JSON, gives undefined. */
function readReasonData(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The alarm's name from its ARN, `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`.
 * The name may itself hold colons, so everything after the resource type is the name.
 */
function alarmNameFromArn(arn: string): string {
  const parts = arn.split(':');
  if (parts.length >= 7 && parts[0] === 'arn' && parts[5] === 'alarm') return parts.slice(6).join(':');
  const at = arn.lastIndexOf(':alarm:');
  return at >= 0 ? arn.slice(at + ':alarm:'.length) : arn;
}

function triggeringAlarmsOf(reasonData: unknown): string[] {
  if (!isRecord(reasonData)) return [];
  const list = reasonData.triggeringAlarms;
  if (!Array.isArray(list)) return [];
  const names: string[] = [];
  for (const entry of list) {
    if (isRecord(entry) && typeof entry.arn === 'string' && entry.arn !== '') names.push(alarmNameFromArn(entry.arn));
  }
  return names;
}

function metricRef(entry: z.output<typeof metricEntrySchema>): AlarmMetricRef {
  const ref: AlarmMetricRef = { id: entry.id };
  if (entry.metricStat) {
    ref.namespace = entry.metricStat.metric.namespace;
    ref.metricName = entry.metricStat.metric.name;
    ref.dimensions = { ...(entry.metricStat.metric.dimensions ?? {}) };
    ref.stat = entry.metricStat.stat;
    ref.periodSeconds = entry.metricStat.period;
  }
  if (entry.expression !== undefined) ref.expression = entry.expression;
  return ref;
}

export const alarmDedupeKey = (alarmName: string, state: AlarmStateValue, stateTimestamp: string): string =>
  `alarm:${alarmName}:${state}:${stateTimestamp}`;

export const jobRunDedupeKey = (applicationId: string, jobRunId: string, state: string): string =>
  `job-run:${applicationId}:${jobRunId}:${state}`;

export const jobRunRetryDedupeKey = (applicationId: string, jobRunId: string, newAttempt: number): string =>
  `job-run-retry:${applicationId}:${jobRunId}:${newAttempt}`;

export const followUpDedupeKey = (incidentId: string, purpose: FollowUpTrigger['purpose'], attempt: number, token?: string): string =>
  `follow-up:${incidentId}:${purpose}:${attempt}${token ? `:${token}` : ''}`;

function parseAlarm(raw: unknown): AlarmTrigger {
  const e = parseWith(alarmEventSchema, raw);
  const { alarmName, state, previousState, configuration } = e.detail;
  const reasonData = readReasonData(state.reasonData);
  const trigger: AlarmTrigger = {
    kind: 'alarm',
    eventId: e.id,
    dedupeKey: alarmDedupeKey(alarmName, state.value, state.timestamp),
    alarmName,
    state: state.value,
    // Validated by the schema: the timestamp parses.
    stateAtMs: parseAwsTimestamp(state.timestamp) as number,
    reason: state.reason ?? '',
    composite: configuration?.alarmRule != null,
    triggeringAlarms: triggeringAlarmsOf(reasonData),
    metrics: (configuration?.metrics ?? []).map(metricRef),
  };
  const arn = e.resources?.[0];
  if (arn !== undefined && arn !== '') trigger.alarmArn = arn;
  const suppression = suppressionOf(state, configuration, e.detail.muteDetail);
  if (suppression) trigger.suppression = suppression;
  if (previousState) trigger.previousState = previousState.value;
  if (reasonData !== undefined) trigger.reasonData = reasonData;
  return trigger;
}

type AlarmEvent = z.output<typeof alarmEventSchema>['detail'];

/** What the event says about CloudWatch holding the alarm's actions; undefined when it says nothing. */
function suppressionOf(state: AlarmEvent['state'], configuration: AlarmEvent['configuration'], mute: AlarmEvent['muteDetail']): AlarmSuppression | undefined {
  const out: AlarmSuppression = {};
  if (state.actionsSuppressedBy != null && state.actionsSuppressedBy !== '') out.actionsSuppressedBy = state.actionsSuppressedBy;
  if (state.actionsSuppressedReason != null && state.actionsSuppressedReason !== '') out.actionsSuppressedReason = state.actionsSuppressedReason;
  if (configuration?.actionsSuppressor != null && configuration.actionsSuppressor !== '') {
    out.suppressor = {
      alarm: configuration.actionsSuppressor,
      ...(configuration.actionsSuppressorWaitPeriod != null ? { waitPeriodSeconds: configuration.actionsSuppressorWaitPeriod } : {}),
      ...(configuration.actionsSuppressorExtensionPeriod != null ? { extensionPeriodSeconds: configuration.actionsSuppressorExtensionPeriod } : {}),
    };
  }
  if (mute) {
    // Validated by the schema: both timestamps parse.
    out.mute = { mutedByArn: mute.mutedByArn, startMs: parseAwsTimestamp(mute.muteWindowStart) as number, endMs: parseAwsTimestamp(mute.muteWindowEnd) as number };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function parseJobRunRetry(raw: unknown): JobRunTrigger {
  const e = parseWith(jobRunRetrySchema, raw);
  const d = e.detail;
  const trigger: JobRunTrigger = {
    kind: 'job-run',
    eventId: e.id,
    dedupeKey: jobRunRetryDedupeKey(d.applicationId, d.jobRunId, d.newAttempt),
    applicationId: d.applicationId,
    jobRunId: d.jobRunId,
    state: 'RETRY',
    atMs: parseAwsTimestamp(e.time) as number,
    retry: {
      previousAttempt: d.previousAttempt,
      previousAttemptState: d.previousAttemptState,
      newAttempt: d.newAttempt,
      ...(d.previousAttemptEndedAt != null ? { previousAttemptEndedAtMs: parseAwsTimestamp(d.previousAttemptEndedAt) as number } : {}),
    },
  };
  if (d.jobRunName != null) trigger.jobRunName = d.jobRunName;
  return trigger;
}

function parseJobRun(raw: unknown): JobRunTrigger {
  const e = parseWith(jobRunEventSchema, raw);
  const d = e.detail;
  // The schema guarantees one of them is present and parses.
  const atMs = parseAwsTimestamp((d.updatedAt ?? e.time) as string) as number;
  const trigger: JobRunTrigger = {
    kind: 'job-run',
    eventId: e.id,
    dedupeKey: jobRunDedupeKey(d.applicationId, d.jobRunId, d.state),
    applicationId: d.applicationId,
    jobRunId: d.jobRunId,
    state: d.state,
    atMs,
  };
  const name = d.jobRunName ?? d.name;
  if (name != null) trigger.jobRunName = name;
  if (d.previousState != null) trigger.previousState = d.previousState;
  if (d.stateDetails != null) trigger.stateDetails = d.stateDetails;
  return trigger;
}

function parseFollowUp(raw: unknown): FollowUpTrigger {
  const p = parseWith(followUpSchema, raw);
  return {
    kind: 'follow-up',
    dedupeKey: followUpDedupeKey(p.incidentId, p.purpose, p.attempt, p.token),
    purpose: p.purpose,
    incidentId: p.incidentId,
    pipeline: p.pipeline,
    playbook: p.playbook,
    attempt: p.attempt,
    ...(p.token !== undefined ? { token: p.token } : {}),
  };
}

/** Checks `source` and `detail-type` together; every problem with them is reported. */
function envelopeIssues(source: unknown, detailType: unknown): Issue[] {
  const issues: Issue[] = [];
  const sourceKnown = typeof source === 'string' && SOURCES.has(source);
  if (!sourceKnown) {
    issues.push({
      field: 'source',
      message: `expected "${CLOUDWATCH_SOURCE}" or "${EMR_SERVERLESS_SOURCE}" (or a follow-up payload with streamfix: "${FOLLOW_UP_MARKER}"), got ${show(source)}`,
    });
  }
  if (detailType === ALARM_CONFIGURATION_CHANGE) {
    issues.push({
      field: 'detail-type',
      message: `configuration-change events are not handled: expected "${ALARM_STATE_CHANGE}", got "${ALARM_CONFIGURATION_CHANGE}"`,
    });
  } else if (typeof detailType !== 'string' || HANDLED[detailType] === undefined) {
    issues.push({
      field: 'detail-type',
      message: `expected "${ALARM_STATE_CHANGE}", "${JOB_RUN_STATE_CHANGE}" or "${JOB_RUN_RETRY}", got ${show(detailType)}`,
    });
  } else if (sourceKnown && HANDLED[detailType] !== source) {
    issues.push({
      field: 'detail-type',
      message: `"${detailType}" does not come from source "${String(source)}": expected "${
        Object.keys(HANDLED).find((k) => HANDLED[k] === source) ?? ''
      }"`,
    });
  }
  return issues;
}

/**
 * Parses any intake into a `Trigger`. Throws `InvalidInputError` (and nothing else) on any
 * input it does not accept; its `field` names the path of the first problem.
 */
export function parseTrigger(raw: unknown): Trigger {
  if (!isRecord(raw)) {
    reject([
      {
        field: '(root)',
        message: `expected an object (an EventBridge event or a streamfix follow-up payload), got ${show(raw)}`,
      },
    ]);
  }
  if (raw.streamfix === SWEEP_MARKER) return { kind: 'sweep', dedupeKey: 'sweep' };
  // Approvals, resumes and the pause parameters' change events (operator-events.ts).
  const operator = parseOperatorInput(raw);
  if (operator) return operator;
  if (Object.hasOwn(raw, 'streamfix')) return parseFollowUp(raw);
  const source = raw.source;
  const detailType = raw['detail-type'];
  const issues = envelopeIssues(source, detailType);
  if (issues.length > 0) reject(issues);
  if (detailType === ALARM_STATE_CHANGE) return parseAlarm(raw);
  return detailType === JOB_RUN_RETRY ? parseJobRunRetry(raw) : parseJobRun(raw);
}

/** The payload to schedule for a follow-up; `parseTrigger` turns it back into the trigger. */
export function followUpPayload(t: Omit<FollowUpTrigger, 'kind' | 'dedupeKey'>): FollowUpPayload {
  return {
    streamfix: FOLLOW_UP_MARKER,
    purpose: t.purpose,
    incidentId: t.incidentId,
    pipeline: t.pipeline,
    playbook: t.playbook,
    attempt: t.attempt,
    ...(t.token !== undefined ? { token: t.token } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Describing

const oneLine = (s: string, max = 200): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** One human line for logs and timelines. */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'alarm': {
      const base = `alarm ${oneLine(t.alarmName)} → ${t.state}`;
      if (!t.composite) return base;
      const by = t.triggeringAlarms.length > 0 ? `; triggered by ${oneLine(t.triggeringAlarms.join(', '))}` : '';
      return `${base} (composite${by})`;
    }
    case 'job-run': {
      const name = t.jobRunName !== undefined ? ` ${JSON.stringify(oneLine(t.jobRunName, 80))}` : '';
      const details = t.stateDetails !== undefined && t.stateDetails.trim() !== '' ? ` (${oneLine(t.stateDetails)})` : '';
      if (t.retry) {
        return `job run ${oneLine(t.jobRunId)}${name} of app ${oneLine(t.applicationId)}: attempt ${t.retry.previousAttempt} ${oneLine(t.retry.previousAttemptState, 40)}, EMR retries as attempt ${t.retry.newAttempt}`;
      }
      return `job run ${oneLine(t.jobRunId)}${name} of app ${oneLine(t.applicationId)} → ${oneLine(t.state, 40)}${details}`;
    }
    case 'follow-up':
      return `follow-up ${t.purpose} #${t.attempt} of incident ${oneLine(t.incidentId)} (${oneLine(t.pipeline)}/${oneLine(t.playbook)})`;
    case 'sweep':
      return 'sweep for stuck incidents';
    case 'approval':
      return `${t.verdict === 'approve' ? 'approval' : 'denial'}${t.approvalId ? ` of request ${t.approvalId}` : ''} of incident ${oneLine(t.incidentId)} by ${oneLine(t.by.arn, 300)}${t.reason ? ` (${oneLine(t.reason)})` : ''}`;
    case 'resume':
      return t.source === 'parameter-store'
        ? `pause parameter ${oneLine(t.parameterName ?? '', 300)} changed`
        : `resume of ${t.pipeline ?? 'every pipeline'}${t.by ? ` by ${oneLine(t.by.arn, 300)}` : ''}`;
  }
}
