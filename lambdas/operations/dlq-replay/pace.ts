import type { Clock } from '../../core/clock';

/**
 * Records per second, as a schedule: each call books its records after those already booked
 * and waits until its slot. The first batch goes at once; after that the average rate holds.
 */
export class RateLimiter {
  private nextFreeMs: number | undefined;

  constructor(private readonly perSecond: number, private readonly clock: Clock) {}

  async take(records: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const start = Math.max(now, this.nextFreeMs ?? now);
    this.nextFreeMs = start + (records / this.perSecond) * 1000;
    if (start > now) await this.clock.sleep(start - now, signal);
  }
}

/** Exponential backoff before resending failed entries: 100 ms, 200 ms, 400 ms … capped at 5 s. */
export const backoffMs = (attempt: number): number => Math.min(5_000, 100 * 2 ** Math.max(0, attempt - 1));
