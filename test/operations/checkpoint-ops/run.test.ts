import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsAdapters } from '../../../lambdas/adapters';
import { backupTag } from '../../../lambdas/analysis/checkpoint';
import { compareCopy } from '../../../lambdas/checkpoint';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { InvalidInputError } from '../../../lambdas/core/errors';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { dynamoLedger } from '../../../lambdas/engine/dynamo-ledger';
import {
  checkpointOperationId,
  checkpointOpsOperation,
  checkpointOpsPayload,
  type CheckpointOpsPayloadInput,
} from '../../../lambdas/operations/checkpoint-ops';
import type { OperationContext } from '../../../lambdas/operations/types';
import exampleConfig from '../../../streamfix.config';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { startDynalite } from '../../helpers/dynalite';
import { MemoryS3 } from '../../helpers/memory-s3';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const CP = `s3://${BUCKET}/${PREFIX}`;
const config = parseConfig(exampleConfig);

describe('Operation: checkpoint-ops (run, ledger on dynalite)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let ledger: Ledger;
  const s3 = new MemoryS3({ now: () => T0 });
  const emr = { listJobRuns: async () => [] };
  beforeAll(async () => {
    db = await startDynalite();
    ledger = dynamoLedger(db.aws, db.tableName);
    // 600 batches and a one-partition state store: 1,863 objects, two listing pages.
    for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 600, retain: 600, startMs: T0 - 7_200_000, statePartitions: 1 }))
      s3.seed(BUCKET, o.key, o.body, o.atMs);
  });
  afterAll(async () => db.close());

  async function start(input: CheckpointOpsPayloadInput, remainingMs: () => number, clock = new ManualClock(T0)) {
    const p = checkpointOpsPayload.parse(input);
    const operationId = checkpointOperationId(p);
    const { record } = await ledger.startOperation({
      operationId,
      kind: 'checkpoint-ops',
      command: p.command,
      pipeline: p.pipeline,
      params: p as Record<string, unknown>,
      status: 'running',
      startedAtMs: clock.now(),
      updatedAtMs: clock.now(),
      version: 0,
    });
    const ctx: OperationContext = {
      operationId,
      config,
      clock,
      aws: { s3, emr } as unknown as AwsAdapters,
      ledger,
      logger: new Logger({ logLevel: 'SILENT' }),
      signal: new AbortController().signal,
      remainingMs,
      record,
    };
    return { p, ctx, run: () => checkpointOpsOperation.run(p, ctx) };
  }

  it('stops a backup near the time limit with its progress saved, and continues it to a verified copy', async () => {
    // Prepare
    const total = s3.keys(BUCKET, PREFIX).length;
    const first = await start({ command: 'backup', pipeline: 'orders', requestId: 'b1' }, () => 60_000);
    // Act
    const partial = await first.run();
    const progress = await ledger.getProgress(first.ctx.operationId, 'backup');
    const later = await start({ command: 'backup', pipeline: 'orders', requestId: 'b1' }, () => Number.POSITIVE_INFINITY, new ManualClock(T0 + 600_000));
    const done = await later.run();
    // Assess
    expect(partial).toMatchObject({ status: 'partial', continueWith: { command: 'backup', requestId: 'b1' } });
    expect(progress).toMatchObject({
      objects: 1000,
      pages: 1,
      backupUri: `s3://${BUCKET}/_checkpoints/streaming/orders_backup_20261122T100000Z-${backupTag(first.ctx.operationId)}/`,
    });
    expect(done).toMatchObject({ status: 'done', result: { objects: total, verified: true, backupUri: progress!.backupUri } });
    expect((await compareCopy(s3, CP, String(progress!.backupUri))).ok).toBe(true);
  });

  it('refuses a rollback beyond the latest batch, naming toBatch, before any backup', async () => {
    const copies = s3.requests.copy;
    const r = await start({ command: 'rollback', pipeline: 'orders', requestId: 'r9', toBatch: 700, confirm: true }, () => Number.POSITIVE_INFINITY);
    const e = await r.run().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e).toMatchObject({ field: 'toBatch' });
    expect(s3.requests.copy).toBe(copies);
    expect(await ledger.getOperation(r.ctx.operationId)).toMatchObject({ status: 'refused' });
  });

  it('refuses to restore a backup that was never sealed, and one relied on without a manifest', async () => {
    s3.seed(BUCKET, '_checkpoints/streaming/orders_backup_20261121T000000Z/metadata', '{"id":"x"}', T0);
    const restore = await start(
      {
        command: 'restore',
        pipeline: 'orders',
        requestId: 's9',
        confirm: true,
        fromBackup: `s3://${BUCKET}/_checkpoints/streaming/orders_backup_20261121T000000Z/`,
      },
      () => Infinity,
    );
    await expect(restore.run()).rejects.toMatchObject({ field: 'fromBackup' });
    const rely = await start(
      {
        command: 'reset',
        pipeline: 'orders',
        requestId: 'x9',
        confirm: true,
        to: 'latest',
        backupUri: `s3://${BUCKET}/_checkpoints/streaming/orders_backup_20261121T000000Z/`,
      },
      () => Infinity,
    );
    await expect(rely.run()).rejects.toMatchObject({ field: 'backupUri' });
    expect(s3.keys(BUCKET, `${PREFIX}offsets/`).length).toBe(600);
  });

  it('refuses a rollback against a sealed backup whose files have the sizes but not the bytes (issue point 3)', async () => {
    // Prepare: a sealed backup; then the newest offsets file is rewritten with other bytes of the same size.
    const b = await start({ command: 'backup', pipeline: 'orders', requestId: 'p3' }, () => Number.POSITIVE_INFINITY);
    const sealed = await b.run();
    const key = `${PREFIX}offsets/599`;
    const old = (await s3.getObjectText(BUCKET, key))!;
    const rewritten = old.replace(/"batchTimestampMs":(\d)/, (_m, d: string) => `"batchTimestampMs":${(Number(d) + 1) % 10}`);
    expect(rewritten).not.toBe(old);
    expect(rewritten.length).toBe(old.length);
    s3.seed(BUCKET, key, rewritten, T0 + 1);
    // Act
    const r = await start(
      { command: 'rollback', pipeline: 'orders', requestId: 'p3r', toBatch: 598, keepCommit: true, confirm: true, backupUri: String(sealed.result.backupUri) },
      () => Infinity,
    );
    const e = await r.run().catch((x: unknown) => x);
    // Assess
    expect(e).toMatchObject({ field: 'backupUri' });
    expect((e as Error).message).toContain(`${key}: other bytes than the backup holds`);
    expect(await s3.getObjectText(BUCKET, key)).toBe(rewritten);
    expect(await ledger.getOperation(r.ctx.operationId)).toMatchObject({ status: 'refused' });
  });
});
