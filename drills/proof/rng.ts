/**
 * Seeded randomness for the fault-injection proof. Every draw is keyed by what it decides
 * (`invocation|call|attempt`, `delivery|n`), not by the order of draws, so a run gives the same
 * faults for the same seed even when concurrent invocations interleave their I/O differently.
 */

/** FNV-1a over the string: a 32-bit hash. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws for one run: `draw(key)` is a number in [0, 1) fixed by the run's seed and the key. */
export class KeyedRandom {
  constructor(readonly seed: number) {}

  /** A fresh stream for this key (several numbers for one decision). */
  stream(key: string): () => number {
    return mulberry32(hash32(`${this.seed}|${key}`));
  }

  draw(key: string): number {
    return this.stream(key)();
  }

  /** An integer in [lo, hi]. */
  int(key: string, lo: number, hi: number): number {
    return lo + Math.floor(this.draw(key) * (hi - lo + 1));
  }
}

/** The seed of run `index` of `scenario` under the proof's base seed. */
export function runSeed(baseSeed: number, scenario: string, index: number): number {
  return hash32(`${baseSeed}|${scenario}|${index}`);
}
