import { createHash } from 'node:crypto';
import { BACKUP_MANIFEST, type BackupManifest } from '../lambdas/analysis/checkpoint/manifest';
import type { StreamfixConfig } from '../lambdas/config';
import { emrJobOf } from './jobs';
import type { TimelineEntry, WorldSpec } from './scenario/schema';
import type { SimWorld } from './sim/world';
import { s3LocationOf } from '../lambdas/util/s3-uri';

/**
 * The drills' checkpoint side: seeds the checkpoint storage a scenario describes (bucket
 * keys, the failure metric the jobs publish) and carries out `corrupt-checkpoint`.
 */

export function seedCheckpointing(world: SimWorld, w: WorldSpec): void {
  for (const e of w.checkpointing.bucketEncryption) {
    world.s3.createBucket(e.bucket);
    world.checkpointGuard.bucketKeys.set(e.bucket, e.kmsKeyArn);
    if (!world.kms.exists(e.kmsKeyArn)) world.kms.addKey(e.kmsKeyArn, true);
  }
  if (w.checkpointing.failureMetric) world.checkpointGuard.failureMetric = w.checkpointing.failureMetric;
}

/**
 * A backup streamfix made earlier (`sealedBackups`): every object of the checkpoint as seeded
 * copied to `<checkpoint>_backup_<name>/`, each with its SHA-256 stored (as CopyObject with
 * `ChecksumAlgorithm: SHA256` stores it), then sealed with a version 2 manifest listing each
 * object's key, size, SHA-256 and the copy's ETag (docs/operations/checkpoint-ops.md).
 */
export function seedSealedBackup(world: SimWorld, checkpointUri: string, name: string): void {
  const { bucket, prefix } = s3LocationOf(checkpointUri);
  const backupUri = `${checkpointUri.replace(/\/+$/, '')}_backup_${name}/`;
  const backupPrefix = backupUri.slice(`s3://${bucket}/`.length);
  const entries: NonNullable<BackupManifest['entries']> = [];
  for (const key of world.s3.keys(bucket, prefix)) {
    const o = world.s3.object(bucket, key)!;
    const rel = key.slice(prefix.length);
    const sha256 = createHash('sha256').update(o.body).digest('base64');
    const copy = world.s3.put(bucket, `${backupPrefix}${rel}`, Buffer.from(o.body), { contentType: o.contentType, metadata: o.metadata, sha256 });
    entries.push({ key: rel, size: o.body.length, sha256, etag: copy.etag });
  }
  const manifest: BackupManifest = {
    version: 2,
    source: checkpointUri,
    backup: backupUri,
    objects: entries.length,
    bytes: entries.reduce((n, e) => n + e.size, 0),
    createdAtMs: world.clock.now(),
    by: 'drill',
    entries,
  };
  world.s3.put(bucket, `${backupPrefix}${BACKUP_MANIFEST}`, JSON.stringify(manifest), { contentType: 'application/json' });
}

export const isCheckpointFault = (e: TimelineEntry): boolean => e['corrupt-checkpoint'] !== undefined;

const damage = (body: string, how: 'empty' | 'truncate' | 'version'): string => {
  if (how === 'empty') return '';
  if (how === 'version') return body.replace(/^v\d+/, 'v9');
  return body.slice(0, Math.max(3, Math.floor(body.length * 0.6)));
};

export function applyCheckpointFault(world: SimWorld, config: StreamfixConfig, e: TimelineEntry, note: string, fault: (text: string) => void): void {
  const f = e['corrupt-checkpoint'];
  if (!f) return;
  const job = emrJobOf(config, f.pipeline, 'corrupt-checkpoint');
  const { bucket, prefix } = s3LocationOf(job.checkpoint);
  const dir = `${prefix}${f.file}/`;
  const ids = world.s3
    .keys(bucket, dir)
    .map((k) => k.slice(dir.length))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
  const hit = ids.slice(-f.batches);
  for (const id of hit) {
    const o = world.s3.object(bucket, `${dir}${id}`)!;
    world.s3.put(bucket, `${dir}${id}`, damage(o.body.toString('utf8'), f.how), { atMs: o.lastModified.getTime() });
  }
  fault(`corrupt-checkpoint ${f.pipeline}: ${f.file}/${hit.join(',')} ${f.how}${note}`);
  if (!f.failRun) return;
  const run = world.emr.activeRuns(job.applicationId, job.jobName).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  const problem = world.checkpointGuard.unreadable(job.checkpoint);
  if (run && problem) world.checkpointGuard.fail(run, problem);
}
