import { describe, expect, it } from 'vitest';
import { MemorySampler, toMiB } from '../../bench/memory-sampler';

describe('MemorySampler (bench/memory-sampler.ts)', () => {
  it('records the heap held at stop, above where it started', () => {
    const mem = new MemorySampler().start();
    const heapAtStart = mem.peakHeap;
    // 8 M doubles held live: about 64 MiB of V8 heap while the sampler stops.
    const held = new Array<number>(8_000_000).fill(1.5);
    mem.stop();
    expect(held.length).toBe(8_000_000);
    expect(mem.peakHeap - heapAtStart).toBeGreaterThan(48 * 1024 * 1024);
    expect(mem.peakRss).toBeGreaterThanOrEqual(mem.startRss);
    expect(mem.startRss).toBeGreaterThan(0);
  });

  it('starts afresh when started again', () => {
    const mem = new MemorySampler().start();
    let held: number[] | undefined = new Array<number>(8_000_000).fill(2.5);
    mem.stop();
    const first = mem.peakHeap;
    expect(held.length).toBe(8_000_000);
    held = undefined;
    (globalThis as { gc?: () => void }).gc?.();
    mem.start();
    expect(mem.peakHeap).toBeLessThanOrEqual(first);
    expect(mem.peakRss).toBe(mem.startRss);
    mem.stop();
  });

  it('rounds bytes to whole MiB', () => {
    expect(toMiB(0)).toBe(0);
    expect(toMiB(1024 * 1024)).toBe(1);
    expect(toMiB(1.5 * 1024 * 1024 - 1)).toBe(1);
    expect(toMiB(1.5 * 1024 * 1024)).toBe(2);
  });
});
