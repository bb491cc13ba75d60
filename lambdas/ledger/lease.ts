import { and, eq, lacks, lte, or, type Cond } from './item-store';

/**
 * A fenced lease on a ledger item (a delivery, an incident, an operation's target): three
 * attributes on the item itself, so that every write that needs ownership can be conditioned on
 * them in the same request.
 *
 *   leaseOwner  the holder's Lambda request id
 *   leaseUntil  ms; never later than the holder's deadline (its invocation cannot outlive it)
 *   fence       grows by one with every takeover
 *
 * Timeline of a takeover:
 *   t0 A acquires (fence 1, until t0 + lease); A renews every lease/3 while it works
 *   t1 A dies (timeout, out of memory: none of its code runs any more, no release)
 *   t2 Lambda retries A's event with A's request id  → takes over at once (fence 2)
 *      or another request finds leaseUntil <= now   → takes over (fence 2)
 *   A worker that lost the lease fails every fenced write: it can neither start nor record an action.
 */
export const LEASE_ATTRS = { owner: 'leaseOwner', until: 'leaseUntil', fence: 'fence' } as const;

/** The item's lease may be taken by `requestId`: free, expired, or already its own (Lambda's retry of it). */
export const takeable = (requestId: string, nowMs: number): Cond =>
  or(lacks(LEASE_ATTRS.owner), lte(LEASE_ATTRS.until, nowMs), eq(LEASE_ATTRS.owner, requestId));

/** Still held by this holder at this fence. */
export const heldBy = (requestId: string, fence: number): Cond => and(eq(LEASE_ATTRS.owner, requestId), eq(LEASE_ATTRS.fence, fence));

/** The lease of an item as read. */
export interface LeaseView {
  owner?: string;
  untilMs: number;
  fence: number;
}

export function leaseOf(item: Record<string, unknown> | undefined): LeaseView {
  return {
    ...(typeof item?.[LEASE_ATTRS.owner] === 'string' ? { owner: item[LEASE_ATTRS.owner] as string } : {}),
    untilMs: Number(item?.[LEASE_ATTRS.until] ?? 0),
    fence: Number(item?.[LEASE_ATTRS.fence] ?? 0),
  };
}

/** Whether a lease as read is held by someone other than `requestId` right now. */
export const heldByOther = (l: LeaseView, requestId: string, nowMs: number): boolean => l.owner !== undefined && l.owner !== requestId && l.untilMs > nowMs;
