/**
 * Peak memory of this process for the benches (and any test that needs it): RSS and V8's
 * heapUsed (process.memoryUsage), sampled when started, every 20 ms while running and once more
 * when stopped. One sampler can be started again for the next pass; its figures start afresh.
 */

const MiB = 1024 * 1024;

/** Bytes as whole MiB. */
export const toMiB = (bytes: number): number => Math.round(bytes / MiB);

export class MemorySampler {
  /** RSS when last started (bytes). */
  startRss = 0;
  /** Peaks since last started (bytes). */
  peakRss = 0;
  peakHeap = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): this {
    clearInterval(this.timer);
    const m = process.memoryUsage();
    this.startRss = m.rss;
    this.peakRss = m.rss;
    this.peakHeap = m.heapUsed;
    this.timer = setInterval(() => this.sample(), 20);
    return this;
  }

  stop(): this {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this;
  }

  private sample(): void {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
  }
}
