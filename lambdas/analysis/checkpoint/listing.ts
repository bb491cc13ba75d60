import type { ListPrefixOptions, ObjectDigest, S3HeadView, S3ObjectView } from '../../core/object-store';

/**
 * What checkpoint reading needs from an object store: the S3 adapter satisfies it, as does an
 * in-memory stand-in. Reading is all analysis does; the writes are in lambdas/checkpoint/.
 */
export interface S3Reader {
  listPrefix(bucket: string, prefix: string, opts?: ListPrefixOptions): AsyncGenerator<S3ObjectView>;
  getObjectText(bucket: string, key: string): Promise<string | undefined>;
  headObject(bucket: string, key: string, opts?: { checksum?: boolean }): Promise<S3HeadView | undefined>;
}

/** Reading an object through SHA-256 (what the check of a backup's coverage needs besides listing). */
export interface S3DigestReader {
  digestObject(bucket: string, key: string): Promise<ObjectDigest | undefined>;
}

export interface BatchFile {
  batchId: number;
  key: string;
  sizeBytes: number;
  writtenAtMs: number;
}

export interface BatchListing {
  /** By batch id. */
  files: Map<number, BatchFile>;
  /** Sorted ascending. */
  ids: number[];
  /** False when a shard hit `maxKeysPerShard`: the newest ids may be missing. */
  complete: boolean;
  /** ListObjectsV2 pages requested. */
  pages: number;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * Every `<dir><batchId>` file of a metadata log directory (offsets/ or commits/).
 *
 * Batch files are named by their decimal id, so keys sort as text (`10` before `9`): the
 * listing is split by first digit into ten prefixes listed in parallel, each paged by the
 * adapter. A log of 10,000 batches then costs two pages per shard in two sequential round
 * trips instead of ten. Other files in the directory (`.N.crc`, `N.tmp`) are skipped.
 */
export async function listBatchFiles(s3: Pick<S3Reader, 'listPrefix'>, bucket: string, dir: string, maxKeysPerShard = 200_000): Promise<BatchListing> {
  let pages = 0;
  let complete = true;
  const shards = await Promise.all(
    DIGITS.map(async (d) => {
      const out: BatchFile[] = [];
      let n = 0;
      for await (const o of s3.listPrefix(bucket, `${dir}${d}`, { maxKeys: maxKeysPerShard })) {
        if (n % 1000 === 0) pages++;
        n++;
        const name = o.key.slice(dir.length);
        if (/^\d+$/.test(name)) out.push({ batchId: Number(name), key: o.key, sizeBytes: o.size, writtenAtMs: o.lastModifiedMs });
      }
      if (n === 0) pages++;
      if (n >= maxKeysPerShard) complete = false;
      return out;
    }),
  );
  const files = new Map<number, BatchFile>();
  for (const f of shards.flat()) files.set(f.batchId, f);
  return { files, ids: [...files.keys()].sort((a, b) => a - b), complete, pages };
}

/** Every object under a prefix (paged), with totals. */
export async function listAll(
  s3: Pick<S3Reader, 'listPrefix'>,
  bucket: string,
  prefix: string,
  maxKeys = Number.POSITIVE_INFINITY,
): Promise<{ objects: S3ObjectView[]; bytes: number; complete: boolean }> {
  const objects: S3ObjectView[] = [];
  let bytes = 0;
  for await (const o of s3.listPrefix(bucket, prefix, { maxKeys: maxKeys + 1 })) {
    if (objects.length >= maxKeys) return { objects, bytes, complete: false };
    objects.push(o);
    bytes += o.size;
  }
  return { objects, bytes, complete: true };
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order.
 * The first failure stops every worker from starting another call, and is reported once the calls
 * in flight have ended (the caller then records the failure and may give up what it owns: none
 * of its calls may still be running).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  // Every call in flight ends before the failure is reported: nothing of this run goes on after it.
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return out;
}
