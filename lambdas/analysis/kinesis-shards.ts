import type { Point } from './flink-metrics';

/**
 * Which shard of a Kinesis stream is not being read. Pure.
 *
 * With shard-level enhanced monitoring, Kinesis publishes `IteratorAgeMilliseconds` per shard:
 * "the age of the last record in all GetRecords calls made against a shard" (Kinesis Data Streams
 * Developer Guide, "Monitoring the Amazon Kinesis Data Streams service with Amazon CloudWatch",
 * shard-level metrics, dimensions StreamName and ShardId). A reader stuck on one shard keeps
 * asking for the same position: that shard's age grows by a minute every minute while the other
 * shards' stay flat. A reader that stopped asking for one shard makes no GetRecords call on it:
 * its datapoints stop while the others' go on, and its age is the last one seen plus the time
 * since. Records older than the stream's retention are gone ("Changing the data retention
 * period"), so the retention left for the unread shard is the retention minus its age.
 */

export interface ShardSeries {
  shardId: string;
  iteratorAge: Point[];
}

export interface StuckShard {
  shardId: string;
  /** `growing`: read at the same position (age grows a minute a minute); `silent`: no GetRecords on it any more. */
  how: 'growing' | 'silent';
  ageMs: number;
  /** Minutes it has been growing (or silent). */
  minutes: number;
  /** Hours until its oldest unread records pass the retention (negative: already lost). */
  retentionLeftHours: number;
}

export interface ShardJudgment {
  /** `shard` when shard-level iterator ages were read; `stream` when enhanced monitoring does not publish them. */
  level: 'shard' | 'stream';
  openShards: number;
  shardsWithData: number;
  stuck: StuckShard[];
  /** Shards growing (or silent) alone for at least `SUSPECT_MINUTES`, not yet `stallMinutes`: look again before naming them. */
  suspect: StuckShard[];
  /** The highest newest iterator age among the shards that are read normally. */
  othersMaxAgeMs: number | null;
}

export interface ShardRules {
  nowMs: number;
  retentionHours: number;
  /** Minutes of growth (or silence) in a row that make a shard stuck. */
  stallMinutes: number;
  /** An age the other shards may have and still count as flat. */
  allowedAgeMs: number;
}

/** A minute's growth at least this share of a minute counts as "the age follows the clock". */
const GROWTH_SHARE = 0.8;
/** Minutes of growth alone that make a shard worth watching before it counts as not read. */
export const SUSPECT_MINUTES = 2;

/** Minutes the newest points have grown, each by most of the time between them. */
function growingMinutes(points: readonly Point[]): number {
  let i = points.length - 1;
  while (i > 0) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (b.value - a.value < GROWTH_SHARE * (b.atMs - a.atMs)) break;
    i--;
  }
  const first = points[i];
  const last = points[points.length - 1];
  return first && last && i < points.length - 1 ? Math.round((last.atMs - first.atMs) / 60_000) : 0;
}

export function judgeShards(openShardIds: readonly string[], series: readonly ShardSeries[], r: ShardRules): ShardJudgment {
  const byId = new Map(series.map((s) => [s.shardId, s.iteratorAge]));
  const withData = openShardIds.filter((id) => (byId.get(id)?.length ?? 0) > 0);
  if (withData.length === 0) return { level: 'stream', openShards: openShardIds.length, shardsWithData: 0, stuck: [], suspect: [], othersMaxAgeMs: null };
  const newestAt = Math.max(...withData.map((id) => byId.get(id)!.at(-1)!.atMs));
  const retentionMs = r.retentionHours * 3_600_000;
  const stuck: StuckShard[] = [];
  const suspect: StuckShard[] = [];
  for (const id of withData) {
    const pts = byId.get(id)!;
    const last = pts.at(-1)!;
    const silentMs = newestAt - last.atMs;
    if (silentMs >= SUSPECT_MINUTES * 60_000) {
      const ageMs = last.value + (r.nowMs - last.atMs);
      const s: StuckShard = {
        shardId: id,
        how: 'silent',
        ageMs,
        minutes: Math.round(silentMs / 60_000),
        retentionLeftHours: (retentionMs - ageMs) / 3_600_000,
      };
      (silentMs >= r.stallMinutes * 60_000 ? stuck : suspect).push(s);
      continue;
    }
    const minutes = growingMinutes(pts);
    if (minutes >= SUSPECT_MINUTES && last.value > r.allowedAgeMs) {
      const s: StuckShard = { shardId: id, how: 'growing', ageMs: last.value, minutes, retentionLeftHours: (retentionMs - last.value) / 3_600_000 };
      (minutes >= r.stallMinutes ? stuck : suspect).push(s);
    }
  }
  const stuckIds = new Set([...stuck, ...suspect].map((s) => s.shardId));
  const others = withData.filter((id) => !stuckIds.has(id)).map((id) => byId.get(id)!.at(-1)!.value);
  const othersMaxAgeMs = others.length > 0 ? Math.max(...others) : null;
  // "One shard not processing": the others must be read normally. When every shard grows, the
  // whole consumer is behind: that is lag, judged elsewhere.
  const flat = othersMaxAgeMs !== null && othersMaxAgeMs <= r.allowedAgeMs;
  const byAge = (a: StuckShard, b: StuckShard) => b.ageMs - a.ageMs;
  return {
    level: 'shard',
    openShards: openShardIds.length,
    shardsWithData: withData.length,
    stuck: flat ? stuck.sort(byAge) : [],
    suspect: flat ? suspect.sort(byAge) : [],
    othersMaxAgeMs,
  };
}

/** Minutes in the window with throttled reads, and how many reads were throttled. */
export function judgeThrottling(readThrottled: readonly Point[]): { minutes: number; reads: number } {
  const hits = readThrottled.filter((p) => p.value > 0);
  return { minutes: hits.length, reads: hits.reduce((a, p) => a + p.value, 0) };
}
