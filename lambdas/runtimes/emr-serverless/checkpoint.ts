import type { S3Adapter } from '../../adapters/s3';
import { parseS3Uri } from '../../core/object-store';
import { type S3Location, s3LocationOf } from '../../util/s3-uri';

/**
 * The Spark checkpoint an EMR Serverless streaming job resumes from: where it is, and when it was
 * last written (its `metadata` file and the newest of `commits/*`).
 */

export interface CheckpointSummary {
  exists: boolean;
  /** Newest write among `metadata` and `commits/*` (ms). */
  lastWriteMs?: number;
  commitFiles: number;
  /** False when the listing stopped at its cap: `lastWriteMs` may be older than the truth. */
  complete: boolean;
}

const MAX_CHECKPOINT_KEYS = 10_000;

/** `s3://bucket/prefix/` → its bucket and prefix (the IAM of reading and writing it is scoped to them). */
export const checkpointLocation = (uri: string): S3Location => s3LocationOf(uri);

/** Whether the checkpoint exists (HeadObject of `metadata`) and when it was last written (listing of `commits/`). */
export async function readCheckpointAt(s3: S3Adapter, uri: string): Promise<CheckpointSummary> {
  const { bucket, prefix } = parseS3Uri(uri);
  const [meta, commits] = await Promise.all([
    s3.headObject(bucket, `${prefix}metadata`),
    (async () => {
      let newest: number | undefined;
      let n = 0;
      for await (const o of s3.listPrefix(bucket, `${prefix}commits/`, { maxKeys: MAX_CHECKPOINT_KEYS })) {
        n++;
        if (newest === undefined || o.lastModifiedMs > newest) newest = o.lastModifiedMs;
      }
      return { newest, n };
    })(),
  ]);
  const times = [meta?.lastModifiedMs, commits.newest].filter((t): t is number => t !== undefined);
  return {
    exists: meta !== undefined,
    ...(times.length ? { lastWriteMs: Math.max(...times) } : {}),
    commitFiles: commits.n,
    complete: commits.n < MAX_CHECKPOINT_KEYS,
  };
}
