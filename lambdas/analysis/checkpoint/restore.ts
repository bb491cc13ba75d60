import { parseS3Uri } from '../../adapters/s3';
import { BACKUP_MANIFEST, compareCopy, copyPrefix, readBackupManifest, uncoveredByBackup, type CopyCheck } from './backup';
import { listAll, type S3Store } from './listing';
import { BackupDoesNotCoverError } from './rollback';

/**
 * Puts a sealed backup back in place of the checkpoint. The checkpoint as it is now must
 * itself be covered by a sealed backup (`safetyBackupUri`) before anything is overwritten or
 * deleted: a restore can be undone by restoring that one.
 */
export async function restoreCheckpoint(
  s3: S3Store,
  checkpointUri: string,
  fromBackupUri: string,
  safetyBackupUri: string | undefined,
  opts: { signal?: AbortSignal } = {},
): Promise<{ copied: number; copiedBytes: number; deleted: number; check: CopyCheck }> {
  const manifest = await readBackupManifest(s3, fromBackupUri);
  if (!manifest || manifest.source !== checkpointUri) throw new BackupDoesNotCoverError('no-manifest', fromBackupUri);
  const b = parseS3Uri(fromBackupUri);
  const held = (await listAll(s3, b.bucket, b.prefix)).objects.filter((o) => o.key.slice(b.prefix.length) !== BACKUP_MANIFEST);
  const heldBytes = held.reduce((n, o) => n + o.size, 0);
  if (held.length !== manifest.objects || heldBytes !== manifest.bytes) {
    throw new Error(`${fromBackupUri} holds ${held.length} objects / ${heldBytes} bytes, its manifest says ${manifest.objects} / ${manifest.bytes}: not restored`);
  }
  const inBackup = new Set(held.map((o) => o.key.slice(b.prefix.length)));
  const { bucket, prefix } = parseS3Uri(checkpointUri);
  const current = await listAll(s3, bucket, prefix);
  const overwrittenOrDeleted = current.objects;
  if (overwrittenOrDeleted.length > 0) {
    if (!safetyBackupUri) throw new Error(`${checkpointUri} is not empty and no backup of it was given: not restored`);
    const uncovered = await uncoveredByBackup(s3, checkpointUri, safetyBackupUri, overwrittenOrDeleted);
    if (uncovered === 'no-manifest' || uncovered.length > 0) throw new BackupDoesNotCoverError(uncovered, safetyBackupUri);
  }
  const copy = await copyPrefix(s3, fromBackupUri, checkpointUri, { skip: (k) => k === BACKUP_MANIFEST, ...(opts.signal ? { signal: opts.signal } : {}) });
  const extra = current.objects.filter((o) => !inBackup.has(o.key.slice(prefix.length)));
  if (extra.length > 0) await s3.deleteObjects(bucket, extra.map((o) => o.key));
  const check = await compareCopy(s3, fromBackupUri, checkpointUri);
  if (!check.ok) throw new Error(`after the restore ${checkpointUri} still differs from ${fromBackupUri}: ${check.missing.length} missing, ${check.sizeMismatch.length} with another size, ${check.extra.length} extra`);
  return { copied: copy.objects, copiedBytes: copy.bytes, deleted: extra.length, check };
}
