import { DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { AwsRequestError, TransientAwsError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

/**
 * Amazon Kinesis Data Streams, read only (`@aws-sdk/client-kinesis`; API reference
 * docs.aws.amazon.com/kinesis/latest/APIReference/): DescribeStreamSummary (status, retention,
 * open shards, shard-level enhanced monitoring) and ListShards (the open shards, with
 * `ShardFilter: AT_LATEST`; a page after the first names only its NextToken: "you cannot specify
 * this parameter [StreamName] if you specify NextToken").
 */

const SERVICE = 'kinesis';

export interface KinesisStreamView {
  name: string;
  arn: string;
  /** CREATING, DELETING, ACTIVE, UPDATING. */
  status: string;
  retentionHours: number;
  openShardCount: number;
  /** Shard-level metrics enhanced monitoring publishes (`ALL` expanded as the API reports it). */
  shardLevelMetrics: string[];
  mode?: string;
}

export interface KinesisShardView {
  shardId: string;
  parentShardId?: string;
}

const MAX_PAGES = 50;

/**
 * Kinesis answers a control-plane call over its rate (DescribeStreamSummary: 20 a second;
 * ListShards: 1,000 a second per stream) with LimitExceededException: "Rate exceeded" (API
 * reference, Errors), which is throttling here (the SDK's retry strategy counts it so too).
 */
function mapKinesisError(operation: string, e: unknown): never {
  if (e instanceof Error && e.name === 'LimitExceededException') throw new TransientAwsError(SERVICE, operation, { cause: e });
  mapAwsError(SERVICE, operation, e);
}

export class KinesisAdapter {
  constructor(private readonly client: KinesisClient) {}

  static fromOptions(opts: AwsClientOptions): KinesisAdapter {
    return new KinesisAdapter(withPlugins(new KinesisClient(clientConfig(opts)), opts));
  }

  async describeStreamSummary(streamName: string): Promise<KinesisStreamView> {
    let reply;
    try {
      reply = await this.client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    } catch (e) {
      mapKinesisError('DescribeStreamSummary', e);
    }
    const s = reply.StreamDescriptionSummary;
    if (!s?.StreamName || !s.StreamStatus || s.RetentionPeriodHours === undefined) {
      throw new AwsRequestError(SERVICE, 'DescribeStreamSummary', 'MalformedResponse', {
        cause: new Error(`reply for ${streamName} has no StreamDescriptionSummary`),
      });
    }
    return {
      name: s.StreamName,
      arn: s.StreamARN ?? '',
      status: s.StreamStatus,
      retentionHours: s.RetentionPeriodHours,
      openShardCount: s.OpenShardCount ?? 0,
      shardLevelMetrics: [...new Set((s.EnhancedMonitoring ?? []).flatMap((m) => m.ShardLevelMetrics ?? []))],
      ...(s.StreamModeDetails?.StreamMode ? { mode: s.StreamModeDetails.StreamMode } : {}),
    };
  }

  /** The stream's open shards (every page). */
  async listOpenShards(streamName: string): Promise<KinesisShardView[]> {
    const out: KinesisShardView[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      let reply;
      try {
        reply = await this.client.send(
          new ListShardsCommand(
            token ? { NextToken: token, MaxResults: 1_000 } : { StreamName: streamName, ShardFilter: { Type: 'AT_LATEST' }, MaxResults: 1_000 },
          ),
        );
      } catch (e) {
        mapKinesisError('ListShards', e);
      }
      for (const s of reply.Shards ?? []) {
        if (!s.ShardId) continue;
        out.push({ shardId: s.ShardId, ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}) });
      }
      token = reply.NextToken;
    } while (token && ++pages < MAX_PAGES);
    return out;
  }
}
