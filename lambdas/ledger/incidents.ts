import { randomUUID } from 'node:crypto';
import { ConflictError } from '../core/errors';
import type { Trigger } from '../core/trigger';
import { LEDGER_TABLE } from './table';
import { absent, and, eq, has, type Item, type ItemStore, type KeyedItem } from './item-store';
import { auditTtl, pad } from './keys';
import { heldBy, LEASE_ATTRS, leaseOf, takeable, type LeaseView } from './lease';
import { TERMINAL, type ActionRecord, type IncidentRecord } from './types';

const META = 'META';
const itemPk = (incidentId: string) => `INCIDENT#${incidentId}`;
const pointerPk = (pipeline: string, playbook: string) => `OPEN#${pipeline}#${playbook}`;
const INDEX = { name: LEDGER_TABLE.gsi1.name, pkAttr: LEDGER_TABLE.gsi1.partitionKey, skAttr: LEDGER_TABLE.gsi1.sortKey };

/** The right to change an incident, as granted: every write of the owner is fenced with it. */
export interface Ownership {
  incidentId: string;
  requestId: string;
  fence: number;
  untilMs: number;
}

/** A fenced write lost: another worker owns the incident now. Never a reason to act. */
export class OwnershipLostError extends ConflictError {
  override readonly name = 'OwnershipLostError';
}

export type Acquired = { ok: true; incident: IncidentRecord; ownership: Ownership } | { ok: false; incident: IncidentRecord; holder: LeaseView };

const docOf = (it: Item): IncidentRecord => JSON.parse(String(it.doc)) as IncidentRecord;

/**
 * Incidents: one open incident per pipeline and playbook (an `OPEN#` pointer item), each an
 * item holding the record as a JSON document, the write-ahead action records included, and the
 * owner's fenced lease. Only the owner writes an incident, and every write is conditioned on its
 * fence (and on the record's version), so a worker that lost ownership cannot move the incident,
 * nor start or record an action.
 */
export class Incidents {
  constructor(
    private readonly store: ItemStore,
    /** Days audit items are kept (absent: for good). */
    private readonly retentionDays?: number,
  ) {}

  /**
   * The first trigger opens the incident and owns it from the start; later triggers join it
   * (and must `acquire` it to act).
   */
  async openOrJoin(
    pipeline: string,
    playbook: string,
    trigger: Trigger,
    nowMs: number,
    owner: { requestId: string; untilMs: number },
  ): Promise<{ incident: IncidentRecord; created: boolean; ownership?: Ownership }> {
    const pointer = pointerPk(pipeline, playbook);
    for (let attempt = 0; attempt < 5; attempt++) {
      const incidentId = `${pipeline}.${playbook}.${new Date(nowMs).toISOString().replace(/[-:]/g, '').slice(0, 15)}.${randomUUID().slice(0, 6)}`;
      const incident: IncidentRecord = {
        incidentId,
        pipeline,
        playbook,
        status: 'open',
        openedAtMs: nowMs,
        updatedAtMs: nowMs,
        trigger,
        verifyAttempts: 0,
        recheckCount: 0,
        version: 0,
      };
      try {
        await this.store.put(
          {
            pk: pointer,
            sk: '-',
            incidentId,
            openedAt: nowMs,
            [LEDGER_TABLE.gsi1.partitionKey]: 'OPEN',
            [LEDGER_TABLE.gsi1.sortKey]: `${playbook}#${pipeline}`,
          },
          absent(),
        );
        await this.store.put(
          { ...this.item(incident), [LEASE_ATTRS.owner]: owner.requestId, [LEASE_ATTRS.until]: owner.untilMs, [LEASE_ATTRS.fence]: 1 },
          absent(),
        );
        return { incident, created: true, ownership: { incidentId, requestId: owner.requestId, fence: 1, untilMs: owner.untilMs } };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
      const p = await this.store.get(pointer, '-');
      if (!p) continue; // closed in between: try again
      const existing = await this.get(String(p.incidentId));
      if (existing && !TERMINAL.has(existing.status)) return { incident: existing, created: false };
      // The pointer outlived its incident (crash between close steps, or the incident item not
      // yet written by a worker that died): drop it if it still points there, then retry.
      if (!existing && nowMs - Number(p.openedAt) < 60_000) {
        throw new ConflictError(`incident ${String(p.incidentId)} is being opened by another worker`);
      }
      await this.store.delete(pointer, '-', eq('incidentId', String(p.incidentId))).catch((err) => {
        if (!(err instanceof ConflictError)) throw err;
      });
    }
    throw new ConflictError(`could not open an incident for ${pipeline}/${playbook}`);
  }

  /**
   * Takes ownership: the incident is free, its owner's lease ran out, or its owner is this very
   * request (Lambda's retry of an attempt that died). The fence grows with every takeover.
   * Undefined when the incident does not exist.
   */
  async acquire(incidentId: string, requestId: string, nowMs: number, untilMs: number): Promise<Acquired | undefined> {
    try {
      const it = await this.store.update(
        itemPk(incidentId),
        META,
        { [LEASE_ATTRS.owner]: requestId, [LEASE_ATTRS.until]: untilMs },
        and(has('pk'), takeable(requestId, nowMs)),
        { [LEASE_ATTRS.fence]: 1 },
      );
      return { ok: true, incident: docOf(it), ownership: { incidentId, requestId, fence: Number(it[LEASE_ATTRS.fence]), untilMs } };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    const it = await this.store.get(itemPk(incidentId), META);
    if (!it) return undefined;
    return { ok: false, incident: docOf(it), holder: leaseOf(it) };
  }

  /** Extends the owner's lease; false when it is not the owner any more. */
  async renew(o: Ownership, untilMs: number): Promise<boolean> {
    try {
      await this.store.update(itemPk(o.incidentId), META, { [LEASE_ATTRS.until]: untilMs }, heldBy(o.requestId, o.fence));
      o.untilMs = untilMs;
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  /** Gives ownership up (the work is done or handed to a follow-up); a no-op once lost. */
  async release(o: Ownership): Promise<void> {
    try {
      await this.store.update(itemPk(o.incidentId), META, { [LEASE_ATTRS.owner]: undefined, [LEASE_ATTRS.until]: 0 }, heldBy(o.requestId, o.fence));
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }

  /**
   * The owner's write: the next version of the record, fenced. `release` gives ownership up in
   * the same write. Throws OwnershipLostError when another worker took the incident over.
   */
  async save(incident: IncidentRecord, o: Ownership, nowMs: number, opts: { release?: boolean } = {}): Promise<IncidentRecord> {
    const next: IncidentRecord = { ...incident, version: incident.version + 1, updatedAtMs: nowMs };
    const { pk: _pk, sk: _sk, ...attrs } = this.item(next);
    try {
      await this.store.update(
        itemPk(next.incidentId),
        META,
        { ...attrs, ...(opts.release ? { [LEASE_ATTRS.owner]: undefined, [LEASE_ATTRS.until]: 0 } : {}) },
        and(eq('version', incident.version), heldBy(o.requestId, o.fence)),
      );
    } catch (e) {
      if (e instanceof ConflictError)
        throw new OwnershipLostError(`incident ${next.incidentId}: another worker owns it now (fence ${o.fence} is stale)`, { cause: e });
      throw e;
    }
    if (TERMINAL.has(next.status)) await this.dropPointer(next);
    return next;
  }

  /** Records a decision that needs no open incident (e.g. an OK with nothing open, a stale event). */
  async recordStandalone(incident: Omit<IncidentRecord, 'version'>): Promise<IncidentRecord> {
    const rec = { ...incident, version: 0 };
    await this.store.put(this.item(rec), absent());
    return rec;
  }

  async get(incidentId: string): Promise<IncidentRecord | undefined> {
    const it = await this.store.get(itemPk(incidentId), META);
    return it ? docOf(it) : undefined;
  }

  /** The record with its lease as read (who owns it right now, if anyone). */
  async getWithLease(incidentId: string): Promise<{ incident: IncidentRecord; lease: LeaseView } | undefined> {
    const it = await this.store.get(itemPk(incidentId), META);
    return it ? { incident: docOf(it), lease: leaseOf(it) } : undefined;
  }

  async getOpen(pipeline: string, playbook: string): Promise<IncidentRecord | undefined> {
    const p = await this.store.get(pointerPk(pipeline, playbook), '-');
    if (!p) return undefined;
    const inc = await this.get(String(p.incidentId));
    return inc && !TERMINAL.has(inc.status) ? inc : undefined;
  }

  /** Open incidents (of one playbook, when given), for the sweeper and `streamfix status`. */
  async listOpen(playbook?: string): Promise<IncidentRecord[]> {
    const pointers = await this.store.query('OPEN', undefined, INDEX);
    const ids = pointers.filter((p) => playbook === undefined || String(p[INDEX.skAttr]).startsWith(`${playbook}#`)).map((p) => String(p.incidentId));
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((i): i is IncidentRecord => i !== undefined && !TERMINAL.has(i.status));
  }

  async list(): Promise<IncidentRecord[]> {
    const items = await this.store.query('INCIDENTS', undefined, INDEX);
    return items.map(docOf).sort((a, b) => a.openedAtMs - b.openedAtMs);
  }

  async listActions(incidentId: string): Promise<ActionRecord[]> {
    return (await this.get(incidentId))?.actions ?? [];
  }

  private async dropPointer(i: IncidentRecord): Promise<void> {
    await this.store.delete(pointerPk(i.pipeline, i.playbook), '-', eq('incidentId', i.incidentId)).catch((e) => {
      if (!(e instanceof ConflictError)) throw e;
    });
  }

  private item(i: IncidentRecord): KeyedItem {
    return {
      pk: itemPk(i.incidentId),
      sk: META,
      version: i.version,
      status: i.status,
      [LEDGER_TABLE.gsi1.partitionKey]: 'INCIDENTS',
      [LEDGER_TABLE.gsi1.sortKey]: `${pad(i.openedAtMs)}#${i.incidentId}`,
      doc: JSON.stringify(i),
      ...auditTtl(i.openedAtMs, this.retentionDays),
    };
  }
}
