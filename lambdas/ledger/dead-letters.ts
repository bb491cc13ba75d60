import { ConflictError } from '../core/errors';
import { LEDGER_TABLE } from './table';
import { absent, eq, type ItemStore } from './item-store';
import { auditTtl, pad } from './keys';
import type { DeadLetterRecord } from './types';

const INDEX = { name: LEDGER_TABLE.gsi1.name, pkAttr: LEDGER_TABLE.gsi1.partitionKey, skAttr: LEDGER_TABLE.gsi1.sortKey };

/**
 * Events that never got through: an invocation that used up Lambda's retries (the function's
 * on-failure destination) or a follow-up the Scheduler could not deliver (its dead-letter queue).
 * Each is paged once and kept until `streamfix redrive` sends it through the engine again.
 */
export class DeadLetters {
  constructor(
    private readonly store: ItemStore,
    private readonly retentionDays?: number,
  ) {}

  /** False when this dead letter (same id) was recorded before. */
  async record(d: DeadLetterRecord): Promise<boolean> {
    try {
      await this.store.put(
        {
          pk: `DEADLETTER#${d.id}`,
          sk: 'META',
          status: d.status,
          doc: JSON.stringify(d),
          [INDEX.pkAttr]: 'DEADLETTERS',
          [INDEX.skAttr]: `${pad(d.atMs)}#${d.id}`,
          ...auditTtl(d.atMs, this.retentionDays),
        },
        absent(),
      );
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  async list(status?: DeadLetterRecord['status']): Promise<DeadLetterRecord[]> {
    const items = await this.store.query('DEADLETTERS', undefined, INDEX);
    return items.map((i) => JSON.parse(String(i.doc)) as DeadLetterRecord).filter((d) => status === undefined || d.status === status);
  }

  /** Marks a pending dead letter redriven; false when someone else redrove it first. */
  async markRedriven(d: DeadLetterRecord, by: string, nowMs: number, outcome: string): Promise<boolean> {
    const next: DeadLetterRecord = { ...d, status: 'redriven', redrivenAtMs: nowMs, redrivenBy: by, redriveOutcome: outcome };
    try {
      await this.store.update(`DEADLETTER#${d.id}`, 'META', { status: next.status, doc: JSON.stringify(next) }, eq('status', 'pending'));
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }
}
