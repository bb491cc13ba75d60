import * as z from 'zod';
import type { AlarmMetricRef, AlarmStateValue, AlarmSuppression, AlarmTrigger } from '../trigger';
import { atMost, boundedString, boundedText, expected, nonEmptyString, optionalText, parseWith, timestamp } from './schema';
import { parseAwsTimestamp } from './timestamp';
import { isRecord } from './record';

/**
 * EventBridge "CloudWatch Alarm State Change" (metric, metric-math and composite alarms), parsed
 * into an AlarmTrigger. AWS adds fields to its events over time, so the schema accepts unknown
 * fields and validates only what streamfix reads.
 */

export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';
export const ALARM_CONFIGURATION_CHANGE = 'CloudWatch Alarm Configuration Change';
export const CLOUDWATCH_SOURCE = 'aws.cloudwatch';

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

const seconds = z
  .number({ error: expected('a number of seconds') })
  .int({ error: expected('a whole number of seconds') })
  .min(0, { error: expected('a number of seconds ≥ 0') });

const alarmStateSchema = z.looseObject(
  {
    value: alarmStateValue,
    reason: boundedText(1_023),
    actionsSuppressedBy: optionalText,
    actionsSuppressedReason: optionalText,
    /** A JSON string, read defensively below: never a reason to reject the event, unless over CloudWatch's 4,000 characters. */
    reasonData: z
      .unknown()
      .refine((v) => typeof v !== 'string' || v.length <= 4_000, { error: atMost(4_000) })
      .optional(),
    timestamp: timestamp(),
  },
  { error: expected('an object {value, reason, reasonData, timestamp}') },
);

const alarmEventSchema = z.looseObject({
  id: boundedString('the event id (a non-empty string)', 128),
  resources: z
    .array(z.string({ error: expected('an ARN string') }).max(2_048, { error: atMost(2_048) }), { error: expected('an array of ARNs') })
    .max(20, { error: expected('at most 20 ARNs') })
    .nullish(),
  detail: z.looseObject(
    {
      alarmName: boundedString('the alarm name (a non-empty string)', 255),
      state: alarmStateSchema,
      previousState: z.looseObject({ value: alarmStateValue }, { error: expected('an object {value, ...}') }).nullish(),
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

export const alarmDedupeKey = (alarmName: string, state: AlarmStateValue, stateTimestamp: string): string => `alarm:${alarmName}:${state}:${stateTimestamp}`;

export function parseAlarm(raw: unknown): AlarmTrigger {
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
    out.mute = {
      mutedByArn: mute.mutedByArn,
      startMs: parseAwsTimestamp(mute.muteWindowStart) as number,
      endMs: parseAwsTimestamp(mute.muteWindowEnd) as number,
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
