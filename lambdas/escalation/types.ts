import type { DecisionKind, Evidence, Recommendation, Severity } from '../core/decision';

/** What a person receives: numbers, what was done, and the exact command for the fix. */
export interface EscalationPayload {
  incidentId: string;
  /** One per pipeline + playbook incident: trigger on escalation, resolve when the alarm is OK. */
  dedupKey: string;
  pipeline: string;
  playbook: string;
  severity: Severity;
  decision: DecisionKind;
  reason: string;
  summary: string;
  evidence: Evidence;
  actionsTaken: { type: string; description: string; status: string; summary?: string }[];
  recommendation: Recommendation;
  openedAt: string;
  /** The runbook and the pipeline's dashboard (escalation/links.ts). */
  links?: { href: string; text: string }[];
}

export interface ResolvePayload {
  incidentId: string;
  dedupKey: string;
  pipeline: string;
  playbook: string;
  summary: string;
}

/** A notice that streamfix changed something (PagerDuty change event + SNS). */
export interface ChangeNotice {
  incidentId: string;
  pipeline: string;
  playbook: string;
  summary: string;
  details: Record<string, unknown>;
}

export interface DeliveryResult {
  channel: 'sns' | 'pagerduty';
  ok: boolean;
  attempts: number;
  error?: string;
}

export interface Escalator {
  trigger(p: EscalationPayload): Promise<DeliveryResult[]>;
  resolve(p: ResolvePayload): Promise<DeliveryResult[]>;
  change(n: ChangeNotice): Promise<DeliveryResult[]>;
}
