import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../../lambdas/adapters/clients';
import { S3Adapter } from '../../../lambdas/adapters/s3';
import { hourPrefix, newestObjects, objectLines, sampleDlq, sampleReference } from '../../../lambdas/analysis/dlq';
import { startS3rver } from '../../helpers/s3rver-process';

const BUCKET = 'orders-data-lake';
const NOW = Date.parse('2026-11-22T10:30:00Z');
const HOUR = 3_600_000;

const env = (i: number, type: string, payload: Record<string, unknown>) =>
  JSON.stringify({
    error_type: type,
    error_message: `bad ${i}`,
    failed_at: new Date(NOW - 60_000 + i).toISOString(),
    source: { topic: 'orders.raw', partition: 0, offset: i },
    payload: JSON.stringify(payload),
  });

describe('DLQ objects on s3rver', () => {
  let server: Awaited<ReturnType<typeof startS3rver>>;
  let s3: S3Adapter;
  let raw: S3Client;
  const put = (key: string, body: string | Uint8Array) => raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

  beforeAll(async () => {
    server = await startS3rver([BUCKET]);
    s3 = S3Adapter.fromOptions(server.aws);
    raw = new S3Client(clientConfig(server.aws, 's3'));
    // Hourly layout: 3 h ago, 1 h ago, this hour; one quarantined object; one flat prefix.
    await put(`${hourPrefix('dlq/orders/', NOW - 3 * HOUR)}old.jsonl`, `${env(1, 'timeout', { a: 1 })}\n`);
    await put(`${hourPrefix('dlq/orders/', NOW - HOUR)}a.jsonl`, `${env(2, 'parse_error', { a: 1 })}\n`);
    await put(
      `${hourPrefix('dlq/orders/', NOW)}b.jsonl.gz`,
      gzipSync(Array.from({ length: 30 }, (_, i) => env(10 + i, 'validation_error', { order_id: `o${i}`, cust_id: `c${i}` })).join('\n')),
    );
    await put(`${hourPrefix('dlq/orders/', NOW)}c.jsonl`, ['not json', env(50, 'timeout', { order_id: 'o' }), '', '{"error_type":"x"}'].join('\n'));
    await put('dlq/orders/_quarantine/op/1.jsonl', `${env(99, 'other', {})}\n`);
    await put('flat/part-0001.jsonl', `${env(3, 'duplicate', { a: 1 })}\n`);
    await put('flat/part-0002.jsonl', `${env(4, 'duplicate', { a: 1 })}\n`);
    await put(
      'sink/2026/11/22/10/out-1',
      '{"order_id":"o1","customer_id":"c1"}{"order_id":"o2","customer_id":"c2"}\n{"order_id":"o3","customer_id":"c3","coupon":"X"}',
    );
  });
  afterAll(async () => {
    raw?.destroy();
    await server?.close();
  });

  describe('Function: newestObjects', () => {
    it('walks back hour by hour only until it has enough objects, leaving the quarantine out', async () => {
      const r = await newestObjects(s3, BUCKET, 'dlq/orders/', NOW, { maxObjects: 3, lookbackHours: 6, exclude: (k) => k.startsWith('_quarantine/') });
      expect(r.layout).toBe('hourly');
      expect(r.objects.map((o) => o.key).sort()).toEqual([
        `${hourPrefix('dlq/orders/', NOW - HOUR)}a.jsonl`,
        `${hourPrefix('dlq/orders/', NOW)}b.jsonl.gz`,
        `${hourPrefix('dlq/orders/', NOW)}c.jsonl`,
      ]);
    });

    it('lists the prefix and sorts by time when it has no hourly layout', async () => {
      const r = await newestObjects(s3, BUCKET, 'flat/', NOW, { maxObjects: 1, lookbackHours: 2 });
      expect(r).toMatchObject({ layout: 'flat', complete: true });
      expect(r.objects).toHaveLength(1);
    });
  });

  describe('Function: objectLines', () => {
    it('streams a gzip object, and resumes a plain one with a ranged read from the saved byte', async () => {
      const gz = [];
      for await (const l of objectLines(s3, BUCKET, `${hourPrefix('dlq/orders/', NOW)}b.jsonl.gz`)) gz.push(l);
      expect(gz).toHaveLength(30);
      const key = `${hourPrefix('dlq/orders/', NOW)}c.jsonl`;
      const all = [];
      for await (const l of objectLines(s3, BUCKET, key)) all.push(l);
      const second = all.find((l) => l.lineNo === 2)!;
      const resumed = [];
      for await (const l of objectLines(s3, BUCKET, key, { fromLine: 2, fromByte: second.offset })) resumed.push(l);
      expect(resumed.map((l) => [l.lineNo, l.text])).toEqual(all.filter((l) => l.lineNo >= 2).map((l) => [l.lineNo, l.text]));
    });

    it('yields nothing for a missing object', async () => {
      const out = [];
      for await (const l of objectLines(s3, BUCKET, 'dlq/orders/missing.jsonl')) out.push(l);
      expect(out).toEqual([]);
    });
  });

  describe('Function: sampleDlq', () => {
    it('reads the newest objects into a breakdown, counting bad lines without failing', async () => {
      const r = await sampleDlq(s3, { bucket: BUCKET, prefix: 'dlq/orders/' }, NOW, { maxObjects: 10, maxRecords: 1_000, maxBytes: 1 << 20, lookbackHours: 1 });
      // This hour and the one before (lookbackHours 1); the object 3 h old is not read.
      expect(r.objectsRead).toBe(3);
      expect(r.breakdown.byType).toMatchObject({ validation_error: 30, timeout: 1, parse_error: 1 });
      expect(r.badLines).toBe(2);
      expect(r.firstBadLine?.reason).toBeDefined();
      expect(r.truncated).toBe(false);
      expect(r.breakdown.failingFields.share('cust_id')).toBeCloseTo(30 / 32);
    });

    it('stops at the record limit and says the sample was cut', async () => {
      const r = await sampleDlq(s3, { bucket: BUCKET, prefix: 'dlq/orders/' }, NOW, { maxObjects: 10, maxRecords: 5, maxBytes: 1 << 20, lookbackHours: 1 });
      expect(r.breakdown.records).toBe(5);
      expect(r.truncated).toBe(true);
    });
  });

  describe('Function: sampleReference', () => {
    it('reads objects written back to back and as lines', async () => {
      const r = await sampleReference(s3, { bucket: BUCKET, prefix: 'sink/' }, NOW, { maxObjects: 5, maxRecords: 100, maxBytes: 1 << 20, lookbackHours: 2 });
      expect(r.fields.records).toBe(3);
      expect(r.fields.share('customer_id')).toBe(1);
      expect(r.layout).toBe('hourly');
    });
  });
});
