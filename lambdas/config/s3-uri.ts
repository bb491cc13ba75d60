import * as z from 'zod';

/**
 * An S3 prefix as the config writes it. Its own module so that action and payload schemas can
 * use it without importing (and building) the whole config schema.
 */
/** `s3://` + a bucket name (≤ 63) + `/` + a key prefix (S3 keys are at most 1,024 bytes). */
export const MAX_S3_URI_CHARS = 1_100;

export const s3UriSchema = z
  .string()
  .max(MAX_S3_URI_CHARS, `at most ${MAX_S3_URI_CHARS} characters (an S3 key is at most 1,024 bytes)`)
  .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(.+\/)?$/, 'must be s3://bucket/prefix/ ending with a slash');
