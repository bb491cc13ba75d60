import { GetBucketEncryptionCommand, S3Client, S3ServiceException, type GetBucketEncryptionCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Adapter } from '../../lambdas/adapters/s3';
import { AwsRequestError } from '../../lambdas/core/errors';
import { recordedError, reply } from './aws-fixtures';

const s3 = mockClient(S3Client);
const adapter = new S3Adapter(new S3Client({ region: 'eu-west-1' }));

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

describe('Class: S3Adapter', () => {
  describe('Method: getBucketEncryption', () => {
    it('returns the default encryption rule with its KMS key', async () => {
      // Prepare
      s3.on(GetBucketEncryptionCommand).resolves(reply<GetBucketEncryptionCommandOutput>('s3', 'GetBucketEncryption'));
      // Act
      const enc = await adapter.getBucketEncryption('orders-data-lake');
      // Assess
      expect(enc).toEqual({
        sseAlgorithm: 'aws:kms',
        kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098',
        bucketKeyEnabled: true,
      });
      expect(s3.commandCalls(GetBucketEncryptionCommand)[0]?.args[0].input).toEqual({ Bucket: 'orders-data-lake' });
    });

    it('returns SSE-S3 without a key', async () => {
      s3.on(GetBucketEncryptionCommand).resolves({
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      });
      expect(await adapter.getBucketEncryption('b')).toEqual({ sseAlgorithm: 'AES256', bucketKeyEnabled: false });
    });

    it('returns undefined for a bucket without an encryption configuration', async () => {
      s3.on(GetBucketEncryptionCommand).rejects(
        new S3ServiceException({
          name: 'ServerSideEncryptionConfigurationNotFoundError',
          $fault: 'client',
          $metadata: { httpStatusCode: 404 },
          message: 'The server side encryption configuration was not found',
        }),
      );
      expect(await adapter.getBucketEncryption('b')).toBeUndefined();
    });

    it('maps AccessDenied to an AwsRequestError', async () => {
      s3.on(GetBucketEncryptionCommand).rejects(recordedError(S3ServiceException, 's3', 'AccessDenied'));
      await expect(adapter.getBucketEncryption('b')).rejects.toSatisfy(
        (e) => e instanceof AwsRequestError && e.code === 'AccessDenied' && e.operation === 'GetBucketEncryption',
      );
    });
  });
});
