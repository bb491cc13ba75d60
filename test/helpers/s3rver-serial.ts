import { startS3rver } from './s3rver-process';

/** s3rver whose DeleteObjects removes keys one after the other (see s3rver-child.mjs). */
export const startSerialS3rver = (buckets: string[]) => startS3rver(buckets, { serialDeletes: true });
