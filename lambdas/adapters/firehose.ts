import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand, UpdateDestinationCommand } from '@aws-sdk/client-firehose';
import { AwsRequestError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'firehose';

export interface BufferingHints {
  sizeInMBs: number;
  intervalInSeconds: number;
}

export interface S3DestinationView {
  destinationId: string;
  roleArn?: string;
  bucketArn?: string;
  prefix?: string;
  errorOutputPrefix?: string;
  bufferingHints?: BufferingHints;
  /** KMS key of the destination's encryption, when SSE-KMS is configured. */
  kmsKeyArn?: string;
  /** Whether Firehose writes its delivery errors to CloudWatch Logs for this destination. */
  errorLoggingEnabled: boolean;
  logGroupName?: string;
  logStreamName?: string;
}

/** Server-side encryption of the stream itself (records at rest inside Firehose). */
export interface StreamEncryptionView {
  status: string;
  keyType?: string;
  keyArn?: string;
  failure?: { type: string; details: string };
}

export interface DeliveryStreamView {
  name: string;
  arn?: string;
  status: string;
  failure?: { type: string; details: string };
  versionId: string;
  /** `DirectPut`, `KinesisStreamAsSource` or `MSKAsSource`. */
  type?: string;
  encryption?: StreamEncryptionView;
  destinations: S3DestinationView[];
}

export interface PutRecordBatchResult {
  failedPutCount: number;
  /** One entry per record, in order: a recordId when accepted, an error code when not. */
  results: { recordId?: string; errorCode?: string; errorMessage?: string }[];
}

export class FirehoseAdapter {
  constructor(private readonly client: FirehoseClient) {}

  static fromOptions(opts: AwsClientOptions): FirehoseAdapter {
    return new FirehoseAdapter(withPlugins(new FirehoseClient(clientConfig(opts)), opts));
  }

  async describeDeliveryStream(name: string): Promise<DeliveryStreamView> {
    let reply;
    try {
      reply = await this.client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    } catch (e) {
      mapAwsError(SERVICE, 'DescribeDeliveryStream', e);
    }
    const d = reply.DeliveryStreamDescription;
    // A description without a version cannot be updated safely: nothing sensible is built on it.
    if (!d?.VersionId || !d.DeliveryStreamStatus) {
      throw new AwsRequestError(SERVICE, 'DescribeDeliveryStream', 'MalformedResponse', {
        cause: new Error(`reply for ${name} has no ${!d ? 'DeliveryStreamDescription' : !d.VersionId ? 'VersionId' : 'DeliveryStreamStatus'}`),
      });
    }
    const sse = d.DeliveryStreamEncryptionConfiguration;
    return {
      name: d.DeliveryStreamName ?? name,
      ...(d.DeliveryStreamARN ? { arn: d.DeliveryStreamARN } : {}),
      status: d.DeliveryStreamStatus,
      ...(d.FailureDescription ? { failure: failureView(d.FailureDescription) } : {}),
      versionId: d.VersionId,
      ...(d.DeliveryStreamType ? { type: d.DeliveryStreamType } : {}),
      ...(sse?.Status
        ? {
            encryption: {
              status: sse.Status,
              ...(sse.KeyType ? { keyType: sse.KeyType } : {}),
              ...(sse.KeyARN ? { keyArn: sse.KeyARN } : {}),
              ...(sse.FailureDescription ? { failure: failureView(sse.FailureDescription) } : {}),
            },
          }
        : {}),
      destinations: (d.Destinations ?? []).map((dest) => {
        const s3 = dest.ExtendedS3DestinationDescription ?? dest.S3DestinationDescription;
        const hints = s3?.BufferingHints;
        const kms = s3?.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN;
        const logs = s3?.CloudWatchLoggingOptions;
        return {
          destinationId: dest.DestinationId ?? '',
          ...(s3?.RoleARN ? { roleArn: s3.RoleARN } : {}),
          ...(s3?.BucketARN ? { bucketArn: s3.BucketARN } : {}),
          ...(s3?.Prefix ? { prefix: s3.Prefix } : {}),
          ...(s3?.ErrorOutputPrefix ? { errorOutputPrefix: s3.ErrorOutputPrefix } : {}),
          ...(hints?.SizeInMBs !== undefined && hints.IntervalInSeconds !== undefined
            ? { bufferingHints: { sizeInMBs: hints.SizeInMBs, intervalInSeconds: hints.IntervalInSeconds } }
            : {}),
          ...(kms ? { kmsKeyArn: kms } : {}),
          errorLoggingEnabled: logs?.Enabled === true,
          ...(logs?.Enabled && logs.LogGroupName
            ? { logGroupName: logs.LogGroupName, ...(logs.LogStreamName ? { logStreamName: logs.LogStreamName } : {}) }
            : {}),
        };
      }),
    };
  }

  /**
   * Sets both buffering hints (Firehose wants them together) on one S3 destination.
   * `versionId` must be the one just read: a concurrent change fails with ConflictError.
   */
  async updateBufferingHints(name: string, versionId: string, destinationId: string, hints: BufferingHints): Promise<void> {
    try {
      await this.client.send(
        new UpdateDestinationCommand({
          DeliveryStreamName: name,
          CurrentDeliveryStreamVersionId: versionId,
          DestinationId: destinationId,
          ExtendedS3DestinationUpdate: { BufferingHints: { SizeInMBs: hints.sizeInMBs, IntervalInSeconds: hints.intervalInSeconds } },
        }),
      );
    } catch (e) {
      mapAwsError(SERVICE, 'UpdateDestination', e);
    }
  }

  /** One PutRecordBatch call (≤ 500 records, ≤ 4 MiB: the caller batches). HTTP 200 may still hold failures. */
  async putRecordBatch(name: string, records: Uint8Array[]): Promise<PutRecordBatchResult> {
    let reply;
    try {
      reply = await this.client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((Data) => ({ Data })) }));
    } catch (e) {
      mapAwsError(SERVICE, 'PutRecordBatch', e);
    }
    return {
      failedPutCount: reply.FailedPutCount ?? 0,
      results: (reply.RequestResponses ?? []).map((r) => ({
        ...(r.RecordId ? { recordId: r.RecordId } : {}),
        ...(r.ErrorCode ? { errorCode: r.ErrorCode } : {}),
        ...(r.ErrorMessage ? { errorMessage: r.ErrorMessage } : {}),
      })),
    };
  }
}

const failureView = (f: { Type?: string; Details?: string }) => ({ type: f.Type ?? 'UNKNOWN_ERROR', details: f.Details ?? '' });
