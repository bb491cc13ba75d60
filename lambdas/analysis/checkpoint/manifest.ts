import { createHash } from 'node:crypto';
import { parseS3Uri } from '../../core/object-store';
import type { S3Reader } from './listing';

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
export const compactUtc = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

/** A short tag naming the maker (an incident or operation id): two makers never share a prefix. */
export const backupTag = (by: string): string => createHash('sha256').update(by).digest('hex').slice(0, 8);

/**
 * `s3://b/_checkpoints/orders/` at t by X → `s3://b/_checkpoints/orders_backup_20261122T100000Z-<tag of X>/`
 * (without `by`: the older form with the timestamp only, which is still read).
 */
export function backupUriFor(checkpointUri: string, atMs: number, by?: string): string {
  return `${checkpointUri.replace(/\/+$/, '')}_backup_${compactUtc(atMs)}${by !== undefined ? `-${backupTag(by)}` : ''}/`;
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
  return (
    typeof x === 'object' && x !== null && typeof x.key === 'string' && typeof x.size === 'number' && typeof x.sha256 === 'string' && typeof x.etag === 'string'
  );
};

export async function readBackupManifest(s3: Pick<S3Reader, 'getObjectText'>, backupUri: string): Promise<BackupManifest | undefined> {
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

/** The manifest itself, left out when a backup is compared with its checkpoint. */
export const isManifestKey = (rel: string): boolean => rel === BACKUP_MANIFEST;
