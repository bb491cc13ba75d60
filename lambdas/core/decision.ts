/**
 * A Decision is a value, never a side effect. The engine carries it out through the
 * guardrails; a playbook's plan() only returns one.
 */
export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** Numbers carry their unit in the key: `lagRecords`, `checkpointAgeSeconds`. */
export type Evidence = Record<string, string | number | boolean | null>;

/** Reason codes the engine itself produces; playbooks add their own (UPPER_SNAKE). */
export const EngineReason = {
  MODE_OFF: 'MODE_OFF',
  MODE_RECOMMEND: 'MODE_RECOMMEND',
  PAUSED: 'PAUSED',
  LOCKED: 'LOCKED',
  COOLDOWN_ACTIVE: 'COOLDOWN_ACTIVE',
  BUDGET_EXHAUSTED: 'BUDGET_EXHAUSTED',
  BREAKER_OPEN: 'BREAKER_OPEN',
  BOUND_VIOLATION: 'BOUND_VIOLATION',
  ACTION_FAILED: 'ACTION_FAILED',
  VERIFIED: 'VERIFIED',
  VERIFY_PENDING: 'VERIFY_PENDING',
  VERIFY_FAILED: 'VERIFY_FAILED',
  ALARM_OK: 'ALARM_OK',
  ALARM_OK_NO_INCIDENT: 'ALARM_OK_NO_INCIDENT',
  INSUFFICIENT_DATA: 'INSUFFICIENT_DATA',
  INCIDENT_IN_PROGRESS: 'INCIDENT_IN_PROGRESS',
  RECHECK_EXHAUSTED: 'RECHECK_EXHAUSTED',
  DIAGNOSIS_FAILED: 'DIAGNOSIS_FAILED',
  INCIDENT_CLOSED: 'INCIDENT_CLOSED',
  /** An alarm event older than the newest state already seen for that alarm. */
  STALE_EVENT: 'STALE_EVENT',
  /** This worker lost the incident to another (its lease ran out): it stopped, the other decides. */
  OWNERSHIP_LOST: 'OWNERSHIP_LOST',
  /** The sweeper found the incident stuck a second time in the same state. */
  STUCK: 'STUCK',
  /** An event used up Lambda's retries, or a follow-up could not be delivered. */
  DEAD_LETTER: 'DEAD_LETTER',
  /** Mode approve: the fix waits for a person (the page carries the plan and the commands). */
  APPROVAL_REQUIRED: 'APPROVAL_REQUIRED',
  /** An approval arrived after its request expired. */
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  /** An approval arrived, but planning again gave another plan: the situation changed. */
  APPROVAL_MISMATCH: 'APPROVAL_MISMATCH',
  /** A person denied the fix. */
  APPROVAL_DENIED: 'APPROVAL_DENIED',
  /** An answer to no open request (none asked, already answered, or superseded by a newer one). */
  APPROVAL_NOT_PENDING: 'APPROVAL_NOT_PENDING',
} as const;

export interface PlannedAction {
  /** A registered action type, e.g. `emr-serverless:StartJobRun`. */
  type: string;
  /** What the action changes; the key of its lock, cooldown and budget. */
  resource: string;
  /** The exact parameters the action will be called with: bounds are checked on these. */
  params: Record<string, unknown>;
  /** One line a person reads in the timeline. */
  description: string;
}

export interface Recommendation {
  summary: string;
  /** The exact command that would apply the recommended fix, when there is one. */
  command?: string;
  /** Extra structured detail (e.g. a minimal IAM statement); never applied automatically. */
  detail?: Record<string, unknown>;
}

interface Base {
  reason: string;
  summary: string;
  evidence: Evidence;
}

export type Decision =
  | (Base & { kind: 'fix'; actions: PlannedAction[]; recommendation?: Recommendation })
  | (Base & { kind: 'recheck'; afterSeconds: number })
  | (Base & { kind: 'escalate'; severity: Severity; recommendation: Recommendation })
  | (Base & { kind: 'ignore' });

export type DecisionKind = Decision['kind'];
export type FixDecision = Extract<Decision, { kind: 'fix' }>;
export type RecheckDecision = Extract<Decision, { kind: 'recheck' }>;
export type EscalateDecision = Extract<Decision, { kind: 'escalate' }>;
export type IgnoreDecision = Extract<Decision, { kind: 'ignore' }>;

export const fix = (reason: string, summary: string, evidence: Evidence, actions: PlannedAction[]): FixDecision => ({
  kind: 'fix',
  reason,
  summary,
  evidence,
  actions,
});
export const recheck = (reason: string, summary: string, evidence: Evidence, afterSeconds: number): RecheckDecision => ({
  kind: 'recheck',
  reason,
  summary,
  evidence,
  afterSeconds,
});
export const escalate = (reason: string, summary: string, evidence: Evidence, severity: Severity, recommendation: Recommendation): EscalateDecision => ({
  kind: 'escalate',
  reason,
  summary,
  evidence,
  severity,
  recommendation,
});
export const ignore = (reason: string, summary: string, evidence: Evidence = {}): IgnoreDecision => ({
  kind: 'ignore',
  reason,
  summary,
  evidence,
});
