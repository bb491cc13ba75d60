export interface S3Location {
  bucket: string;
  /** Everything after `s3://bucket/`; '' for the bucket itself. */
  prefix: string;
}

/**
 * `s3://bucket/some/prefix/` → `{ bucket: 'bucket', prefix: 'some/prefix/' }`; `s3://bucket` → prefix '';
 * anything else → undefined (each caller raises its own error: the adapters an InvalidInputError naming the field).
 */
export function splitS3Uri(uri: string): S3Location | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m?.[1]) return undefined;
  return { bucket: m[1], prefix: m[2] ?? '' };
}

/** `s3://bucket/prefix` (with a slash after the bucket) → its bucket and prefix, or an Error naming the URI (config, manifests and IAM scoping, where the config schema already checked the shape). */
export function s3LocationOf(uri: string): S3Location {
  const location = splitS3Uri(uri);
  if (location === undefined || !uri.slice('s3://'.length).includes('/')) throw new Error(`not an s3 uri: ${uri}`);
  return location;
}
