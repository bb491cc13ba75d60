/**
 * The Spark checkpoint reader on a 10,000-batch checkpoint (offsets/0…9999 and commits/0…9999,
 * nothing purged: 20,002 objects).
 *
 *   npx tsx bench/checkpoint.ts                       in-memory S3 stand-in
 *   BENCH_LATENCY_MS=20 npx tsx bench/checkpoint.ts   … with 20 ms per request (an S3 round trip)
 *   BENCH_S3RVER=1 npx tsx bench/checkpoint.ts        … and through the real S3 adapter against s3rver
 *
 * What is measured: `readSparkCheckpoint` (list both directories by first-digit shard, read
 * the files Spark reads on restart, walk back to the last good batch when they are not clean),
 * median of the runs, for a healthy checkpoint, one whose newest offsets file is empty, and one
 * with its five newest offsets files corrupt. The stand-in answers ListObjectsV2 pages of 1000
 * keys, GetObject and HeadObject from memory and counts requests; its optional delay per request
 * models S3's round trip (requests of one shard are sequential, shards run in parallel).
 */
import { startS3rver } from '../test/helpers/s3rver-process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { S3Adapter } from '../lambdas/adapters/s3';
import { mapLimit } from '../lambdas/analysis/checkpoint/listing';
import { readSparkCheckpoint, type SparkCheckpointReport } from '../lambdas/analysis/checkpoint/spark';
import { sparkCheckpoint } from '../test/helpers/checkpoint-layout';
import { MemoryS3 } from '../test/helpers/memory-s3';

const BATCHES = 10_000;
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const URI = `s3://${BUCKET}/${PREFIX}`;
const T0 = Date.parse('2026-11-22T08:00:00Z');

type Shape = 'healthy' | 'corrupt-latest' | 'corrupt-5-newest';
const SHAPES: Shape[] = ['healthy', 'corrupt-latest', 'corrupt-5-newest'];

function corruptions(shape: Shape): string[] {
  if (shape === 'healthy') return [];
  const n = shape === 'corrupt-latest' ? 1 : 5;
  return Array.from({ length: n }, (_, i) => `${PREFIX}offsets/${BATCHES - 1 - i}`);
}

export interface CheckpointBenchFigure {
  shape: Shape;
  medianMs: number;
  listPages: number;
  filesRead: number;
  requests: number;
  lastGoodBatch: number | null;
  problems: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeReads(read: () => Promise<SparkCheckpointReport>, runs: number): Promise<{ ms: number; report: SparkCheckpointReport }> {
  const times: number[] = [];
  let report: SparkCheckpointReport | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    report = await read();
    times.push(performance.now() - t);
  }
  return { ms: Math.round(median(times) * 10) / 10, report: report! };
}

async function memoryFigures(latencyMs: number, runs: number): Promise<CheckpointBenchFigure[]> {
  const out: CheckpointBenchFigure[] = [];
  for (const shape of SHAPES) {
    const s3 = new MemoryS3({ latencyMs });
    for (const o of sparkCheckpoint({ prefix: PREFIX, batches: BATCHES, retain: BATCHES, startMs: T0 })) s3.seed(BUCKET, o.key, o.body, o.atMs);
    for (const k of corruptions(shape)) s3.seed(BUCKET, k, '', T0);
    for (let i = 0; i < 3; i++) await readSparkCheckpoint(s3, URI); // warm-up
    const before = Object.values(s3.requests).reduce((a, b) => a + b, 0);
    const { ms, report } = await timeReads(() => readSparkCheckpoint(s3, URI), runs);
    const requests = (Object.values(s3.requests).reduce((a, b) => a + b, 0) - before) / runs;
    out.push({
      shape,
      medianMs: ms,
      listPages: report.listPages,
      filesRead: report.filesRead,
      requests,
      lastGoodBatch: report.lastGoodBatch ?? null,
      problems: report.problems.length,
    });
  }
  return out;
}

/** s3rver in a child process (the tests' launcher: legacy OpenSSL provider, serial deletes). */
async function withS3rver<T>(fn: (s3: S3Adapter) => Promise<T>): Promise<T> {
  const server = await startS3rver([BUCKET], { serialDeletes: true });
  try {
    return await fn(S3Adapter.fromOptions({ ...server.aws, maxAttempts: 3 }));
  } finally {
    await server.close();
  }
}

async function s3rverFigures(runs: number): Promise<CheckpointBenchFigure[]> {
  return withS3rver(async (s3) => {
    await mapLimit(sparkCheckpoint({ prefix: PREFIX, batches: BATCHES, retain: BATCHES, startMs: T0 }), 32, (o) => s3.putObject(BUCKET, o.key, o.body));
    const out: CheckpointBenchFigure[] = [];
    for (const shape of SHAPES) {
      for (const k of corruptions(shape)) await s3.putObject(BUCKET, k, ' ');
      const { ms, report } = await timeReads(() => readSparkCheckpoint(s3, URI), runs);
      out.push({
        shape,
        medianMs: ms,
        listPages: report.listPages,
        filesRead: report.filesRead,
        requests: report.listPages + report.filesRead + 2,
        lastGoodBatch: report.lastGoodBatch ?? null,
        problems: report.problems.length,
      });
    }
    return out;
  });
}

export async function benchCheckpoint(opts: { latencyMs?: number; runs?: number; s3rver?: boolean } = {}): Promise<Record<string, unknown>> {
  const latencyMs = opts.latencyMs ?? 0;
  const runs = opts.runs ?? 9;
  return {
    batches: BATCHES,
    objects: 2 * BATCHES + 2,
    memory: { latencyMsPerRequest: latencyMs, figures: await memoryFigures(latencyMs, runs) },
    ...(opts.s3rver ? { s3rver: { figures: await s3rverFigures(Math.min(runs, 3)) } } : {}),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 0);
  benchCheckpoint({ latencyMs, s3rver: process.env.BENCH_S3RVER === '1' }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
