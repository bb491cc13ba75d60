import type { ActionOutcome, VerifyOutcome } from '../playbooks/types';
import type { Decision, Evidence, PlannedAction, Severity } from '../core/decision';
import type { Trigger } from '../core/trigger';

/**
 * The ledger: every incident, decision and action, written before and after it runs.
 * It is also where the guardrails keep their state (locks, cooldowns, budgets, breakers).
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
  /** Ledger index of the current fix's first action: each fix of an incident gets its own indexes. */
  actionBase?: number;
  /** The one follow-up the incident waits for; any other (stale) follow-up is ignored. */
  pendingFollowUp?: { purpose: 'verify' | 'recheck'; attempt: number; token?: string };
  /** The last page sent: the same reason and severity again does not page again. */
  lastEscalation?: { reason: string; severity: Severity };
  /** Optimistic-concurrency version. */
  version: number;
}

export type ActionStatus = 'intent' | 'done' | 'failed' | 'blocked';

export interface ActionRecord {
  incidentId: string;
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
  /** An earlier delivery's worker died mid-way (lease expired): resume its incident. */
  | { kind: 'resume'; incidentId?: string }
  /** Finished before, or being processed right now by another worker: do nothing. */
  | { kind: 'duplicate'; status: 'done' | 'in-progress'; incidentId?: string };

export interface BreakerState {
  /** Open until this time (ms); undefined/past = closed. */
  openUntilMs?: number;
  openedReason?: string;
  consecutiveVerifyFailures: number;
  lastFixAtMs?: number;
}

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
