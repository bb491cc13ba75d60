import { byRelativeKey, type CopyCheck } from '../analysis/checkpoint/compare';
import { checkCoverage } from '../analysis/checkpoint/coverage';
import { listAll } from '../analysis/checkpoint/listing';
import { BACKUP_MANIFEST, readBackupManifest, type BackupManifest } from '../analysis/checkpoint/manifest';
import { BackupDoesNotCoverError } from '../analysis/checkpoint/rollback-plan';
import { parseS3Uri, type S3ObjectView } from '../core/object-store';
import { compareListings, copyPrefix } from './copy';
import type { S3Store } from './store';

/**
 * Puts a sealed backup back in place of the checkpoint in one go (the manual operation restores
 * in bounded, resumable slices instead: operations/checkpoint-ops/restore.ts). The checkpoint as it is now must itself
 * be held byte for byte by a sealed backup (`safetyBackupUri`) before anything is overwritten or
 * deleted: a restore can be undone by restoring that one. Each restored object is verified by
 * content against its source in the backup, and, for a backup sealed with content hashes,
 * against the hash its manifest lists.
 */
export async function restoreCheckpoint(
  s3: S3Store,
  checkpointUri: string,
  fromBackupUri: string,
  safetyBackupUri: string | undefined,
  opts: { signal?: AbortSignal } = {},
): Promise<{ copied: number; copiedBytes: number; deleted: number; check: CopyCheck; verifiedByContent: boolean }> {
  const manifest = await readBackupManifest(s3, fromBackupUri);
  if (!manifest || manifest.source !== checkpointUri) throw new BackupDoesNotCoverError({ kind: 'no-manifest' }, fromBackupUri);
  const b = parseS3Uri(fromBackupUri);
  const held = await requireIntact(s3, fromBackupUri, manifest);
  const sealed = new Map((manifest.entries ?? []).map((e) => [e.key, e]));
  const inBackup = new Set(held.map((o) => o.key.slice(b.prefix.length)));
  const { bucket, prefix } = parseS3Uri(checkpointUri);
  const current = await listAll(s3, bucket, prefix);
  let conditional = new Map<string, string>();
  if (current.objects.length > 0) {
    if (!safetyBackupUri) throw new Error(`${checkpointUri} is not empty and no backup of it was given: not restored`);
    const c = await checkCoverage(s3, checkpointUri, safetyBackupUri, current.objects, opts.signal ? { signal: opts.signal } : {});
    if (c.kind !== 'covered') throw new BackupDoesNotCoverError(c, safetyBackupUri);
    conditional = new Map(c.targets.map((t) => [t.key, t.etag]));
  }
  const mismatched: string[] = [];
  const copy = await copyPrefix(s3, fromBackupUri, checkpointUri, {
    skip: (k) => k === BACKUP_MANIFEST,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onPage: async (p) => {
      if (manifest.version !== 2) return;
      for (const e of p.entries) if (sealed.get(e.key)?.sha256 !== e.sha256) mismatched.push(e.key);
    },
  });
  if (mismatched.length > 0)
    throw new Error(
      `restored objects hold other bytes than ${fromBackupUri} sealed (${mismatched.slice(0, 5).join(', ')}): the checkpoint is not whole; restore again`,
    );
  // Objects the backup lacks go, each only while it is still the one hashed (one already gone is skipped).
  const extra = current.objects.filter((o) => !inBackup.has(o.key.slice(prefix.length)) && conditional.has(o.key));
  if (extra.length > 0)
    await s3.deleteObjects(
      bucket,
      extra.map((o) => ({ key: o.key, etag: conditional.get(o.key)! })),
    );
  const check = await compareListings(s3, fromBackupUri, checkpointUri, (k) => k === BACKUP_MANIFEST);
  if (!check.ok)
    throw new Error(
      `after the restore ${checkpointUri} still differs from ${fromBackupUri}: ${check.missing.length} missing, ${check.sizeMismatch.length} with another size, ${check.extra.length} extra`,
    );
  return { copied: copy.objects, copiedBytes: copy.bytes, deleted: extra.length, check, verifiedByContent: manifest.version === 2 };
}

/**
 * A backup's objects are still those it sealed: their count and bytes, and, for a backup sealed
 * by content (version 2), each object's size and ETag as listed in its manifest. Returns them.
 */
export async function requireIntact(s3: Pick<S3Store, 'listPrefix'>, backupUri: string, manifest: BackupManifest): Promise<S3ObjectView[]> {
  const b = parseS3Uri(backupUri);
  const held = (await listAll(s3, b.bucket, b.prefix)).objects.filter((o) => o.key.slice(b.prefix.length) !== BACKUP_MANIFEST);
  const heldBytes = held.reduce((n, o) => n + o.size, 0);
  if (held.length !== manifest.objects || heldBytes !== manifest.bytes) {
    throw new Error(`${backupUri} holds ${held.length} objects / ${heldBytes} bytes, its manifest says ${manifest.objects} / ${manifest.bytes}: not restored`);
  }
  if (manifest.version !== 2) return held;
  const sealed = new Map((manifest.entries ?? []).map((e) => [e.key, e]));
  const changed = [...byRelativeKey(held, b.prefix)].filter(([rel, o]) => {
    const e = sealed.get(rel);
    return !e || e.size !== o.size || (o.etag !== undefined && o.etag !== e.etag);
  });
  if (changed.length > 0)
    throw new Error(
      `${backupUri} changed since it was sealed (${changed
        .slice(0, 5)
        .map(([k]) => k)
        .join(', ')}): not restored`,
    );
  return held;
}
