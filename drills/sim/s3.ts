import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  S3ServiceException,
  type CopyObjectRequest,
  type DeleteObjectRequest,
  type DeleteObjectsRequest,
  type GetObjectRequest,
  type HeadObjectRequest,
  type ListObjectsV2Request,
  type PutObjectRequest,
} from '@aws-sdk/client-s3';
import type { SdkStreamMixin } from '@smithy/types';
import type { SimContext, SimService } from './context';
import { NotSimulatedError } from './errors';

/**
 * S3 in memory: buckets and objects with LastModified at simulated time, and the listing,
 * read, write, copy and delete operations with S3's answers (NoSuchBucket, NoSuchKey, NotFound
 * on HEAD, lexicographic listing with delimiters and continuation tokens).
 */

export interface SimObject {
  body: Buffer;
  lastModified: Date;
  etag: string;
  contentType: string;
  metadata: Record<string, string>;
}

/** A GetObject Body: a Node stream with the SDK's transform helpers, each usable once. */
export function sdkStreamOf(bytes: Buffer): Readable & SdkStreamMixin {
  const stream = Readable.from(bytes.length > 0 ? [bytes] : []);
  let transformed = false;
  const once = () => {
    if (transformed) throw new Error('The stream has already been transformed.');
    transformed = true;
  };
  return Object.assign(stream, {
    transformToByteArray: async () => {
      once();
      return new Uint8Array(bytes);
    },
    transformToString: async (encoding = 'utf-8') => {
      once();
      return new TextDecoder(encoding).decode(bytes);
    },
    transformToWebStream: () => {
      once();
      return Readable.toWeb(stream) as unknown as ReadableStream;
    },
  });
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks);
  }
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  throw new NotSimulatedError(`PutObject Body of type ${typeof body} is not simulated`);
}

const encodeToken = (t: { k: string; cp?: string }) => Buffer.from(JSON.stringify(t)).toString('base64');
const decodeToken = (s: string): { k: string; cp?: string } | undefined => {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64').toString('utf8')) as { k?: unknown; cp?: unknown };
    return typeof t.k === 'string' ? { k: t.k, ...(typeof t.cp === 'string' ? { cp: t.cp } : {}) } : undefined;
  } catch {
    return undefined;
  }
};

export class SimS3 implements SimService {
  readonly clientName = 'S3Client';
  readonly service = 's3';
  readonly baseException = S3ServiceException;
  readonly operations = {
    ListObjectsV2: (i: ListObjectsV2Request) => this.list(i),
    HeadObject: (i: HeadObjectRequest) => this.head(i),
    GetObject: (i: GetObjectRequest) => this.get(i),
    PutObject: async (i: PutObjectRequest) => {
      const o = this.put(i.Bucket, i.Key, await bodyBytes(i.Body), { contentType: i.ContentType, metadata: i.Metadata });
      return { ETag: o.etag, ServerSideEncryption: 'AES256' };
    },
    CopyObject: (i: CopyObjectRequest) => this.copy(i),
    DeleteObject: (i: DeleteObjectRequest) => {
      this.bucket(i.Bucket).delete(i.Key ?? '');
      return {};
    },
    DeleteObjects: (i: DeleteObjectsRequest) => {
      const b = this.bucket(i.Bucket);
      const deleted = (i.Delete?.Objects ?? []).map((o) => {
        b.delete(o.Key ?? '');
        return { Key: o.Key };
      });
      return { ...(i.Delete?.Quiet ? {} : { Deleted: deleted }), Errors: [] };
    },
    HeadBucket: (i: { Bucket?: string }) => {
      if (!this.buckets.has(i.Bucket ?? '')) throw this.ctx.err(NotFound, 404, 'NotFound');
      return { BucketRegion: this.ctx.region };
    },
  };
  private readonly buckets = new Map<string, Map<string, SimObject>>();

  constructor(private readonly ctx: SimContext) {}

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  /** Writes an object as the world (a job, the scenario) would: no call is recorded. */
  put(
    bucket: string | undefined,
    key: string | undefined,
    body: Buffer | string,
    opts: { contentType?: string | undefined; metadata?: Record<string, string> | undefined; atMs?: number } = {},
  ): SimObject {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const o: SimObject = {
      body: bytes,
      lastModified: new Date(Math.floor((opts.atMs ?? this.ctx.clock.now()) / 1000) * 1000),
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      contentType: opts.contentType ?? 'application/octet-stream',
      metadata: { ...(opts.metadata ?? {}) },
    };
    this.bucket(bucket).set(key ?? '', o);
    return o;
  }

  object(bucket: string, key: string): SimObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort();
  }

  private bucket(name: string | undefined): Map<string, SimObject> {
    const b = this.buckets.get(name ?? '');
    if (!b) throw this.ctx.err(NoSuchBucket, 404, 'The specified bucket does not exist');
    return b;
  }

  private list(i: ListObjectsV2Request) {
    const b = this.bucket(i.Bucket);
    const prefix = i.Prefix ?? '';
    const max = Math.min(i.MaxKeys ?? 1000, 1000);
    let marker = i.StartAfter ?? '';
    let skipPrefix: string | undefined;
    if (i.ContinuationToken !== undefined) {
      const t = decodeToken(i.ContinuationToken);
      if (!t) throw this.ctx.err(S3ServiceException, 400, 'The continuation token provided is incorrect', { name: 'InvalidArgument', $fault: 'client' });
      if (t.k > marker) marker = t.k;
      skipPrefix = t.cp;
    }
    const keys = [...b.keys()].filter((k) => k.startsWith(prefix) && k > marker && !(skipPrefix && k.startsWith(skipPrefix))).sort();
    const contents: { Key: string; LastModified: Date; ETag: string; Size: number; StorageClass: 'STANDARD' }[] = [];
    const common: string[] = [];
    let last: { k: string; cp?: string } | undefined;
    let truncated = false;
    for (const k of keys) {
      const d = i.Delimiter ? k.indexOf(i.Delimiter, prefix.length) : -1;
      const cp = d >= 0 ? k.slice(0, d + i.Delimiter!.length) : undefined;
      if (cp !== undefined && common[common.length - 1] === cp) continue;
      if (contents.length + common.length >= max) {
        truncated = true;
        break;
      }
      if (cp !== undefined) {
        common.push(cp);
        last = { k, cp };
      } else {
        const o = b.get(k)!;
        contents.push({ Key: k, LastModified: new Date(o.lastModified), ETag: o.etag, Size: o.body.length, StorageClass: 'STANDARD' });
        last = { k };
      }
    }
    return {
      IsTruncated: truncated,
      ...(contents.length > 0 ? { Contents: contents } : {}),
      Name: i.Bucket,
      Prefix: prefix,
      ...(i.Delimiter ? { Delimiter: i.Delimiter } : {}),
      MaxKeys: max,
      ...(common.length > 0 ? { CommonPrefixes: common.map((Prefix) => ({ Prefix })) } : {}),
      KeyCount: contents.length + common.length,
      ...(i.ContinuationToken !== undefined ? { ContinuationToken: i.ContinuationToken } : {}),
      ...(truncated && last ? { NextContinuationToken: encodeToken(last) } : {}),
      ...(i.StartAfter !== undefined ? { StartAfter: i.StartAfter } : {}),
    };
  }

  private head(i: HeadObjectRequest) {
    const o = this.buckets.get(i.Bucket ?? '')?.get(i.Key ?? '');
    if (!o) throw this.ctx.err(NotFound, 404, 'NotFound');
    return { AcceptRanges: 'bytes', LastModified: new Date(o.lastModified), ContentLength: o.body.length, ETag: o.etag, ContentType: o.contentType, Metadata: { ...o.metadata }, ServerSideEncryption: 'AES256' as const };
  }

  private get(i: GetObjectRequest) {
    const o = this.bucket(i.Bucket).get(i.Key ?? '');
    if (!o) throw this.ctx.err(NoSuchKey, 404, 'The specified key does not exist.');
    return { ...this.head(i), Body: sdkStreamOf(o.body) };
  }

  private copy(i: CopyObjectRequest) {
    const source = decodeURIComponent((i.CopySource ?? '').replace(/^\//, '').split('?')[0]!);
    const slash = source.indexOf('/');
    const [srcBucket, srcKey] = slash > 0 ? [source.slice(0, slash), source.slice(slash + 1)] : [source, ''];
    const src = this.bucket(srcBucket).get(srcKey);
    if (!src) throw this.ctx.err(NoSuchKey, 404, 'The specified key does not exist.');
    const replace = i.MetadataDirective === 'REPLACE';
    const o = this.put(i.Bucket, i.Key, Buffer.from(src.body), {
      contentType: replace ? i.ContentType : src.contentType,
      metadata: replace ? i.Metadata : src.metadata,
    });
    return { CopyObjectResult: { ETag: o.etag, LastModified: new Date(o.lastModified) } };
  }
}
