import type { Clock } from '../core/clock';
import { WorkerLease } from '../core/lease';
import type { Ledger } from '../ledger/ledger';
import { describeHolder, type TargetHold, type TargetHolder } from '../ledger/targets';
import type { OperationTarget } from './types';

/**
 * One run per operation target: the run takes a fenced lease on its target (ledger/targets.ts)
 * before it reads its operation record, keeps it alive with the engine's WorkerLease (renewed
 * every 20 s, never past the invocation's deadline: Lambda runs none of its code after that),
 * and gives it up when it returns, whatever the outcome. A run that dies (timeout, crash) keeps
 * it until Lambda's retry of that very request takes it over at once, or its lease runs out.
 */

export interface HeldTarget {
  hold: TargetHold;
  lease: WorkerLease;
  /** Stops renewing and gives the target up (a no-op once another run took it). */
  release(): Promise<void>;
}

export type TakenTarget = { ok: true; held: HeldTarget } | { ok: false; holder: TargetHolder; message: string };

export async function takeTarget(
  ledger: Pick<Ledger, 'targets'>,
  clock: Clock,
  target: OperationTarget,
  r: { operationId: string; requestId: string; command: string; requestedBy?: string; deadlineMs: number },
): Promise<TakenTarget> {
  const lease = new WorkerLease(clock, r.deadlineMs);
  const claim = await ledger.targets.acquire(target.key, {
    operationId: r.operationId,
    requestId: r.requestId,
    command: r.command,
    nowMs: clock.now(),
    untilMs: lease.untilMs(),
    ...(r.requestedBy ? { requestedBy: r.requestedBy } : {}),
  });
  if (!claim.ok) return { ok: false, holder: claim.holder, message: describeHolder(target.key, claim.holder) };
  const hold = claim.hold;
  lease.hold('target', (until) => ledger.targets.renew(hold, until), hold.untilMs);
  return {
    ok: true,
    held: {
      hold,
      lease,
      release: async () => {
        lease.stop();
        await ledger.targets.release(hold, clock.now());
      },
    },
  };
}
