import type { KnownJob, SimContext } from './context';
import type { SimEmrServerless } from './emr';
import type { SimJobRun } from './emr-state';
import type { SimS3 } from './s3';
import { type S3Location, splitS3Uri } from '../../lambdas/util/s3-uri';

/**
 * Spark Structured Streaming checkpoints in the simulated S3, in Spark's layout:
 * `metadata` {"id":uuid}, `sources/0/0`, `offsets/N` (written before batch N runs) and
 * `commits/N` (after it succeeds). A seeded checkpoint is generated from a compact description;
 * a RUNNING run of a known job then writes a new batch every interval, continuing from the last
 * committed batch (or re-running an uncommitted one), as Spark does after a restart.
 */

export interface CheckpointSeed {
  /** `s3://bucket/prefix/` */
  uri: string;
  topic: string;
  partitions: number;
  /** Batches already committed (the last `retain` are kept, as Spark's minBatchesToRetain). */
  batches: number;
  lastBatchAgeSeconds: number;
  batchIntervalSeconds: number;
  /** false: the last batch has its offsets file but no commit (the job died mid-batch). */
  lastBatchCommitted: boolean;
  recordsPerBatch: number;
}

export const SPARK_CONF = {
  'spark.sql.streaming.stateStore.providerClass': 'org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider',
  'spark.sql.streaming.join.stateFormatVersion': '2',
  'spark.sql.streaming.stateStore.compression.codec': 'lz4',
  'spark.sql.streaming.stateStore.rocksdb.formatVersion': '5',
  'spark.sql.streaming.statefulOperator.useStrictDistribution': 'true',
  'spark.sql.streaming.flatMapGroupsWithState.stateFormatVersion': '2',
  'spark.sql.streaming.multipleWatermarkPolicy': 'min',
  'spark.sql.streaming.aggregation.stateFormatVersion': '2',
  'spark.sql.shuffle.partitions': '200',
};

const RETAIN = 100;

export const parseS3Uri = (uri: string): S3Location => {
  const location = splitS3Uri(uri);
  if (!location) throw new Error(`not an s3 uri: ${uri}`);
  return location;
};

type Offsets = Record<string, number>;

export const offsetsFile = (batchTimestampMs: number, topic: string, offsets: Offsets): string =>
  `v1\n${JSON.stringify({ batchWatermarkMs: 0, batchTimestampMs, conf: SPARK_CONF })}\n${JSON.stringify({ [topic]: offsets })}`;

export const COMMIT_FILE = 'v1\n{"nextBatchWatermarkMs":0}';

const batchNumbers = (keys: string[], dir: string): number[] =>
  keys
    .map((k) => k.slice(dir.length))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);

export function seedCheckpoint(s3: SimS3, ctx: SimContext, seed: CheckpointSeed): void {
  const { bucket, prefix } = parseS3Uri(seed.uri);
  s3.createBucket(bucket);
  const now = ctx.clock.now();
  const base = Array.from({ length: seed.partitions }, (_, p) => 1_000_000 + p * 7_919);
  const at = (n: number) => now - seed.lastBatchAgeSeconds * 1000 - (seed.batches - 1 - n) * seed.batchIntervalSeconds * 1000;
  const offsetsOf = (n: number): Offsets =>
    Object.fromEntries(base.map((b, p) => [String(p), b + (n + 1) * Math.round(seed.recordsPerBatch / seed.partitions)]));
  const created = Math.min(at(0), now) - 60_000;
  s3.put(bucket, `${prefix}metadata`, JSON.stringify({ id: ctx.ids.uuid() }), { atMs: created });
  s3.put(bucket, `${prefix}sources/0/0`, `v1\n${JSON.stringify({ [seed.topic]: Object.fromEntries(base.map((b, p) => [String(p), b])) })}`, { atMs: created });
  for (let n = Math.max(0, seed.batches - RETAIN); n < seed.batches; n++) {
    s3.put(bucket, `${prefix}offsets/${n}`, offsetsFile(at(n), seed.topic, offsetsOf(n)), { atMs: at(n) });
    if (n < seed.batches - 1 || seed.lastBatchCommitted) {
      s3.put(bucket, `${prefix}commits/${n}`, COMMIT_FILE, { atMs: Math.min(at(n) + 5_000, now) });
    }
  }
}

export class CheckpointWriter {
  constructor(
    private readonly ctx: SimContext,
    private readonly s3: SimS3,
    emr: SimEmrServerless,
    private readonly jobs: readonly KnownJob[],
    private readonly opts: { batchIntervalMs: number; commitDelayMs: number; firstBatchAfterMs: number; recordsPerBatch: number },
  ) {
    emr.onStateChange((run, previous) => {
      if (run.state === 'RUNNING' && previous !== 'RUNNING') this.start(run, emr);
    });
  }

  private start(run: SimJobRun, emr: SimEmrServerless): void {
    const job = this.jobs.find((j) => j.applicationId === run.applicationId && j.jobName === run.name);
    if (!job) return;
    const { bucket, prefix } = parseS3Uri(job.checkpoint);
    this.s3.createBucket(bucket);
    const alive = () => emr.getRun(run.jobRunId)?.state === 'RUNNING';
    const tick = () => {
      if (!alive()) return;
      this.batch(job, bucket, prefix, alive);
      this.ctx.clock.after(this.opts.batchIntervalMs, `checkpoint ${job.pipeline}`, tick);
    };
    this.ctx.clock.after(this.opts.firstBatchAfterMs, `checkpoint ${job.pipeline}`, tick);
  }

  private batch(job: KnownJob, bucket: string, prefix: string, alive: () => boolean): void {
    if (!this.s3.object(bucket, `${prefix}metadata`)) this.s3.put(bucket, `${prefix}metadata`, JSON.stringify({ id: this.ctx.ids.uuid() }));
    const offsets = batchNumbers(this.s3.keys(bucket, `${prefix}offsets/`), `${prefix}offsets/`);
    const commits = new Set(batchNumbers(this.s3.keys(bucket, `${prefix}commits/`), `${prefix}commits/`));
    const last = offsets[offsets.length - 1];
    let n: number;
    if (last !== undefined && !commits.has(last)) {
      n = last; // Spark re-runs an uncommitted batch with the offsets it already logged
    } else {
      n = last === undefined ? 0 : last + 1;
      const previous = last === undefined ? undefined : this.readOffsets(bucket, `${prefix}offsets/${last}`, job.topic);
      const per = Math.round(this.opts.recordsPerBatch / job.partitions);
      const next = Object.fromEntries(Array.from({ length: job.partitions }, (_, p) => [String(p), (previous?.[String(p)] ?? 1_000_000 + p * 7_919) + per]));
      this.s3.put(bucket, `${prefix}offsets/${n}`, offsetsFile(this.ctx.clock.now(), job.topic, next));
    }
    this.ctx.clock.after(this.opts.commitDelayMs, `commit ${job.pipeline} ${n}`, () => {
      if (alive()) this.s3.put(bucket, `${prefix}commits/${n}`, COMMIT_FILE);
    });
  }

  private readOffsets(bucket: string, key: string, topic: string): Offsets | undefined {
    const o = this.s3.object(bucket, key);
    if (!o) return undefined;
    const lines = o.body.toString('utf8').split('\n');
    try {
      return (JSON.parse(lines[2] ?? '{}') as Record<string, Offsets>)[topic];
    } catch {
      return undefined;
    }
  }
}
