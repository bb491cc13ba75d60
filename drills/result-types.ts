/**
 * The parts of a drill result that depend on nothing else in drills/: an incident as the drill
 * saw it, a timeline line and an expectation's check. The per-service summaries (firehose.ts,
 * msk.ts, flink.ts, dlq.ts) build checks from here, and result.ts assembles the whole result.
 */

export interface ActionResult {
  /** The AWS operation (`StartJobRun`), from the action type `emr-serverless:StartJobRun`. */
  operation: string;
  type: string;
  status: string;
  description: string;
  params: Record<string, unknown>;
  summary?: string;
  /** When its intent was written, and when its result (seconds from the start). */
  startedAtSeconds: number;
  endedAtSeconds?: number;
}

export interface EscalationResult {
  channel: 'pagerduty' | 'sns';
  severity?: string;
  dedupKey?: string;
  summary?: string;
  atSeconds: number;
}

export interface IncidentResult {
  incidentId: string;
  pipeline: string;
  playbook: string;
  status: string;
  openedAtSeconds: number;
  trigger: string;
  /**
   * The incident's final decision: the last one that was not `ignore` (a late trigger that
   * changes nothing does not undo a fix or an escalation), or the last one when all were.
   */
  decision?: { kind: string; reason: string; summary: string };
  /** The ledger's latest decision, as the engine stored it. */
  latestDecision?: { kind: string; reason: string; summary: string };
  /** Every decision recorded for the incident, in order. */
  decisions: { atSeconds: number; kind: string; reason: string; summary: string }[];
  actions: ActionResult[];
  /** AWS calls made by the invocations that worked on this incident, by operation. */
  calls: Record<string, number>;
  verified: boolean;
  resolution?: { reason: string; atSeconds: number };
  escalations: EscalationResult[];
  /** From the last fault at or before the incident opened to its verified recovery. */
  timeToRecoverSeconds?: number;
  /** Mode approve: each request for approval and what became of it. */
  approvals?: { id: string; status: string; by?: string }[];
  /** Who approved the fix that was carried out (every action of it done); absent when none was. */
  approvedBy?: string;
}

export interface TimelineLine {
  atMs: number;
  at: string;
  kind: string;
  text: string;
  incidentId?: string;
}

export interface ExpectationCheck {
  path: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}
