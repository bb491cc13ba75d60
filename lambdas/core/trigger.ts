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

/**
 * CloudWatch itself holds the alarm's actions (CloudWatch User Guide, "Alarm events and
 * EventBridge", cloudwatch-and-eventbridge.html; "Configure alarm mute rules"): a composite
 * alarm's actions suppressor, or an alarm mute rule whose window covers the state change.
 */
export interface AlarmSuppression {
  /** `state.actionsSuppressedBy`: `WaitPeriod`, `ExtensionPeriod` or `Alarm` (absent or `None`: not suppressed). */
  actionsSuppressedBy?: string;
  actionsSuppressedReason?: string;
  /** `configuration.actionsSuppressor*` of a composite alarm. */
  suppressor?: { alarm: string; waitPeriodSeconds?: number; extensionPeriodSeconds?: number };
  /** `muteDetail`: the mute rule and its window (ms since epoch). */
  mute?: { mutedByArn: string; startMs: number; endMs: number };
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
  /** Present when the event carries suppression or mute information (see suppression.ts for what it means). */
  suppression?: AlarmSuppression;
}

/** An "EMR Serverless Job Run Retry" event: EMR started a new attempt of the run itself. */
export interface JobRunRetry {
  previousAttempt: number;
  previousAttemptState: string;
  newAttempt: number;
  previousAttemptEndedAtMs?: number;
}

export interface JobRunTrigger {
  kind: 'job-run';
  eventId: string;
  dedupeKey: string;
  applicationId: string;
  jobRunId: string;
  /** The run's name: AWS's documented events do not carry it (the router asks GetJobRun). */
  jobRunName?: string;
  /** The run's state; `RETRY` for a retry event (the run goes on as `retry.newAttempt`). */
  state: string;
  retry?: JobRunRetry;
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

/** Who answered an approval request, or lifted a pause: as the caller states it (the CLI: STS GetCallerIdentity). */
export interface OperatorIdentity {
  /** `arn:aws:iam::123456789012:user/jane` or `arn:aws:sts::123456789012:assumed-role/Role/session`. */
  arn: string;
  account?: string;
  userId?: string;
}

/** A person's answer to an incident's request for approval (mode `approve`; engine/approval.ts). */
export interface ApprovalTrigger {
  kind: 'approval';
  dedupeKey: string;
  verdict: 'approve' | 'deny';
  incidentId: string;
  pipeline: string;
  playbook: string;
  by: OperatorIdentity;
  /** Why (required to deny). */
  reason?: string;
  /** The request answered (`a1`, `a2`, …); absent: the incident's newest. */
  approvalId?: string;
}

/**
 * A pause was lifted (a pause parameter changed, or `streamfix resume`): re-evaluate what the
 * pause held (engine/resume.ts).
 */
export interface ResumeTrigger {
  kind: 'resume';
  dedupeKey: string;
  /** `parameter-store`: a "Parameter Store Change" event; `operator`: `streamfix resume` (or the same payload). */
  source: 'parameter-store' | 'operator';
  /** The pause parameter that changed (parameter-store). */
  parameterName?: string;
  /** The pipeline resumed; absent with `operator`: every pipeline. */
  pipeline?: string;
  by?: OperatorIdentity;
}

export type Trigger = AlarmTrigger | JobRunTrigger | FollowUpTrigger | SweepTrigger | ApprovalTrigger | ResumeTrigger;
