import type { S3Adapter } from '../adapters/s3';

/**
 * What checkpoint backups, copies, rollbacks and restores need of S3: reading (as
 * analysis/checkpoint's S3Reader) and writing. The S3 adapter, or an in-memory stand-in.
 */
export type S3Store = Pick<S3Adapter, 'listPrefix' | 'getObjectText' | 'headObject' | 'copyObject' | 'deleteObjects' | 'putObject' | 'digestObject'>;
