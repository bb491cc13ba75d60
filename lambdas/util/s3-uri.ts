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
