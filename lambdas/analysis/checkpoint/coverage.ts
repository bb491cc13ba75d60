import type { S3ObjectView } from '../../core/object-store';
import { parseS3Uri } from '../../core/object-store';
import { byRelativeKey } from './compare';
import { listAll, mapLimit, type S3DigestReader, type S3Reader } from './listing';
import { readBackupManifest, type ManifestEntry } from './manifest';

/**
 * Before anything under a checkpoint is deleted or overwritten: are its exact bytes in a sealed,
 * verified backup? For each object, the backup's manifest (version 2) must list the same key
 * with the same SHA-256 as the object's bytes as read now, and the backup's copy must still be
 * the one sealed (same ETag and size as in the manifest). Sizes alone prove nothing: Spark's
 * commit files of two different checkpoints have the same size.
 *
 * The deletion that follows is conditional on the ETag each object had when it was hashed
 * (DeleteObjects with the ETag element), so an object rewritten between the check and the
 * deletion is refused by S3 instead of deleted.
 */

export interface CoveredTarget {
  key: string;
  etag: string;
}

export type Coverage =
  | { kind: 'covered'; targets: CoveredTarget[]; bytes: number }
  /** No manifest for this checkpoint at the backup prefix: never verified. */
  | { kind: 'no-manifest' }
  /** A manifest of the first format: count and sizes only, no content hashes. */
  | { kind: 'sizes-only' }
  /** Objects whose bytes the backup does not hold, each with the reason. */
  | { kind: 'uncovered'; keys: string[]; reasons: string[] };

export async function checkCoverage(
  s3: Pick<S3Reader, 'listPrefix' | 'getObjectText'> & S3DigestReader,
  checkpointUri: string,
  backupUri: string,
  objects: readonly S3ObjectView[],
  opts: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<Coverage> {
  const manifest = await readBackupManifest(s3, backupUri);
  if (!manifest || manifest.source !== checkpointUri) return { kind: 'no-manifest' };
  if (manifest.version !== 2) return { kind: 'sizes-only' };
  const entries = new Map<string, ManifestEntry>(manifest.entries!.map((e) => [e.key, e]));
  const src = parseS3Uri(checkpointUri);
  const dst = parseS3Uri(backupUri);
  const copies = byRelativeKey((await listAll(s3, dst.bucket, dst.prefix)).objects, dst.prefix);
  const keys: string[] = [];
  const reasons: string[] = [];
  const uncovered = (key: string, why: string) => {
    keys.push(key);
    reasons.push(`${key}: ${why}`);
  };
  const targets: CoveredTarget[] = [];
  let bytes = 0;
  await mapLimit(
    objects,
    opts.concurrency ?? 16,
    async (o) => {
      const rel = o.key.slice(src.prefix.length);
      const e = entries.get(rel);
      if (!e) return uncovered(o.key, 'not in the backup');
      const copy = copies.get(rel);
      if (!copy || copy.size !== e.size || (copy.etag !== undefined && copy.etag !== e.etag))
        return uncovered(o.key, 'its copy in the backup changed since the backup was sealed');
      const now = await s3.digestObject(src.bucket, o.key);
      if (!now) return undefined; // already gone: nothing to delete
      if (now.sha256 !== e.sha256 || now.size !== e.size)
        return uncovered(o.key, `other bytes than the backup holds (SHA-256 ${now.sha256}, backup ${e.sha256})`);
      if (now.etag === undefined) return uncovered(o.key, 'no ETag to make its deletion conditional on');
      targets.push({ key: o.key, etag: now.etag });
      bytes += now.size;
      return undefined;
    },
    opts.signal,
  );
  if (keys.length > 0) return { kind: 'uncovered', keys: keys.sort(), reasons: reasons.sort() };
  return { kind: 'covered', targets: targets.sort((a, b) => (a.key < b.key ? -1 : 1)), bytes };
}
