import { describe, expect, it } from 'vitest';
import { readSparkCheckpoint } from '../../../lambdas/analysis/checkpoint/spark';
import { judgeCorruption } from '../../../lambdas/analysis/checkpoint/corruption';
import { endOffsets, QUERY_ID, sparkCheckpoint, type SparkLayout } from '../../helpers/checkpoint-layout';
import { MemoryS3 } from '../../helpers/memory-s3';

const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const URI = `s3://${BUCKET}/${PREFIX}`;
const T0 = Date.parse('2026-11-22T08:00:00Z');

function world(layout: Partial<SparkLayout> = {}, edit?: (s3: MemoryS3) => void): MemoryS3 {
  const s3 = new MemoryS3();
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 250, startMs: T0, ...layout })) s3.seed(BUCKET, o.key, o.body, o.atMs);
  edit?.(s3);
  return s3;
}
const put = (s3: MemoryS3, rel: string, body: string, atMs = T0 + 10_000_000) => s3.seed(BUCKET, `${PREFIX}${rel}`, body, atMs);
const drop = (s3: MemoryS3, rel: string) => s3.objects.delete(`${BUCKET}/${PREFIX}${rel}`);

describe('Function: readSparkCheckpoint', () => {
  describe('on a healthy checkpoint', () => {
    it('reports the batches, the last good one, its per-partition offsets and write times, reading three files', async () => {
      // Prepare
      const s3 = world();
      // Act
      const r = await readSparkCheckpoint(s3, URI);
      // Assess
      expect(r).toMatchObject({
        exists: true,
        queryId: QUERY_ID,
        oldestBatch: 150,
        latestPlannedBatch: 249,
        latestCommittedBatch: 249,
        lastGoodBatch: 249,
        lastGoodBatchCommittedAtMs: T0 + 249 * 10_000 + 2_000,
        offsetFiles: 100,
        commitFiles: 100,
        listingComplete: true,
        problems: [],
      });
      expect(r.lastGoodOffsets).toEqual(
        [0, 1, 2].map((p) => ({ sourceId: '0', topic: 'orders.raw', partition: p, offset: endOffsets(249, 3)['orders.raw']![String(p)] })),
      );
      expect(r.batches[0]).toMatchObject({
        batchId: 249,
        offsets: { status: 'ok', version: 1, writtenAtMs: T0 + 2_490_000, batchTimestampMs: T0 + 2_490_000 },
        commit: { status: 'ok' },
      });
      expect(r.filesRead).toBe(3);
      expect(s3.requests.get).toBe(4); // metadata + offsets/249 + offsets/248 + commits/249
    });

    it('treats a planned, uncommitted newest batch as normal: the last good batch is the one before', async () => {
      const r = await readSparkCheckpoint(world({ lastCommitted: false }), URI);
      expect(r).toMatchObject({ latestPlannedBatch: 249, latestCommittedBatch: 248, lastGoodBatch: 248, problems: [] });
    });

    it('reads v2 offset logs with named sources', async () => {
      const r = await readSparkCheckpoint(world({ version: 2 }), URI);
      expect(r.problems).toEqual([]);
      expect(r.batches[0]?.offsets?.version).toBe(2);
      expect(r.lastGoodOffsets?.[0]).toEqual({ sourceId: '0', topic: 'orders.raw', partition: 0, offset: endOffsets(249, 3)['orders.raw']!['0'] });
    });

    it('reports a prefix without a checkpoint as not existing', async () => {
      const r = await readSparkCheckpoint(new MemoryS3(), URI);
      expect(r).toMatchObject({ exists: false, problems: [], offsetFiles: 0 });
      expect(judgeCorruption(r)).toEqual({ kind: 'missing' });
    });
  });

  describe('on a corrupt latest batch', () => {
    it.each([
      ['empty (Incomplete log file)', '', 'offsets-empty'],
      ['truncated JSON (Log file was malformed)', 'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1,"conf":{}}\n{"orders.raw":{"0":12', 'offsets-malformed'],
      ['without a version line', '{"batchWatermarkMs":0}\n{}', 'offsets-malformed'],
      ['of a newer version (UnsupportedLogVersion)', 'v3\n{}\n{}', 'offsets-unsupported-version'],
    ])('finds offsets/N %s, keeps N-1 as the last good batch, and judges it a one-batch rollback', async (_what, body, kind) => {
      // Prepare
      const s3 = world({ lastCommitted: false }, (w) => put(w, 'offsets/249', body));
      // Act
      const r = await readSparkCheckpoint(s3, URI);
      // Assess
      expect(r.problems).toEqual([expect.objectContaining({ kind, severity: 'fatal', batchId: 249, key: `${PREFIX}offsets/249` })]);
      expect(r.lastGoodBatch).toBe(248);
      expect(judgeCorruption(r)).toMatchObject({ kind: 'latest-batch', target: { batchId: 248, rerun: false }, badBatch: 249 });
    });

    it('finds an empty commits/N and judges a re-run of batch N with its logged offsets', async () => {
      const r = await readSparkCheckpoint(
        world({}, (w) => put(w, 'commits/249', '')),
        URI,
      );
      expect(r.problems).toEqual([expect.objectContaining({ kind: 'commit-empty', severity: 'fatal', batchId: 249 })]);
      expect(judgeCorruption(r)).toMatchObject({ kind: 'latest-batch', target: { batchId: 249, rerun: true } });
    });

    it("judges v2 offsets unreadable when the job's Spark reads only v1", async () => {
      const s3 = world({ lastCommitted: false }, (w) =>
        put(w, 'offsets/249', 'v2\n{"batchWatermarkMs":0,"batchTimestampMs":1,"conf":{}}\n0:{"orders.raw":{"0":1}}'),
      );
      expect((await readSparkCheckpoint(s3, URI)).problems).toEqual([]);
      const r = await readSparkCheckpoint(s3, URI, { maxOffsetsVersion: 1 });
      expect(r.problems).toEqual([expect.objectContaining({ kind: 'offsets-unsupported-version', batchId: 249 })]);
      expect(judgeCorruption(r)).toMatchObject({ kind: 'latest-batch', target: { batchId: 248, rerun: false } });
    });
  });

  describe('on deeper damage', () => {
    it('walks back past two corrupt batches to the last good one, and judges it deep', async () => {
      // Prepare
      const s3 = world({}, (w) => {
        put(w, 'offsets/249', '');
        put(w, 'offsets/248', 'v1\n{');
      });
      // Act
      const r = await readSparkCheckpoint(s3, URI);
      // Assess
      expect(r.problems.map((p) => `${p.kind}@${p.batchId}`)).toEqual(['offsets-empty@249', 'offsets-malformed@248']);
      expect(r.lastGoodBatch).toBe(247);
      expect(judgeCorruption(r)).toMatchObject({ kind: 'deep', why: expect.stringContaining('beyond the latest batch 249') });
    });

    it('reports a gap in the batch ids, a missing offsets/N-1 and commits without offsets', async () => {
      // Prepare
      const s3 = world({}, (w) => {
        drop(w, 'offsets/200');
        drop(w, 'offsets/248');
        put(w, 'commits/260', 'v1\n{"nextBatchWatermarkMs":0}');
      });
      // Act
      const r = await readSparkCheckpoint(s3, URI);
      // Assess
      const kinds = r.problems.map((p) => `${p.kind}@${p.batchId}:${p.severity}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'previous-offsets-missing@248:fatal',
          'batch-gap@200:warning',
          'commit-without-offsets@200:warning',
          'commit-without-offsets@248:fatal',
          'commit-ahead-of-offsets@260:fatal',
        ]),
      );
      expect(judgeCorruption(r).kind).toBe('deep');
    });

    it('reports missing metadata as a warning and malformed metadata as fatal', async () => {
      expect(
        (
          await readSparkCheckpoint(
            world({}, (w) => drop(w, 'metadata')),
            URI,
          )
        ).problems,
      ).toEqual([expect.objectContaining({ kind: 'metadata-missing', severity: 'warning' })]);
      expect(
        (
          await readSparkCheckpoint(
            world({}, (w) => put(w, 'metadata', '{"id"')),
            URI,
          )
        ).problems,
      ).toEqual([expect.objectContaining({ kind: 'metadata-malformed', severity: 'fatal' })]);
    });

    it('stops reading at maxFileReads and says the search was incomplete', async () => {
      const s3 = world({}, (w) => {
        for (let n = 240; n <= 249; n++) put(w, `offsets/${n}`, '');
      });
      const r = await readSparkCheckpoint(s3, URI, { maxFileReads: 6 });
      expect(r.filesRead).toBe(6);
      expect(r.lastGoodBatch).toBeUndefined();
      expect(r.searchIncomplete).toBe(true);
      expect(judgeCorruption(r).kind).toBe('deep');
    });
  });

  describe('on a large checkpoint', () => {
    it('lists 10,000 batches in pages and reads only the newest files', async () => {
      // Prepare
      const s3 = world({ batches: 10_000, retain: 10_000 });
      // Act
      const r = await readSparkCheckpoint(s3, URI);
      // Assess
      expect(r).toMatchObject({
        oldestBatch: 0,
        latestPlannedBatch: 9_999,
        lastGoodBatch: 9_999,
        offsetFiles: 10_000,
        commitFiles: 10_000,
        filesRead: 3,
        problems: [],
      });
      // Shard "1…" holds 1111 keys: two pages; the other nine one or two each, per directory.
      expect(s3.requests.list).toBeGreaterThanOrEqual(20);
      expect(s3.requests.list).toBeLessThanOrEqual(40);
      expect(r.listPages).toBe(s3.requests.list);
    });
  });
});
