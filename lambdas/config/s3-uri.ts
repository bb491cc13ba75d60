import * as z from 'zod';

/**
 * An S3 prefix as the config writes it. Its own module so that action and payload schemas can
 * use it without importing (and building) the whole config schema.
 */
export const s3UriSchema = z
  .string()
  .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(.+\/)?$/, 'must be s3://bucket/prefix/ ending with a slash');
