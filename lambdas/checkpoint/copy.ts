import { compareObjects, type CopyCheck } from '../analysis/checkpoint/compare';
import { listAll, mapLimit } from '../analysis/checkpoint/listing';
import { ConflictError } from '../core/errors';
import { parseS3Uri, type S3ObjectView } from '../core/object-store';
import type { S3Store } from './store';

/**
 * Copying a prefix object by object, each copy checked by content.
 *
 * Every CopyObject asks S3 for a SHA-256 of the copy (`ChecksumAlgorithm: SHA256`) and copies
 * only the source version listed (`CopySourceIfMatch`): the SHA-256 S3 returns is that of the
 * exact bytes the backup holds. A store that keeps no additional checksums (s3rver) returns
 * none: then the source and the copy are both read through SHA-256 (GetObject, which also
 * answers the ETag of the bytes read) and must be equal. A copy whose digest differs is an
 * error naming the key: the copy is never taken for a backup of bytes it does not hold.
 */

/** CopyObject copies at most 5 GiB in one request. */
export const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;

/** One copied object as verified: key relative to the prefixes, size, SHA-256 (base64), ETags. */
export interface CopiedEntry {
  key: string;
  size: number;
  sha256: string;
  /** ETag of the copy (what a later check compares to see that it did not change). */
  etag: string;
  /** ETag of the source bytes that were hashed. */
  sourceEtag: string;
}

export interface CopyProgress {
  objects: number;
  bytes: number;
  lastKey?: string;
}

export interface PageDone extends CopyProgress {
  /** This page's objects, each verified by content (only with `verify`). */
  entries: CopiedEntry[];
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
  onPage?(p: PageDone): Promise<void>;
  /** Keys (relative to the source prefix) not to copy. */
  skip?(relativeKey: string): boolean;
  /** Hash every source and copy and compare them (default true). */
  verify?: boolean;
}

export class CopyMismatchError extends Error {
  override readonly name = 'CopyMismatchError';
}

/**
 * Copies one object and establishes the SHA-256 of the bytes the copy holds, tied to the
 * source version copied. On S3 the copy is pinned to the listed version (CopySourceIfMatch)
 * and S3 returns the SHA-256 it computed while writing the copy: one request, nothing read
 * back. A store that returns no checksum has the source and the copy both read through
 * SHA-256 and compared.
 */
export async function copyVerified(
  s3: S3Store,
  src: { bucket: string; key: string; etag?: string; size: number },
  dst: { bucket: string; key: string },
  relKey: string,
): Promise<CopiedEntry> {
  let copy;
  try {
    copy = await s3.copyObject(src.bucket, src.key, dst.bucket, dst.key, {
      checksumSha256: true,
      ...(src.etag !== undefined ? { ifSourceEtag: src.etag } : {}),
    });
  } catch (e) {
    if (e instanceof ConflictError)
      throw new CopyMismatchError(`${src.key} changed after it was listed (its ETag is no longer ${src.etag}): not copied`, { cause: e });
    throw e;
  }
  if (copy.sha256 !== undefined && copy.etag !== undefined && src.etag !== undefined) {
    return { key: relKey, size: src.size, sha256: copy.sha256, etag: copy.etag, sourceEtag: src.etag };
  }
  const [source, copied] = await Promise.all([s3.digestObject(src.bucket, src.key), s3.digestObject(dst.bucket, dst.key)]);
  if (!source) throw new CopyMismatchError(`${src.key} disappeared while it was being copied`);
  if (!copied) throw new CopyMismatchError(`the copy ${dst.key} is missing right after CopyObject`);
  if (copied.sha256 !== source.sha256) {
    throw new CopyMismatchError(
      `the copy of ${src.key} holds other bytes than its source (SHA-256 ${copied.sha256} ≠ ${source.sha256}): the source changed during the copy, or the copy is damaged`,
    );
  }
  const etag = copied.etag ?? copy.etag;
  if (etag === undefined || source.etag === undefined)
    throw new CopyMismatchError(`no ETag for ${etag === undefined ? dst.key : src.key}: cannot tell later whether it changed`);
  return { key: relKey, size: source.size, sha256: source.sha256, etag, sourceEtag: source.etag };
}

/**
 * Copies every object under `from` to the same relative key under `to`, a page at a time.
 * Copying again is harmless (same keys, same bytes), which makes a resumed copy idempotent.
 */
export async function copyPrefix(s3: S3Store, from: string, to: string, opts: CopyOptions = {}): Promise<CopyProgress & { complete: boolean }> {
  const src = parseS3Uri(from);
  const dst = parseS3Uri(to);
  const verify = opts.verify !== false;
  const total: CopyProgress = { objects: 0, bytes: 0, ...(opts.startAfter ? { lastKey: opts.startAfter } : {}) };
  let page: S3ObjectView[] = [];
  const flush = async () => {
    const entries = await mapLimit(
      page,
      opts.concurrency ?? 16,
      async (o): Promise<CopiedEntry | undefined> => {
        const rel = o.key.slice(src.prefix.length);
        const target = { bucket: dst.bucket, key: `${dst.prefix}${rel}` };
        if (verify) return copyVerified(s3, { bucket: src.bucket, key: o.key, size: o.size, ...(o.etag !== undefined ? { etag: o.etag } : {}) }, target, rel);
        await s3.copyObject(src.bucket, o.key, target.bucket, target.key);
        return undefined;
      },
      opts.signal,
    );
    total.objects += page.length;
    total.bytes += page.reduce((n, o) => n + o.size, 0);
    total.lastKey = page[page.length - 1]?.key ?? total.lastKey;
    page = [];
    await opts.onPage?.({ ...total, entries: entries.filter((e): e is CopiedEntry => e !== undefined) });
  };
  for await (const o of s3.listPrefix(src.bucket, src.prefix, opts.startAfter ? { startAfter: opts.startAfter } : {})) {
    if (opts.skip?.(o.key.slice(src.prefix.length))) continue;
    if (o.size > MAX_COPY_OBJECT_BYTES) throw new Error(`${o.key} is ${o.size} bytes, over the 5 GiB a single CopyObject can copy`);
    if (opts.maxObjects !== undefined && total.objects + page.length + 1 > opts.maxObjects)
      throw new Error(`more than ${opts.maxObjects} objects under ${from}: over the backup bound`);
    if (opts.maxBytes !== undefined && total.bytes + page.reduce((n, x) => n + x.size, 0) + o.size > opts.maxBytes)
      throw new Error(`more than ${opts.maxBytes} bytes under ${from}: over the backup bound`);
    page.push(o);
    if (page.length === 1000) {
      await flush();
      if (opts.shouldStop?.()) return { ...total, complete: false };
    }
  }
  if (page.length > 0) await flush();
  return { ...total, complete: true };
}

/** Compares the listings of two prefixes object by object (relative key and size) and in total. */
export async function compareListings(s3: S3Store, from: string, to: string, skip: (rel: string) => boolean): Promise<CopyCheck> {
  const src = parseS3Uri(from);
  const dst = parseS3Uri(to);
  const [a, b] = await Promise.all([listAll(s3, src.bucket, src.prefix), listAll(s3, dst.bucket, dst.prefix)]);
  return compareObjects(a.objects, src.prefix, b.objects, dst.prefix, skip);
}
