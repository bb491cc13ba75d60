import { toPoints } from '../../analysis/flink-metrics';
import { judgeShards, judgeThrottling, type ShardJudgment } from '../../analysis/kinesis-shards';
import { escalate, recheck, type Decision, type Evidence } from '../../core/decision';
import { jobRuntimes, type JobState } from '../../runtimes';
import type { PlaybookContext } from '../../core/playbook';
import type { ConsumerLagBounds, ConsumerLagSettings } from './manifest';

/**
 * A Kinesis source, whichever runtime reads it: its shards (one that is not read is named, with
 * its age and the retention left), its throttled reads, and the job reading it (through the
 * job-runtime interface: its phase and how many tasks read in parallel). Reading is one round
 * trip of DescribeStreamSummary ∥ ListShards ∥ the job, then one GetMetricData for the shards.
 */

export interface KinesisSourceReading {
  streamName: string;
  retentionHours: number;
  openShards: number;
  /** Shard-level metrics the stream's enhanced monitoring publishes. */
  shardLevelMetrics: string[];
  shards: ShardJudgment;
  /** Minutes of the window with ReadProvisionedThroughputExceeded above 0, and throttled reads in all. */
  throttledMinutes: number;
  throttledReads: number;
  job: JobState;
}

const MINUTE = 60_000;
/** Shard series read at most (GetMetricData takes 500 queries a call). */
const MAX_SHARDS_READ = 499;

export async function readKinesisSource(ctx: PlaybookContext<ConsumerLagSettings>, windowMinutes: number): Promise<KinesisSourceReading | undefined> {
  const src = ctx.pipeline.source;
  if (src.kind !== 'kinesis') return undefined;
  const b = ctx.settings.bounds;
  const nowMs = ctx.clock.now();
  const job = ctx.pipeline.job;
  const [stream, shards, jobState] = await Promise.all([
    ctx.aws.kinesis.describeStreamSummary(src.streamName),
    ctx.aws.kinesis.listOpenShards(src.streamName),
    job.kind === 'emr-serverless' ? jobRuntimes['emr-serverless'].readJob(ctx.aws, job) : jobRuntimes['managed-flink'].readJob(ctx.aws, job),
  ]);
  const perShard = stream.shardLevelMetrics.includes('IteratorAgeMilliseconds') || stream.shardLevelMetrics.includes('ALL');
  const ids = shards.map((s) => s.shardId).slice(0, MAX_SHARDS_READ);
  const startMs = nowMs - windowMinutes * MINUTE;
  const series = await ctx.aws.cloudwatch.getMetricData(
    [
      {
        id: 'throttled',
        namespace: 'AWS/Kinesis',
        metricName: 'ReadProvisionedThroughputExceeded',
        dimensions: { StreamName: src.streamName },
        stat: 'Sum',
        periodSeconds: 60,
      },
      ...(perShard
        ? ids.map((id, i) => ({
            id: `s${i}`,
            namespace: 'AWS/Kinesis',
            metricName: 'IteratorAgeMilliseconds',
            dimensions: { StreamName: src.streamName, ShardId: id },
            stat: 'Maximum',
            periodSeconds: 60,
          }))
        : []),
    ],
    startMs,
    nowMs,
  );
  const judged = judgeShards(ids, perShard ? ids.map((id, i) => ({ shardId: id, iteratorAge: toPoints(series[`s${i}`]) })) : [], {
    nowMs,
    retentionHours: stream.retentionHours,
    stallMinutes: b.stallMinutes,
    allowedAgeMs: b.allowedIteratorAgeSeconds * 1000,
  });
  const t = judgeThrottling(toPoints(series.throttled));
  return {
    streamName: src.streamName,
    retentionHours: stream.retentionHours,
    openShards: stream.openShardCount,
    shardLevelMetrics: stream.shardLevelMetrics,
    shards: judged,
    throttledMinutes: t.minutes,
    throttledReads: t.reads,
    job: jobState,
  };
}

export function kinesisEvidence(k: KinesisSourceReading | undefined): Evidence {
  if (!k) return {};
  const s = k.shards.stuck[0];
  return {
    streamRetentionHours: k.retentionHours,
    openShards: k.openShards,
    shardMetricsLevel: k.shards.level,
    shardsNotRead: k.shards.stuck.length > 0 ? k.shards.stuck.map((x) => x.shardId).join(',') : null,
    shardNotReadAgeMs: s?.ageMs ?? null,
    shardRetentionLeftHours: s ? Number(s.retentionLeftHours.toFixed(2)) : null,
    otherShardsMaxIteratorAgeMs: k.shards.othersMaxAgeMs,
    readThrottledMinutes: k.throttledMinutes,
    readThrottledReads: k.throttledReads,
    jobPhase: k.job.phase,
    jobTasks: k.job.parallelism ?? null,
  };
}

export const ConsumerLagSourceReason = {
  SHARD_NOT_READ: 'LAG_SHARD_NOT_READ',
  SHARD_SUSPECT: 'LAG_SHARD_AGE_GROWING',
  READS_THROTTLED: 'LAG_SOURCE_READS_THROTTLED',
} as const;

const hours = (h: number) => (h < 0 ? `${(-h).toFixed(1)} h past it` : `${h.toFixed(1)} h`);

/**
 * Pure: the Kinesis source's own problems, before any judgment of the job's capacity. A shard not
 * read while the others are: escalated naming the shard, its age and the retention left (critical
 * when its records are lost within `criticalRetentionHours`); restarting or scaling the job is not
 * the answer a person can skip checking (the seeds' "one shard not processing"). Reads throttled
 * every minute of the alarm window: escalated, since more parallelism would only read harder.
 */
export function planKinesisSource(k: KinesisSourceReading | undefined, b: ConsumerLagBounds, ev: Evidence, what: string): Decision | undefined {
  if (!k) return undefined;
  const s = k.shards.stuck[0];
  if (s) {
    const lost = s.retentionLeftHours <= 0;
    const severity = s.retentionLeftHours <= b.criticalRetentionHours ? 'critical' : 'error';
    const how = s.how === 'growing' ? 'is read at the same position' : 'gets no GetRecords calls';
    return escalate(
      ConsumerLagSourceReason.SHARD_NOT_READ,
      `shard ${s.shardId} of ${k.streamName} ${how} for ${s.minutes} min (iterator age ${Math.round(s.ageMs / 1000)} s) while the other shards are read: ` +
        (lost
          ? `its oldest records are already past the ${k.retentionHours} h retention (${hours(s.retentionLeftHours)})`
          : `${hours(s.retentionLeftHours)} of retention left before its records are lost`),
      ev,
      severity,
      {
        summary: `find why ${what} does not read shard ${s.shardId} (its task's log: a poison record, a stuck subtask, a lost lease); restart the reader of that shard before the retention runs out${
          k.shards.stuck.length > 1
            ? `; also ${k.shards.stuck
                .slice(1)
                .map((x) => x.shardId)
                .join(', ')}`
            : ''
        }`,
        command: `aws cloudwatch get-metric-statistics --namespace AWS/Kinesis --metric-name IteratorAgeMilliseconds --dimensions Name=StreamName,Value=${k.streamName} Name=ShardId,Value=${s.shardId} --statistics Maximum --period 60 --start-time <one hour ago> --end-time <now>`,
        detail: {
          shards: k.shards.stuck.map((x) => ({
            shardId: x.shardId,
            how: x.how,
            ageMs: x.ageMs,
            minutes: x.minutes,
            retentionLeftHours: Number(x.retentionLeftHours.toFixed(2)),
          })),
        },
      },
    );
  }
  const w = k.shards.suspect[0];
  if (w) {
    return recheck(
      ConsumerLagSourceReason.SHARD_SUSPECT,
      `shard ${w.shardId} of ${k.streamName} ${w.how === 'growing' ? 'has its iterator age growing' : 'has had no GetRecords'} for ${w.minutes} min while the other shards are read: watched ${b.stallMinutes} min before naming it (nothing scaled meanwhile)`,
      ev,
      Math.max(60, (b.stallMinutes - w.minutes) * 60),
    );
  }
  if (k.throttledMinutes >= b.alarmMinutes) {
    return escalate(
      ConsumerLagSourceReason.READS_THROTTLED,
      `reads of ${k.streamName} were throttled in ${k.throttledMinutes} minute(s) of the window (${k.throttledReads} throttled GetRecords calls): more parallelism would read harder`,
      ev,
      'error',
      {
        summary: `the stream's read throughput is the limit (2 MB/s or 5 GetRecords calls a second per shard): add shards, or use enhanced fan-out for ${what}; never scaled automatically`,
        command: `aws kinesis update-shard-count --stream-name ${k.streamName} --scaling-type UNIFORM_SCALING --target-shard-count ${k.openShards * 2}`,
      },
    );
  }
  return undefined;
}
