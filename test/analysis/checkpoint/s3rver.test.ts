import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Adapter } from '../../../lambdas/adapters/s3';
import {
  BACKUP_MANIFEST,
  backupCheckpoint,
  backupUriFor,
  BackupDoesNotCoverError,
  freshBackupUri,
  compareCopy,
  copyPrefix,
  deleteCheckpoint,
  listAll,
  mapLimit,
  readSparkCheckpoint,
  restoreCheckpoint,
  rollbackCheckpoint,
} from '../../../lambdas/analysis/checkpoint';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { startSerialS3rver } from '../../helpers/s3rver-serial';

/**
 * The checkpoint's S3 procedures against s3rver (the S3 protocol on loopback): listing with
 * continuation tokens, CopyObject, DeleteObjects, and the checks around them.
 */
const BUCKET = 'orders-data-lake';
const T0 = Date.parse('2026-11-22T08:00:00Z');
let server: Awaited<ReturnType<typeof startSerialS3rver>>;
let s3: S3Adapter;
let n = 0;

/** A checkpoint under its own prefix, uploaded to s3rver. */
async function layout(batches: number, statePartitions: number): Promise<{ prefix: string; uri: string }> {
  const prefix = `_checkpoints/t${++n}/orders/`;
  const objects = sparkCheckpoint({ prefix, batches, retain: batches, startMs: T0, statePartitions, lastCommitted: false });
  await mapLimit(objects, 32, (o) => s3.putObject(BUCKET, o.key, o.body));
  return { prefix, uri: `s3://${BUCKET}/${prefix}` };
}

beforeAll(async () => {
  server = await startSerialS3rver([BUCKET]);
  s3 = S3Adapter.fromOptions(server.aws);
});
afterAll(async () => server.close());

describe('Checkpoint reading and backup on s3rver (1,242 objects: more than one listing page)', () => {
  // 400 batches (799 log files) and a one-partition state store (400 deltas, 40 snapshots).
  let cp: { prefix: string; uri: string };
  beforeAll(async () => {
    cp = await layout(400, 1);
  });

  it('reads the checkpoint through paged listings', async () => {
    // Act
    const r = await readSparkCheckpoint(s3, cp.uri);
    // Assess
    expect(r).toMatchObject({ latestPlannedBatch: 399, latestCommittedBatch: 398, lastGoodBatch: 398, offsetFiles: 400, commitFiles: 399, problems: [], listingComplete: true });
    expect((await listAll(s3, BUCKET, cp.prefix)).objects.length).toBe(2 + 400 + 399 + 1 + 400 + 40);
  });

  it('backs up every object (paging past 1000 keys), verifies count and bytes, and seals it with a manifest', async () => {
    // Prepare
    const backup = backupUriFor(cp.uri, T0);
    const pages: number[] = [];
    // Act
    const r = await backupCheckpoint(s3, cp.uri, backup, 'test', T0, { onPage: async (p) => void pages.push(p.objects) });
    // Assess
    const src = await listAll(s3, BUCKET, cp.prefix);
    expect(backup).toBe(`s3://${BUCKET}/${cp.prefix.replace(/\/$/, '')}_backup_20261122T080000Z/`);
    expect(r).toMatchObject({ objects: src.objects.length, bytes: src.bytes, verified: true });
    expect(pages).toEqual([1000, src.objects.length]);
    expect(await s3.getObjectText(BUCKET, `${backup.slice(`s3://${BUCKET}/`.length)}${BACKUP_MANIFEST}`)).toContain(`"objects": ${src.objects.length}`);
    expect((await compareCopy(s3, cp.uri, backup)).ok).toBe(true);
  });

  it('resumes a copy after the last key it reported', async () => {
    const backup = backupUriFor(cp.uri, T0 + 1_000);
    const first = await copyPrefix(s3, cp.uri, backup, { shouldStop: () => true });
    const rest = await copyPrefix(s3, cp.uri, backup, { startAfter: first.lastKey! });
    const src = await listAll(s3, BUCKET, cp.prefix);
    expect(first).toMatchObject({ complete: false, objects: 1000 });
    expect(first.objects + rest.objects).toBe(src.objects.length);
    expect((await compareCopy(s3, cp.uri, backup)).ok).toBe(true);
  });

  it('gives a new backup a prefix of its own when backups of the same seconds exist', async () => {
    // The two tests above left backups at T0 and T0 + 1 s.
    expect(await freshBackupUri(s3, cp.uri, T0)).toBe(backupUriFor(cp.uri, T0 + 2_000));
    expect(await freshBackupUri(s3, cp.uri, T0 + 2_000)).toBe(backupUriFor(cp.uri, T0 + 2_000));
  });
});

describe('Checkpoint rollback, reset and restore on s3rver', () => {
  // 30 batches, the newest uncommitted, and a two-partition state store: small enough for one DeleteObjects.
  let cp: { prefix: string; uri: string };
  beforeEach(async () => {
    cp = await layout(30, 2);
  });

  it('rolls back past a corrupt latest batch, deleting only what the backup holds', async () => {
    // Prepare
    await s3.putObject(BUCKET, `${cp.prefix}offsets/29`, '');
    const backup = backupUriFor(cp.uri, T0);
    await backupCheckpoint(s3, cp.uri, backup, 'test', T0);
    // Act
    const r = await rollbackCheckpoint(s3, cp.uri, backup, { batchId: 28, rerun: false }, { expectLatestBatch: 29 });
    // Assess
    expect(r).toMatchObject({ offsetsRemoved: [29], commitsRemoved: [], stateFilesRemoved: 4, resumeBatch: 29, latestPlannedAfter: 28, latestCommittedAfter: 28 });
    const after = await readSparkCheckpoint(s3, cp.uri);
    expect(after).toMatchObject({ latestPlannedBatch: 28, lastGoodBatch: 28, problems: [] });
    expect(await s3.headObject(BUCKET, `${cp.prefix}state/0/0/30.snapshot`)).toBeUndefined();
    expect(await s3.headObject(BUCKET, `${cp.prefix}state/0/0/29.delta`)).toBeDefined();
    // Run again (a resumed action): nothing left to delete.
    expect((await rollbackCheckpoint(s3, cp.uri, backup, { batchId: 28, rerun: false }, { expectLatestBatch: 29 })).deleted).toBe(0);
  });

  it('deletes nothing when the backup does not hold an object to delete, or has no manifest', async () => {
    // Prepare
    const backup = backupUriFor(cp.uri, T0);
    await backupCheckpoint(s3, cp.uri, backup, 'test', T0);
    await s3.putObject(BUCKET, `${cp.prefix}offsets/30`, 'v1\n{}\n{"orders.raw":{"0":1}}'); // written after the backup
    // Act
    const notCovered = await rollbackCheckpoint(s3, cp.uri, backup, { batchId: 28, rerun: false }).catch((e: unknown) => e);
    const noManifest = await rollbackCheckpoint(s3, cp.uri, backupUriFor(cp.uri, T0 + 5_000), { batchId: 28, rerun: false }).catch((e: unknown) => e);
    // Assess
    expect(notCovered).toBeInstanceOf(BackupDoesNotCoverError);
    expect((notCovered as BackupDoesNotCoverError).keys).toEqual([`${cp.prefix}offsets/30`]);
    expect(noManifest).toMatchObject({ keys: 'no-manifest' });
    expect(await s3.headObject(BUCKET, `${cp.prefix}offsets/29`)).toBeDefined();
  });

  it('refuses a rollback when the checkpoint moved on since it was judged', async () => {
    const backup = backupUriFor(cp.uri, T0);
    await backupCheckpoint(s3, cp.uri, backup, 'test', T0);
    await expect(rollbackCheckpoint(s3, cp.uri, backup, { batchId: 20, rerun: false }, { expectLatestBatch: 25 })).rejects.toThrow('not 25 as judged');
  });

  it('resets (deletes the checkpoint) only against a verified backup, and restores it back exactly', async () => {
    // Prepare
    const backup = backupUriFor(cp.uri, T0);
    const sealed = await backupCheckpoint(s3, cp.uri, backup, 'test', T0);
    // Act
    const reset = await deleteCheckpoint(s3, cp.uri, backup);
    const emptied = await listAll(s3, BUCKET, cp.prefix);
    const restored = await restoreCheckpoint(s3, cp.uri, backup, undefined);
    // Assess
    expect(reset).toEqual({ deleted: sealed.objects, bytes: sealed.bytes });
    expect(emptied.objects).toEqual([]);
    expect(restored).toMatchObject({ copied: sealed.objects, deleted: 0, check: { ok: true } });
    expect((await readSparkCheckpoint(s3, cp.uri)).latestPlannedBatch).toBe(29);
  });

  it('restores over a changed checkpoint only when that checkpoint is itself backed up, removing what the backup lacks', async () => {
    // Prepare
    const old = backupUriFor(cp.uri, T0);
    await backupCheckpoint(s3, cp.uri, old, 'test', T0);
    await s3.putObject(BUCKET, `${cp.prefix}offsets/30`, 'v1\n{}\n{"orders.raw":{"0":1}}');
    // Act
    const refused = await restoreCheckpoint(s3, cp.uri, old, undefined).catch((e: unknown) => e);
    const safety = backupUriFor(cp.uri, T0 + 60_000);
    await backupCheckpoint(s3, cp.uri, safety, 'test', T0 + 60_000);
    const r = await restoreCheckpoint(s3, cp.uri, old, safety);
    // Assess
    expect((refused as Error).message).toContain('no backup of it was given');
    expect(r).toMatchObject({ deleted: 1, check: { ok: true } });
    expect(await s3.headObject(BUCKET, `${cp.prefix}offsets/30`)).toBeUndefined();
  });
});
