import { createHash } from 'node:crypto';
import { parseS3Uri } from '../../core/object-store';
import { ConflictError } from '../../core/errors';
import { compareListings, copyPrefix, type CopiedEntry, type CopyCheck, type CopyOptions } from './copy';
import { listAll, type S3Store } from './listing';

export { compareListings, copyPrefix, copyVerified, CopyMismatchError, MAX_COPY_OBJECT_BYTES, type CopiedEntry, type CopyCheck, type CopyOptions, type CopyProgress, type PageDone } from './copy';

/**
 * Checkpoint backups: a copy of every object under the checkpoint prefix to a sibling prefix of
 * its own, `<prefix>_backup_<UTC timestamp>-<tag>/`, each object verified by content (SHA-256 of
 * the source and of the copy), then sealed with a manifest listing every object's key, size,
 * SHA-256 and the copy's ETag. The manifest is written with `If-None-Match: *`: a second writer
 * fails instead of replacing it. A backup without a manifest was never verified and is never
 * relied on; a manifest of the first format (version 1: count and sizes only) is never relied on
 * for a deletion.
 */

export const BACKUP_MANIFEST = '_streamfix_backup.json';

export interface ManifestEntry {
  /** Key relative to the checkpoint (and to the backup). */
  key: string;
  size: number;
  /** SHA-256 of the bytes, base64. */
  sha256: string;
  /** ETag of the copy when the backup was sealed: a copy with another ETag was changed since. */
  etag: string;
}

export interface BackupManifest {
  /** 2: every object's SHA-256 is listed in `entries`; 1: count and bytes only (older streamfix). */
  version: 1 | 2;
  source: string;
  backup: string;
  objects: number;
  bytes: number;
  createdAtMs: number;
  /** Who made it: an incident or an operation id. */
  by: string;
  entries?: ManifestEntry[];
}

/** `20261122T100000Z` */
export const compactUtc = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

/** A short tag naming the maker (an incident or operation id): two makers never share a prefix. */
export const backupTag = (by: string): string => createHash('sha256').update(by).digest('hex').slice(0, 8);

/**
 * `s3://b/_checkpoints/orders/` at t by X → `s3://b/_checkpoints/orders_backup_20261122T100000Z-<tag of X>/`
 * (without `by`: the older form with the timestamp only, which is still read).
 */
export function backupUriFor(checkpointUri: string, atMs: number, by?: string): string {
  return `${checkpointUri.replace(/\/+$/, '')}_backup_${compactUtc(atMs)}${by !== undefined ? `-${backupTag(by)}` : ''}/`;
}

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

const BACKUP_SUFFIX = /^\d{8}T\d{6}Z(?:-[0-9a-z]{4,16})?\/$/;

/** True when `backupUri` is a backup of `checkpointUri` (same bucket, sibling `<prefix>_backup_<ts>[-<tag>]/`). */
export function isBackupOf(backupUri: string, checkpointUri: string): boolean {
  const base = checkpointUri.replace(/\/+$/, '');
  if (!backupUri.startsWith(`${base}_backup_`)) return false;
  return BACKUP_SUFFIX.test(backupUri.slice(base.length + '_backup_'.length));
}

const isEntry = (e: unknown): e is ManifestEntry => {
  const x = e as ManifestEntry;
  return typeof x === 'object' && x !== null && typeof x.key === 'string' && typeof x.size === 'number' && typeof x.sha256 === 'string' && typeof x.etag === 'string';
};

export async function readBackupManifest(s3: Pick<S3Store, 'getObjectText'>, backupUri: string): Promise<BackupManifest | undefined> {
  const { bucket, prefix } = parseS3Uri(backupUri);
  const text = await s3.getObjectText(bucket, `${prefix}${BACKUP_MANIFEST}`);
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Partial<BackupManifest>;
    if (typeof m.objects !== 'number' || typeof m.bytes !== 'number' || m.backup !== backupUri || typeof m.source !== 'string') return undefined;
    const version = m.version === 2 ? 2 : 1;
    if (version === 2 && (!Array.isArray(m.entries) || !m.entries.every(isEntry) || m.entries.length !== m.objects)) return undefined;
    return { ...(m as BackupManifest), version };
  } catch {
    return undefined;
  }
}

export interface BackupResult {
  backup: string;
  objects: number;
  bytes: number;
  verified: true;
  manifest: BackupManifest;
}

const isManifestKey = (rel: string) => rel === BACKUP_MANIFEST;

/** Compares a checkpoint with a copy of it by listing (key and size), the manifest left out. */
export const compareCopy = (s3: S3Store, from: string, to: string, skip: (rel: string) => boolean = isManifestKey): Promise<CopyCheck> => compareListings(s3, from, to, skip);

/**
 * Finishes a backup whose objects are copied and verified (`entries`, one per object): the
 * listings of checkpoint and backup must match key for key and size for size, each entry must
 * be for an object still as it was hashed (its ETag) and a copy still as it was made (its ETag);
 * then the manifest is written once (`If-None-Match: *`). The same maker sealing again (a retry)
 * gets the manifest it wrote; anything else already sealed there is an error, never replaced.
 */
export async function sealBackup(s3: S3Store, checkpointUri: string, backupUri: string, by: string, nowMs: number, entries: readonly CopiedEntry[]): Promise<BackupResult> {
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
    ].filter(Boolean).join('; ');
    throw new Error(`backup ${backupUri} does not match ${checkpointUri}: ${what} (checkpoint ${check.sourceObjects} objects / ${check.sourceBytes} bytes, backup ${check.copyObjects} / ${check.copyBytes})`);
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
    throw new Error(`backup ${backupUri}: ${changed.length} object(s) changed after they were copied and hashed (${changed.slice(0, 5).join(', ')}): not sealed; is the job stopped?`);
  }
  const manifest: BackupManifest = {
    version: 2, source: checkpointUri, backup: backupUri, objects: check.sourceObjects, bytes: check.sourceBytes, createdAtMs: nowMs, by,
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
export async function backupCheckpoint(s3: S3Store, checkpointUri: string, backupUri: string, by: string, nowMs: number, opts: CopyOptions = {}): Promise<BackupResult> {
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
