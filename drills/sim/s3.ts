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
 * on HEAD, lexicographic listing with delimiters and continuation tokens), additional checksums
 * (SHA-256) and conditional requests:
 * - PutObject/CopyObject with `ChecksumAlgorithm: SHA256` store a full-object SHA-256 with the
 *   object; CopyObjectResult returns it, HeadObject/GetObject with `ChecksumMode: ENABLED` too
 *   (CopyObject and HeadObject, Amazon S3 API Reference; "Checking object integrity", S3 User Guide).
 *   Without the header a copy keeps the source's checksum algorithm, as S3 does.
 * - PutObject `If-None-Match: *` on an existing key fails 412 PreconditionFailed ("Conditional
 *   writes", S3 User Guide); CopyObject `x-amz-copy-source-if-match` with another ETag fails 412.
 * - DeleteObjects with an ETag per object deletes it only while it has that ETag; otherwise the
 *   object is reported under `Errors` with code PreconditionFailed ("How to perform conditional
 *   deletes", S3 User Guide).
 */

export interface SimObject {
  body: Buffer;
  lastModified: Date;
  etag: string;
  contentType: string;
  metadata: Record<string, string>;
  /** Base64 SHA-256 when written or copied with ChecksumAlgorithm SHA256. */
  sha256?: string;
}

const sha256Of = (b: Buffer) => createHash('sha256').update(b).digest('base64');

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

/** An object's bytes about to be destroyed by an API call: deleted, or overwritten with other bytes. */
export interface DestroyedObject {
  bucket: string;
  key: string;
  body: Buffer;
  by: 'delete' | 'overwrite';
  operation: string;
  atMs: number;
  invocationId?: string;
  functionName?: string;
}

export class SimS3 implements SimService {
  readonly clientName = 'S3Client';
  readonly service = 's3';
  readonly baseException = S3ServiceException;
  readonly operations = {
    ListObjectsV2: (i: ListObjectsV2Request) => this.list(i),
    HeadObject: (i: HeadObjectRequest) => this.head(i),
    GetObject: (i: GetObjectRequest) => this.get(i),
    PutObject: async (i: PutObjectRequest) => {
      if (i.IfNoneMatch === '*' && this.bucket(i.Bucket).has(i.Key ?? '')) {
        throw this.ctx.err(S3ServiceException, 412, 'At least one of the pre-conditions you specified did not hold', {
          name: 'PreconditionFailed',
          $fault: 'client',
        });
      }
      const bytes = await bodyBytes(i.Body);
      this.destroying(i.Bucket, i.Key, 'overwrite', 'PutObject', bytes);
      const o = this.put(i.Bucket, i.Key, bytes, {
        contentType: i.ContentType,
        metadata: i.Metadata,
        ...(i.ChecksumAlgorithm === 'SHA256' ? { sha256: sha256Of(bytes) } : {}),
      });
      return { ETag: o.etag, ServerSideEncryption: 'AES256', ...(o.sha256 ? { ChecksumSHA256: o.sha256, ChecksumType: 'FULL_OBJECT' } : {}) };
    },
    CopyObject: (i: CopyObjectRequest) => this.copy(i),
    DeleteObject: (i: DeleteObjectRequest) => {
      this.destroying(i.Bucket, i.Key, 'delete', 'DeleteObject');
      this.bucket(i.Bucket).delete(i.Key ?? '');
      return {};
    },
    DeleteObjects: (i: DeleteObjectsRequest) => {
      const b = this.bucket(i.Bucket);
      const deleted: { Key?: string }[] = [];
      const errors: { Key?: string; Code: string; Message: string }[] = [];
      for (const o of i.Delete?.Objects ?? []) {
        const current = b.get(o.Key ?? '');
        if (o.ETag !== undefined && current && current.etag !== o.ETag) {
          errors.push({ Key: o.Key, Code: 'PreconditionFailed', Message: 'At least one of the pre-conditions you specified did not hold' });
          continue;
        }
        this.destroying(i.Bucket, o.Key, 'delete', 'DeleteObjects');
        b.delete(o.Key ?? '');
        deleted.push({ Key: o.Key });
      }
      return { ...(i.Delete?.Quiet ? {} : { Deleted: deleted }), Errors: errors };
    },
    HeadBucket: (i: { Bucket?: string }) => {
      if (!this.buckets.has(i.Bucket ?? '')) throw this.ctx.err(NotFound, 404, 'NotFound');
      return { BucketRegion: this.ctx.region };
    },
  };
  private readonly buckets = new Map<string, Map<string, SimObject>>();
  /**
   * Told, before it happens, of every object whose bytes an API call destroys (a deletion, or an
   * overwrite with other bytes), with the invocation that made the call: the proof judges each
   * against the sealed backups of that moment. Writes of the world (a job's own checkpoint
   * files) are not API calls and are not told.
   */
  onDestroy?: (d: DestroyedObject) => void;

  constructor(private readonly ctx: SimContext) {}

  private destroying(bucket: string | undefined, key: string | undefined, by: DestroyedObject['by'], operation: string, next?: Buffer): void {
    if (!this.onDestroy) return;
    const current = this.buckets.get(bucket ?? '')?.get(key ?? '');
    if (!current || next?.equals(current.body)) return;
    const frame = this.ctx.clock.currentFrame();
    this.onDestroy({
      bucket: bucket ?? '',
      key: key ?? '',
      body: current.body,
      by,
      operation,
      atMs: this.ctx.clock.now(),
      ...(frame ? { invocationId: frame.invocationId, functionName: frame.functionName } : {}),
    });
  }

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  /** Writes an object as the world (a job, the scenario) would: no call is recorded. */
  put(
    bucket: string | undefined,
    key: string | undefined,
    body: Buffer | string,
    opts: { contentType?: string | undefined; metadata?: Record<string, string> | undefined; atMs?: number; sha256?: string } = {},
  ): SimObject {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const o: SimObject = {
      body: bytes,
      lastModified: new Date(Math.floor((opts.atMs ?? this.ctx.clock.now()) / 1000) * 1000),
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      contentType: opts.contentType ?? 'application/octet-stream',
      metadata: { ...(opts.metadata ?? {}) },
      ...(opts.sha256 ? { sha256: opts.sha256 } : {}),
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

  private head(i: HeadObjectRequest | GetObjectRequest) {
    const o = this.buckets.get(i.Bucket ?? '')?.get(i.Key ?? '');
    if (!o) throw this.ctx.err(NotFound, 404, 'NotFound');
    const checksum = i.ChecksumMode === 'ENABLED' && o.sha256 ? { ChecksumSHA256: o.sha256, ChecksumType: 'FULL_OBJECT' as const } : {};
    return {
      AcceptRanges: 'bytes',
      LastModified: new Date(o.lastModified),
      ContentLength: o.body.length,
      ETag: o.etag,
      ContentType: o.contentType,
      Metadata: { ...o.metadata },
      ServerSideEncryption: 'AES256' as const,
      ...checksum,
    };
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
    if (i.CopySourceIfMatch !== undefined && i.CopySourceIfMatch !== src.etag) {
      throw this.ctx.err(S3ServiceException, 412, 'At least one of the pre-conditions you specified did not hold', {
        name: 'PreconditionFailed',
        $fault: 'client',
      });
    }
    this.destroying(i.Bucket, i.Key, 'overwrite', 'CopyObject', src.body);
    const replace = i.MetadataDirective === 'REPLACE';
    // The copy gets the algorithm asked for, else the source's checksum (CopyObject: x-amz-checksum-algorithm).
    const sha256 = i.ChecksumAlgorithm === 'SHA256' || (i.ChecksumAlgorithm === undefined && src.sha256) ? sha256Of(src.body) : undefined;
    const o = this.put(i.Bucket, i.Key, Buffer.from(src.body), {
      contentType: replace ? i.ContentType : src.contentType,
      metadata: replace ? i.Metadata : src.metadata,
      ...(sha256 ? { sha256 } : {}),
    });
    return {
      CopyObjectResult: {
        ETag: o.etag,
        LastModified: new Date(o.lastModified),
        ...(o.sha256 ? { ChecksumSHA256: o.sha256, ChecksumType: 'FULL_OBJECT' as const } : {}),
      },
    };
  }
}
