import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  FirehoseServiceException,
  PutRecordBatchCommand,
  UpdateDestinationCommand,
  type DescribeDeliveryStreamCommandOutput,
  type PutRecordBatchCommandOutput,
  type UpdateDestinationCommandOutput,
} from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FirehoseAdapter } from '../../lambdas/adapters/firehose';
import { AwsRequestError, ConflictError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { recordedError, reply } from './aws-fixtures';

const SVC = 'firehose';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/5f0c1b2a-7d3e-4c4f-9a8b-1c2d3e4f5a6b';

const firehose = mockClient(FirehoseClient);
const adapter = new FirehoseAdapter(new FirehoseClient({ region: 'eu-west-1' }));
const err = (name: string) => recordedError(FirehoseServiceException, SVC, name);
const described = () => reply<DescribeDeliveryStreamCommandOutput>(SVC, 'DescribeDeliveryStream');

beforeEach(() => {
  firehose.reset();
});

afterAll(() => {
  firehose.restore();
});

describe('Class: FirehoseAdapter', () => {
  describe('Method: describeDeliveryStream', () => {
    it('maps an extended S3 destination: role, bucket, prefixes, hints, key and error log', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(described());

      // Act
      const view = await adapter.describeDeliveryStream('order-firehose');

      // Assess
      expect(firehose.commandCalls(DescribeDeliveryStreamCommand)[0]?.args[0].input).toEqual({ DeliveryStreamName: 'order-firehose' });
      expect(view).toEqual({
        name: 'order-firehose',
        arn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/order-firehose',
        status: 'ACTIVE',
        versionId: '7',
        type: 'DirectPut',
        encryption: { status: 'DISABLED' },
        destinations: [
          {
            destinationId: 'destinationId-000000000001',
            roleArn: 'arn:aws:iam::123456789012:role/firehose-orders-delivery',
            bucketArn: 'arn:aws:s3:::orders-data-lake',
            prefix: 'raw/orders/!{timestamp:yyyy/MM/dd}/',
            errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
            bufferingHints: { sizeInMBs: 5, intervalInSeconds: 300 },
            kmsKeyArn: KEY,
            errorLoggingEnabled: true,
            logGroupName: '/aws/kinesisfirehose/order-firehose',
            logStreamName: 'S3Delivery',
          },
        ],
      });
    });

    it('prefers the extended description over the plain S3 one', async () => {
      // Prepare
      const r = described();
      const dest = r.DeliveryStreamDescription!.Destinations![0]!;
      dest.S3DestinationDescription!.BufferingHints = { SizeInMBs: 1, IntervalInSeconds: 60 };
      firehose.on(DescribeDeliveryStreamCommand).resolves(r);

      // Act
      const view = await adapter.describeDeliveryStream('order-firehose');

      // Assess
      expect(view.destinations[0]?.bufferingHints).toEqual({ sizeInMBs: 5, intervalInSeconds: 300 });
    });

    it('reports a stream-level failure, its customer key, and a destination without logging or key', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(reply<DescribeDeliveryStreamCommandOutput>(SVC, 'DescribeDeliveryStream-failed'));

      // Act
      const view = await adapter.describeDeliveryStream('payments-firehose');

      // Assess
      expect(view.failure).toEqual({ type: 'DISABLED_KMS_KEY', details: expect.stringContaining('is disabled') });
      expect(view.encryption).toEqual({
        status: 'ENABLED',
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      });
      const d = view.destinations[0]!;
      expect(d.errorLoggingEnabled).toBe(false);
      expect(d).not.toHaveProperty('logGroupName');
      expect(d).not.toHaveProperty('kmsKeyArn');
      expect(d).not.toHaveProperty('prefix');
    });

    it('throws an AwsRequestError for a reply without a VersionId (nothing safe can be updated on it)', async () => {
      // Prepare
      const r = described();
      delete r.DeliveryStreamDescription!.VersionId;
      firehose.on(DescribeDeliveryStreamCommand).resolves(r);

      // Act / Assess
      await expect(adapter.describeDeliveryStream('order-firehose')).rejects.toMatchObject({ name: 'AwsRequestError', code: 'MalformedResponse' });
    });

    it('throws a NotFoundError for a stream that does not exist', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).rejects(err('ResourceNotFoundException'));

      // Act / Assess
      await expect(adapter.describeDeliveryStream('order-firehose')).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('Method: updateBufferingHints', () => {
    it('sends both hints on the extended S3 update with the version it was given', async () => {
      // Prepare
      firehose.on(UpdateDestinationCommand).resolves(reply<UpdateDestinationCommandOutput>(SVC, 'UpdateDestination'));

      // Act
      await adapter.updateBufferingHints('order-firehose', '7', 'destinationId-000000000001', { sizeInMBs: 64, intervalInSeconds: 300 });

      // Assess
      expect(firehose.commandCalls(UpdateDestinationCommand)[0]?.args[0].input).toEqual({
        DeliveryStreamName: 'order-firehose',
        CurrentDeliveryStreamVersionId: '7',
        DestinationId: 'destinationId-000000000001',
        ExtendedS3DestinationUpdate: { BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 300 } },
      });
    });

    it('turns a concurrent modification into a ConflictError', async () => {
      // Prepare
      firehose.on(UpdateDestinationCommand).rejects(err('ConcurrentModificationException'));

      // Act / Assess
      await expect(
        adapter.updateBufferingHints('order-firehose', '6', 'destinationId-000000000001', { sizeInMBs: 64, intervalInSeconds: 300 }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it.each([
      ['InvalidArgumentException', AwsRequestError],
      ['ResourceInUseException', AwsRequestError],
      ['AccessDeniedException', AwsRequestError],
      ['ServiceUnavailableException', TransientAwsError],
    ])('maps %s to %s', async (name, type) => {
      // Prepare
      firehose.on(UpdateDestinationCommand).rejects(err(name));

      // Act / Assess
      await expect(
        adapter.updateBufferingHints('order-firehose', '7', 'destinationId-000000000001', { sizeInMBs: 64, intervalInSeconds: 300 }),
      ).rejects.toBeInstanceOf(type);
    });
  });

  describe('Method: putRecordBatch', () => {
    it('returns one result per record, in order, with the failed count of an HTTP 200 reply', async () => {
      // Prepare
      firehose.on(PutRecordBatchCommand).resolves(reply<PutRecordBatchCommandOutput>(SVC, 'PutRecordBatch'));
      const records = ['a', 'b', 'c'].map((s) => new TextEncoder().encode(s));

      // Act
      const r = await adapter.putRecordBatch('order-firehose', records);

      // Assess
      expect(firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input).toEqual({
        DeliveryStreamName: 'order-firehose',
        Records: records.map((Data) => ({ Data })),
      });
      expect(r.failedPutCount).toBe(1);
      expect(r.results).toEqual([
        { recordId: '49662348012437183952347710248271530119623049816129077250' },
        { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' },
        { recordId: '49662348012437183952347710248272739045442664445303783426' },
      ]);
    });

    it('maps a throttled call to a TransientAwsError', async () => {
      // Prepare
      firehose.on(PutRecordBatchCommand).rejects(err('ServiceUnavailableException'));

      // Act / Assess
      await expect(adapter.putRecordBatch('order-firehose', [new Uint8Array([1])])).rejects.toBeInstanceOf(TransientAwsError);
    });
  });
});
