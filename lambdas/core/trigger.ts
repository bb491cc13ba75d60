/**
 * What started an invocation, after parsing and validation (see events.ts).
 * Every trigger carries a `dedupeKey`: the same delivery seen twice has the same key.
 */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmMetricRef {
  id: string;
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string>;
  stat?: string;
  periodSeconds?: number;
  expression?: string;
}

export interface AlarmTrigger {
  kind: 'alarm';
  eventId: string;
  dedupeKey: string;
  alarmName: string;
  alarmArn?: string;
  state: AlarmStateValue;
  previousState?: AlarmStateValue;
  /** When the alarm entered `state` (ms since epoch). */
  stateAtMs: number;
  reason: string;
  /** Parsed `reasonData` when it was present and valid JSON. */
  reasonData?: unknown;
  composite: boolean;
  triggeringAlarms: string[];
  metrics: AlarmMetricRef[];
}

export interface JobRunTrigger {
  kind: 'job-run';
  eventId: string;
  dedupeKey: string;
  applicationId: string;
  jobRunId: string;
  jobRunName?: string;
  state: string;
  previousState?: string;
  stateDetails?: string;
  atMs: number;
}

/** A follow-up the engine scheduled for itself (EventBridge Scheduler one-time schedule). */
export interface FollowUpTrigger {
  kind: 'follow-up';
  dedupeKey: string;
  /** `sweep`: made by the sweeper (never scheduled) for an incident it found stuck. */
  purpose: 'verify' | 'recheck' | 'sweep';
  incidentId: string;
  pipeline: string;
  playbook: string;
  attempt: number;
  /**
   * Which scheduling of this follow-up it is (the scheduling invocation's request id). A worker
   * that died after scheduling is resumed by one that schedules again: only the newest counts.
   */
  token?: string;
}

/** The scheduled sweep (every 5 minutes): look for incidents stuck past their deadline. */
export interface SweepTrigger {
  kind: 'sweep';
  dedupeKey: string;
}

export type Trigger = AlarmTrigger | JobRunTrigger | FollowUpTrigger | SweepTrigger;
