import type { S3ObjectView } from '../../adapters/s3';
import { parseS3Uri } from '../../adapters/s3';
import { listAll, mapLimit, type S3Store } from './listing';

/**
 * Checkpoint backups: a copy of every object under the checkpoint prefix to the sibling
 * prefix `<prefix>_backup_<UTC timestamp>/` in the same bucket, verified by object count,
 * bytes and per-object size, then sealed with a manifest. A backup without a manifest was
 * never verified and is never relied on.
 */

export const BACKUP_MANIFEST = '_streamfix_backup.json';
/** CopyObject copies at most 5 GiB in one request. */
export const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;

export interface BackupManifest {
  source: string;
  backup: string;
  objects: number;
  bytes: number;
  createdAtMs: number;
  /** Who made it: an incident or an operation id. */
  by: string;
}

/** `20261122T100000Z` */
export const compactUtc = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

/** `s3://b/_checkpoints/orders/` at t → `s3://b/_checkpoints/orders_backup_20261122T100000Z/`. */
export function backupUriFor(checkpointUri: string, atMs: number): string {
  return `${checkpointUri.replace(/\/+$/, '')}_backup_${compactUtc(atMs)}/`;
}

/**
 * The backup prefix for a new backup made at `atMs`: `backupUriFor`, moved on a second at a time
 * while that prefix already holds objects (two backups within one second must not share one).
 */
export async function freshBackupUri(s3: S3Store, checkpointUri: string, atMs: number, tries = 60): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const uri = backupUriFor(checkpointUri, atMs + i * 1000);
    const { bucket, prefix } = parseS3Uri(uri);
    const taken = await s3.listPrefix(bucket, prefix, { maxKeys: 1 }).next();
    if (taken.done) return uri;
  }
  throw new Error(`every backup prefix of ${checkpointUri} for the ${tries} s from ${new Date(atMs).toISOString()} is taken`);
}

/** True when `backupUri` is a backup of `checkpointUri` (same bucket, sibling `<prefix>_backup_<ts>/`). */
export function isBackupOf(backupUri: string, checkpointUri: string): boolean {
  const base = checkpointUri.replace(/\/+$/, '');
  if (!backupUri.startsWith(`${base}_backup_`)) return false;
  return /^\d{8}T\d{6}Z\/$/.test(backupUri.slice(base.length + '_backup_'.length));
}

export interface CopyProgress {
  objects: number;
  bytes: number;
  lastKey?: string;
}

export interface CopyOptions {
  /** Continue after this source key (a resumed copy). */
  startAfter?: string;
  concurrency?: number;
  maxObjects?: number;
  maxBytes?: number;
  signal?: AbortSignal;
  /** Asked between pages: true = stop now and report where (a Lambda near its timeout). */
  shouldStop?(): boolean;
  /** After every page of up to 1000 objects. */
  onPage?(p: CopyProgress): Promise<void>;
  /** Keys (relative to the source prefix) not to copy. */
  skip?(relativeKey: string): boolean;
}

/**
 * Copies every object under `from` to the same relative key under `to`, a page at a time.
 * Copying again is harmless (same keys, same bytes), which makes a resumed copy idempotent.
 */
export async function copyPrefix(s3: S3Store, from: string, to: string, opts: CopyOptions = {}): Promise<CopyProgress & { complete: boolean }> {
  const src = parseS3Uri(from);
  const dst = parseS3Uri(to);
  const total: CopyProgress = { objects: 0, bytes: 0, ...(opts.startAfter ? { lastKey: opts.startAfter } : {}) };
  let page: S3ObjectView[] = [];
  const flush = async () => {
    await mapLimit(page, opts.concurrency ?? 16, (o) => s3.copyObject(src.bucket, o.key, dst.bucket, `${dst.prefix}${o.key.slice(src.prefix.length)}`), opts.signal);
    total.objects += page.length;
    total.bytes += page.reduce((n, o) => n + o.size, 0);
    total.lastKey = page[page.length - 1]?.key ?? total.lastKey;
    page = [];
    await opts.onPage?.({ ...total });
  };
  for await (const o of s3.listPrefix(src.bucket, src.prefix, opts.startAfter ? { startAfter: opts.startAfter } : {})) {
    if (opts.skip?.(o.key.slice(src.prefix.length))) continue;
    if (o.size > MAX_COPY_OBJECT_BYTES) throw new Error(`${o.key} is ${o.size} bytes, over the 5 GiB a single CopyObject can copy`);
    if (opts.maxObjects !== undefined && total.objects + page.length + 1 > opts.maxObjects) throw new Error(`more than ${opts.maxObjects} objects under ${from}: over the backup bound`);
    if (opts.maxBytes !== undefined && total.bytes + page.reduce((n, x) => n + x.size, 0) + o.size > opts.maxBytes) throw new Error(`more than ${opts.maxBytes} bytes under ${from}: over the backup bound`);
    page.push(o);
    if (page.length === 1000) {
      await flush();
      if (opts.shouldStop?.()) return { ...total, complete: false };
    }
  }
  if (page.length > 0) await flush();
  return { ...total, complete: true };
}

export interface CopyCheck {
  ok: boolean;
  sourceObjects: number;
  sourceBytes: number;
  copyObjects: number;
  copyBytes: number;
  /** Source keys (relative) absent from the copy. */
  missing: string[];
  /** Source keys (relative) whose copy has another size. */
  sizeMismatch: string[];
  /** Keys (relative) only in the copy. */
  extra: string[];
}

const byRelativeKey = (objects: S3ObjectView[], prefix: string, skip?: (k: string) => boolean) => {
  const m = new Map<string, number>();
  for (const o of objects) {
    const rel = o.key.slice(prefix.length);
    if (!skip?.(rel)) m.set(rel, o.size);
  }
  return m;
};

/** Compares two prefixes object by object (relative key and size) and in total. */
export async function compareCopy(s3: S3Store, from: string, to: string, skip: (rel: string) => boolean = (k) => k === BACKUP_MANIFEST): Promise<CopyCheck> {
  const src = parseS3Uri(from);
  const dst = parseS3Uri(to);
  const [a, b] = await Promise.all([listAll(s3, src.bucket, src.prefix), listAll(s3, dst.bucket, dst.prefix)]);
  const sm = byRelativeKey(a.objects, src.prefix, skip);
  const dm = byRelativeKey(b.objects, dst.prefix, skip);
  const missing: string[] = [];
  const sizeMismatch: string[] = [];
  for (const [k, size] of sm) {
    const d = dm.get(k);
    if (d === undefined) missing.push(k);
    else if (d !== size) sizeMismatch.push(k);
  }
  const extra = [...dm.keys()].filter((k) => !sm.has(k));
  const sum = (m: Map<string, number>) => [...m.values()].reduce((n, x) => n + x, 0);
  return {
    ok: missing.length === 0 && sizeMismatch.length === 0 && extra.length === 0,
    sourceObjects: sm.size, sourceBytes: sum(sm), copyObjects: dm.size, copyBytes: sum(dm), missing, sizeMismatch, extra,
  };
}

export async function readBackupManifest(s3: S3Store, backupUri: string): Promise<BackupManifest | undefined> {
  const { bucket, prefix } = parseS3Uri(backupUri);
  const text = await s3.getObjectText(bucket, `${prefix}${BACKUP_MANIFEST}`);
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as BackupManifest;
    return typeof m.objects === 'number' && typeof m.bytes === 'number' && m.backup === backupUri ? m : undefined;
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

/**
 * Finishes a backup whose objects are copied: compares it with the checkpoint (count, bytes,
 * each object's size) and writes the manifest. Throws, naming what differs, when they differ.
 */
export async function sealBackup(s3: S3Store, checkpointUri: string, backupUri: string, by: string, nowMs: number): Promise<BackupResult> {
  const check = await compareCopy(s3, checkpointUri, backupUri);
  if (!check.ok) {
    const what = [
      check.missing.length ? `${check.missing.length} missing (${check.missing.slice(0, 5).join(', ')})` : '',
      check.sizeMismatch.length ? `${check.sizeMismatch.length} with another size (${check.sizeMismatch.slice(0, 5).join(', ')})` : '',
      check.extra.length ? `${check.extra.length} not in the checkpoint (${check.extra.slice(0, 5).join(', ')})` : '',
    ].filter(Boolean).join('; ');
    throw new Error(`backup ${backupUri} does not match ${checkpointUri}: ${what} (checkpoint ${check.sourceObjects} objects / ${check.sourceBytes} bytes, backup ${check.copyObjects} / ${check.copyBytes})`);
  }
  const manifest: BackupManifest = { source: checkpointUri, backup: backupUri, objects: check.sourceObjects, bytes: check.sourceBytes, createdAtMs: nowMs, by };
  const { bucket, prefix } = parseS3Uri(backupUri);
  await s3.putObject(bucket, `${prefix}${BACKUP_MANIFEST}`, JSON.stringify(manifest, null, 2), 'application/json');
  return { backup: backupUri, objects: check.sourceObjects, bytes: check.sourceBytes, verified: true, manifest };
}

/** Copy + seal in one go (the playbook's backup action; the operation pages with progress instead). */
export async function backupCheckpoint(s3: S3Store, checkpointUri: string, backupUri: string, by: string, nowMs: number, opts: CopyOptions = {}): Promise<BackupResult> {
  const copy = await copyPrefix(s3, checkpointUri, backupUri, opts);
  if (!copy.complete) throw new Error(`backup of ${checkpointUri} stopped after ${copy.objects} objects`);
  return sealBackup(s3, checkpointUri, backupUri, by, nowMs);
}

/**
 * Before deleting `keys` (full keys under the checkpoint): each must be in the sealed backup
 * with the same size. Returns the keys the backup does not cover (empty = safe to delete).
 */
export async function uncoveredByBackup(s3: S3Store, checkpointUri: string, backupUri: string, objects: readonly S3ObjectView[]): Promise<string[] | 'no-manifest'> {
  const manifest = await readBackupManifest(s3, backupUri);
  if (!manifest || manifest.source !== checkpointUri) return 'no-manifest';
  const src = parseS3Uri(checkpointUri);
  const dst = parseS3Uri(backupUri);
  const copy = byRelativeKey((await listAll(s3, dst.bucket, dst.prefix)).objects, dst.prefix);
  return objects.filter((o) => copy.get(o.key.slice(src.prefix.length)) !== o.size).map((o) => o.key);
}
