import { createHash } from 'node:crypto';
import { ConflictError } from '../core/errors';
import { and, has, type Item, type ItemStore } from './item-store';
import { DAY_S, expires } from './keys';
import { heldBy, LEASE_ATTRS, leaseOf, takeable } from './lease';

/**
 * Who works on an operation's target right now: one item per target (the DLQ a replay reads,
 * the checkpoint a checkpoint operation changes) holding a fenced lease (ledger/lease.ts), so
 * that one run at a time works on it, whatever the operation id, the caller (CLI or Lambda) or
 * the number of invocations.
 *
 * Timeline of a target:
 *   t0 run A (request a) takes it: fence 1, until min(t0 + lease, A's deadline); A renews it while it works
 *   t1 run B (request b) asks      → refused: held by A (operation, request, since t0, until …)
 *   t2 A ends (done, partial, failed) and gives it up → B may take it at once
 *      or A dies (timeout, crash)  → Lambda's retry of A (request a) takes it at once (fence 2);
 *                                    B only once A's lease ran out
 * A run that lost the target (its lease ran out and another took it) fails every renewal and stops.
 */

/** The right to work on a target, as granted: renewals and the release are fenced with it. */
export interface TargetHold {
  target: string;
  operationId: string;
  requestId: string;
  fence: number;
  untilMs: number;
  /** When this holder took the target. */
  sinceMs: number;
  /** The earlier holder this one took over from (its own dead attempt, or an expired lease). */
  tookOver?: 'retry' | 'expired';
}

/** The holder of a target, as read. */
export interface TargetHolder {
  operationId: string;
  requestId: string;
  /** What the holder runs (`replay`, `restore`, …). */
  command?: string;
  /** Who asked for the holder's run (an IAM ARN), when stated. */
  requestedBy?: string;
  sinceMs: number;
  untilMs: number;
}

export type TargetClaim = { ok: true; hold: TargetHold } | { ok: false; holder: TargetHolder };

export interface TargetRequest {
  operationId: string;
  requestId: string;
  command?: string;
  requestedBy?: string;
  nowMs: number;
  /** Never later than the requester's deadline. */
  untilMs: number;
}

/** Target items are kept a week after they were last taken (they hold no audit data). */
const RETAIN_S = 7 * DAY_S;
/** DynamoDB allows 2,048 bytes of partition key: longer targets are keyed by their SHA-256. */
const MAX_KEY_CHARS = 1_000;
const SK = '-';

export const targetPk = (target: string): string =>
  `TARGET#${target.length <= MAX_KEY_CHARS ? target : `sha256:${createHash('sha256').update(target).digest('hex')}`}`;

function holderOf(it: Item): TargetHolder | undefined {
  const lease = leaseOf(it);
  if (lease.owner === undefined) return undefined;
  return {
    operationId: String(it.operationId ?? ''),
    requestId: lease.owner,
    ...(typeof it.command === 'string' ? { command: it.command } : {}),
    ...(typeof it.requestedBy === 'string' ? { requestedBy: it.requestedBy } : {}),
    sinceMs: Number(it.since ?? 0),
    untilMs: lease.untilMs,
  };
}

/** A refusal's text: who holds the target, since when, and when its lease ends (then it can run). */
export function describeHolder(target: string, h: TargetHolder): string {
  const by = h.requestedBy ? `, asked by ${h.requestedBy}` : '';
  return (
    `${target} is being worked on by operation ${h.operationId}${h.command ? ` (${h.command})` : ''} ` +
    `(request ${h.requestId}${by}), since ${new Date(h.sinceMs).toISOString()}; its lease ends ${new Date(h.untilMs).toISOString()}: ` +
    'one run per target at a time — invoke again once it has finished or its lease has ended'
  );
}

export class OperationTargets {
  constructor(private readonly store: ItemStore) {}

  /**
   * Takes the target: free, its holder's lease ran out, or its holder is this very request
   * (Lambda's retry of an attempt that died, which keeps the request id). The fence grows with
   * every taking. Otherwise returns the holder.
   */
  async acquire(target: string, r: TargetRequest): Promise<TargetClaim> {
    const before = await this.store.get(targetPk(target), SK);
    const previous = before ? leaseOf(before) : undefined;
    try {
      const it = await this.store.update(
        targetPk(target),
        SK,
        {
          target,
          operationId: r.operationId,
          command: r.command,
          requestedBy: r.requestedBy,
          since: r.nowMs,
          [LEASE_ATTRS.owner]: r.requestId,
          [LEASE_ATTRS.until]: r.untilMs,
          expiresAt: expires(r.nowMs, RETAIN_S),
        },
        takeable(r.requestId, r.nowMs),
        { [LEASE_ATTRS.fence]: 1 },
      );
      const tookOver = previous?.owner === undefined ? undefined : previous.owner === r.requestId ? 'retry' : 'expired';
      return {
        ok: true,
        hold: {
          target,
          operationId: r.operationId,
          requestId: r.requestId,
          fence: Number(it[LEASE_ATTRS.fence]),
          untilMs: r.untilMs,
          sinceMs: r.nowMs,
          ...(tookOver ? { tookOver } : {}),
        },
      };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    const it = await this.store.get(targetPk(target), SK);
    const holder = it ? holderOf(it) : undefined;
    // Given up between the write and this read: the caller may simply ask again.
    if (!holder) throw new ConflictError(`${target}: its holder changed while it was being taken; try again`);
    return { ok: false, holder };
  }

  /** Extends the holder's lease; false when it is not the holder any more. */
  async renew(h: TargetHold, untilMs: number): Promise<boolean> {
    try {
      await this.store.update(targetPk(h.target), SK, { [LEASE_ATTRS.until]: untilMs }, heldBy(h.requestId, h.fence));
      h.untilMs = untilMs;
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  /** Gives the target up (the run ended, whatever its outcome); a no-op once lost. */
  async release(h: TargetHold, nowMs: number): Promise<void> {
    try {
      await this.store.update(
        targetPk(h.target),
        SK,
        { [LEASE_ATTRS.owner]: undefined, [LEASE_ATTRS.until]: 0, lastOperationId: h.operationId, lastEndedAt: nowMs },
        and(has('pk'), heldBy(h.requestId, h.fence)),
      );
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }

  /** The current holder of a target, if its lease is live at `nowMs`. */
  async holder(target: string, nowMs: number): Promise<TargetHolder | undefined> {
    const it = await this.store.get(targetPk(target), SK);
    const h = it ? holderOf(it) : undefined;
    return h && h.untilMs > nowMs ? h : undefined;
  }
}
