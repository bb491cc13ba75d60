import {
  InvalidArgumentException,
  KinesisServiceException,
  ResourceNotFoundException,
  type DescribeStreamSummaryInput,
  type ListShardsInput,
} from '@aws-sdk/client-kinesis';
import type { SimContext, SimService } from './context';
import type { MetricStore } from './metrics';

/**
 * Amazon Kinesis Data Streams as a pipeline's source: a stream whose producers write at a rate
 * (spread over its shards by weight), read by the pipeline's job, with the read side's limits
 * and metrics (Kinesis Data Streams Developer Guide):
 *
 * - Each shard supports "up to 5 transactions per second for reads, up to a maximum total data
 *   read rate of 2 MB per second" ("Quotas and limits"); a reader wanting more from a shard than
 *   `readLimitRecordsPerSecond` gets throttled GetRecords calls (`ReadProvisionedThroughputExceeded`).
 * - A shard's backlog grows by what is written and shrinks by what is read; its iterator age is
 *   "the age of the last record in all GetRecords calls made against a shard": the backlog's
 *   length in time at the shard's write rate, a few hundred ms when the reader keeps up.
 * - Records older than the retention period are no longer readable ("Changing the data retention
 *   period"): the backlog beyond it is lost.
 * - Stream-level metrics (dimension StreamName): `GetRecords.IteratorAgeMilliseconds` (Maximum
 *   over the shards read), `IncomingRecords`, `GetRecords.Records`, `ReadProvisionedThroughputExceeded`;
 *   shard-level ones (StreamName, ShardId) only with enhanced monitoring: `IteratorAgeMilliseconds`,
 *   `IncomingRecords`, `OutgoingRecords`, `ReadProvisionedThroughputExceeded` ("Monitoring the Amazon
 *   Kinesis Data Streams service with Amazon CloudWatch"). A shard nobody calls GetRecords on
 *   publishes no read-side datapoint at all.
 * - API: DescribeStreamSummary; ListShards (`ShardFilter`; a page after the first names only
 *   NextToken: "you cannot specify this parameter [StreamName] if you specify the NextToken").
 */

export type ShardReading = 'read' | 'stuck' | 'unread';

export interface SimShard {
  shardId: string;
  weight: number;
  /** Records written and not yet read. */
  backlog: number;
  /** `read`: normally; `stuck`: GetRecords keeps returning the same position; `unread`: no GetRecords at all. */
  reading: ShardReading;
  lost: number;
  minute: { incoming: number; outgoing: number; throttled: number; maxAgeMs: number; called: boolean };
}

export interface SimStreamSeed {
  streamName: string;
  shards: number;
  recordsPerSecond: number;
  weights?: number[];
  retentionHours: number;
  enhancedMonitoring: string[];
  readLimitRecordsPerSecond: number;
  /** Backlog of every shard at the start (records). */
  lagRecords: number;
  historyMinutes: number;
}

export interface SimStream extends Omit<SimStreamSeed, 'weights' | 'shards'> {
  arn: string;
  createdMs: number;
  shards: SimShard[];
  lastMs: number;
}

/** Records a second the stream's reader would take from shard `i` of `n` now (0 when it reads nothing). */
export type StreamReader = (shardIndex: number, shards: number) => number;

const MINUTE = 60_000;
const STEP_MS = 5_000;
/** The iterator age of a reader that keeps up: the time between its polls. */
const CAUGHT_UP_AGE_MS = 200;
/** GetRecords calls a second a shard takes ("Quotas and limits"). */
const CALLS_PER_SECOND = 5;
const PAGE = 1_000;

export const shardIdOf = (i: number): string => `shardId-${String(i).padStart(12, '0')}`;

export class SimKinesis implements SimService {
  readonly clientName = 'KinesisClient';
  readonly service = 'kinesis';
  readonly baseException = KinesisServiceException;
  readonly operations = {
    DescribeStreamSummary: (i: DescribeStreamSummaryInput) => this.describe(i),
    ListShards: (i: ListShardsInput) => this.listShards(i),
  };
  readonly streams = new Map<string, SimStream>();
  /** The reader of each stream (the pipeline's job), by stream name. */
  readonly readers = new Map<string, StreamReader>();

  constructor(
    private readonly ctx: SimContext,
    private readonly store: MetricStore,
  ) {}

  addStream(seed: SimStreamSeed): SimStream {
    const now = this.ctx.clock.now();
    const weights = seed.weights ?? Array.from({ length: seed.shards }, () => 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const s: SimStream = {
      ...seed,
      arn: `arn:aws:kinesis:${this.ctx.region}:${this.ctx.account}:stream/${seed.streamName}`,
      createdMs: now - seed.historyMinutes * MINUTE - 86_400_000,
      shards: weights.map((w, i) => ({
        shardId: shardIdOf(i),
        weight: w / total,
        backlog: seed.lagRecords,
        reading: 'read',
        lost: 0,
        minute: { incoming: 0, outgoing: 0, throttled: 0, maxAgeMs: 0, called: false },
      })),
      lastMs: now,
    };
    this.streams.set(seed.streamName, s);
    return s;
  }

  stream(name: string): SimStream {
    const s = this.streams.get(name);
    if (!s) throw new Error(`no simulated Kinesis stream ${name}`);
    return s;
  }

  /** Applies `change` now: every stream first moves on to now under the old state. */
  changed(change: () => void): void {
    const now = this.ctx.clock.now();
    for (const s of this.streams.values()) this.advance(s, now);
    change();
  }

  /** The iterator age of a shard now (ms): its backlog in time at its write rate. */
  ageMs(s: SimStream, shard: SimShard): number {
    const rate = s.recordsPerSecond * shard.weight;
    if (shard.backlog < 1) return CAUGHT_UP_AGE_MS;
    return rate > 0 ? Math.round((shard.backlog / rate) * 1000) + CAUGHT_UP_AGE_MS : s.retentionHours * 3_600_000;
  }

  private advance(s: SimStream, toMs: number): void {
    const reader = this.readers.get(s.streamName);
    while (s.lastMs < toMs) {
      const dtMs = Math.min(STEP_MS, toMs - s.lastMs);
      const dt = dtMs / 1000;
      s.lastMs += dtMs;
      s.shards.forEach((shard, i) => {
        const written = s.recordsPerSecond * shard.weight * dt;
        shard.minute.incoming += written;
        const wants = shard.reading === 'read' && reader ? reader(i, s.shards.length) : 0;
        const take = Math.min(wants, s.readLimitRecordsPerSecond) * dt;
        const read = Math.min(take, shard.backlog + written);
        shard.backlog += written - read;
        shard.minute.outgoing += read;
        shard.minute.called ||= shard.reading === 'stuck' || (shard.reading === 'read' && wants > 0);
        if (wants > s.readLimitRecordsPerSecond && shard.backlog >= 1) {
          shard.minute.throttled += Math.round(CALLS_PER_SECOND * dt * (1 - s.readLimitRecordsPerSecond / wants));
        }
        // Past the retention, the oldest records are trimmed.
        const keep = s.recordsPerSecond * shard.weight * s.retentionHours * 3_600;
        if (shard.backlog > keep && keep > 0) {
          shard.lost += shard.backlog - keep;
          shard.backlog = keep;
        }
        if (shard.reading !== 'unread') shard.minute.maxAgeMs = Math.max(shard.minute.maxAgeMs, this.ageMs(s, shard));
      });
    }
  }

  private put(s: SimStream, atMs: number, metricName: string, value: number, unit: string, shardId?: string): void {
    this.store.putValue(
      { namespace: 'AWS/Kinesis', metricName, dimensions: { StreamName: s.streamName, ...(shardId ? { ShardId: shardId } : {}) } },
      atMs,
      value,
      unit,
    );
  }

  private enhanced(s: SimStream, metric: string): boolean {
    return s.enhancedMonitoring.includes('ALL') || s.enhancedMonitoring.includes(metric);
  }

  /** Publishes the minute that ends at `endMs` (datapoints stamped at its start). */
  publishMinute(endMs: number): void {
    for (const s of this.streams.values()) {
      this.advance(s, endMs);
      const at = endMs - MINUTE;
      const called = s.shards.filter((x) => x.minute.called);
      this.put(s, at, 'IncomingRecords', Math.round(s.shards.reduce((a, x) => a + x.minute.incoming, 0)), 'Count');
      if (called.length > 0) {
        this.put(s, at, 'GetRecords.IteratorAgeMilliseconds', Math.max(...called.map((x) => x.minute.maxAgeMs)), 'Milliseconds');
        this.put(s, at, 'GetRecords.Records', Math.round(called.reduce((a, x) => a + x.minute.outgoing, 0)), 'Count');
        this.put(
          s,
          at,
          'ReadProvisionedThroughputExceeded',
          called.reduce((a, x) => a + x.minute.throttled, 0),
          'Count',
        );
      }
      for (const x of s.shards) {
        if (this.enhanced(s, 'IncomingRecords')) this.put(s, at, 'IncomingRecords', Math.round(x.minute.incoming), 'Count', x.shardId);
        if (x.minute.called) {
          if (this.enhanced(s, 'IteratorAgeMilliseconds')) this.put(s, at, 'IteratorAgeMilliseconds', x.minute.maxAgeMs, 'Milliseconds', x.shardId);
          if (this.enhanced(s, 'OutgoingRecords')) this.put(s, at, 'OutgoingRecords', Math.round(x.minute.outgoing), 'Count', x.shardId);
          if (this.enhanced(s, 'ReadProvisionedThroughputExceeded'))
            this.put(s, at, 'ReadProvisionedThroughputExceeded', x.minute.throttled, 'Count', x.shardId);
        }
        x.minute = { incoming: 0, outgoing: 0, throttled: 0, maxAgeMs: x.reading === 'unread' ? 0 : this.ageMs(s, x), called: false };
      }
    }
  }

  /** History before the start: the seeded state held steady (the reader takes what is written, or nothing). */
  backfill(startMs: number): void {
    for (const s of this.streams.values()) {
      const reader = this.readers.get(s.streamName);
      for (let k = s.historyMinutes; k >= 1; k--) {
        const at = startMs - k * MINUTE;
        const incoming = s.recordsPerSecond * 60;
        const reading = reader !== undefined && s.shards.some((_, i) => reader(i, s.shards.length) > 0);
        this.put(s, at, 'IncomingRecords', Math.round(incoming), 'Count');
        if (!reading) continue;
        const ages = s.shards.map((x) => this.ageMs(s, x));
        this.put(s, at, 'GetRecords.IteratorAgeMilliseconds', Math.max(...ages), 'Milliseconds');
        this.put(s, at, 'GetRecords.Records', Math.round(incoming), 'Count');
        this.put(s, at, 'ReadProvisionedThroughputExceeded', 0, 'Count');
        s.shards.forEach((x, i) => {
          if (this.enhanced(s, 'IteratorAgeMilliseconds')) this.put(s, at, 'IteratorAgeMilliseconds', ages[i]!, 'Milliseconds', x.shardId);
          if (this.enhanced(s, 'OutgoingRecords')) this.put(s, at, 'OutgoingRecords', Math.round(incoming * x.weight), 'Count', x.shardId);
        });
      }
      for (const x of s.shards) x.minute.maxAgeMs = this.ageMs(s, x);
    }
  }

  private describe(i: DescribeStreamSummaryInput) {
    const s = this.find(i.StreamName, i.StreamARN);
    return {
      StreamDescriptionSummary: {
        StreamName: s.streamName,
        StreamARN: s.arn,
        StreamStatus: 'ACTIVE',
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        RetentionPeriodHours: s.retentionHours,
        StreamCreationTimestamp: new Date(s.createdMs),
        EnhancedMonitoring: [{ ShardLevelMetrics: [...s.enhancedMonitoring] }],
        EncryptionType: 'NONE',
        OpenShardCount: s.shards.length,
        ConsumerCount: 0,
      },
    };
  }

  private listShards(i: ListShardsInput) {
    if (i.NextToken !== undefined && (i.StreamName !== undefined || i.StreamARN !== undefined)) {
      throw this.ctx.err(InvalidArgumentException, 400, 'NextToken and StreamName cannot be provided together.');
    }
    const max = i.MaxResults ?? PAGE;
    if (max < 1 || max > 10_000)
      throw this.ctx.err(
        InvalidArgumentException,
        400,
        `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 10000`,
      );
    let name: string | undefined = i.StreamName;
    let from = 0;
    if (i.NextToken !== undefined) {
      const m = /^(.+)\|(\d+)$/.exec(i.NextToken);
      if (!m) throw this.ctx.err(InvalidArgumentException, 400, 'Invalid NextToken.');
      [name, from] = [m[1]!, Number(m[2])];
    }
    const s = this.find(name, i.StreamARN);
    const all = s.shards.map((x, k) => ({
      ShardId: x.shardId,
      HashKeyRange: { StartingHashKey: String(k), EndingHashKey: String(k) },
      SequenceNumberRange: { StartingSequenceNumber: String(k * 1_000_000) },
    }));
    const page = all.slice(from, from + max);
    return { Shards: page, ...(from + max < all.length ? { NextToken: `${s.streamName}|${from + max}` } : {}) };
  }

  private find(name: string | undefined, arn: string | undefined): SimStream {
    const s = [...this.streams.values()].find((x) => x.streamName === name || (arn !== undefined && x.arn === arn));
    if (!s) throw this.ctx.err(ResourceNotFoundException, 400, `Stream ${name ?? arn} under account ${this.ctx.account} not found.`);
    return s;
  }
}
