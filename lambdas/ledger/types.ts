import type { ActionOutcome, VerifyOutcome } from '../core/playbook';
import type { Decision, Evidence, PlannedAction, Severity } from '../core/decision';
import type { Trigger } from '../core/trigger';

/**
 * The ledger: every incident, decision and action, written before and after it runs.
 */

export type IncidentStatus =
  | 'open' // being diagnosed / planned
  | 'acting' // actions in progress
  | 'verifying' // fixed, waiting for the follow-up check or the alarm's OK
  | 'rechecking' // waiting to look again (Recheck decision)
  | 'resolved' // recovered (verified or alarm OK)
  | 'escalated' // a person was paged; stays open until the alarm returns to OK
  | 'ignored' // nothing to do
  | 'recommended'; // mode `recommend`: told, changed nothing

export const TERMINAL: ReadonlySet<IncidentStatus> = new Set(['resolved', 'ignored', 'recommended']);

export interface IncidentRecord {
  incidentId: string;
  pipeline: string;
  playbook: string;
  status: IncidentStatus;
  openedAtMs: number;
  updatedAtMs: number;
  closedAtMs?: number;
  /** The trigger that opened the incident. */
  trigger: Trigger;
  /** The latest decision. */
  decision?: Decision;
  /** The latest diagnosis. */
  evidence?: Evidence;
  fixedAtMs?: number;
  recoveredAtMs?: number;
  escalatedSeverity?: Severity;
  /** PagerDuty/SNS dedup key, set on first escalation. */
  dedupKey?: string;
  verifyAttempts: number;
  recheckCount: number;
  /** Index (in `actions`) of the current fix's first action: each fix of an incident gets its own indexes. */
  actionBase?: number;
  /** Whether the current fix passed the gate (its budget is reserved): a resume does not pay again. */
  fixAdmitted?: boolean;
  /**
   * Every action of the incident, written before it runs (intent) and after (done/failed), in
   * the same fenced write as the incident: a worker that lost ownership can neither start nor
   * record one.
   */
  actions?: ActionRecord[];
  /** The one follow-up the incident waits for; any other (stale) follow-up is ignored. */
  pendingFollowUp?: { purpose: 'verify' | 'recheck'; attempt: number; token?: string; dueAtMs?: number };
  /** When the sweeper last took this incident up (it does so once per stuck state). */
  sweptAtMs?: number;
  /** The stuck state the sweeper took up (engine/sweep.ts `sweepKey`): the same state again escalates. */
  sweptKey?: string;
  /** The last page sent: the same reason and severity again does not page again. */
  lastEscalation?: { reason: string; severity: Severity };
  /** Mode approve: every request for approval of a fix, oldest first, with its answer (engine/approval.ts). */
  approvals?: ApprovalRecord[];
  /** Optimistic-concurrency version. */
  version: number;
}

/**
 * A request for a person's approval of one fix, and what became of it: `pending` until answered;
 * `accepted` once a person approved it in time (until the fix passes the gate: a lock or a
 * cooldown may hold it back for a recheck); `approved` once the approved fix passed the gate (it
 * then runs); `denied`; `refused` (planning again gave another plan); `expired` (answered, or
 * still held back, after the expiry); `superseded` (a newer request replaced it).
 */
export interface ApprovalRecord {
  /** `a1`, `a2`, … within the incident. */
  id: string;
  status: 'pending' | 'accepted' | 'approved' | 'denied' | 'refused' | 'expired' | 'superseded';
  requestedAtMs: number;
  expiresAtMs: number;
  /** The plan the person is asked to approve. */
  reason: string;
  summary: string;
  actions: PlannedAction[];
  /** Who answered (an IAM or STS ARN), when, and why. */
  answeredBy?: string;
  answeredAtMs?: number;
  answerReason?: string;
  /** Why an approval was not carried out (refused, expired). */
  outcome?: string;
}

export type ActionStatus = 'intent' | 'done' | 'failed' | 'blocked';

export interface ActionRecord {
  incidentId: string;
  /** The owner's fence when the intent was written (or taken over). */
  fence?: number;
  index: number;
  actionId: string;
  action: PlannedAction;
  status: ActionStatus;
  startedAtMs: number;
  endedAtMs?: number;
  outcome?: ActionOutcome;
  error?: string;
}

export type TimelineKind =
  | 'trigger'
  | 'duplicate'
  | 'diagnosis'
  | 'decision'
  | 'guardrail'
  | 'action'
  | 'verify'
  | 'escalation'
  | 'resolve'
  | 'schedule'
  | 'approval'
  | 'note';

export interface TimelineEntry {
  incidentId: string;
  atMs: number;
  seq: string;
  kind: TimelineKind;
  summary: string;
  data?: Record<string, unknown>;
}

export type DeliveryClaim =
  /** First delivery: process it. */
  | { kind: 'new' }
  /**
   * An earlier attempt at this delivery died mid-way: resume its incident. `retry`: Lambda's
   * retry of that very attempt (same request id), taken over at once; `expired`: another copy,
   * after the dead holder's lease ran out.
   */
  | { kind: 'resume'; by: 'retry' | 'expired'; incidentId?: string }
  /** Finished before, or being processed right now by another worker: do nothing. */
  | { kind: 'duplicate'; status: 'done' | 'in-progress'; incidentId?: string };

export type { VerifyOutcome };

/** A manual operation (checkpoint backup/rollback/reset/restore, DLQ replay) and its outcome. */
export interface OperationRecord {
  operationId: string;
  /** Operation function id, e.g. `checkpoint-ops`, `dlq-replay`. */
  kind: string;
  /** The sub-command, e.g. `backup`, `replay`. */
  command: string;
  pipeline?: string;
  /** The validated payload (never secrets). */
  params: Record<string, unknown>;
  status: 'running' | 'done' | 'partial' | 'refused' | 'failed';
  startedAtMs: number;
  updatedAtMs: number;
  endedAtMs?: number;
  summary?: string;
  /** Counters and results (numbers with units in their names). */
  result?: Record<string, unknown>;
  version: number;
}

/** An event that never got through (see ledger/dead-letters.ts). */
export interface DeadLetterRecord {
  id: string;
  atMs: number;
  /**
   * `lambda-on-failure`: Lambda's retries were used up; `scheduler-dlq`: the Scheduler could not
   * deliver a follow-up; `eventbridge-dlq`: a rule could not deliver an event to the function.
   */
  source: 'lambda-on-failure' | 'scheduler-dlq' | 'eventbridge-dlq';
  /** The function the event was for. */
  functionArn?: string;
  /** The event as first delivered (what a redrive sends again). */
  event: unknown;
  error: { type: string; message: string };
  attempts?: number;
  /** The incident the event belongs to, when known. */
  incidentId?: string;
  /** The playbook (or operation) whose function the event was for, when known. */
  playbook?: string;
  status: 'pending' | 'redriven';
  redrivenAtMs?: number;
  redrivenBy?: string;
  redriveOutcome?: string;
}
