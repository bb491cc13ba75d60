import { type S3Location, splitS3Uri } from '../util/s3-uri';
import { InvalidInputError } from './errors';

/**
 * The shape of objects in an object store (S3) as the code above the adapters sees them: the S3
 * adapter returns these, and the pure readers in analysis/ take them.
 */

export interface S3ObjectView {
  key: string;
  size: number;
  lastModifiedMs: number;
  etag?: string;
}

/** HeadObject, reduced: with `checksum`, the object's full-object SHA-256 when S3 stores one. */
export interface S3HeadView {
  size: number;
  lastModifiedMs: number;
  etag?: string;
  /** Base64 SHA-256 of the whole object (absent when S3 keeps none, or only a composite one). */
  sha256?: string;
}

/** The bytes of one object as read: their SHA-256 (base64), the ETag of what was read, the size. */
export interface ObjectDigest {
  sha256: string;
  etag?: string;
  size: number;
}

/** What a copy made: the new object's ETag and, when asked and S3 computed it, its SHA-256 (base64). */
export interface CopyResult {
  etag?: string;
  sha256?: string;
}

/** A key to delete, optionally only while its ETag is this one (a conditional delete). */
export type DeleteTarget = string | { key: string; etag: string };

export interface ListPrefixOptions {
  /** Total number of objects to yield; listing stops after that many. */
  maxKeys?: number;
  /** Start listing after this key (lexicographic order). */
  startAfter?: string;
}

/** `s3://bucket/some/prefix/` → `{ bucket: 'bucket', prefix: 'some/prefix/' }`; `s3://bucket` → prefix ''. */
export function parseS3Uri(uri: string): S3Location {
  const location = splitS3Uri(uri);
  if (!location) throw new InvalidInputError('uri', `not an s3://bucket/prefix URI: ${JSON.stringify(uri)}`);
  return location;
}
