import type { Clock } from '../../core/clock';

/**
 * Records per second, as a schedule: each call books its records after those already booked
 * and waits until its slot. The first batch goes at once; after that the average rate holds.
 * A wait ends at the deadline (the abort signal): `take` then answers false and books nothing.
 */
export class RateLimiter {
  private nextFreeMs: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    if (!(perSecond >= MIN_RATE_PER_SECOND)) throw new Error(`ratePerSecond ${perSecond} is under the minimum ${MIN_RATE_PER_SECOND}`);
  }

  async take(records: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const now = this.clock.now();
    const start = Math.max(now, this.nextFreeMs ?? now);
    if (start > now) {
      try {
        await this.clock.sleep(start - now, signal);
      } catch (e) {
        if (signal?.aborted) return false;
        throw e;
      }
      if (signal?.aborted) return false;
    }
    this.nextFreeMs = start + (records / this.perSecond) * 1000;
    return true;
  }
}

/**
 * The slowest replay: 1 record per second. A batch never holds more than a second's worth of
 * records, so no single wait of the rate limit is longer than one second.
 */
export const MIN_RATE_PER_SECOND = 1;

/** Exponential backoff before resending failed entries: 100 ms, 200 ms, 400 ms … capped at 5 s. */
export const backoffMs = (attempt: number): number => Math.min(5_000, 100 * 2 ** Math.max(0, attempt - 1));
