import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Adapter } from '../../lambdas/adapters/s3';

const s3 = mockClient(S3Client);
const adapter = new S3Adapter(new S3Client({ region: 'eu-west-1' }));
const body = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p))) as unknown as GetObjectCommandOutput['Body'];
const read = async (it: AsyncIterable<Uint8Array> | undefined) => {
  const out: Buffer[] = [];
  for await (const c of it!) out.push(Buffer.from(c));
  return Buffer.concat(out).toString();
};

describe('Method: S3Adapter.getObjectStream', () => {
  beforeEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('streams the body chunk by chunk', async () => {
    s3.on(GetObjectCommand, { Bucket: 'b', Key: 'k' }).resolves({ Body: body('ab', 'cd') });
    expect(await read(await adapter.getObjectStream('b', 'k'))).toBe('abcd');
  });

  it('asks for a range, and trusts the answer when it says it is ranged', async () => {
    s3.on(GetObjectCommand, { Bucket: 'b', Key: 'k', Range: 'bytes=3-' }).resolves({ Body: body('def'), ContentRange: 'bytes 3-5/6' });
    expect(await read(await adapter.getObjectStream('b', 'k', { startByte: 3 }))).toBe('def');
  });

  it('skips to the offset itself when the store ignored the range', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('ab', 'cdef') });
    expect(await read(await adapter.getObjectStream('b', 'k', { startByte: 3 }))).toBe('def');
  });

  it('is undefined for a missing object', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
    expect(await adapter.getObjectStream('b', 'missing')).toBeUndefined();
  });

  it('maps a connection reset in the middle of the body to a transient error', async () => {
    async function* broken() {
      yield Buffer.from('ab');
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'Error' });
    }
    s3.on(GetObjectCommand).resolves({ Body: Readable.from(broken()) as unknown as GetObjectCommandOutput['Body'] });
    await expect(read(await adapter.getObjectStream('b', 'k'))).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
