import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Adapter } from '../../lambdas/adapters/s3';
import { BACKUP_MANIFEST, backupUriFor, BackupDoesNotCoverError, listAll, mapLimit, readSparkCheckpoint } from '../../lambdas/analysis/checkpoint';
import {
  backupCheckpoint,
  freshBackupUri,
  compareCopy,
  copyPrefix,
  deleteCheckpoint,
  restoreCheckpoint,
  rollbackCheckpoint,
  sealBackup,
} from '../../lambdas/checkpoint';
import { sparkCheckpoint } from '../helpers/checkpoint-layout';
import { startSerialS3rver } from '../helpers/s3rver-serial';

/**
 * The checkpoint's S3 procedures against s3rver (the S3 protocol on loopback): listing with
 * continuation tokens, CopyObject, DeleteObjects, and the checks around them.
 */
const BUCKET = 'orders-data-lake';
const T0 = Date.parse('2026-11-22T08:00:00Z');
let server: Awaited<ReturnType<typeof startSerialS3rver>>;
let s3: S3Adapter;
let n = 0;

/** A checkpoint under its own prefix (or over an existing one), uploaded to s3rver. */
async function layout(batches: number, statePartitions: number, opts: { prefix?: string; startMs?: number } = {}): Promise<{ prefix: string; uri: string }> {
  const prefix = opts.prefix ?? `_checkpoints/t${++n}/orders/`;
  const objects = sparkCheckpoint({ prefix, batches, retain: batches, startMs: opts.startMs ?? T0, statePartitions, lastCommitted: false });
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
    expect(r).toMatchObject({
      latestPlannedBatch: 399,
      latestCommittedBatch: 398,
      lastGoodBatch: 398,
      offsetFiles: 400,
      commitFiles: 399,
      problems: [],
      listingComplete: true,
    });
    expect((await listAll(s3, BUCKET, cp.prefix)).objects.length).toBe(2 + 400 + 399 + 1 + 400 + 40);
  });

  it('backs up every object (paging past 1000 keys), verifies each by SHA-256, and seals it with a manifest', async () => {
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
    expect(JSON.parse((await s3.getObjectText(BUCKET, `${backup.slice(`s3://${BUCKET}/`.length)}${BACKUP_MANIFEST}`))!)).toMatchObject({
      version: 2,
      objects: src.objects.length,
    });
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

  it('gives every backup a prefix of its own: the maker in its name, moved on while taken', async () => {
    // Prepare: the same maker's prefixes at T0 and T0 + 1 s hold objects.
    await s3.putObject(BUCKET, `${backupUriFor(cp.uri, T0, 'op-1').slice(`s3://${BUCKET}/`.length)}metadata`, '{}');
    await s3.putObject(BUCKET, `${backupUriFor(cp.uri, T0 + 1_000, 'op-1').slice(`s3://${BUCKET}/`.length)}metadata`, '{}');
    // Act & Assess
    expect(await freshBackupUri(s3, cp.uri, T0, 'op-1')).toBe(backupUriFor(cp.uri, T0 + 2_000, 'op-1'));
    expect(await freshBackupUri(s3, cp.uri, T0, 'op-2')).toBe(backupUriFor(cp.uri, T0, 'op-2'));
    expect(backupUriFor(cp.uri, T0, 'op-2')).not.toBe(backupUriFor(cp.uri, T0, 'op-1'));
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
    expect(r).toMatchObject({
      offsetsRemoved: [29],
      commitsRemoved: [],
      stateFilesRemoved: 4,
      resumeBatch: 29,
      latestPlannedAfter: 28,
      latestCommittedAfter: 28,
    });
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

describe('Backups verified by content, not size (s3rver keeps no additional checksums: the bytes are hashed)', () => {
  it('refuses a rollback whose files have the size but not the bytes of a sealed backup from before a reset', async () => {
    // Prepare: a sealed backup of checkpoint A; then the checkpoint is reset and the job writes
    // checkpoint B at the same keys: its offsets files have other timestamps of the same length.
    const a = await layout(30, 2);
    const old = backupUriFor(a.uri, T0);
    await backupCheckpoint(s3, a.uri, old, 'test', T0);
    await s3.deleteObjects(
      BUCKET,
      (await listAll(s3, BUCKET, a.prefix)).objects.map((o) => o.key),
    );
    await layout(30, 2, { prefix: a.prefix, startMs: T0 + 3_600_000 });
    const before = await listAll(s3, BUCKET, a.prefix);
    // Act
    const refused = await rollbackCheckpoint(s3, a.uri, old, { batchId: 27, rerun: false }).catch((e: unknown) => e);
    // Assess: offsets/28 and offsets/29 differ byte-wise (same size); nothing at all was deleted.
    expect(refused).toBeInstanceOf(BackupDoesNotCoverError);
    expect((refused as BackupDoesNotCoverError).keys).toEqual([`${a.prefix}offsets/28`, `${a.prefix}offsets/29`]);
    expect((await listAll(s3, BUCKET, a.prefix)).objects.map((o) => o.key)).toEqual(before.objects.map((o) => o.key));
  });

  it('deletes only bytes the backup holds: the same rollback against a backup of checkpoint B goes through', async () => {
    const b = await layout(30, 2, { startMs: T0 + 3_600_000 });
    const backup = backupUriFor(b.uri, T0 + 3_600_000, 'op-b');
    await backupCheckpoint(s3, b.uri, backup, 'op-b', T0 + 3_600_000);
    const r = await rollbackCheckpoint(s3, b.uri, backup, { batchId: 27, rerun: false });
    expect(r).toMatchObject({ offsetsRemoved: [28, 29], commitsRemoved: [28], stateFilesRemoved: 6, deleted: 9 });
  });

  it("records every object's SHA-256 in the manifest, and the manifest is written once", async () => {
    const c = await layout(5, 0);
    const backup = backupUriFor(c.uri, T0, 'op-c');
    const sealed = await backupCheckpoint(s3, c.uri, backup, 'op-c', T0);
    const body = await s3.getObjectText(BUCKET, `${c.prefix}offsets/4`);
    const entry = sealed.manifest.entries!.find((e) => e.key === 'offsets/4')!;
    expect(entry.sha256).toBe(createHash('sha256').update(body!).digest('base64'));
    expect(sealed.manifest).toMatchObject({ version: 2, objects: 2 + 5 + 4, by: 'op-c' });
    // A later backup by someone else into the same prefix is refused, not merged in.
    await expect(backupCheckpoint(s3, c.uri, backup, 'op-other', T0 + 1_000)).rejects.toThrow(/already sealed by op-c/);
    await expect(sealBackup(s3, c.uri, backup, 'op-other', T0 + 1_000, [])).rejects.toThrow(/already sealed by op-c/);
  });

  it('refuses a deletion once a copy in the sealed backup was overwritten', async () => {
    const d = await layout(10, 0);
    const backup = backupUriFor(d.uri, T0, 'op-d');
    await backupCheckpoint(s3, d.uri, backup, 'op-d', T0);
    // The copy of offsets/9 rewritten with other bytes of the same size.
    const copyKey = `${backup.slice(`s3://${BUCKET}/`.length)}offsets/9`;
    const original = (await s3.getObjectText(BUCKET, copyKey))!;
    await s3.putObject(
      BUCKET,
      copyKey,
      original.replace(/\d(?=\D*$)/, (x) => String((Number(x) + 1) % 10)),
    );
    expect((await s3.headObject(BUCKET, copyKey))!.size).toBe(original.length);
    const refused = await rollbackCheckpoint(s3, d.uri, backup, { batchId: 8, rerun: false }).catch((e: unknown) => e);
    expect((refused as Error).message).toContain('changed since the backup was sealed');
  });
});
