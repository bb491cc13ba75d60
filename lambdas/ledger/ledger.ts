import { randomUUID } from 'node:crypto';
import { DynamoStore, type Item } from '../adapters/dynamodb';
import type { AwsClientOptions } from '../adapters/clients';
import { ConflictError } from '../core/errors';
import type { PlannedAction } from '../core/decision';
import type { Trigger } from '../core/trigger';
import type { ActionOutcome } from '../playbooks/types';
import { LEDGER_TABLE } from './table';
import {
  TERMINAL,
  type ActionRecord,
  type ActionStatus,
  type BreakerState,
  type DeliveryClaim,
  type IncidentRecord,
  type OperationRecord,
  type TimelineEntry,
  type TimelineKind,
} from './types';

const DAY_S = 86_400;
const RETAIN_DELIVERIES_S = 7 * DAY_S;
const pad = (n: number, w = 15) => String(Math.max(0, Math.floor(n))).padStart(w, '0');
const expires = (nowMs: number, seconds: number) => Math.floor(nowMs / 1000) + seconds;

let seq = 0;
const nextSeq = () => `${(seq++ % 1_000_000).toString().padStart(6, '0')}-${randomUUID().slice(0, 8)}`;

/**
 * The ledger: incidents, their timelines and actions, delivery claims, and the guardrails'
 * state, in one DynamoDB table. Every write that decides who acts is conditional.
 */
/** `auditRetentionDays` (config `ledger.auditRetentionDays`): absent = audit items are kept for good. */
export interface LedgerOptions {
  auditRetentionDays?: number;
}

export class Ledger {
  constructor(private readonly store: DynamoStore, private readonly options: LedgerOptions = {}) {}

  static fromOptions(opts: AwsClientOptions, tableName: string, options: LedgerOptions = {}): Ledger {
    return new Ledger(DynamoStore.fromOptions(opts, tableName), options);
  }

  /** The TTL of an audit item (incident, timeline, action, operation, progress): none unless a retention is configured. */
  private audit(atMs: number): { expiresAt?: number } {
    const days = this.options.auditRetentionDays;
    return days === undefined ? {} : { expiresAt: expires(atMs, days * DAY_S) };
  }

  // ---------------------------------------------------------------- deliveries

  /**
   * Claims one delivery of an event. Timeline of a lease:
   *   t0 worker A claims (in-progress, leaseUntil = t0 + lease)
   *   t1 a duplicate arrives, lease still valid      → duplicate / in-progress (do nothing)
   *   t2 A dies; EventBridge/Lambda redelivers after the lease ran out → resume (take over A's claim)
   *   t3 A (or its successor) finishes                → done; every later copy is a duplicate
   */
  async claimDelivery(key: string, owner: string, nowMs: number, leaseMs: number): Promise<DeliveryClaim> {
    const pk = `DELIVERY#${key}`;
    try {
      await this.store.put(
        { pk, sk: '-', status: 'in-progress', owner, leaseUntil: nowMs + leaseMs, claimedAt: nowMs, expiresAt: expires(nowMs, RETAIN_DELIVERIES_S) },
        { expression: 'attribute_not_exists(pk)' },
      );
      return { kind: 'new' };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    const existing = await this.store.get(pk, '-');
    const incidentId = typeof existing?.incidentId === 'string' ? existing.incidentId : undefined;
    if (!existing || existing.status === 'done') return { kind: 'duplicate', status: 'done', ...(incidentId ? { incidentId } : {}) };
    if (Number(existing.leaseUntil) > nowMs) return { kind: 'duplicate', status: 'in-progress', ...(incidentId ? { incidentId } : {}) };
    try {
      await this.store.update(pk, '-', { owner, leaseUntil: nowMs + leaseMs }, {
        expression: '#s = :inprog AND leaseUntil <= :now',
        names: { '#s': 'status' },
        values: { ':inprog': 'in-progress', ':now': nowMs },
      });
      return { kind: 'resume', ...(incidentId ? { incidentId } : {}) };
    } catch (e) {
      if (e instanceof ConflictError) return { kind: 'duplicate', status: 'in-progress', ...(incidentId ? { incidentId } : {}) };
      throw e;
    }
  }

  async attachDelivery(key: string, incidentId: string): Promise<void> {
    await this.store.update(`DELIVERY#${key}`, '-', { incidentId });
  }

  /**
   * The worker failed (an error it could not record as a decision): end its lease now, so the
   * retry Lambda makes of this invocation resumes at once instead of being taken for a copy.
   */
  async releaseDelivery(key: string, owner: string): Promise<void> {
    try {
      await this.store.update(`DELIVERY#${key}`, '-', { leaseUntil: 0 }, {
        expression: '#o = :owner AND #s = :inprog',
        names: { '#o': 'owner', '#s': 'status' },
        values: { ':owner': owner, ':inprog': 'in-progress' },
      });
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }

  async finishDelivery(key: string, owner: string, nowMs: number, outcome: string): Promise<void> {
    try {
      await this.store.update(`DELIVERY#${key}`, '-', { status: 'done', finishedAt: nowMs, outcome }, {
        expression: '#o = :owner',
        names: { '#o': 'owner' },
        values: { ':owner': owner },
      });
    } catch (e) {
      // Another worker took the claim over after our lease ran out; it finishes it.
      if (!(e instanceof ConflictError)) throw e;
    }
  }

  // ---------------------------------------------------------------- incidents

  /** One open incident per pipeline + playbook: the first trigger opens it, later ones join it. */
  async openOrJoinIncident(
    pipeline: string,
    playbook: string,
    trigger: Trigger,
    nowMs: number,
  ): Promise<{ incident: IncidentRecord; created: boolean }> {
    const pointer = `OPEN#${pipeline}#${playbook}`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const incidentId = `${pipeline}.${playbook}.${new Date(nowMs).toISOString().replace(/[-:]/g, '').slice(0, 15)}.${randomUUID().slice(0, 6)}`;
      const incident: IncidentRecord = {
        incidentId, pipeline, playbook, status: 'open', openedAtMs: nowMs, updatedAtMs: nowMs,
        trigger, verifyAttempts: 0, recheckCount: 0, version: 0,
      };
      try {
        await this.store.put({ pk: pointer, sk: '-', incidentId, openedAt: nowMs }, { expression: 'attribute_not_exists(pk)' });
        await this.store.put(this.incidentItem(incident), { expression: 'attribute_not_exists(pk)' });
        return { incident, created: true };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
      const p = await this.store.get(pointer, '-');
      if (!p) continue; // closed in between: try again
      const existing = await this.getIncident(String(p.incidentId));
      if (existing && !TERMINAL.has(existing.status)) return { incident: existing, created: false };
      // The pointer outlived its incident (crash between close steps, or the incident item
      // not yet written by a worker that died): drop it if it still points there, then retry.
      if (!existing && nowMs - Number(p.openedAt) < 60_000) {
        throw new ConflictError(`incident ${String(p.incidentId)} is being opened by another worker`);
      }
      await this.store.delete(pointer, '-', {
        expression: 'incidentId = :id', values: { ':id': String(p.incidentId) },
      }).catch((err) => { if (!(err instanceof ConflictError)) throw err; });
    }
    throw new ConflictError(`could not open an incident for ${pipeline}/${playbook}`);
  }

  /** Records a decision that needs no open incident (e.g. an OK with nothing open). */
  async recordStandalone(incident: Omit<IncidentRecord, 'version'>): Promise<IncidentRecord> {
    const rec = { ...incident, version: 0 };
    await this.store.put(this.incidentItem(rec), { expression: 'attribute_not_exists(pk)' });
    return rec;
  }

  async getIncident(incidentId: string): Promise<IncidentRecord | undefined> {
    const it = await this.store.get(`INCIDENT#${incidentId}`, 'META');
    return it ? (JSON.parse(String(it.doc)) as IncidentRecord) : undefined;
  }

  async getOpenIncident(pipeline: string, playbook: string): Promise<IncidentRecord | undefined> {
    const p = await this.store.get(`OPEN#${pipeline}#${playbook}`, '-');
    if (!p) return undefined;
    const inc = await this.getIncident(String(p.incidentId));
    return inc && !TERMINAL.has(inc.status) ? inc : undefined;
  }

  /** Optimistic write: fails with ConflictError when someone saved a newer version first. */
  async saveIncident(incident: IncidentRecord, nowMs: number): Promise<IncidentRecord> {
    const next: IncidentRecord = { ...incident, version: incident.version + 1, updatedAtMs: nowMs };
    await this.store.put(this.incidentItem(next), { expression: 'version = :v', values: { ':v': incident.version } });
    if (TERMINAL.has(next.status)) {
      await this.store
        .delete(`OPEN#${next.pipeline}#${next.playbook}`, '-', { expression: 'incidentId = :id', values: { ':id': next.incidentId } })
        .catch((e) => { if (!(e instanceof ConflictError)) throw e; });
    }
    return next;
  }

  async listIncidents(): Promise<IncidentRecord[]> {
    const items = await this.store.query('INCIDENTS', undefined, { name: LEDGER_TABLE.gsi1.name, pkAttr: 'gsi1pk' });
    return items.map((i) => JSON.parse(String(i.doc)) as IncidentRecord).sort((a, b) => a.openedAtMs - b.openedAtMs);
  }

  private incidentItem(i: IncidentRecord): Item & { pk: string; sk: string } {
    return {
      pk: `INCIDENT#${i.incidentId}`, sk: 'META', version: i.version, status: i.status,
      gsi1pk: 'INCIDENTS', gsi1sk: `${pad(i.openedAtMs)}#${i.incidentId}`,
      doc: JSON.stringify(i), ...this.audit(i.openedAtMs),
    };
  }

  // ---------------------------------------------------------------- timeline

  async appendTimeline(incidentId: string, atMs: number, kind: TimelineKind, summary: string, data?: Record<string, unknown>): Promise<void> {
    const s = nextSeq();
    const entry: TimelineEntry = { incidentId, atMs, seq: s, kind, summary, ...(data ? { data } : {}) };
    await this.store.put({
      pk: `INCIDENT#${incidentId}`, sk: `T#${pad(atMs)}#${s}`, doc: JSON.stringify(entry), ...this.audit(atMs),
    });
  }

  async listTimeline(incidentId: string): Promise<TimelineEntry[]> {
    const items = await this.store.query(`INCIDENT#${incidentId}`, 'T#');
    return items.map((i) => JSON.parse(String(i.doc)) as TimelineEntry);
  }

  // ---------------------------------------------------------------- actions (write-ahead)

  async getAction(incidentId: string, index: number): Promise<ActionRecord | undefined> {
    const it = await this.store.get(`INCIDENT#${incidentId}`, `ACTION#${pad(index, 4)}`);
    return it ? (JSON.parse(String(it.doc)) as ActionRecord) : undefined;
  }

  /** Written BEFORE the action runs. Returns false when an intent already exists (a resume). */
  async recordActionIntent(incidentId: string, index: number, action: PlannedAction, nowMs: number): Promise<ActionRecord | undefined> {
    const rec: ActionRecord = {
      incidentId, index, actionId: `${incidentId}#${index}`, action, status: 'intent', startedAtMs: nowMs,
    };
    try {
      await this.store.put(this.actionItem(rec), { expression: 'attribute_not_exists(pk)' });
      return rec;
    } catch (e) {
      if (e instanceof ConflictError) return undefined;
      throw e;
    }
  }

  /** Written AFTER the action ran (or failed). */
  async recordActionResult(
    rec: ActionRecord,
    status: Exclude<ActionStatus, 'intent'>,
    nowMs: number,
    result: { outcome?: ActionOutcome; error?: string },
  ): Promise<ActionRecord> {
    const next: ActionRecord = { ...rec, status, endedAtMs: nowMs, ...result };
    await this.store.put(this.actionItem(next));
    return next;
  }

  async listActions(incidentId: string): Promise<ActionRecord[]> {
    const items = await this.store.query(`INCIDENT#${incidentId}`, 'ACTION#');
    return items.map((i) => JSON.parse(String(i.doc)) as ActionRecord);
  }

  private actionItem(a: ActionRecord): Item & { pk: string; sk: string } {
    return {
      pk: `INCIDENT#${a.incidentId}`, sk: `ACTION#${pad(a.index, 4)}`, status: a.status,
      doc: JSON.stringify(a), ...this.audit(a.startedAtMs),
    };
  }

  // ---------------------------------------------------------------- manual operations

  /** Creates the operation record, or returns the existing one (a re-invocation continues it). */
  async startOperation(op: OperationRecord): Promise<{ record: OperationRecord; created: boolean }> {
    try {
      await this.store.put(this.operationItem(op), { expression: 'attribute_not_exists(pk)' });
      return { record: op, created: true };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    return { record: (await this.getOperation(op.operationId))!, created: false };
  }

  async getOperation(operationId: string): Promise<OperationRecord | undefined> {
    const it = await this.store.get(`OP#${operationId}`, 'META');
    return it ? (JSON.parse(String(it.doc)) as OperationRecord) : undefined;
  }

  /** Optimistic write of the operation record (status, counters). */
  async saveOperation(op: OperationRecord, nowMs: number): Promise<OperationRecord> {
    const next = { ...op, version: op.version + 1, updatedAtMs: nowMs };
    await this.store.put(this.operationItem(next), { expression: 'version = :v', values: { ':v': op.version } });
    return next;
  }

  /** Progress of one unit of an operation (e.g. one DLQ object): what was acknowledged so far. */
  async getProgress(operationId: string, unit: string): Promise<Record<string, unknown> | undefined> {
    const it = await this.store.get(`OP#${operationId}`, `PROGRESS#${unit}`);
    return it ? (JSON.parse(String(it.doc)) as Record<string, unknown>) : undefined;
  }

  async listProgress(operationId: string): Promise<{ unit: string; progress: Record<string, unknown> }[]> {
    const items = await this.store.query(`OP#${operationId}`, 'PROGRESS#');
    return items.map((i) => ({ unit: String(i.sk).slice('PROGRESS#'.length), progress: JSON.parse(String(i.doc)) as Record<string, unknown> }));
  }

  async putProgress(operationId: string, unit: string, progress: Record<string, unknown>, nowMs: number): Promise<void> {
    await this.store.put({
      pk: `OP#${operationId}`, sk: `PROGRESS#${unit}`, doc: JSON.stringify(progress), updatedAt: nowMs,
      ...this.audit(nowMs),
    });
  }

  async listOperations(): Promise<OperationRecord[]> {
    const items = await this.store.query('OPERATIONS', undefined, { name: LEDGER_TABLE.gsi1.name, pkAttr: 'gsi1pk' });
    return items.map((i) => JSON.parse(String(i.doc)) as OperationRecord).sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  private operationItem(o: OperationRecord): Item & { pk: string; sk: string } {
    return {
      pk: `OP#${o.operationId}`, sk: 'META', version: o.version, status: o.status,
      gsi1pk: 'OPERATIONS', gsi1sk: `${pad(o.startedAtMs)}#${o.operationId}`,
      doc: JSON.stringify(o), ...this.audit(o.startedAtMs),
    };
  }

  // ---------------------------------------------------------------- guardrail state

  /**
   * Lease lock. A holder that dies leaves the lock until `leaseUntil`; after that anyone may
   * take it. Re-acquiring a lock you hold extends it.
   */
  async acquireLock(resource: string, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    try {
      await this.store.put(
        { pk: `LOCK#${resource}`, sk: '-', owner, leaseUntil: nowMs + leaseMs, expiresAt: expires(nowMs + leaseMs, DAY_S) },
        {
          expression: 'attribute_not_exists(pk) OR leaseUntil <= :now OR #o = :owner',
          names: { '#o': 'owner' },
          values: { ':now': nowMs, ':owner': owner },
        },
      );
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  async lockHolder(resource: string, nowMs: number): Promise<string | undefined> {
    const it = await this.store.get(`LOCK#${resource}`, '-');
    return it && Number(it.leaseUntil) > nowMs ? String(it.owner) : undefined;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    await this.store
      .delete(`LOCK#${resource}`, '-', { expression: '#o = :owner', names: { '#o': 'owner' }, values: { ':owner': owner } })
      .catch((e) => { if (!(e instanceof ConflictError)) throw e; });
  }

  async getCooldownUntil(resource: string): Promise<number | undefined> {
    const it = await this.store.get(`COOLDOWN#${resource}`, '-');
    return it ? Number(it.untilMs) : undefined;
  }

  async setCooldown(resource: string, untilMs: number): Promise<void> {
    await this.store.put({ pk: `COOLDOWN#${resource}`, sk: '-', untilMs, expiresAt: expires(untilMs, DAY_S) });
  }

  /** Actions on `resource` in the sliding window ending now. */
  async countBudget(resource: string, nowMs: number, windowMs: number): Promise<number> {
    const it = await this.store.get(`BUDGET#${resource}`, '-');
    return it ? (JSON.parse(String(it.times)) as number[]).filter((t) => t > nowMs - windowMs).length : 0;
  }

  /**
   * Reserves one action in a sliding window (not a clock-hour bucket, which would allow twice
   * the budget across an hour boundary). Optimistic concurrency on `version`.
   */
  async reserveBudget(resource: string, nowMs: number, windowMs: number, max: number): Promise<{ allowed: boolean; used: number }> {
    const pk = `BUDGET#${resource}`;
    for (let attempt = 0; attempt < 8; attempt++) {
      const it = await this.store.get(pk, '-');
      const version = it ? Number(it.version) : 0;
      const times = it ? (JSON.parse(String(it.times)) as number[]).filter((t) => t > nowMs - windowMs) : [];
      if (times.length >= max) return { allowed: false, used: times.length };
      times.push(nowMs);
      try {
        await this.store.put(
          { pk, sk: '-', version: version + 1, times: JSON.stringify(times), expiresAt: expires(nowMs + windowMs, DAY_S) },
          it ? { expression: 'version = :v', values: { ':v': version } } : { expression: 'attribute_not_exists(pk)' },
        );
        return { allowed: true, used: times.length };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    throw new ConflictError(`budget for ${resource} is contended; try again`);
  }

  async getBreaker(key: string): Promise<BreakerState> {
    const it = await this.store.get(`BREAKER#${key}`, '-');
    return it ? (JSON.parse(String(it.doc)) as BreakerState) : { consecutiveVerifyFailures: 0 };
  }

  async saveBreaker(key: string, state: BreakerState): Promise<void> {
    await this.store.put({ pk: `BREAKER#${key}`, sk: '-', doc: JSON.stringify(state) });
  }
}
