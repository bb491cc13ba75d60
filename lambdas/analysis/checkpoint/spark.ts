import { parseS3Uri } from '../../core/object-store';
import { listBatchFiles, type S3Reader } from './listing';
import { assessSpark, keysToRead, type SparkAssessment } from './spark-assess';

export type { CheckpointProblem, ProblemKind, PartitionOffset, BatchView } from './spark-assess';

export interface SparkReadOptions {
  /** Most log files read (GetObject) in one inspection; listing is not counted. Default 24. */
  maxFileReads?: number;
  /** Most files read per round while looking for the last good batch (rounds start at 2 and double). Default 8. */
  readWindow?: number;
  /** Objects listed per first-digit shard of `offsets/` and `commits/`. Default 200,000. */
  maxKeysPerShard?: number;
  /** Highest offsets log version the job's Spark reads (e.g. 1 before Spark 4.1). Default 2. */
  maxOffsetsVersion?: number;
}

export interface SparkCheckpointReport extends SparkAssessment {
  uri: string;
  bucket: string;
  prefix: string;
  metadataWrittenAtMs?: number;
  offsetFiles: number;
  commitFiles: number;
  /** False when a listing stopped at its cap: the newest batches may be missing from the report. */
  listingComplete: boolean;
  listPages: number;
  filesRead: number;
}

/**
 * Reads a Spark Structured Streaming checkpoint: `metadata`, the full listing of `offsets/`
 * and `commits/` (batch ids, sizes and write times, paged), then only the log files needed:
 * the three Spark itself reads on restart (offsets/N, offsets/N-1, commits/C), and, when
 * those are not clean, older ones a window at a time until the last good batch is found or
 * `maxFileReads` is spent. A checkpoint of 10,000 batches costs about 40 list pages and a
 * handful of reads.
 */
export async function readSparkCheckpoint(s3: S3Reader, uri: string, opts: SparkReadOptions = {}): Promise<SparkCheckpointReport> {
  const { bucket, prefix } = parseS3Uri(uri);
  const maxReads = opts.maxFileReads ?? 24;
  const window = opts.readWindow ?? 8;
  const [metaHead, metaText, offsets, commits] = await Promise.all([
    s3.headObject(bucket, `${prefix}metadata`),
    s3.getObjectText(bucket, `${prefix}metadata`),
    listBatchFiles(s3, bucket, `${prefix}offsets/`, opts.maxKeysPerShard),
    listBatchFiles(s3, bucket, `${prefix}commits/`, opts.maxKeysPerShard),
  ]);
  const texts = new Map<string, string | undefined>();
  const base = {
    metadata: { ...(metaText !== undefined ? { text: metaText } : {}), ...(metaHead ? { writtenAtMs: metaHead.lastModifiedMs } : {}) },
    offsets,
    commits,
    texts,
    ...(opts.maxOffsetsVersion !== undefined ? { maxOffsetsVersion: opts.maxOffsetsVersion } : {}),
  };
  let filesRead = 0;
  // The first walk round reads one candidate batch (two files); each further round doubles,
  // up to `readWindow`: a corrupt latest batch costs one extra round trip, deep damage a few.
  for (let round = 0; ; round++) {
    const keys = keysToRead(base, Math.min(window, 2 ** round)).slice(0, maxReads - filesRead);
    if (keys.length === 0) break;
    const got = await Promise.all(keys.map((k) => s3.getObjectText(bucket, k)));
    keys.forEach((k, i) => texts.set(k, got[i]));
    filesRead += keys.length;
  }
  return {
    uri,
    bucket,
    prefix,
    ...assessSpark(base),
    ...(metaHead ? { metadataWrittenAtMs: metaHead.lastModifiedMs } : {}),
    offsetFiles: offsets.ids.length,
    commitFiles: commits.ids.length,
    listingComplete: offsets.complete && commits.complete,
    listPages: offsets.pages + commits.pages,
    filesRead,
  };
}
