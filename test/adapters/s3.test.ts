import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type CopyObjectCommandOutput,
  type DeleteObjectsCommandOutput,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Adapter } from '../../lambdas/adapters/s3';
import { parseS3Uri, type S3ObjectView } from '../../lambdas/core/object-store';
import { AwsRequestError, InvalidInputError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 's3';
const BUCKET = 'acme-checkpoints';
const PREFIX = 'orders-enrichment/';

const s3 = mockClient(S3Client);
const adapter = new S3Adapter(new S3Client({ region: 'eu-west-1' }));

const err = (name: string) => recordedError(S3ServiceException, SVC, name);

/** The recorded GetObject reply, its body text wrapped the way the SDK hands a body to callers. */
function getObjectReply(): { recorded: GetObjectCommandOutput; text: string } {
  const raw = reply<Omit<GetObjectCommandOutput, 'Body'> & { Body: string }>(SVC, 'GetObject');
  const body = { transformToString: async (encoding?: string) => Buffer.from(raw.Body, 'utf8').toString(encoding as BufferEncoding) };
  return { recorded: { ...raw, Body: body } as unknown as GetObjectCommandOutput, text: raw.Body };
}

function mockListing(): [ListObjectsV2CommandOutput, ListObjectsV2CommandOutput] {
  const [first, second] = pages<ListObjectsV2CommandOutput>(SVC, 'ListObjectsV2');
  s3.on(ListObjectsV2Command).resolvesOnce(first!).resolvesOnce(second!);
  return [first!, second!];
}

async function collect(gen: AsyncGenerator<S3ObjectView>): Promise<S3ObjectView[]> {
  const out: S3ObjectView[] = [];
  for await (const o of gen) out.push(o);
  return out;
}

beforeEach(() => {
  s3.reset();
});

afterAll(() => {
  s3.restore();
});

describe('Function: parseS3Uri', () => {
  it.each([
    ['s3://acme-checkpoints/orders-enrichment/', { bucket: 'acme-checkpoints', prefix: 'orders-enrichment/' }],
    ['s3://acme-checkpoints/a/b/c', { bucket: 'acme-checkpoints', prefix: 'a/b/c' }],
    ['s3://acme-checkpoints/', { bucket: 'acme-checkpoints', prefix: '' }],
    ['s3://acme-checkpoints', { bucket: 'acme-checkpoints', prefix: '' }],
  ])('parses %s', (uri, expected) => {
    // Act & Assess
    expect(parseS3Uri(uri)).toEqual(expected);
  });

  it.each(['acme-checkpoints/orders/', 'https://acme-checkpoints.s3.amazonaws.com/x', 's3:///orders/', ''])('throws an InvalidInputError for %j', (uri) => {
    // Act & Assess
    expect(() => parseS3Uri(uri)).toThrow(InvalidInputError);
  });
});

describe('Class: S3Adapter', () => {
  describe('Method: listPrefix', () => {
    it('yields every object of every page, following the continuation token', async () => {
      // Prepare
      const [first] = mockListing();

      // Act
      const objects = await collect(adapter.listPrefix(BUCKET, PREFIX));

      // Assess
      expect(objects.map((o) => o.key)).toEqual([
        'orders-enrichment/commits/40',
        'orders-enrichment/commits/41',
        'orders-enrichment/metadata',
        'orders-enrichment/offsets/41',
        'orders-enrichment/offsets/42',
        'orders-enrichment/sources/0/0',
        'orders-enrichment/state/0/0/42.delta',
      ]);
      expect(objects[3]).toEqual({
        key: 'orders-enrichment/offsets/41',
        size: 618,
        lastModifiedMs: Date.UTC(2025, 2, 14, 9, 40, 58),
        etag: '"92eb5ffee6ae2fec3ad71c777531578f"',
      });
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000 },
        { Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000, ContinuationToken: first.NextContinuationToken },
      ]);
    });

    it('does not request the next page when the consumer stops early', async () => {
      // Prepare
      mockListing();
      const seen: string[] = [];

      // Act
      for await (const o of adapter.listPrefix(BUCKET, PREFIX)) {
        seen.push(o.key);
        if (seen.length === 2) break;
      }

      // Assess
      expect(seen).toEqual(['orders-enrichment/commits/40', 'orders-enrichment/commits/41']);
      expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
    });

    it('requests a page only when the consumer asks past the previous one', async () => {
      // Prepare
      mockListing();
      const gen = adapter.listPrefix(BUCKET, PREFIX);

      // Act
      for (let i = 0; i < 4; i++) await gen.next();
      const callsAfterFirstPage = s3.commandCalls(ListObjectsV2Command).length;
      const fifth = await gen.next();

      // Assess
      expect(callsAfterFirstPage).toBe(1);
      expect(fifth.value).toMatchObject({ key: 'orders-enrichment/offsets/42' });
      expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    });

    it('stops after maxKeys objects in total, asking the last page only for what is missing', async () => {
      // Prepare
      mockListing();

      // Act
      const objects = await collect(adapter.listPrefix(BUCKET, PREFIX, { maxKeys: 5 }));

      // Assess
      expect(objects).toHaveLength(5);
      expect(objects.at(-1)?.key).toBe('orders-enrichment/offsets/42');
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.MaxKeys)).toEqual([5, 1]);
    });

    it('passes startAfter on the first request only', async () => {
      // Prepare
      const [first] = mockListing();

      // Act
      await collect(adapter.listPrefix(BUCKET, PREFIX, { startAfter: 'orders-enrichment/commits/39' }));

      // Assess
      const inputs = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
      expect(inputs[0]).toMatchObject({ StartAfter: 'orders-enrichment/commits/39' });
      expect(inputs[1]).toEqual({ Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000, ContinuationToken: first.NextContinuationToken });
    });

    it('yields nothing for an empty prefix', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).resolves({ $metadata: {}, IsTruncated: false, KeyCount: 0, Name: BUCKET, Prefix: 'none/' });

      // Act & Assess
      expect(await collect(adapter.listPrefix(BUCKET, 'none/'))).toEqual([]);
    });

    it('maps AccessDenied to an AwsRequestError with its code', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).rejects(err('AccessDenied'));

      // Act & Assess
      await expect(collect(adapter.listPrefix(BUCKET, PREFIX))).rejects.toSatisfy(
        (e) => e instanceof AwsRequestError && e.code === 'AccessDenied' && e.operation === 'ListObjectsV2',
      );
    });

    it('maps SlowDown to a TransientAwsError', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).rejects(err('SlowDown'));

      // Act & Assess
      await expect(collect(adapter.listPrefix(BUCKET, PREFIX))).rejects.toBeInstanceOf(TransientAwsError);
    });
  });

  describe('Method: headObject', () => {
    it('returns the size and modification time', async () => {
      // Prepare
      s3.on(HeadObjectCommand).resolves(reply<HeadObjectCommandOutput>(SVC, 'HeadObject'));

      // Act
      const head = await adapter.headObject(BUCKET, 'orders-enrichment/offsets/42');

      // Assess
      expect(head).toEqual({ size: 618, lastModifiedMs: Date.UTC(2025, 2, 14, 9, 47, 49), etag: '"e4da3b7fbbce2345d7772b0674a318d5"' });
      expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'orders-enrichment/offsets/42',
      });
    });

    it('returns undefined when the object does not exist', async () => {
      // Prepare
      s3.on(HeadObjectCommand).rejects(err('NotFound'));

      // Act & Assess
      expect(await adapter.headObject(BUCKET, 'orders-enrichment/offsets/43')).toBeUndefined();
    });

    it('throws an AwsRequestError when access is denied', async () => {
      // Prepare
      s3.on(HeadObjectCommand).rejects(err('AccessDenied'));

      // Act & Assess
      await expect(adapter.headObject(BUCKET, 'orders-enrichment/offsets/42')).rejects.toBeInstanceOf(AwsRequestError);
    });
  });

  describe('Method: getObjectText', () => {
    it('returns the body as text', async () => {
      // Prepare
      const { recorded, text } = getObjectReply();
      s3.on(GetObjectCommand).resolves(recorded);

      // Act
      const body = await adapter.getObjectText(BUCKET, 'orders-enrichment/offsets/42');

      // Assess
      expect(body).toBe(text);
      expect(body?.split('\n')[0]).toBe('v1');
    });

    it('returns undefined when the key does not exist', async () => {
      // Prepare
      s3.on(GetObjectCommand).rejects(err('NoSuchKey'));

      // Act & Assess
      expect(await adapter.getObjectText(BUCKET, 'orders-enrichment/offsets/43')).toBeUndefined();
    });

    it('throws a NotFoundError when the bucket does not exist', async () => {
      // Prepare
      s3.on(GetObjectCommand).rejects(err('NoSuchBucket'));

      // Act & Assess
      await expect(adapter.getObjectText('acme-checkpoint', 'orders-enrichment/offsets/42')).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('Method: putObject', () => {
    it('writes the body with its content type', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolves(reply<PutObjectCommandOutput>(SVC, 'PutObject'));

      // Act
      await adapter.putObject(BUCKET, 'streamfix-backups/orders/manifest.json', '{"files":7}', 'application/json');

      // Assess
      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'streamfix-backups/orders/manifest.json',
        Body: '{"files":7}',
        ContentType: 'application/json',
      });
    });

    it('leaves the content type out when none is given', async () => {
      // Prepare
      s3.on(PutObjectCommand).resolves(reply<PutObjectCommandOutput>(SVC, 'PutObject'));
      const bytes = new Uint8Array([118, 49, 10]);

      // Act
      await adapter.putObject(BUCKET, 'orders-enrichment/commits/42', bytes);

      // Assess
      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'orders-enrichment/commits/42',
        Body: bytes,
      });
    });
  });

  describe('Method: copyObject', () => {
    it('names the source as bucket/key with the key URL-encoded and its slashes kept', async () => {
      // Prepare
      s3.on(CopyObjectCommand).resolves(reply<CopyObjectCommandOutput>(SVC, 'CopyObject'));

      // Act
      await adapter.copyObject(BUCKET, 'orders-enrichment/offsets/run 2025+03:14', 'acme-backups', 'orders/offsets/42');

      // Assess
      expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
        CopySource: 'acme-checkpoints/orders-enrichment/offsets/run%202025%2B03%3A14',
        Bucket: 'acme-backups',
        Key: 'orders/offsets/42',
      });
    });
  });

  describe('Method: deleteObjects', () => {
    const okReply = () => pages<DeleteObjectsCommandOutput>(SVC, 'DeleteObjects')[0]!;

    it('deletes in chunks of at most 1000 keys, quietly', async () => {
      // Prepare
      s3.on(DeleteObjectsCommand).resolves(okReply());
      const keys = Array.from({ length: 2501 }, (_, i) => `orders-enrichment/state/0/${i % 48}/${i}.delta`);

      // Act
      await adapter.deleteObjects(BUCKET, keys);

      // Assess
      const inputs = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
      expect(inputs.map((i) => i.Delete?.Objects?.length)).toEqual([1000, 1000, 501]);
      expect(inputs.every((i) => i.Bucket === BUCKET && i.Delete?.Quiet === true)).toBe(true);
      expect(inputs.flatMap((i) => i.Delete?.Objects?.map((o) => o.Key))).toEqual(keys);
    });

    it('sends exactly one request for exactly 1000 keys', async () => {
      // Prepare
      s3.on(DeleteObjectsCommand).resolves(okReply());
      const keys = Array.from({ length: 1000 }, (_, i) => `k/${i}`);

      // Act
      await adapter.deleteObjects(BUCKET, keys);

      // Assess
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(1);
    });

    it('sends nothing for no keys', async () => {
      // Act
      await adapter.deleteObjects(BUCKET, []);

      // Assess
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    });

    it('throws an AwsRequestError naming the keys S3 refused, and sends no further chunk', async () => {
      // Prepare
      const [, partial] = pages<DeleteObjectsCommandOutput>(SVC, 'DeleteObjects');
      s3.on(DeleteObjectsCommand).resolves(partial!);
      const keys = Array.from({ length: 1500 }, (_, i) => `orders-enrichment/x/${i}`);

      // Act
      const thrown = await adapter.deleteObjects(BUCKET, keys).catch((e: unknown) => e);

      // Assess
      expect(thrown).toBeInstanceOf(AwsRequestError);
      expect(thrown).toMatchObject({ service: 's3', operation: 'DeleteObjects', code: 'AccessDenied' });
      expect((thrown as Error).message).toContain('orders-enrichment/offsets/42');
      expect((thrown as Error).message).toContain('orders-enrichment/commits/41');
      expect(((thrown as Error).cause as { failedKeys: string[] }).failedKeys).toEqual(['orders-enrichment/offsets/42', 'orders-enrichment/commits/41']);
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(1);
    });
  });
});
