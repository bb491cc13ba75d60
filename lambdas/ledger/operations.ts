import { ConflictError } from '../core/errors';
import { LEDGER_TABLE } from './table';
import { absent, eq, type ItemStore, type KeyedItem } from './item-store';
import { auditTtl, pad } from './keys';
import type { OperationRecord } from './types';

const INDEX = { name: LEDGER_TABLE.gsi1.name, pkAttr: LEDGER_TABLE.gsi1.partitionKey, skAttr: LEDGER_TABLE.gsi1.sortKey };

/** Manual operations (checkpoint ops, DLQ replay, breaker resets): the record and per-unit progress. */
export class Operations {
  constructor(
    private readonly store: ItemStore,
    private readonly retentionDays?: number,
  ) {}

  /** Creates the operation record, or returns the existing one (a re-invocation continues it). */
  async start(op: OperationRecord): Promise<{ record: OperationRecord; created: boolean }> {
    try {
      await this.store.put(this.item(op), absent());
      return { record: op, created: true };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    return { record: (await this.get(op.operationId))!, created: false };
  }

  async get(operationId: string): Promise<OperationRecord | undefined> {
    const it = await this.store.get(`OP#${operationId}`, 'META');
    return it ? (JSON.parse(String(it.doc)) as OperationRecord) : undefined;
  }

  /** Optimistic write of the operation record (status, counters). */
  async save(op: OperationRecord, nowMs: number): Promise<OperationRecord> {
    const next = { ...op, version: op.version + 1, updatedAtMs: nowMs };
    await this.store.put(this.item(next), eq('version', op.version));
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
      pk: `OP#${operationId}`,
      sk: `PROGRESS#${unit}`,
      doc: JSON.stringify(progress),
      updatedAt: nowMs,
      ...auditTtl(nowMs, this.retentionDays),
    });
  }

  async list(): Promise<OperationRecord[]> {
    const items = await this.store.query('OPERATIONS', undefined, INDEX);
    return items.map((i) => JSON.parse(String(i.doc)) as OperationRecord).sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  private item(o: OperationRecord): KeyedItem {
    return {
      pk: `OP#${o.operationId}`,
      sk: 'META',
      version: o.version,
      status: o.status,
      [INDEX.pkAttr]: 'OPERATIONS',
      [INDEX.skAttr]: `${pad(o.startedAtMs)}#${o.operationId}`,
      doc: JSON.stringify(o),
      ...auditTtl(o.startedAtMs, this.retentionDays),
    };
  }
}
