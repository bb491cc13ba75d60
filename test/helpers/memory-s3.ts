import { createHash } from 'node:crypto';
import type { CopyResult, DeleteTarget, ObjectDigest, S3ObjectView } from '../../lambdas/core/object-store';
import type { S3Store } from '../../lambdas/checkpoint';
import { ConflictError } from '../../lambdas/core/errors';

const md5Etag = (body: string) => `"${createHash('md5').update(body).digest('hex')}"`;

/**
 * An in-memory stand-in for the S3 adapter's checkpoint calls, with S3's listing semantics
 * (lexicographic keys, pages of at most 1000, StartAfter), ETags (the MD5 of the body, as S3
 * gives a single-part unencrypted object), conditional writes and deletes, and request counters.
 * It keeps no additional checksums (like s3rver): a copy returns no SHA-256. An optional delay
 * per request models a round trip.
 */
export class MemoryS3 implements S3Store {
  readonly objects = new Map<string, { body: string; lastModifiedMs: number }>();
  readonly requests = { list: 0, get: 0, head: 0, copy: 0, delete: 0, put: 0, digest: 0 };
  private sorted: string[] | undefined;

  constructor(private readonly opts: { latencyMs?: number; now?: () => number } = {}) {}

  private k = (bucket: string, key: string) => `${bucket}/${key}`;
  private async wait(): Promise<void> {
    if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
  }

  /** Writes directly (no request counted): for laying out fixtures. */
  seed(bucket: string, key: string, body: string, lastModifiedMs: number): void {
    this.objects.set(this.k(bucket, key), { body, lastModifiedMs });
    this.sorted = undefined;
  }

  keys(bucket: string, prefix = ''): string[] {
    return this.sortedKeys()
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1));
  }

  private sortedKeys(): string[] {
    return (this.sorted ??= [...this.objects.keys()].sort());
  }

  async *listPrefix(bucket: string, prefix: string, opts: { maxKeys?: number; startAfter?: string } = {}): AsyncGenerator<S3ObjectView> {
    const all = this.sortedKeys();
    const full = this.k(bucket, prefix);
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]! < full) lo = mid + 1;
      else hi = mid;
    }
    const after = opts.startAfter !== undefined ? this.k(bucket, opts.startAfter) : undefined;
    const max = opts.maxKeys ?? Infinity;
    let yielded = 0;
    let i = lo;
    let inPage = 1000;
    while (i < all.length && all[i]!.startsWith(full) && yielded < max) {
      const key = all[i]!;
      i++;
      if (after !== undefined && key <= after) continue;
      if (inPage === 1000) {
        this.requests.list++;
        inPage = 0;
        await this.wait();
      }
      inPage++;
      const o = this.objects.get(key)!;
      yielded++;
      yield { key: key.slice(bucket.length + 1), size: Buffer.byteLength(o.body), lastModifiedMs: o.lastModifiedMs, etag: md5Etag(o.body) };
    }
    if (yielded === 0) this.requests.list++;
  }

  async getObjectText(bucket: string, key: string): Promise<string | undefined> {
    this.requests.get++;
    await this.wait();
    return this.objects.get(this.k(bucket, key))?.body;
  }

  async headObject(bucket: string, key: string): Promise<{ size: number; lastModifiedMs: number; etag: string } | undefined> {
    this.requests.head++;
    await this.wait();
    const o = this.objects.get(this.k(bucket, key));
    return o ? { size: Buffer.byteLength(o.body), lastModifiedMs: o.lastModifiedMs, etag: md5Etag(o.body) } : undefined;
  }

  async digestObject(bucket: string, key: string): Promise<ObjectDigest | undefined> {
    this.requests.digest++;
    await this.wait();
    const o = this.objects.get(this.k(bucket, key));
    return o ? { sha256: createHash('sha256').update(o.body).digest('base64'), etag: md5Etag(o.body), size: Buffer.byteLength(o.body) } : undefined;
  }

  async copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string): Promise<CopyResult> {
    this.requests.copy++;
    await this.wait();
    const o = this.objects.get(this.k(srcBucket, srcKey));
    if (!o) throw Object.assign(new Error(`NoSuchKey ${srcKey}`), { name: 'NoSuchKey' });
    this.seed(dstBucket, dstKey, o.body, this.opts.now?.() ?? o.lastModifiedMs);
    return { etag: md5Etag(o.body) };
  }

  /** A target with an ETag is deleted only while the object has it; otherwise the call fails naming it (DeleteObjects `Errors`). */
  async deleteObjects(bucket: string, keys: readonly DeleteTarget[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      this.requests.delete++;
      await this.wait();
      const refused: string[] = [];
      for (const t of keys.slice(i, i + 1000)) {
        const k = typeof t === 'string' ? t : t.key;
        const o = this.objects.get(this.k(bucket, k));
        if (typeof t !== 'string' && o && md5Etag(o.body) !== t.etag) refused.push(k);
        else this.objects.delete(this.k(bucket, k));
      }
      this.sorted = undefined;
      // As the adapter does with DeleteObjects' `Errors`: the rest of the chunk is deleted, the call fails naming the refused keys.
      if (refused.length > 0)
        throw Object.assign(new Error(`${refused.length} keys not deleted from ${bucket}: ${refused.map((k) => `${k} (PreconditionFailed)`).join(', ')}`), {
          code: 'PreconditionFailed',
        });
    }
    this.sorted = undefined;
  }

  async putObject(bucket: string, key: string, body: string | Uint8Array, _contentType?: string, opts: { ifNoneMatch?: boolean } = {}): Promise<void> {
    this.requests.put++;
    await this.wait();
    if (opts.ifNoneMatch && this.objects.has(this.k(bucket, key))) throw new ConflictError(`s3.PutObject: PreconditionFailed: ${key} exists`);
    this.seed(bucket, key, typeof body === 'string' ? body : Buffer.from(body).toString('utf8'), this.opts.now?.() ?? 0);
  }
}
