import {
  ConcurrentModificationException,
  FirehoseServiceException,
  InvalidArgumentException,
  ResourceNotFoundException,
  type DescribeDeliveryStreamInput,
  type UpdateDestinationInput,
} from '@aws-sdk/client-firehose';
import type { SimContext, SimService } from './context';
import { deliverMinute, streamFailure, type DeliveryDeps, type SimFirehoseStream } from './firehose-delivery';
import type { SimIam } from './iam';
import type { SimKms } from './kms';
import type { SimLogs } from './logs';
import type { MetricStore } from './metrics';
import type { SimS3 } from './s3';

/**
 * Amazon Data Firehose with S3 destinations: `DescribeDeliveryStream` and `UpdateDestination`
 * (VersionId check → ConcurrentModificationException, buffering hints validated as the API
 * does), and the streams' delivery, evolved every minute by firehose-delivery.ts, which also
 * publishes the `AWS/Firehose` metrics and writes the delivery error log.
 */

export type FirehoseStreamSeed = Omit<
  SimFirehoseStream,
  | 'arn'
  | 'versionId'
  | 'destinationId'
  | 'createdMs'
  | 'updatedMs'
  | 'chunks'
  | 'deliveredRecords'
  | 'lostRecords'
  | 'objects'
  | 'freshnessSeconds'
  | 'beforeNextUpdate'
> & {
  versionId?: number;
  /** Delivery has failed for this long at the start (with the role, key and bucket as seeded). */
  stalledForMs?: number;
  /** Simulated history before the start (metrics, backlog, error log). */
  historyMs?: number;
};

const HINTS = { size: [1, 128], interval: [0, 900] } as const;

export class SimFirehose implements SimService {
  readonly clientName = 'FirehoseClient';
  readonly service = 'firehose';
  readonly baseException = FirehoseServiceException;
  readonly operations = {
    DescribeDeliveryStream: (i: DescribeDeliveryStreamInput) => this.describe(i),
    UpdateDestination: (i: UpdateDestinationInput) => this.update(i),
  };
  readonly streams = new Map<string, SimFirehoseStream>();
  private readonly seeds = new Map<string, { stalledForMs: number; historyMs: number }>();

  constructor(
    private readonly ctx: SimContext,
    private readonly deps: { iam: SimIam; kms: SimKms; s3: SimS3; logs: SimLogs; store: MetricStore },
  ) {}

  addStream(seed: FirehoseStreamSeed): SimFirehoseStream {
    const { stalledForMs = 0, historyMs, versionId = 1, ...rest } = seed;
    const now = this.ctx.clock.now();
    const s: SimFirehoseStream = {
      ...rest,
      arn: `arn:aws:firehose:${this.ctx.region}:${this.ctx.account}:deliverystream/${seed.name}`,
      versionId,
      destinationId: 'destinationId-000000000001',
      createdMs: now - 30 * 86_400_000,
      updatedMs: now - 7 * 86_400_000,
      chunks: [],
      deliveredRecords: 0,
      lostRecords: 0,
      objects: 0,
      freshnessSeconds: 0,
      beforeNextUpdate: [],
    };
    this.streams.set(s.name, s);
    if (s.errorLogging) this.deps.logs.createGroup(s.logGroupName);
    this.seeds.set(s.name, { stalledForMs, historyMs: historyMs ?? stalledForMs + 3_600_000 });
    return s;
  }

  stream(name: string): SimFirehoseStream {
    const s = this.streams.get(name);
    if (!s) throw new Error(`no simulated Firehose stream ${name}`);
    return s;
  }

  /** Someone else changes the stream (console, another tool): a new version. */
  changeByOthers(name: string, change: { sizeInMBs?: number; intervalInSeconds?: number; prefix?: string }): void {
    const s = this.stream(name);
    Object.assign(s, Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)));
    s.versionId++;
    s.updatedMs = this.ctx.clock.now();
    this.ctx.record.event(
      this.ctx.clock.now(),
      'note',
      `firehose ${name}: changed by someone else → version ${s.versionId} (${s.sizeInMBs} MiB/${s.intervalInSeconds} s)`,
    );
  }

  /** The history before the start: every stream evolves minute by minute up to `startMs`, silently. */
  backfill(startMs: number): void {
    for (const s of this.streams.values()) {
      const seed = this.seeds.get(s.name)!;
      const from = startMs - Math.ceil(seed.historyMs / 60_000) * 60_000;
      for (let end = from + 60_000; end <= startMs; end += 60_000) {
        // Silent: the history is what the world was before the drill, not something it watches happen.
        deliverMinute(
          s,
          end,
          { ...this.deps, note: () => undefined },
          { kms: this.deps.kms, logsFromMs: startMs - 3_600_000, healthyBeforeMs: startMs - seed.stalledForMs },
        );
      }
    }
  }

  /** Called at each minute boundary: the minute that just ended. */
  publishMinute(endMs: number): void {
    for (const s of this.streams.values()) deliverMinute(s, endMs, this.deliveryDeps(), { kms: this.deps.kms });
  }

  private deliveryDeps(): DeliveryDeps {
    return { ...this.deps, note: (text) => this.ctx.record.event(this.ctx.clock.now(), 'note', text) };
  }

  private find(name: string | undefined): SimFirehoseStream {
    const s = this.streams.get(name ?? '');
    if (!s) throw this.ctx.err(ResourceNotFoundException, 400, `Firehose ${name} under account ${this.ctx.account} not found.`);
    return s;
  }

  private describe(i: DescribeDeliveryStreamInput) {
    const s = this.find(i.DeliveryStreamName);
    const failure = streamFailure(s, this.deps.kms);
    const destination = {
      RoleARN: s.roleArn,
      BucketARN: `arn:aws:s3:::${s.bucket}`,
      Prefix: s.prefix,
      ...(s.errorOutputPrefix ? { ErrorOutputPrefix: s.errorOutputPrefix } : {}),
      BufferingHints: { SizeInMBs: s.sizeInMBs, IntervalInSeconds: s.intervalInSeconds },
      CompressionFormat: 'GZIP' as const,
      EncryptionConfiguration: s.kmsKeyArn ? { KMSEncryptionConfig: { AWSKMSKeyARN: s.kmsKeyArn } } : { NoEncryptionConfig: 'NoEncryption' as const },
      CloudWatchLoggingOptions: s.errorLogging ? { Enabled: true, LogGroupName: s.logGroupName, LogStreamName: s.logStreamName } : { Enabled: false },
    };
    return {
      DeliveryStreamDescription: {
        DeliveryStreamName: s.name,
        DeliveryStreamARN: s.arn,
        DeliveryStreamStatus: 'ACTIVE' as const,
        ...(failure ? { FailureDescription: { Type: failure.type as never, Details: failure.details } } : {}),
        DeliveryStreamEncryptionConfiguration: s.sseKeyArn
          ? { KeyARN: s.sseKeyArn, KeyType: 'CUSTOMER_MANAGED_CMK' as const, Status: 'ENABLED' as const }
          : { Status: 'DISABLED' as const },
        DeliveryStreamType: 'DirectPut' as const,
        VersionId: String(s.versionId),
        CreateTimestamp: new Date(s.createdMs),
        LastUpdateTimestamp: new Date(s.updatedMs),
        Destinations: [
          {
            DestinationId: s.destinationId,
            S3DestinationDescription: destination,
            ExtendedS3DestinationDescription: { ...destination, S3BackupMode: 'Disabled' as const },
          },
        ],
        HasMoreDestinations: false,
      },
    };
  }

  private update(i: UpdateDestinationInput) {
    const s = this.find(i.DeliveryStreamName);
    const pending = s.beforeNextUpdate.shift();
    if (pending) this.changeByOthers(s.name, pending);
    if (i.CurrentDeliveryStreamVersionId !== String(s.versionId)) {
      throw this.ctx.err(
        ConcurrentModificationException,
        400,
        'Another modification has already happened. Fetch VersionId again and use it to update the destination.',
      );
    }
    if (i.DestinationId !== s.destinationId)
      throw this.ctx.err(InvalidArgumentException, 400, `Destination ${i.DestinationId} not found for Firehose ${s.name}.`);
    const upd = i.ExtendedS3DestinationUpdate ?? i.S3DestinationUpdate;
    if (!upd) throw this.ctx.err(InvalidArgumentException, 400, 'An S3 destination update is required for an S3 destination.');
    const h = upd.BufferingHints;
    if (h) {
      if ((h.SizeInMBs === undefined) !== (h.IntervalInSeconds === undefined)) {
        throw this.ctx.err(InvalidArgumentException, 400, 'BufferingHints: SizeInMBs and IntervalInSeconds must be specified together.');
      }
      const bad = (v: number | undefined, [lo, hi]: readonly [number, number]) => v !== undefined && (!Number.isInteger(v) || v < lo || v > hi);
      if (bad(h.SizeInMBs, HINTS.size) || bad(h.IntervalInSeconds, HINTS.interval)) {
        throw this.ctx.err(
          InvalidArgumentException,
          400,
          `1 validation error detected: BufferingHints ${h.SizeInMBs}/${h.IntervalInSeconds} outside SizeInMBs 1-128, IntervalInSeconds 0-900`,
        );
      }
      const before = `${s.sizeInMBs} MiB/${s.intervalInSeconds} s`;
      s.sizeInMBs = h.SizeInMBs!;
      s.intervalInSeconds = h.IntervalInSeconds!;
      this.ctx.record.event(
        this.ctx.clock.now(),
        'note',
        `firehose ${s.name}: buffering ${before} → ${s.sizeInMBs} MiB/${s.intervalInSeconds} s (version ${s.versionId + 1})`,
      );
    }
    if (upd.Prefix !== undefined) s.prefix = upd.Prefix;
    s.versionId++;
    s.updatedMs = this.ctx.clock.now();
    return {};
  }
}
