import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AwsAdapters } from '../adapters';
import type { SchedulerAdapter } from '../adapters/scheduler';
import type { StreamfixConfig } from '../config/schema';
import type { Clock } from '../core/clock';
import type { Decision, Recommendation } from '../core/decision';
import type { RuntimeEnv } from '../core/env';
import type { WorkerLease } from '../core/lease';
import type { Playbook, PlaybookContext, PlaybookSettings } from '../core/playbook';
import type { Trigger } from '../core/trigger';
import type { Escalator } from '../escalation/types';
import type { ApprovalGrant, Guardrails } from '../guardrails';
import type { Ownership } from '../ledger/incidents';
import type { Ledger } from '../ledger/ledger';
import type { IncidentRecord, IncidentStatus } from '../ledger/types';

/**
 * What one incident's run is made of (the engine's dependencies, the run's state) and the steps
 * the incident runner (incident.ts) offers the modules it calls out to (approval.ts,
 * report-writer.ts): they depend on this file, not on the runner, so none of them imports back.
 */

export interface EngineDeps {
  playbook: Playbook;
  config: StreamfixConfig;
  env: RuntimeEnv;
  region: string;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  ledger: Ledger;
  guardrails: Guardrails;
  escalator: Escalator;
  scheduler: Pick<SchedulerAdapter, 'createOneTimeSchedule'>;
  aws: AwsAdapters;
  /** The function's own ARN, target of its follow-ups. */
  functionArn?: string;
}

export interface Run {
  inc: IncidentRecord;
  /** This worker's ownership of the incident: every write below is fenced with it. */
  own: Ownership;
  lease: WorkerLease;
  ctx: PlaybookContext;
  settings: PlaybookSettings;
  trigger: Trigger;
  /** The invocation's request id: tells this worker's follow-ups from those of one that died. */
  token: string;
  /** Timeline writes in flight: they decide nothing, so they overlap the next step; the last write waits for them. */
  notes: Promise<void>[];
  /** Mode approve: the approval a person just gave for this incident's fix (engine/approval.ts). */
  grant?: ApprovalGrant;
}

export type Outcome = Promise<{ incidentId: string; decision: Decision }>;

/** The incident runner's steps that mode approve's handling (approval.ts) calls back into. */
export interface RunSteps {
  now(): number;
  carryOut(run: Run, decision: Decision): Outcome;
  escalate(run: Run, decision: Decision & { kind: 'escalate' }, status?: IncidentStatus): Outcome;
  asRecommendation(d: Decision): Recommendation;
  /** A timeline entry written alongside the next step instead of before it (it decides nothing). */
  note(run: Run, kind: Parameters<Ledger['appendTimeline']>[2], summary: string, data?: Record<string, unknown>): Promise<void>;
  record(run: Run, d: Decision): Promise<void>;
  save(run: Run, status: IncidentStatus, decision: Decision, opts?: { keep?: boolean }): Outcome;
}
