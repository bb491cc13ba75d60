import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { seedCheckpoint } from '../../../drills/sim/checkpoint';
import { JOB, T0, newWorld, simClient, startInput } from '../helpers';

function setup(keys: string[] = []) {
  const world = newWorld();
  world.s3.createBucket('b');
  for (const k of keys) world.s3.put('b', k, `body of ${k}`);
  return { world, s3: simClient(world, S3Client) };
}

describe('Class: SimS3', () => {
  describe('Method: ListObjectsV2', () => {
    it('pages with MaxKeys and ContinuationToken in lexicographic order', async () => {
      // Prepare
      const keys = Array.from({ length: 7 }, (_, i) => `p/k${i}`).concat(['p/k10', 'q/other']);
      const { s3 } = setup(keys);
      // Act
      const pages = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'p/', MaxKeys: 3, ContinuationToken: token }));
        pages.push(page);
        token = page.NextContinuationToken;
      } while (token);
      // Assess
      expect(pages.map((p) => p.Contents?.map((c) => c.Key))).toEqual([
        ['p/k0', 'p/k1', 'p/k10'],
        ['p/k2', 'p/k3', 'p/k4'],
        ['p/k5', 'p/k6'],
      ]);
      expect(pages.map((p) => [p.KeyCount, p.IsTruncated])).toEqual([
        [3, true],
        [3, true],
        [2, false],
      ]);
      expect(pages[1]!.ContinuationToken).toBe(pages[0]!.NextContinuationToken);
    });

    it('groups keys under CommonPrefixes with a Delimiter, counting each prefix once across pages', async () => {
      const { s3 } = setup(['cp/commits/0', 'cp/commits/1', 'cp/metadata', 'cp/offsets/0', 'cp/offsets/1', 'cp/state/0/1.delta']);
      const first = await s3.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'cp/', Delimiter: '/', MaxKeys: 2 }));
      expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['cp/commits/']);
      expect(first.Contents?.map((c) => c.Key)).toEqual(['cp/metadata']);
      const second = await s3.send(
        new ListObjectsV2Command({ Bucket: 'b', Prefix: 'cp/', Delimiter: '/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }),
      );
      expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['cp/offsets/', 'cp/state/']);
      expect(second.IsTruncated).toBe(false);
    });

    it('starts after StartAfter and defaults MaxKeys to 1000', async () => {
      const { s3 } = setup(Array.from({ length: 1_005 }, (_, i) => `k/${String(i).padStart(4, '0')}`));
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'k/' }));
      expect([page.KeyCount, page.MaxKeys, page.IsTruncated]).toEqual([1_000, 1_000, true]);
      const after = await s3.send(new ListObjectsV2Command({ Bucket: 'b', StartAfter: 'k/1002' }));
      expect(after.Contents?.map((c) => c.Key)).toEqual(['k/1003', 'k/1004']);
    });

    it('throws NoSuchBucket for a bucket that does not exist', async () => {
      const { s3 } = setup();
      await expect(s3.send(new ListObjectsV2Command({ Bucket: 'missing' }))).rejects.toBeInstanceOf(NoSuchBucket);
    });
  });

  describe('Objects', () => {
    it('reads, heads, copies and deletes with S3 answers, LastModified at simulated time', async () => {
      const { world, s3 } = setup();
      await world.clock.advance(42_000);
      await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'a.txt', Body: 'hello' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'a.txt' }));
      expect(head.LastModified?.getTime()).toBe(T0 + 42_000);
      expect(head.ContentLength).toBe(5);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'a.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello');
      await expect(got.Body!.transformToString()).rejects.toThrow('already been transformed');
      await s3.send(new CopyObjectCommand({ Bucket: 'b', Key: 'backup/a.txt', CopySource: 'b/a.txt' }));
      expect(world.s3.object('b', 'backup/a.txt')?.body.toString()).toBe('hello');
      const del = await s3.send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'a.txt' }] } }));
      expect(del.Deleted).toEqual([{ Key: 'a.txt' }]);
      await expect(s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'a.txt' }))).rejects.toBeInstanceOf(NotFound);
      await expect(s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'a.txt' }))).rejects.toBeInstanceOf(NoSuchKey);
    });
  });
});

describe('Spark checkpoints', () => {
  it('seeds the Spark layout and a RUNNING run writes offsets/N then commits/N, continuing the offsets', async () => {
    // Prepare: the world's writer batches every 60 s, commits 5 s later, 6000 records per batch
    const world = newWorld();
    const emr = simClient(world, EMRServerlessClient);
    seedCheckpoint(world.s3, world.ctx, {
      uri: JOB.checkpoint,
      topic: 'orders.raw',
      partitions: 3,
      batches: 5,
      lastBatchAgeSeconds: 30,
      batchIntervalSeconds: 60,
      lastBatchCommitted: true,
      recordsPerBatch: 6_000,
    });
    const prefix = '_checkpoints/streaming/orders/';
    const object = (k: string) => world.s3.object('orders-data-lake', `${prefix}${k}`);
    expect(object('metadata')).toBeDefined();
    expect(object('commits/4')?.body.toString()).toBe('v1\n{"nextBatchWatermarkMs":0}');
    const seeded = object('offsets/4')!.body.toString().split('\n');
    expect(seeded[0]).toBe('v1');
    expect(JSON.parse(seeded[1]!)).toMatchObject({ batchWatermarkMs: 0, batchTimestampMs: T0 - 30_000 });
    // Act: a run of the job reaches RUNNING at +10 s
    await emr.send(new StartJobRunCommand(startInput()));
    await world.clock.advance(15_000);
    // Assess: offsets/5 written 5 s after RUNNING, its commit 5 s after that
    expect(object('offsets/5')?.lastModified.getTime()).toBe(T0 + 15_000);
    expect(object('commits/5')).toBeUndefined();
    await world.clock.advance(5_000);
    expect(object('commits/5')?.lastModified.getTime()).toBe(T0 + 20_000);
    const offsets = (n: number) => JSON.parse(object(`offsets/${n}`)!.body.toString().split('\n')[2]!) as Record<string, Record<string, number>>;
    expect(offsets(5)['orders.raw']!['0']! - offsets(4)['orders.raw']!['0']!).toBe(2_000);
    await world.clock.advance(60_000);
    expect(object('commits/6')).toBeDefined();
  });

  it('re-runs an uncommitted last batch instead of writing a new one', async () => {
    const world = newWorld();
    const emr = simClient(world, EMRServerlessClient);
    seedCheckpoint(world.s3, world.ctx, {
      uri: JOB.checkpoint,
      topic: 'orders.raw',
      partitions: 3,
      batches: 5,
      lastBatchAgeSeconds: 30,
      batchIntervalSeconds: 60,
      lastBatchCommitted: false,
      recordsPerBatch: 6_000,
    });
    const prefix = '_checkpoints/streaming/orders/';
    expect(world.s3.object('orders-data-lake', `${prefix}commits/4`)).toBeUndefined();
    await emr.send(new StartJobRunCommand(startInput()));
    await world.clock.advance(20_000);
    expect(world.s3.object('orders-data-lake', `${prefix}commits/4`)).toBeDefined();
    expect(world.s3.object('orders-data-lake', `${prefix}offsets/5`)).toBeUndefined();
  });

  describe('Checksums and conditional requests', () => {
    it('stores a SHA-256 for a copy that asks for one and returns it (CopyObjectResult, HeadObject with ChecksumMode)', async () => {
      const { s3 } = setup(['cp/offsets/1']);
      const r = await s3.send(new CopyObjectCommand({ Bucket: 'b', Key: 'bk/offsets/1', CopySource: 'b/cp/offsets/1', ChecksumAlgorithm: 'SHA256' }));
      const expected = createHash('sha256').update('body of cp/offsets/1').digest('base64');
      expect(r.CopyObjectResult).toMatchObject({ ChecksumSHA256: expected, ChecksumType: 'FULL_OBJECT' });
      expect(await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'bk/offsets/1', ChecksumMode: 'ENABLED' }))).toMatchObject({ ChecksumSHA256: expected });
      expect(await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'bk/offsets/1' }))).not.toHaveProperty('ChecksumSHA256');
      const plain = await s3.send(new CopyObjectCommand({ Bucket: 'b', Key: 'bk/offsets/2', CopySource: 'b/cp/offsets/1' }));
      expect(plain.CopyObjectResult).not.toHaveProperty('ChecksumSHA256');
    });

    it('copies only the source version named by CopySourceIfMatch (412 PreconditionFailed otherwise)', async () => {
      const { s3 } = setup(['cp/offsets/1']);
      const e = await s3
        .send(new CopyObjectCommand({ Bucket: 'b', Key: 'bk/x', CopySource: 'b/cp/offsets/1', CopySourceIfMatch: '"0"' }))
        .catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    });

    it('refuses PutObject If-None-Match: * on an existing key, and accepts it on a new one', async () => {
      const { s3, world } = setup(['m.json']);
      const e = await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'm.json', Body: 'x', IfNoneMatch: '*' })).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      expect(world.s3.object('b', 'm.json')!.body.toString()).toBe('body of m.json');
      await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'n.json', Body: 'x', IfNoneMatch: '*' }));
      expect(world.s3.object('b', 'n.json')!.body.toString()).toBe('x');
    });

    it('deletes an object named with an ETag only while it has that ETag', async () => {
      const { s3, world } = setup(['a', 'c']);
      const etag = world.s3.object('b', 'a')!.etag;
      const r = await s3.send(
        new DeleteObjectsCommand({
          Bucket: 'b',
          Delete: {
            Objects: [
              { Key: 'a', ETag: etag },
              { Key: 'c', ETag: '"stale"' },
            ],
          },
        }),
      );
      expect(r.Errors).toEqual([{ Key: 'c', Code: 'PreconditionFailed', Message: 'At least one of the pre-conditions you specified did not hold' }]);
      expect(world.s3.keys('b')).toEqual(['c']);
    });
  });
});
