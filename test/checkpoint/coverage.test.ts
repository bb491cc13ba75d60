import { describe, expect, it } from 'vitest';
import { BACKUP_MANIFEST, backupUriFor, BackupDoesNotCoverError } from '../../lambdas/analysis/checkpoint';
import { backupCheckpoint, rollbackCheckpoint } from '../../lambdas/checkpoint';
import { sparkCheckpoint } from '../helpers/checkpoint-layout';
import { MemoryS3 } from '../helpers/memory-s3';

/**
 * The deletion after a coverage check is conditional on the ETag each object had when it was
 * hashed; and a manifest of the first format (sizes only) covers nothing.
 */
const BUCKET = 'lake';
const PREFIX = '_checkpoints/orders/';
const CP = `s3://${BUCKET}/${PREFIX}`;
const T0 = Date.parse('2026-11-22T10:00:00Z');

function world(): MemoryS3 {
  const s3 = new MemoryS3({ now: () => T0 });
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 10, retain: 10, startMs: T0 - 600_000, lastCommitted: false }))
    s3.seed(BUCKET, o.key, o.body, o.atMs);
  return s3;
}

describe('Coverage of a deletion by a sealed backup', () => {
  it('keeps an object rewritten between its hash and its deletion: S3 refuses the conditional delete', async () => {
    const s3 = world();
    const backup = backupUriFor(CP, T0, 'op');
    await backupCheckpoint(s3, CP, backup, 'op', T0);
    // The job (which should be stopped) writes offsets/9 again right after streamfix hashed it.
    const digest = s3.digestObject.bind(s3);
    s3.digestObject = async (bucket, key) => {
      const d = await digest(bucket, key);
      if (key === `${PREFIX}offsets/9`) s3.seed(BUCKET, key, 'v1\n{"rewritten":true}', T0 + 1);
      return d;
    };
    const e = await rollbackCheckpoint(s3, CP, backup, { batchId: 8, rerun: false }).catch((x: unknown) => x);
    expect((e as Error).message).toContain(`${PREFIX}offsets/9 (PreconditionFailed)`);
    expect(await s3.getObjectText(BUCKET, `${PREFIX}offsets/9`)).toBe('v1\n{"rewritten":true}');
  });

  it('relies on no manifest of the first format (count and sizes only) for a deletion', async () => {
    const s3 = world();
    const backup = backupUriFor(CP, T0, 'op');
    await backupCheckpoint(s3, CP, backup, 'op', T0);
    const key = `${backup.slice(`s3://${BUCKET}/`.length)}${BACKUP_MANIFEST}`;
    const v2 = JSON.parse((await s3.getObjectText(BUCKET, key))!) as Record<string, unknown>;
    const { entries: _e, version: _v, ...v1 } = v2;
    s3.seed(BUCKET, key, JSON.stringify(v1), T0);
    const e = await rollbackCheckpoint(s3, CP, backup, { batchId: 8, rerun: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackupDoesNotCoverError);
    expect(e).toMatchObject({ keys: 'sizes-only' });
    expect(await s3.getObjectText(BUCKET, `${PREFIX}offsets/9`)).toBeDefined();
  });
});
