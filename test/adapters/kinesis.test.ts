import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  KinesisServiceException,
  ListShardsCommand,
  type DescribeStreamSummaryCommandOutput,
  type ListShardsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KinesisAdapter } from '../../lambdas/adapters/kinesis';
import { NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'kinesis';
const kinesis = mockClient(KinesisClient);
const adapter = new KinesisAdapter(new KinesisClient({ region: 'eu-west-1' }));
const err = (name: string) => recordedError(KinesisServiceException, SVC, name);

beforeEach(() => kinesis.reset());
afterAll(() => kinesis.restore());

describe('Class: KinesisAdapter', () => {
  describe('Method: describeStreamSummary', () => {
    it('maps the summary: retention, open shards, the shard-level metrics enhanced monitoring publishes', async () => {
      // Prepare
      kinesis.on(DescribeStreamSummaryCommand).resolves(reply<DescribeStreamSummaryCommandOutput>(SVC, 'DescribeStreamSummary'));
      // Act
      const s = await adapter.describeStreamSummary('clicks-events');
      // Assess
      expect(s).toEqual({
        name: 'clicks-events',
        arn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/clicks-events',
        status: 'ACTIVE',
        retentionHours: 24,
        openShardCount: 3,
        shardLevelMetrics: ['IteratorAgeMilliseconds', 'IncomingRecords', 'OutgoingRecords'],
        mode: 'PROVISIONED',
      });
      expect(kinesis.commandCalls(DescribeStreamSummaryCommand)[0]!.args[0].input).toEqual({ StreamName: 'clicks-events' });
    });

    it('throws NotFoundError for a stream that does not exist, and a transient error when rate-limited', async () => {
      kinesis.on(DescribeStreamSummaryCommand).rejects(err('ResourceNotFoundException'));
      await expect(adapter.describeStreamSummary('clicks-events')).rejects.toBeInstanceOf(NotFoundError);
      kinesis.on(DescribeStreamSummaryCommand).rejects(err('LimitExceededException'));
      await expect(adapter.describeStreamSummary('clicks-events')).rejects.toBeInstanceOf(TransientAwsError);
    });
  });

  describe('Method: listOpenShards', () => {
    it('lists the open shards (AT_LATEST), a page after the first by its NextToken alone', async () => {
      // Prepare
      const [first, second] = pages<ListShardsCommandOutput>(SVC, 'ListShards');
      kinesis.on(ListShardsCommand).resolvesOnce(first!).resolvesOnce(second!);
      // Act
      const shards = await adapter.listOpenShards('clicks-events');
      // Assess
      expect(shards).toEqual([
        { shardId: 'shardId-000000000000' },
        { shardId: 'shardId-000000000003', parentShardId: 'shardId-000000000001' },
        { shardId: 'shardId-000000000004', parentShardId: 'shardId-000000000002' },
      ]);
      const inputs = kinesis.commandCalls(ListShardsCommand).map((c) => c.args[0].input);
      expect(inputs[0]).toEqual({ StreamName: 'clicks-events', ShardFilter: { Type: 'AT_LATEST' }, MaxResults: 1_000 });
      expect(inputs[1]).toEqual({ NextToken: first!.NextToken, MaxResults: 1_000 });
    });
  });
});
