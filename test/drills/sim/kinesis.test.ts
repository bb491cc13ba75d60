import { DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { shardIdOf, type SimStreamSeed } from '../../../drills/sim/kinesis';
import { T0, newWorld, simClient } from '../helpers';

const MIN = 60_000;
const STREAM = 'clicks-events';

function setup(seed: Partial<SimStreamSeed> = {}, reader?: (i: number, n: number) => number) {
  const w = newWorld();
  const s = w.kinesis.addStream({
    streamName: STREAM,
    shards: 4,
    recordsPerSecond: 400,
    retentionHours: 24,
    enhancedMonitoring: [],
    readLimitRecordsPerSecond: 10_000,
    lagRecords: 0,
    historyMinutes: 5,
    ...seed,
  });
  if (reader) w.kinesis.readers.set(STREAM, reader);
  return { w, s, kinesis: simClient(w, KinesisClient) };
}

const values = (w: ReturnType<typeof newWorld>, metricName: string, dims: Record<string, string> = { StreamName: STREAM }) =>
  w.cloudwatch.store.datapoints({ namespace: 'AWS/Kinesis', metricName, dimensions: dims }, 'Maximum', 60, T0 - 60 * MIN, T0 + 600 * MIN).map((d) => d.value);

describe('Class: SimKinesis', () => {
  describe('Method: DescribeStreamSummary', () => {
    it('answers the stream as the API reference shapes it, or ResourceNotFoundException', async () => {
      // Prepare
      const { kinesis } = setup({ enhancedMonitoring: ['IteratorAgeMilliseconds'] });
      // Act
      const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
      // Assess
      expect(out.StreamDescriptionSummary).toMatchObject({
        StreamName: STREAM,
        StreamStatus: 'ACTIVE',
        RetentionPeriodHours: 24,
        OpenShardCount: 4,
        StreamARN: `arn:aws:kinesis:eu-west-1:123456789012:stream/${STREAM}`,
        EnhancedMonitoring: [{ ShardLevelMetrics: ['IteratorAgeMilliseconds'] }],
      });
      await expect(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  describe('Method: ListShards', () => {
    it('pages with NextToken alone, and refuses NextToken together with StreamName', async () => {
      // Prepare
      const { kinesis } = setup({ shards: 5 });
      // Act
      const first = await kinesis.send(new ListShardsCommand({ StreamName: STREAM, MaxResults: 2 }));
      const second = await kinesis.send(new ListShardsCommand({ NextToken: first.NextToken!, MaxResults: 2 }));
      const third = await kinesis.send(new ListShardsCommand({ NextToken: second.NextToken!, MaxResults: 2 }));
      // Assess
      expect([...first.Shards!, ...second.Shards!, ...third.Shards!].map((x) => x.ShardId)).toEqual([0, 1, 2, 3, 4].map(shardIdOf));
      expect(third.NextToken).toBeUndefined();
      await expect(kinesis.send(new ListShardsCommand({ StreamName: STREAM, NextToken: first.NextToken! }))).rejects.toMatchObject({
        name: 'InvalidArgumentException',
      });
      await expect(kinesis.send(new ListShardsCommand({ StreamName: STREAM, MaxResults: 0 }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    });
  });

  describe('Metrics', () => {
    it('publishes no read-side datapoint for a stream nobody reads, only IncomingRecords', async () => {
      // Prepare
      const { w } = setup();
      // Act
      w.start();
      await w.clock.advance(3 * MIN);
      // Assess
      expect(values(w, 'IncomingRecords').length).toBeGreaterThan(0);
      expect(values(w, 'GetRecords.IteratorAgeMilliseconds')).toEqual([]);
    });

    it('keeps the iterator age low while the reader keeps up, and grows it by the backlog when it reads half', async () => {
      // Prepare: 100 records/s a shard are written.
      let rate = 200;
      const { w, s } = setup({}, () => rate);
      w.start();
      await w.clock.advance(2 * MIN);
      const caughtUp = values(w, 'GetRecords.IteratorAgeMilliseconds').at(-1)!;
      // Act: the reader takes half of what is written for 10 minutes.
      w.kinesis.changed(() => void (rate = 50));
      await w.clock.advance(10 * MIN);
      // Assess: 50 records/s a shard pile up: 30,000 records, 300 s at 100 a second.
      expect(caughtUp).toBeLessThan(1_000);
      expect(Math.round(s.shards[0]!.backlog)).toBe(30_000);
      expect(values(w, 'GetRecords.IteratorAgeMilliseconds').at(-1)!).toBeGreaterThanOrEqual(290_000);
      expect(values(w, 'ReadProvisionedThroughputExceeded').at(-1)).toBe(0);
    });

    it('throttles a reader that wants more than a shard gives while it has a backlog', async () => {
      // Prepare: a backlog, a reader wanting twice the shard's read limit.
      const { w } = setup({ lagRecords: 100_000, readLimitRecordsPerSecond: 500 }, () => 1_000);
      // Act
      w.start();
      await w.clock.advance(2 * MIN);
      // Assess: 5 calls a second, half of them over the limit, on each of 4 shards.
      expect(values(w, 'ReadProvisionedThroughputExceeded', { StreamName: STREAM }).at(-1)).toBeGreaterThanOrEqual(4 * 5 * 60 * 0.5 - 8);
    });

    it('publishes shard-level metrics only for what enhanced monitoring names, and none for an unread shard', async () => {
      // Prepare
      const { w, s } = setup({ enhancedMonitoring: ['IteratorAgeMilliseconds'] }, () => 200);
      w.start();
      // Act: shard 2 is no longer read.
      w.kinesis.changed(() => void (s.shards[2]!.reading = 'unread'));
      await w.clock.advance(5 * MIN);
      // Assess
      const shard = (i: number) => ({ StreamName: STREAM, ShardId: shardIdOf(i) });
      expect(values(w, 'IteratorAgeMilliseconds', shard(0)).length).toBeGreaterThan(0);
      expect(values(w, 'OutgoingRecords', shard(0))).toEqual([]);
      const unreadAfterStart = w.cloudwatch.store.datapoints(
        { namespace: 'AWS/Kinesis', metricName: 'IteratorAgeMilliseconds', dimensions: shard(2) },
        'Maximum',
        60,
        T0,
        T0 + 600 * MIN,
      );
      expect(unreadAfterStart).toEqual([]);
      expect(s.shards[2]!.backlog).toBeGreaterThan(100 * 4 * 60 - 1);
    });

    it('shows a stuck shard as called with a growing iterator age while nothing is read from it', async () => {
      // Prepare
      const { w, s } = setup({ enhancedMonitoring: ['ALL'] }, () => 200);
      w.start();
      // Act
      w.kinesis.changed(() => void (s.shards[1]!.reading = 'stuck'));
      await w.clock.advance(4 * MIN);
      // Assess
      const ages = values(w, 'IteratorAgeMilliseconds', { StreamName: STREAM, ShardId: shardIdOf(1) });
      expect(ages.at(-1)!).toBeGreaterThan(ages.at(-2)!);
      expect(ages.at(-1)!).toBeGreaterThanOrEqual(3 * MIN);
      expect(values(w, 'OutgoingRecords', { StreamName: STREAM, ShardId: shardIdOf(1) }).at(-1)).toBe(0);
    });

    it('trims records past the retention period: they are lost', async () => {
      // Prepare: 1 hour of retention, nothing read.
      const { w, s } = setup({ retentionHours: 1 });
      // Act
      w.start();
      await w.clock.advance(70 * MIN);
      // Assess: each shard keeps one hour (100 records/s), 10 minutes' worth lost.
      expect(Math.round(s.shards[0]!.backlog)).toBe(360_000);
      expect(Math.round(s.shards[0]!.lost)).toBe(60_000);
    });
  });
});
