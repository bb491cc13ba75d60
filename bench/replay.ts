/**
 * Replay throughput against the raw read + parse rate of the same data, and peak memory.
 *
 *   npx tsx bench/replay.ts                 # 1 GiB DLQ
 *   BENCH_DLQ_MB=64 npx tsx bench/replay.ts # quick run
 *
 * What is measured: a DLQ of BENCH_DLQ_MB MiB of envelope lines (BENCH_OBJECT_MB per object,
 * generated on the fly and streamed to disk, then to the S3 stand-in) is served by s3rver in a
 * child process and read through the real S3 adapter (SDK over HTTP on loopback).
 * - raw: every object streamed, split into lines (the same splitter), each line JSON.parse'd: the
 *   floor any reader pays;
 * - replay: the dlq-replay run (streamed lines, envelope validation, filter, batching to ≤ 500
 *   records / 4 MiB, a fast fake Firehose target that acknowledges every entry, and the progress
 *   write of every batch), rate limit off: once with the progress in memory (the replay's own
 *   cost), once with the ledger on dynalite in this process (a local DynamoDB stand-in whose
 *   ~7 ms per write is its own; real DynamoDB from Lambda is of the same order).
 * Memory: RSS and heapUsed of this process sampled every 20 ms during each pass (memory-sampler.ts;
 * s3rver's own memory is not counted: it stands in for S3, started by the tests' launcher).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import { clientConfig, type AwsClientOptions } from '../lambdas/adapters/clients';
import { S3Adapter } from '../lambdas/adapters/s3';
import { readLineChunks } from '../lambdas/analysis/dlq';
import { systemClock } from '../lambdas/core/clock';
import { dynamoLedger } from '../lambdas/engine/dynamo-ledger';
import { ledgerCreateTableInput } from '../lambdas/ledger/table';
import { ReplayFilter } from '../lambdas/operations/dlq-replay/filter';
import { ReplayRun } from '../lambdas/operations/dlq-replay/run';
import type { ReplayTarget } from '../lambdas/operations/dlq-replay/targets';
import { startS3rver } from '../test/helpers/s3rver-process';
import { MemorySampler, toMiB } from './memory-sampler';

const MiB = 1024 * 1024;
const BUCKET = 'bench-dlq';
const PREFIX = 'dlq/orders/';
const TYPES = ['parse_error', 'validation_error', 'timeout', 'external_api_error', 'duplicate'];

export interface PassResult {
  seconds: number;
  /** CPU time of this process (user + system): less sensitive than wall time to a busy machine. */
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  records: number;
  bytes: number;
  recordsPerSecond: number;
  mibPerSecond: number;
  peakRssMiB: number;
  peakHeapUsedMiB: number;
}

export interface ReplayBenchResult {
  dlqMiB: number;
  objects: number;
  raw: PassResult;
  replay: PassResult & { batches: number };
  replayWithDynaliteLedger: PassResult & { batches: number };
  /** replay records/s ÷ raw records/s (goal ≥ 0.5). */
  ratio: number;
  ratioWithDynaliteLedger: number;
  /** The same ratio in records per CPU second. */
  cpuRatio: number;
  baselineRssMiB: number;
}

function envelopeLine(i: number): string {
  const payload = JSON.stringify({
    order_id: `ord-${i}`,
    cust_id: `C-${i % 9_973}`,
    total: (i % 10_000) / 100,
    currency: 'EUR',
    items: [{ sku: `SKU-${i % 501}`, qty: 1 + (i % 3) }],
    created_at: '2026-11-22T10:00:00Z',
  });
  return JSON.stringify({
    v: 1,
    error_type: TYPES[i % TYPES.length],
    error_message: 'missing required field customer_id',
    failed_at: new Date(1_795_000_000_000 + i).toISOString(),
    source: { topic: 'orders.raw', partition: i % 12, offset: i },
    key: `ord-${i}`,
    job_run_id: '00fq2bd6v7g0a00b',
    payload,
  });
}

/** Writes about `bytes` of envelope lines to a file, respecting backpressure; returns the next record number. */
async function writeObject(path: string, bytes: number, first: number): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 * MiB });
  let written = 0;
  let i = first;
  while (written < bytes) {
    const lines: string[] = [];
    for (let k = 0; k < 1_000; k++) lines.push(envelopeLine(i++));
    const chunk = `${lines.join('\n')}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return i;
}

const cpuSecondsSince = (c: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
};

const pass = (seconds: number, records: number, bytes: number, mem: MemorySampler, cpuSeconds: number): PassResult => ({
  seconds: Math.round(seconds * 100) / 100,
  cpuSeconds: Math.round(cpuSeconds * 100) / 100,
  recordsPerCpuSecond: Math.round(records / cpuSeconds),
  records,
  bytes,
  recordsPerSecond: Math.round(records / seconds),
  mibPerSecond: Math.round((bytes / MiB / seconds) * 10) / 10,
  peakRssMiB: toMiB(mem.peakRss),
  peakHeapUsedMiB: toMiB(mem.peakHeap),
});

export async function benchReplay(opts: { dlqMiB?: number; objectMiB?: number; log?: (s: string) => void } = {}): Promise<ReplayBenchResult> {
  const dlqMiB = opts.dlqMiB ?? Number(process.env.BENCH_DLQ_MB ?? 1024);
  const objectMiB = Math.min(dlqMiB, opts.objectMiB ?? Number(process.env.BENCH_OBJECT_MB ?? 64));
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const work = await mkdtemp(join(tmpdir(), 'bench-replay-'));
  const s3rver = await startS3rver([BUCKET]);
  const db = dynalite({ createTableMs: 0 });
  await new Promise<void>((r) => db.listen(0, '127.0.0.1', () => r()));
  const aws: AwsClientOptions = { ...s3rver.aws, endpoints: { ...s3rver.aws.endpoints, dynamodb: `http://127.0.0.1:${(db.address() as AddressInfo).port}` } };
  const ddb = new DynamoDBClient(clientConfig(aws, 'dynamodb'));
  await ddb.send(new CreateTableCommand(ledgerCreateTableInput('bench-ledger')));
  ddb.destroy();
  const uploader = new S3Client({ ...clientConfig(aws, 's3'), requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    // Generate and upload, one object at a time: the DLQ is never whole in memory or on local disk twice.
    const objects = Math.max(1, Math.round(dlqMiB / objectMiB));
    let next = 0;
    const t0 = performance.now();
    for (let o = 0; o < objects; o++) {
      const file = join(work, 'object.jsonl');
      next = await writeObject(file, objectMiB * MiB, next);
      const { size } = await stat(file);
      await uploader.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${PREFIX}2026/11/22/10/part-${String(o).padStart(5, '0')}.jsonl`,
          Body: createReadStream(file),
          ContentLength: size,
        }),
      );
      await rm(file);
    }
    log(`generated ${objects} object(s), ${dlqMiB} MiB, ${next} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    global.gc?.();
    const baselineRss = process.memoryUsage().rss;
    const s3 = S3Adapter.fromOptions(aws);
    const mem = new MemorySampler();

    // Raw: stream + split + JSON.parse.
    mem.start();
    const rawCpu = process.cpuUsage();
    const t = performance.now();
    let rawRecords = 0;
    let rawBytes = 0;
    for await (const o of s3.listPrefix(BUCKET, PREFIX)) {
      const body = await s3.getObjectStream(BUCKET, o.key);
      for await (const lines of readLineChunks(body!, { onSourceBytes: (n) => (rawBytes += n) })) {
        for (const line of lines) {
          JSON.parse(line.text!);
          rawRecords++;
        }
      }
    }
    const rawSeconds = (performance.now() - t) / 1000;
    const rawCpuSeconds = cpuSecondsSince(rawCpu);
    const raw = pass(rawSeconds, rawRecords, rawBytes, mem.stop(), rawCpuSeconds);
    log(`raw read+parse: ${raw.recordsPerSecond} records/s (${raw.recordsPerCpuSecond}/CPU s), ${raw.mibPerSecond} MiB/s, peak RSS ${raw.peakRssMiB} MiB`);

    // Replay to a fast fake Firehose target: progress in memory, then in the ledger on dynalite.
    const memoryLedger = () => {
      const docs = new Map<string, string>();
      return {
        listProgress: async () => [...docs].map(([unit, doc]) => ({ unit, progress: JSON.parse(doc) as Record<string, unknown> })),
        putProgress: async (_op: string, unit: string, progress: Record<string, unknown>) => {
          docs.set(unit, JSON.stringify(progress));
        },
      };
    };
    const replayPass = async (ledger: ConstructorParameters<typeof ReplayRun>[1]['ledger'], label: string) => {
      let batches = 0;
      let sent = 0;
      const target: ReplayTarget = {
        name: 'firehose:bench',
        send: async (records) => {
          batches++;
          sent += records.length;
          return records.map(() => ({ ok: true }) as const);
        },
        close: async () => undefined,
      };
      const run = new ReplayRun(
        {
          root: `s3://${BUCKET}/${PREFIX}`,
          uri: `s3://${BUCKET}/${PREFIX}`,
          format: 'pipeline',
          filter: new ReplayFilter({}),
          dryRun: false,
          ratePerSecond: 1e9,
          maxRecords: Number.MAX_SAFE_INTEGER,
          maxAttempts: 5,
        },
        {
          store: s3,
          ledger,
          clock: systemClock,
          operationId: `bench-${label}-${Date.now()}`,
          signal: new AbortController().signal,
          remainingMs: () => Number.POSITIVE_INFINITY,
          target,
          targetName: target.name,
        },
      );
      global.gc?.();
      mem.start();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const outcome = await run.run();
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = cpuSecondsSince(cpu);
      const r = { ...pass(seconds, outcome.recordsDelivered, outcome.bytesRead, mem.stop(), cpuSeconds), batches };
      if (sent !== rawRecords || outcome.recordsDelivered !== rawRecords) throw new Error(`replay sent ${sent} of ${rawRecords} records`);
      log(`replay (${label}): ${r.recordsPerSecond} records/s (${r.recordsPerCpuSecond}/CPU s) in ${batches} batches, peak RSS ${r.peakRssMiB} MiB`);
      return r;
    };
    const replay = await replayPass(memoryLedger(), 'progress in memory');
    const replayWithDynaliteLedger = await replayPass(dynamoLedger(aws, 'bench-ledger'), 'ledger on dynalite');
    const ratio = (r: PassResult) => Math.round((r.recordsPerSecond / raw.recordsPerSecond) * 100) / 100;
    const result: ReplayBenchResult = {
      dlqMiB,
      objects,
      raw,
      replay,
      replayWithDynaliteLedger,
      ratio: ratio(replay),
      ratioWithDynaliteLedger: ratio(replayWithDynaliteLedger),
      cpuRatio: Math.round((replay.recordsPerCpuSecond / raw.recordsPerCpuSecond) * 100) / 100,
      baselineRssMiB: toMiB(baselineRss),
    };
    return result;
  } finally {
    uploader.destroy();
    await s3rver.close();
    await new Promise<void>((r) => db.close(() => r()));
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchReplay().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      const peak = Math.max(r.raw.peakRssMiB, r.replay.peakRssMiB, r.replayWithDynaliteLedger.peakRssMiB);
      process.stdout.write(
        `replay/raw = ${r.ratio} (goal ≥ 0.5; ${r.cpuRatio} per CPU second), ${r.ratioWithDynaliteLedger} with the ledger on dynalite; peak RSS ${peak} MiB for a ${r.dlqMiB} MiB DLQ\n`,
      );
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
