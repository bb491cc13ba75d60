/** Time is injected everywhere so plans and guardrails can be tested to the millisecond. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` of this clock's time (simulated clocks advance instead of sleeping). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` every `ms` of this clock's time, in the background, until the returned function
   * is called. Clocks that only move when told to (tests) have none.
   */
  every?(ms: number, fn: () => Promise<void>): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // The listener goes when the sleep ends: one invocation's signal outlives many sleeps.
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  every: (ms, fn) => {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      void fn().finally(() => (running = false));
    }, ms);
    t.unref?.();
    return () => clearInterval(t);
  },
};

/** A clock that only moves when told to: for tests. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(ms: number): void {
    this.t = ms;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
