import { BACKUP_MANIFEST, backupUriFor, isManifestKey, readBackupManifest, type BackupManifest } from '../analysis/checkpoint/manifest';
import { listAll } from '../analysis/checkpoint/listing';
import type { CopyCheck } from '../analysis/checkpoint/compare';
import { ConflictError } from '../core/errors';
import { parseS3Uri } from '../core/object-store';
import { compareListings, copyPrefix, type CopiedEntry, type CopyOptions } from './copy';
import type { S3Store } from './store';

/**
 * Making checkpoint backups (S3 I/O: lists, copies, writes the manifest). The backup's naming
 * and manifest format are in analysis/checkpoint/manifest.ts.
 */

/**
 * The prefix for a new backup made at `atMs` by `by`: `backupUriFor`, moved on a second at a time
 * while that prefix already holds objects. A backup never shares its prefix with another one.
 */
export async function freshBackupUri(s3: Pick<S3Store, 'listPrefix'>, checkpointUri: string, atMs: number, by: string, tries = 60): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const uri = backupUriFor(checkpointUri, atMs + i * 1000, by);
    const { bucket, prefix } = parseS3Uri(uri);
    const taken = await s3.listPrefix(bucket, prefix, { maxKeys: 1 }).next();
    if (taken.done) return uri;
  }
  throw new Error(`every backup prefix of ${checkpointUri} for the ${tries} s from ${new Date(atMs).toISOString()} is taken`);
}

export interface BackupResult {
  backup: string;
  objects: number;
  bytes: number;
  verified: true;
  manifest: BackupManifest;
}

/** Compares a checkpoint with a copy of it by listing (key and size), the manifest left out. */
export const compareCopy = (s3: S3Store, from: string, to: string, skip: (rel: string) => boolean = isManifestKey): Promise<CopyCheck> =>
  compareListings(s3, from, to, skip);

/**
 * Finishes a backup whose objects are copied and verified (`entries`, one per object): the
 * listings of checkpoint and backup must match key for key and size for size, each entry must
 * be for an object still as it was hashed (its ETag) and a copy still as it was made (its ETag);
 * then the manifest is written once (`If-None-Match: *`). The same maker sealing again (a retry)
 * gets the manifest it wrote; anything else already sealed there is an error, never replaced.
 */
export async function sealBackup(
  s3: S3Store,
  checkpointUri: string,
  backupUri: string,
  by: string,
  nowMs: number,
  entries: readonly CopiedEntry[],
): Promise<BackupResult> {
  const dst = parseS3Uri(backupUri);
  // Read first (a store without conditional writes still refuses), then write only if absent:
  // of two writers racing past the read, S3 lets one win and answers the other 412 or 409.
  const already = async (): Promise<BackupResult> => {
    const existing = await readBackupManifest(s3, backupUri);
    if (existing?.version === 2 && existing.by === by && existing.source === checkpointUri) {
      return { backup: backupUri, objects: existing.objects, bytes: existing.bytes, verified: true, manifest: existing };
    }
    throw new Error(`${backupUri} is already sealed${existing ? ` by ${existing.by}` : ''}: a sealed backup is never replaced`);
  };
  if ((await s3.getObjectText(dst.bucket, `${dst.prefix}${BACKUP_MANIFEST}`)) !== undefined) return already();
  const check = await compareCopy(s3, checkpointUri, backupUri, isManifestKey);
  if (!check.ok) {
    const what = [
      check.missing.length ? `${check.missing.length} missing (${check.missing.slice(0, 5).join(', ')})` : '',
      check.sizeMismatch.length ? `${check.sizeMismatch.length} with another size (${check.sizeMismatch.slice(0, 5).join(', ')})` : '',
      check.extra.length ? `${check.extra.length} not in the checkpoint (${check.extra.slice(0, 5).join(', ')})` : '',
    ]
      .filter(Boolean)
      .join('; ');
    throw new Error(
      `backup ${backupUri} does not match ${checkpointUri}: ${what} (checkpoint ${check.sourceObjects} objects / ${check.sourceBytes} bytes, backup ${check.copyObjects} / ${check.copyBytes})`,
    );
  }
  const src = parseS3Uri(checkpointUri);
  const [sources, copies] = await Promise.all([listAll(s3, src.bucket, src.prefix), listAll(s3, dst.bucket, dst.prefix)]);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const changed: string[] = [];
  for (const o of sources.objects) {
    const rel = o.key.slice(src.prefix.length);
    const e = byKey.get(rel);
    if (!e) throw new Error(`backup ${backupUri}: ${rel} was copied without a content check: not sealed`);
    if (o.etag !== undefined && o.etag !== e.sourceEtag) changed.push(rel);
  }
  for (const o of copies.objects) {
    const rel = o.key.slice(dst.prefix.length);
    const e = byKey.get(rel);
    if (e && o.etag !== undefined && o.etag !== e.etag) changed.push(`${rel} (the copy)`);
  }
  if (changed.length > 0) {
    throw new Error(
      `backup ${backupUri}: ${changed.length} object(s) changed after they were copied and hashed (${changed.slice(0, 5).join(', ')}): not sealed; is the job stopped?`,
    );
  }
  const manifest: BackupManifest = {
    version: 2,
    source: checkpointUri,
    backup: backupUri,
    objects: check.sourceObjects,
    bytes: check.sourceBytes,
    createdAtMs: nowMs,
    by,
    entries: [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((e) => ({ key: e.key, size: e.size, sha256: e.sha256, etag: e.etag })),
  };
  try {
    await s3.putObject(dst.bucket, `${dst.prefix}${BACKUP_MANIFEST}`, JSON.stringify(manifest), 'application/json', { ifNoneMatch: true });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    return already();
  }
  return { backup: backupUri, objects: check.sourceObjects, bytes: check.sourceBytes, verified: true, manifest };
}

/** Copy + seal in one go (the playbook's backup action; the operation pages with progress instead). */
export async function backupCheckpoint(
  s3: S3Store,
  checkpointUri: string,
  backupUri: string,
  by: string,
  nowMs: number,
  opts: CopyOptions = {},
): Promise<BackupResult> {
  const sealed = await readBackupManifest(s3, backupUri);
  if (sealed) throw new Error(`${backupUri} is already sealed by ${sealed.by}: a sealed backup is never copied over`);
  const entries: CopiedEntry[] = [];
  const copy = await copyPrefix(s3, checkpointUri, backupUri, {
    ...opts,
    verify: true,
    onPage: async (p) => {
      entries.push(...p.entries);
      await opts.onPage?.(p);
    },
  });
  if (!copy.complete) throw new Error(`backup of ${checkpointUri} stopped after ${copy.objects} objects`);
  return sealBackup(s3, checkpointUri, backupUri, by, nowMs, entries);
}
