import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** A line longer than this is never held in memory: it is skipped and reported as oversized. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

export interface Line {
  /** 1-based physical line number in the (decompressed) object; blank lines count. */
  lineNo: number;
  /** Byte offset of the line's first byte in the decompressed stream. */
  offset: number;
  /** Byte offset just after the line's newline: where the next line starts. */
  nextOffset: number;
  /** The line without its `\n` / `\r\n`; undefined when the line was oversized. */
  text?: string;
  oversized?: true;
}

export interface ReadLinesOptions {
  gzip?: boolean;
  maxLineBytes?: number;
  /** Number of the first line the stream holds (a ranged read that resumes mid-object). */
  firstLineNo?: number;
  /** Offset of the stream's first byte (a ranged read). */
  firstOffset?: number;
  /** Called with the size of every chunk read from the source (compressed bytes for gzip). */
  onSourceBytes?(n: number): void;
}

export const isGzipKey = (key: string): boolean => key.toLowerCase().endsWith('.gz');

async function* counted(source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    yield chunk;
  }
}

/**
 * Decompresses as it goes: the gunzip stream pulls from the source only as fast as lines are
 * consumed, so memory holds a few chunks whatever the object size. Leaving the loop early
 * destroys both ends, which releases the source's connection.
 */
async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  const gz = createGunzip();
  const done = pipeline(source, gz, out).catch((e: unknown) => {
    out.destroy(e as Error);
  });
  try {
    for await (const chunk of out) yield chunk as Uint8Array;
    await done;
  } finally {
    gz.destroy();
    out.destroy();
  }
}

/**
 * Splits a byte stream into lines incrementally, one array of lines per chunk read (one await
 * per chunk, not per line). A line is decoded as UTF-8 only once complete (a `\n` byte never
 * occurs inside a multi-byte UTF-8 sequence, so splitting bytes is safe). Blank lines are
 * numbered but not yielded; a last line without `\n` is yielded at the end.
 */
export async function* readLineChunks(source: AsyncIterable<Uint8Array>, opts: ReadLinesOptions = {}): AsyncGenerator<Line[]> {
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const bytes = counted(source, opts.onSourceBytes);
  const input = opts.gzip ? gunzip(bytes) : bytes;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let oversized = false;
  let lineNo = opts.firstLineNo ?? 1;
  let lineStart = opts.firstOffset ?? 0;
  let streamPos = lineStart;
  let out: Line[] = [];

  const emit = (tail: Buffer, nextOffset: number): void => {
    const no = lineNo++;
    const offset = lineStart;
    lineStart = nextOffset;
    if (oversized || pendingLen + tail.length > max) {
      oversized = false;
      pending = [];
      pendingLen = 0;
      out.push({ lineNo: no, offset, nextOffset, oversized: true });
      return;
    }
    const buf = pendingLen === 0 ? tail : Buffer.concat([...pending, tail], pendingLen + tail.length);
    pending = [];
    pendingLen = 0;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === CR) end--;
    if (end === 0) return;
    out.push({ lineNo: no, offset, nextOffset, text: buf.toString('utf8', 0, end) });
  };

  for await (const raw of input) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, from);
      if (nl === -1) break;
      emit(chunk.subarray(from, nl), streamPos + nl + 1);
      from = nl + 1;
    }
    if (from < chunk.length) {
      if (oversized || pendingLen + (chunk.length - from) > max) {
        // Keep counting, stop holding: the line will be reported oversized at its end.
        oversized = true;
        pending = [];
        pendingLen = 0;
      } else {
        // Copy: the source may reuse its chunk buffers.
        pending.push(Buffer.from(chunk.subarray(from)));
        pendingLen += chunk.length - from;
      }
    }
    streamPos += chunk.length;
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (pendingLen > 0 || oversized) emit(Buffer.alloc(0), streamPos);
  if (out.length > 0) yield out;
}

/** The lines of a byte stream one by one (see `readLineChunks`). */
export async function* readLines(source: AsyncIterable<Uint8Array>, opts: ReadLinesOptions = {}): AsyncGenerator<Line> {
  for await (const lines of readLineChunks(source, opts)) yield* lines;
}
