import type { S3ObjectView } from '../../core/object-store';
import { isGzipKey, readLineChunks, type Line } from './lines';

/**
 * What the DLQ readers need from S3 (the S3 adapter provides it; tests may pass a fake).
 * Objects are streamed, never loaded whole.
 */
export interface ObjectStorePort {
  listPrefix(bucket: string, prefix: string, opts?: { maxKeys?: number; startAfter?: string }): AsyncIterable<S3ObjectView>;
  getObjectStream(bucket: string, key: string, opts?: { startByte?: number }): Promise<AsyncIterable<Uint8Array> | undefined>;
}

/** Sub-prefix of a DLQ where dlq-replay puts records that failed again: never read as DLQ. */
export const QUARANTINE_DIR = '_quarantine/';

const pad = (n: number) => String(n).padStart(2, '0');

/** `<prefix>YYYY/MM/DD/HH/` (UTC): Firehose's default layout, and the DLQ's. */
export const hourPrefix = (prefix: string, ms: number): string => {
  const d = new Date(ms);
  return `${prefix}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
};

export interface NewestObjectsOptions {
  maxObjects: number;
  /** Hours walked back from the current one (hourly layout). */
  lookbackHours: number;
  /** Keys listed at most when the prefix has no hourly layout. */
  maxListKeys?: number;
  /** Keys (relative to the prefix) to leave out. */
  exclude?(relativeKey: string): boolean;
}

export interface NewestObjects {
  objects: S3ObjectView[];
  layout: 'hourly' | 'flat';
  /** False when the flat listing stopped at its cap: newer objects may exist. */
  complete: boolean;
}

const isData = (o: S3ObjectView) => o.size > 0 && !o.key.endsWith('/');

/**
 * The newest objects under a prefix. With the hourly layout, lists the current hour's prefix and
 * walks back until enough objects are found; without it, lists the prefix (bounded) and sorts by
 * LastModified.
 */
export async function newestObjects(store: ObjectStorePort, bucket: string, prefix: string, nowMs: number, opts: NewestObjectsOptions): Promise<NewestObjects> {
  const keep = (o: S3ObjectView) => isData(o) && !(opts.exclude?.(o.key.slice(prefix.length)) ?? false);
  const byNewest = (a: S3ObjectView, b: S3ObjectView) => b.lastModifiedMs - a.lastModifiedMs || b.key.localeCompare(a.key);
  const found: S3ObjectView[] = [];
  for (let h = 0; h <= opts.lookbackHours && found.length < opts.maxObjects; h++) {
    for await (const o of store.listPrefix(bucket, hourPrefix(prefix, nowMs - h * 3_600_000), { maxKeys: 1_000 })) {
      if (keep(o)) found.push(o);
    }
  }
  if (found.length > 0) return { objects: found.sort(byNewest).slice(0, opts.maxObjects), layout: 'hourly', complete: true };
  const cap = opts.maxListKeys ?? 5_000;
  let listed = 0;
  const all: S3ObjectView[] = [];
  for await (const o of store.listPrefix(bucket, prefix, { maxKeys: cap })) {
    listed++;
    if (keep(o)) {
      all.push(o);
      // Keep memory bounded however long the listing: only the newest survive.
      if (all.length > opts.maxObjects * 4) all.sort(byNewest).splice(opts.maxObjects);
    }
  }
  return { objects: all.sort(byNewest).slice(0, opts.maxObjects), layout: 'flat', complete: listed < cap };
}

export interface ObjectLinesOptions {
  /** Resume: the first line to read and the byte it starts at (plain objects are read ranged). */
  fromLine?: number;
  fromByte?: number;
  onSourceBytes?(n: number): void;
}

/**
 * The lines of one object, streamed, one array per chunk read. A plain object resumed mid-way is
 * read from `fromByte` (a ranged GET); a gzip object is decompressed from its start and the
 * lines before `fromLine` are skipped. A missing object yields nothing.
 */
export async function* objectLineChunks(store: ObjectStorePort, bucket: string, key: string, opts: ObjectLinesOptions = {}): AsyncGenerator<Line[]> {
  const gzip = isGzipKey(key);
  const fromLine = opts.fromLine ?? 1;
  const ranged = !gzip && fromLine > 1 && (opts.fromByte ?? 0) > 0;
  const body = await store.getObjectStream(bucket, key, ranged ? { startByte: opts.fromByte! } : {});
  if (!body) return;
  const chunks = readLineChunks(body, {
    gzip,
    ...(ranged ? { firstLineNo: fromLine, firstOffset: opts.fromByte! } : {}),
    ...(opts.onSourceBytes ? { onSourceBytes: opts.onSourceBytes } : {}),
  });
  for await (const lines of chunks) {
    const kept = lines[0]!.lineNo >= fromLine ? lines : lines.filter((l) => l.lineNo >= fromLine);
    if (kept.length > 0) yield kept;
  }
}

/** The lines of one object one by one (see `objectLineChunks`). */
export async function* objectLines(store: ObjectStorePort, bucket: string, key: string, opts: ObjectLinesOptions = {}): AsyncGenerator<Line> {
  for await (const lines of objectLineChunks(store, bucket, key, opts)) yield* lines;
}
