import type { Clock } from './clock';
import { StreamfixError } from './errors';

/**
 * How long a worker's claims (its delivery, the incident it owns, the locks it holds) last
 * without renewal. Short, so that a worker that died is taken over within a minute; renewed
 * every third of it while the worker lives; never beyond the worker's deadline, since Lambda
 * ends an invocation at its timeout and none of its code runs after that (FACTS §10).
 */
export const LEASE_MS = 60_000;
export const RENEW_EVERY_MS = LEASE_MS / 3;
/** An action is started only with at least this much lease left (renewed first if need be). */
export const ACT_MARGIN_MS = 15_000;

/** This worker lost what it held (another worker took it over): it stops, acting on nothing. */
export class LeaseLostError extends StreamfixError {
  override readonly name = 'LeaseLostError';
}

/** Renews one claim until `untilMs`; false when the claim is not this worker's any more. */
export type Renewal = (untilMs: number) => Promise<boolean>;

/**
 * The claims one invocation holds, kept alive together. `untilMs()` is the lease to ask for
 * (never past the deadline); a background heartbeat renews every claim while the worker works
 * (on clocks that have one), and `ensure()` renews on demand before an action. A claim that
 * cannot be renewed because another worker holds it now marks the whole worker lost: its abort
 * signal fires and `ensure()` throws, so it starts nothing more.
 */
export class WorkerLease {
  private readonly claims = new Map<string, Renewal>();
  private validUntilMs: number;
  private lostWhy: string | undefined;
  private stopBeat: (() => void) | undefined;
  private readonly controller = new AbortController();

  constructor(
    private readonly clock: Clock,
    /** When the invocation must have ended (Infinity outside Lambda). */
    readonly deadlineMs: number,
  ) {
    this.validUntilMs = this.untilMs();
  }

  /** The lease to ask for now. */
  untilMs(): number {
    return Math.min(this.clock.now() + LEASE_MS, this.deadlineMs);
  }

  /** Aborted when the worker lost a claim. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): string | undefined {
    return this.lostWhy;
  }

  /** A claim was granted until `untilMs`: keep it alive from now on. */
  hold(name: string, renew: Renewal, untilMs: number): void {
    this.claims.set(name, renew);
    this.validUntilMs = Math.min(this.validUntilMs, untilMs);
    if (!this.stopBeat && this.clock.every) this.stopBeat = this.clock.every(RENEW_EVERY_MS, () => this.renewAll().then(() => undefined));
  }

  /** Stops renewing a claim (released, or handed on). */
  drop(name: string): void {
    this.claims.delete(name);
  }

  /** Renews every claim now; false when one was lost (or could not be renewed in time). */
  async renewAll(): Promise<boolean> {
    if (this.lostWhy) return false;
    const until = this.untilMs();
    const results = await Promise.allSettled([...this.claims].map(async ([name, renew]) => ({ name, ok: await renew(until) })));
    let allRenewed = true;
    for (const r of results) {
      if (r.status === 'rejected') allRenewed = false;
      else if (!r.value.ok) this.lose(`${r.value.name} is held by another worker now`);
    }
    if (this.lostWhy) return false;
    if (allRenewed) this.validUntilMs = until;
    return allRenewed;
  }

  /** Throws unless every claim is this worker's for at least `marginMs` more (renewing first when short). */
  async ensure(marginMs = ACT_MARGIN_MS): Promise<void> {
    if (this.lostWhy) throw new LeaseLostError(this.lostWhy);
    if (this.validUntilMs - this.clock.now() >= marginMs) return;
    await this.renewAll();
    if (this.lostWhy) throw new LeaseLostError(this.lostWhy);
    if (this.validUntilMs - this.clock.now() < marginMs) {
      throw new LeaseLostError(
        `less than ${marginMs / 1000} s of lease left (until ${new Date(this.validUntilMs).toISOString()}, deadline ${Number.isFinite(this.deadlineMs) ? new Date(this.deadlineMs).toISOString() : 'none'})`,
      );
    }
  }

  lose(why: string): void {
    if (this.lostWhy) return;
    this.lostWhy = why;
    this.controller.abort(new LeaseLostError(why));
  }

  stop(): void {
    this.stopBeat?.();
    this.stopBeat = undefined;
    this.claims.clear();
  }
}
