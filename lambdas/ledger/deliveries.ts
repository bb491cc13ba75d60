import { ConflictError } from '../core/errors';
import { absent, and, eq, type ItemStore } from './item-store';
import { DAY_S, expires } from './keys';
import { heldByOther, LEASE_ATTRS, leaseOf, takeable } from './lease';
import type { DeliveryClaim } from './types';

const RETAIN_DELIVERIES_S = 7 * DAY_S;
const SK = '-';
const pk = (key: string) => `DELIVERY#${key}`;

/**
 * One item per delivered event (per playbook): who is processing it, until when, and whether it
 * is done. Claims follow Lambda's asynchronous invocation: a retry of a failed attempt keeps the
 * attempt's request id (AWS Knowledge Center, "Lambda function duplicate invocations"), and only
 * comes after the attempt ended, so a claim held by the same request id is a dead attempt of this
 * very delivery and is taken over at once. A claim held by another request id is a duplicate
 * while its lease is fresh; the lease is short, renewed while its holder works, and never
 * outlives the holder's deadline.
 */
export class Deliveries {
  constructor(private readonly store: ItemStore) {}

  async claim(key: string, requestId: string, nowMs: number, untilMs: number): Promise<DeliveryClaim> {
    try {
      await this.store.put(
        {
          pk: pk(key),
          sk: SK,
          status: 'in-progress',
          [LEASE_ATTRS.owner]: requestId,
          [LEASE_ATTRS.until]: untilMs,
          claimedAt: nowMs,
          expiresAt: expires(nowMs, RETAIN_DELIVERIES_S),
        },
        absent(),
      );
      return { kind: 'new' };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    const existing = await this.store.get(pk(key), SK);
    const incidentId = typeof existing?.incidentId === 'string' ? existing.incidentId : undefined;
    const withIncident = incidentId ? { incidentId } : {};
    if (!existing || existing.status === 'done') return { kind: 'duplicate', status: 'done', ...withIncident };
    const lease = leaseOf(existing);
    if (heldByOther(lease, requestId, nowMs)) return { kind: 'duplicate', status: 'in-progress', ...withIncident };
    try {
      await this.store.update(
        pk(key),
        SK,
        { [LEASE_ATTRS.owner]: requestId, [LEASE_ATTRS.until]: untilMs },
        and(eq('status', 'in-progress'), takeable(requestId, nowMs)),
      );
      return { kind: 'resume', by: lease.owner === requestId ? 'retry' : 'expired', ...withIncident };
    } catch (e) {
      if (e instanceof ConflictError) return { kind: 'duplicate', status: 'in-progress', ...withIncident };
      throw e;
    }
  }

  /** Extends the holder's lease; false when it is not the holder any more (or the delivery is done). */
  async renew(key: string, requestId: string, untilMs: number): Promise<boolean> {
    try {
      await this.store.update(pk(key), SK, { [LEASE_ATTRS.until]: untilMs }, and(eq(LEASE_ATTRS.owner, requestId), eq('status', 'in-progress')));
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  /** The incident a delivery was attached to, if any. */
  async incidentOf(key: string): Promise<string | undefined> {
    const it = await this.store.get(pk(key), SK);
    return typeof it?.incidentId === 'string' ? it.incidentId : undefined;
  }

  async attach(key: string, incidentId: string): Promise<void> {
    await this.store.update(pk(key), SK, { incidentId });
  }

  /** The holder failed in a way it could see: end its lease now, so any copy may resume at once. */
  async release(key: string, requestId: string): Promise<void> {
    try {
      await this.store.update(pk(key), SK, { [LEASE_ATTRS.until]: 0 }, and(eq(LEASE_ATTRS.owner, requestId), eq('status', 'in-progress')));
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }

  async finish(key: string, requestId: string, nowMs: number, outcome: string): Promise<void> {
    try {
      await this.store.update(
        pk(key),
        SK,
        { status: 'done', finishedAt: nowMs, outcome, [LEASE_ATTRS.owner]: undefined, [LEASE_ATTRS.until]: 0 },
        eq(LEASE_ATTRS.owner, requestId),
      );
    } catch (e) {
      // Another worker took the claim over after our lease ran out; it finishes it.
      if (!(e instanceof ConflictError)) throw e;
    }
  }
}
