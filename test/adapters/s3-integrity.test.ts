import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type CopyObjectCommandOutput,
  type DeleteObjectsCommandOutput,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Adapter } from '../../lambdas/adapters/s3';
import { ConflictError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

/**
 * The S3 adapter's content-integrity calls: copies with a SHA-256 computed by S3 and pinned to
 * the source version, objects read through SHA-256, conditional writes (If-None-Match) and
 * conditional deletes (an ETag per object).
 */
const SVC = 's3';
const BUCKET = 'acme-checkpoints';
const s3 = mockClient(S3Client);
const adapter = new S3Adapter(new S3Client({ region: 'eu-west-1' }));

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

describe('Class: S3Adapter (integrity)', () => {
  it('copyObject asks for a SHA-256 and the listed source version, and returns the SHA-256 S3 computed', async () => {
    s3.on(CopyObjectCommand).resolves(reply<CopyObjectCommandOutput>(SVC, 'CopyObject-sha256'));
    const r = await adapter.copyObject(BUCKET, 'orders/offsets/42', BUCKET, 'orders_backup_x/offsets/42', {
      checksumSha256: true,
      ifSourceEtag: '"1f0e3dad99908345f7439f8ffabdffc4"',
    });
    expect(r).toEqual({ etag: '"1f0e3dad99908345f7439f8ffabdffc4"', sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      ChecksumAlgorithm: 'SHA256',
      CopySourceIfMatch: '"1f0e3dad99908345f7439f8ffabdffc4"',
    });
  });

  it('copyObject returns no SHA-256 when S3 answers only another checksum, and none when not asked', async () => {
    s3.on(CopyObjectCommand).resolves(reply<CopyObjectCommandOutput>(SVC, 'CopyObject'));
    expect(await adapter.copyObject(BUCKET, 'a', BUCKET, 'b', { checksumSha256: true })).toEqual({ etag: '"e4da3b7fbbce2345d7772b0674a318d5"' });
    s3.on(CopyObjectCommand).resolves(reply<CopyObjectCommandOutput>(SVC, 'CopyObject-sha256'));
    expect(await adapter.copyObject(BUCKET, 'a', BUCKET, 'b')).toEqual({ etag: '"1f0e3dad99908345f7439f8ffabdffc4"' });
  });

  it('copyObject of a source whose ETag changed is a ConflictError', async () => {
    s3.on(CopyObjectCommand).rejects(recordedError(S3ServiceException, SVC, 'PreconditionFailed'));
    await expect(adapter.copyObject(BUCKET, 'a', BUCKET, 'b', { ifSourceEtag: '"x"' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('headObject with checksum returns a full-object SHA-256 only', async () => {
    const base = reply<HeadObjectCommandOutput>(SVC, 'HeadObject');
    s3.on(HeadObjectCommand)
      .resolvesOnce({ ...base, ChecksumSHA256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=', ChecksumType: 'FULL_OBJECT' })
      .resolvesOnce({ ...base, ChecksumSHA256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=-3', ChecksumType: 'COMPOSITE' });
    expect(await adapter.headObject(BUCKET, 'k', { checksum: true })).toMatchObject({ sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' });
    expect(await adapter.headObject(BUCKET, 'k', { checksum: true })).not.toHaveProperty('sha256');
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toMatchObject({ ChecksumMode: 'ENABLED' });
  });

  it('digestObject streams the body through SHA-256 and returns the ETag of what was read', async () => {
    const body = Buffer.from('v1\n{"batchWatermarkMs":0}\n{"orders.raw":{"0":5100}}');
    const raw = reply<Omit<GetObjectCommandOutput, 'Body'>>(SVC, 'GetObject');
    s3.on(GetObjectCommand).resolves({
      ...raw,
      ETag: '"abc"',
      Body: Readable.from([body.subarray(0, 7), body.subarray(7)]),
    } as unknown as GetObjectCommandOutput);
    expect(await adapter.digestObject(BUCKET, 'k')).toEqual({ sha256: createHash('sha256').update(body).digest('base64'), etag: '"abc"', size: body.length });
    s3.on(GetObjectCommand).rejects(recordedError(S3ServiceException, SVC, 'NoSuchKey'));
    expect(await adapter.digestObject(BUCKET, 'gone')).toBeUndefined();
  });

  it('putObject with ifNoneMatch sends If-None-Match: * and turns 412 into a ConflictError', async () => {
    s3.on(PutObjectCommand)
      .resolvesOnce(reply<PutObjectCommandOutput>(SVC, 'PutObject'))
      .rejects(recordedError(S3ServiceException, SVC, 'PreconditionFailed'));
    await adapter.putObject(BUCKET, 'm.json', '{}', 'application/json', { ifNoneMatch: true });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ IfNoneMatch: '*' });
    await expect(adapter.putObject(BUCKET, 'm.json', '{}', 'application/json', { ifNoneMatch: true })).rejects.toBeInstanceOf(ConflictError);
  });

  it('deleteObjects sends the ETag of a conditional target, and names a target that changed', async () => {
    const [ok] = pages<DeleteObjectsCommandOutput>(SVC, 'DeleteObjects');
    s3.on(DeleteObjectsCommand)
      .resolvesOnce(ok!)
      .resolvesOnce({ ...ok!, Errors: [{ Key: 'b', Code: 'PreconditionFailed', Message: 'At least one of the pre-conditions you specified did not hold' }] });
    await adapter.deleteObjects(BUCKET, ['a', { key: 'b', etag: '"e1"' }]);
    expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects).toEqual([{ Key: 'a' }, { Key: 'b', ETag: '"e1"' }]);
    await expect(adapter.deleteObjects(BUCKET, [{ key: 'b', etag: '"e1"' }])).rejects.toThrow(/b \(PreconditionFailed\)/);
  });
});
