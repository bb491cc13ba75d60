import { Status } from './lag';

/**
 * Skew: one or a few partitions hold most of a group's lag while the others keep up. Then the
 * cause is a hot key or a skewed producer, and more executors will not help: one partition is
 * read by one task at a time.
 */
export interface SkewRules {
  /** Share of the total lag (0–1) the hot partitions must hold together. */
  lagShare: number;
  /** At most this many partitions may hold that share (and never all of them). */
  maxHotPartitions: number;
}

export const DEFAULT_SKEW_RULES: SkewRules = { lagShare: 0.8, maxHotPartitions: 3 };

export interface SkewReading {
  skewed: boolean;
  /** The fewest partitions holding `lagShare` of the lag, worst first (empty when none do). */
  hotPartitions: string[];
  /** Share of the total lag those partitions hold (0–1). */
  hotLagShare: number;
  /** Every other partition is OK (Burrow). */
  othersHealthy: boolean;
}

const NONE: SkewReading = { skewed: false, hotPartitions: [], hotLagShare: 0, othersHealthy: true };

/**
 * Per-partition skew. Picks partitions by descending lag until they hold `lagShare` of the
 * total; skewed when that takes at most `maxHotPartitions` (and fewer than all partitions) and
 * every other partition's status is OK.
 */
export function findSkew(
  partitions: readonly string[],
  currentLags: ArrayLike<number>,
  statuses: ArrayLike<number>,
  rules: SkewRules = DEFAULT_SKEW_RULES,
): SkewReading {
  const n = partitions.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const l = currentLags[i]!;
    if (l === l && l > 0) total += l;
  }
  if (n < 2 || total <= 0) return NONE;
  // Only the top `maxHotPartitions` can matter: select them without sorting all n.
  const k = Math.min(rules.maxHotPartitions, n - 1);
  if (k < 1) return NONE;
  const top: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = currentLags[i]!;
    if (!(l > 0)) continue;
    if (top.length < k || l > currentLags[top[top.length - 1]!]!) {
      let j = top.length < k ? top.length : top.length - 1;
      if (top.length < k) top.push(i);
      while (j > 0 && currentLags[top[j - 1]!]! < l) {
        top[j] = top[j - 1]!;
        j--;
      }
      top[j] = i;
    }
  }
  let held = 0;
  const hot: number[] = [];
  for (const i of top) {
    hot.push(i);
    held += currentLags[i]!;
    if (held / total >= rules.lagShare) break;
  }
  const share = held / total;
  if (share < rules.lagShare) return { ...NONE, hotLagShare: share };
  const hotSet = new Set(hot);
  let othersHealthy = true;
  for (let i = 0; i < n && othersHealthy; i++) if (!hotSet.has(i) && statuses[i] !== Status.OK) othersHealthy = false;
  return { skewed: othersHealthy, hotPartitions: hot.map((i) => partitions[i]!), hotLagShare: share, othersHealthy };
}

/**
 * Skew from the topic-level metrics alone (`MaxOffsetLag` / `SumOffsetLag`), when per-partition
 * metrics are not emitted. One partition holding `lagShare` of the lag is skew; a share of
 * exactly 1 is not judged, since a single-partition topic looks the same.
 */
export function skewFromTopic(maxLag: number, totalLag: number, rules: SkewRules = DEFAULT_SKEW_RULES): SkewReading {
  if (!(totalLag > 0) || !(maxLag >= 0)) return NONE;
  const share = Math.min(1, maxLag / totalLag);
  const skewed = share >= rules.lagShare && share < 1;
  return { skewed, hotPartitions: [], hotLagShare: share, othersHealthy: skewed };
}
