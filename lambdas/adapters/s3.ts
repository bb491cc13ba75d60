import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { AwsRequestError } from '../core/errors';
import type { CopyResult, DeleteTarget, ListPrefixOptions, ObjectDigest, S3HeadView, S3ObjectView } from '../core/object-store';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 's3';
/** DeleteObjects takes at most 1000 keys per request; ListObjectsV2 returns at most 1000 per page. */
const MAX_KEYS_PER_REQUEST = 1000;
/** How many failed keys an error message names before it only counts the rest. */
const FAILED_KEYS_IN_MESSAGE = 20;

/**
 * A SHA-256 S3 reports is one over the whole object only when its type is FULL_OBJECT: a
 * COMPOSITE one (multipart uploads) is a checksum of the parts' checksums, written `<b64>-<parts>`.
 * Checking object integrity, Amazon S3 User Guide; CopyObjectResult, Amazon S3 API Reference.
 */
function fullObjectSha256(value: string | undefined, type: string | undefined): string | undefined {
  if (value === undefined || value.includes('-')) return undefined;
  return type === undefined || type === 'FULL_OBJECT' ? value : undefined;
}

/** A bucket's default encryption (GetBucketEncryption), reduced to what access diagnosis needs. */
export interface BucketEncryptionView {
  /** `AES256`, `aws:kms` or `aws:kms:dsse`. */
  sseAlgorithm: string;
  /** The KMS key as configured: a key id, key ARN, alias name or alias ARN; absent = the AWS managed key. */
  kmsKeyId?: string;
  bucketKeyEnabled: boolean;
}

/** CopySource is `bucket/key` with the key URL-encoded; its slashes stay as they are. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * A missing object: GetObject says NoSuchKey, HeadObject (which has no body to say more) says
 * NotFound. A missing bucket (NoSuchBucket) is not a missing object and is not hidden.
 */
function isMissingObject(err: unknown): boolean {
  return err instanceof Error && (err.name === 'NoSuchKey' || err.name === 'NotFound');
}

export class S3Adapter {
  constructor(private readonly client: S3Client) {}

  static fromOptions(opts: AwsClientOptions): S3Adapter {
    return new S3Adapter(withPlugins(new S3Client(clientConfig(opts, 's3')), opts));
  }

  /**
   * Objects under `prefix` in key order. Pages are fetched only as the consumer asks for more:
   * breaking out of a `for await` after the first object costs one request, not the whole listing.
   */
  async *listPrefix(bucket: string, prefix: string, opts: ListPrefixOptions = {}): AsyncGenerator<S3ObjectView> {
    const maxKeys = opts.maxKeys ?? Number.POSITIVE_INFINITY;
    let yielded = 0;
    let continuationToken: string | undefined;
    while (yielded < maxKeys) {
      let reply;
      try {
        reply = await this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: Math.min(MAX_KEYS_PER_REQUEST, maxKeys - yielded),
            ...(continuationToken ? { ContinuationToken: continuationToken } : opts.startAfter !== undefined ? { StartAfter: opts.startAfter } : {}),
          }),
        );
      } catch (e) {
        mapAwsError(SERVICE, 'ListObjectsV2', e);
      }
      for (const o of reply.Contents ?? []) {
        if (yielded >= maxKeys) return;
        if (o.Key === undefined) continue;
        yielded++;
        yield {
          key: o.Key,
          size: o.Size ?? 0,
          lastModifiedMs: o.LastModified?.getTime() ?? 0,
          ...(o.ETag !== undefined ? { etag: o.ETag } : {}),
        };
      }
      if (!reply.IsTruncated || !reply.NextContinuationToken) return;
      continuationToken = reply.NextContinuationToken;
    }
  }

  /**
   * The object's size and time; with `checksum`, HeadObject asks for `ChecksumMode: ENABLED` and
   * the result carries the stored full-object SHA-256, if any (a copy made with `checksumSha256`).
   */
  async headObject(bucket: string, key: string, opts: { checksum?: boolean } = {}): Promise<S3HeadView | undefined> {
    let reply;
    try {
      reply = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(opts.checksum ? { ChecksumMode: 'ENABLED' as const } : {}) }));
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      mapAwsError(SERVICE, 'HeadObject', e);
    }
    const sha256 = opts.checksum ? fullObjectSha256(reply.ChecksumSHA256, reply.ChecksumType) : undefined;
    return {
      size: reply.ContentLength ?? 0,
      lastModifiedMs: reply.LastModified?.getTime() ?? 0,
      ...(reply.ETag !== undefined ? { etag: reply.ETag } : {}),
      ...(sha256 !== undefined ? { sha256 } : {}),
    };
  }

  /**
   * Reads the whole object through SHA-256 (streamed: memory stays flat) and returns the digest
   * (base64, as S3 writes checksums), the ETag GetObject answered with (the ETag of exactly the
   * bytes read) and the size. Undefined when the object does not exist. This works on any store
   * that speaks GetObject, whether or not it keeps additional checksums.
   */
  async digestObject(bucket: string, key: string): Promise<ObjectDigest | undefined> {
    let reply;
    try {
      reply = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      mapAwsError(SERVICE, 'GetObject', e);
    }
    const hash = createHash('sha256');
    let size = 0;
    const body = reply.Body as unknown;
    try {
      if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          size += chunk.byteLength;
        }
      } else if (body) {
        const bytes = await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
        hash.update(bytes);
        size = bytes.byteLength;
      }
    } catch (e) {
      mapAwsError(SERVICE, 'GetObject', e);
    }
    return { sha256: hash.digest('base64'), size, ...(reply.ETag !== undefined ? { etag: reply.ETag } : {}) };
  }

  /**
   * The bucket's default encryption rule, or undefined when the bucket has none (S3 answers
   * ServerSideEncryptionConfigurationNotFoundError; buckets created since 2023 always have one).
   */
  async getBucketEncryption(bucket: string): Promise<BucketEncryptionView | undefined> {
    let reply;
    try {
      reply = await this.client.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    } catch (e) {
      if (e instanceof Error && e.name === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
      mapAwsError(SERVICE, 'GetBucketEncryption', e);
    }
    const rule = reply.ServerSideEncryptionConfiguration?.Rules?.find((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm);
    const d = rule?.ApplyServerSideEncryptionByDefault;
    if (!d?.SSEAlgorithm) return undefined;
    return {
      sseAlgorithm: d.SSEAlgorithm,
      ...(d.KMSMasterKeyID ? { kmsKeyId: d.KMSMasterKeyID } : {}),
      bucketKeyEnabled: rule?.BucketKeyEnabled === true,
    };
  }

  async getObjectText(bucket: string, key: string): Promise<string | undefined> {
    try {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return reply.Body ? await reply.Body.transformToString('utf-8') : '';
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      mapAwsError(SERVICE, 'GetObject', e);
    }
  }

  /**
   * The object's body as a byte stream, pulled as the consumer reads it: memory stays flat
   * whatever the object's size, and leaving the loop early releases the connection. `startByte`
   * reads from that offset on (a ranged GET). Undefined when the object does not exist; a
   * failure in the middle of the body is mapped like any other (a reset socket is transient).
   */
  async getObjectStream(bucket: string, key: string, opts: { startByte?: number } = {}): Promise<AsyncIterable<Uint8Array> | undefined> {
    let reply;
    try {
      reply = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(opts.startByte ? { Range: `bytes=${opts.startByte}-` } : {}) }));
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      mapAwsError(SERVICE, 'GetObject', e);
    }
    const body = reply.Body as unknown;
    // A store that ignores Range (some S3 stand-ins do) answers the whole object without
    // Content-Range: skip to the asked offset here, so callers always get what they asked for.
    let skip = opts.startByte && !reply.ContentRange?.startsWith(`bytes ${opts.startByte}-`) ? opts.startByte : 0;
    return (async function* objectBody(): AsyncGenerator<Uint8Array> {
      if (!body) return;
      const chunks: AsyncIterable<Uint8Array> =
        typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
          ? (body as AsyncIterable<Uint8Array>)
          : (async function* whole() {
              yield await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
            })();
      try {
        for await (const chunk of chunks) {
          if (skip >= chunk.byteLength) {
            skip -= chunk.byteLength;
            continue;
          }
          yield skip > 0 ? chunk.subarray(skip) : chunk;
          skip = 0;
        }
      } catch (e) {
        mapAwsError(SERVICE, 'GetObject', e);
      }
    })();
  }

  /**
   * Writes the object. With `ifNoneMatch`, a conditional write (`If-None-Match: *`): S3 answers
   * 412 PreconditionFailed when the key exists, or 409 ConditionalRequestConflict when a
   * concurrent write to the key won; both become a ConflictError (Conditional writes, Amazon S3
   * User Guide: "Prevent object overwrites based on key names").
   */
  async putObject(bucket: string, key: string, body: string | Uint8Array, contentType?: string, opts: { ifNoneMatch?: boolean } = {}): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ...(contentType !== undefined ? { ContentType: contentType } : {}),
          ...(opts.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (e) {
      mapAwsError(SERVICE, 'PutObject', e);
    }
  }

  /**
   * Copies one object (at most 5 GiB). With `checksumSha256`, S3 computes a SHA-256 of the copy
   * (`x-amz-checksum-algorithm: SHA256`), stores it with the object and returns it in
   * CopyObjectResult (CopyObject, Amazon S3 API Reference): the copy's content hash without
   * reading it back. A store that keeps no additional checksums returns none. With
   * `ifSourceEtag`, the copy is made only of the source version with that ETag
   * (`x-amz-copy-source-if-match`).
   */
  async copyObject(
    srcBucket: string,
    srcKey: string,
    dstBucket: string,
    dstKey: string,
    opts: { checksumSha256?: boolean; ifSourceEtag?: string } = {},
  ): Promise<CopyResult> {
    let reply;
    try {
      reply = await this.client.send(
        new CopyObjectCommand({
          CopySource: copySource(srcBucket, srcKey),
          Bucket: dstBucket,
          Key: dstKey,
          ...(opts.checksumSha256 ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
          // Copy only the version listed: another ETag by now is 412 PreconditionFailed (a ConflictError).
          ...(opts.ifSourceEtag !== undefined ? { CopySourceIfMatch: opts.ifSourceEtag } : {}),
        }),
      );
    } catch (e) {
      mapAwsError(SERVICE, 'CopyObject', e);
    }
    const r = reply.CopyObjectResult;
    const sha256 = opts.checksumSha256 ? fullObjectSha256(r?.ChecksumSHA256, r?.ChecksumType) : undefined;
    return { ...(r?.ETag !== undefined ? { etag: r.ETag } : {}), ...(sha256 !== undefined ? { sha256 } : {}) };
  }

  /**
   * Deletes in requests of at most 1000 keys. DeleteObjects answers 200 even when some keys were
   * refused, listing them under `Errors`: that is turned into an AwsRequestError naming the keys,
   * and no further chunk is sent. A target with an `etag` is deleted only while the object still
   * has that ETag (the ETag element of the object in the request: conditional deletes, Amazon S3
   * User Guide); one that changed comes back under `Errors` as PreconditionFailed.
   */
  async deleteObjects(bucket: string, keys: readonly DeleteTarget[]): Promise<void> {
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_REQUEST) {
      const chunk = keys.slice(i, i + MAX_KEYS_PER_REQUEST);
      let reply;
      try {
        reply = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: chunk.map((k) => (typeof k === 'string' ? { Key: k } : { Key: k.key, ETag: k.etag })), Quiet: true },
          }),
        );
      } catch (e) {
        mapAwsError(SERVICE, 'DeleteObjects', e);
      }
      const errors = reply.Errors ?? [];
      if (errors.length > 0) {
        const failedKeys = errors.map((x) => x.Key ?? '?');
        const named = errors
          .slice(0, FAILED_KEYS_IN_MESSAGE)
          .map((x) => `${x.Key ?? '?'} (${x.Code ?? 'unknown'})`)
          .join(', ');
        const more = errors.length > FAILED_KEYS_IN_MESSAGE ? ` and ${errors.length - FAILED_KEYS_IN_MESSAGE} more` : '';
        const cause = Object.assign(new Error(`${errors.length} of ${chunk.length} keys not deleted from ${bucket}: ${named}${more}`), { failedKeys, errors });
        throw new AwsRequestError(SERVICE, 'DeleteObjects', errors[0]?.Code ?? 'PartialFailure', { cause });
      }
    }
  }
}
