import { AlarmStates } from './alarm-states';
import { DeadLetters } from './dead-letters';
import { Deliveries } from './deliveries';
import { Incidents } from './incidents';
import { MemoryItemStore, type ItemStore } from './item-store';
import { Operations } from './operations';
import { OperationTargets } from './targets';
import { Timeline } from './timeline';
import type { ActionRecord, IncidentRecord, OperationRecord, TimelineEntry, TimelineKind } from './types';

/**
 * The ledger: every incident, decision and action, written before and after it runs, plus the
 * delivery claims, the newest state of each alarm, dead letters, manual operations and the
 * leases on their targets. One DynamoDB table (single-table design, table.ts; built by
 * engine/dynamo-ledger.ts), or memory for the benches and fast tests; each record type has its
 * own module over the same ItemStore.
 */
/** `auditRetentionDays` (config `ledger.auditRetentionDays`): absent = audit items are kept for good. */
export interface LedgerOptions {
  auditRetentionDays?: number;
}

export class Ledger {
  readonly deliveries: Deliveries;
  readonly incidents: Incidents;
  readonly timeline: Timeline;
  readonly operations: Operations;
  readonly alarms: AlarmStates;
  readonly deadLetters: DeadLetters;
  /** Who works on an operation's target (a DLQ, a checkpoint) right now: one run at a time. */
  readonly targets: OperationTargets;

  constructor(
    readonly store: ItemStore,
    options: LedgerOptions = {},
  ) {
    const keep = options.auditRetentionDays;
    this.deliveries = new Deliveries(store);
    this.incidents = new Incidents(store, keep);
    this.timeline = new Timeline(store, keep);
    this.operations = new Operations(store, keep);
    this.alarms = new AlarmStates(store);
    this.deadLetters = new DeadLetters(store, keep);
    this.targets = new OperationTargets(store);
  }

  static inMemory(options: LedgerOptions = {}): Ledger {
    return new Ledger(new MemoryItemStore(), options);
  }

  // Reads and appends used across the code base, by their long-standing names.

  appendTimeline(incidentId: string, atMs: number, kind: TimelineKind, summary: string, data?: Record<string, unknown>): Promise<void> {
    return this.timeline.append(incidentId, atMs, kind, summary, data);
  }

  listTimeline(incidentId: string): Promise<TimelineEntry[]> {
    return this.timeline.list(incidentId);
  }

  getIncident(incidentId: string): Promise<IncidentRecord | undefined> {
    return this.incidents.get(incidentId);
  }

  getOpenIncident(pipeline: string, playbook: string): Promise<IncidentRecord | undefined> {
    return this.incidents.getOpen(pipeline, playbook);
  }

  listIncidents(): Promise<IncidentRecord[]> {
    return this.incidents.list();
  }

  listActions(incidentId: string): Promise<ActionRecord[]> {
    return this.incidents.listActions(incidentId);
  }

  startOperation(op: OperationRecord): Promise<{ record: OperationRecord; created: boolean }> {
    return this.operations.start(op);
  }

  getOperation(operationId: string): Promise<OperationRecord | undefined> {
    return this.operations.get(operationId);
  }

  saveOperation(op: OperationRecord, nowMs: number): Promise<OperationRecord> {
    return this.operations.save(op, nowMs);
  }

  getProgress(operationId: string, unit: string): Promise<Record<string, unknown> | undefined> {
    return this.operations.getProgress(operationId, unit);
  }

  listProgress(operationId: string): Promise<{ unit: string; progress: Record<string, unknown> }[]> {
    return this.operations.listProgress(operationId);
  }

  putProgress(operationId: string, unit: string, progress: Record<string, unknown>, nowMs: number): Promise<void> {
    return this.operations.putProgress(operationId, unit, progress, nowMs);
  }

  listOperations(): Promise<OperationRecord[]> {
    return this.operations.list();
  }
}
