import { formatCommitFile, formatOffsetsFile } from '../../lambdas/analysis/checkpoint/spark-files';

/**
 * Checkpoint directories laid out the way Spark Structured Streaming and Flink write them,
 * as a list of objects to put (tests, bench and the CLI test share it).
 */
export interface LaidObject {
  key: string;
  body: string;
  atMs: number;
}

export interface SparkLayout {
  /** Key prefix of the checkpoint, ending with `/`. */
  prefix: string;
  /** Batches 0 … batches-1 were planned. */
  batches: number;
  /** Only the newest `retain` batches are kept (spark.sql.streaming.minBatchesToRetain, default 100). */
  retain?: number;
  topic?: string;
  partitions?: number;
  /** Time of batch 0 and the trigger interval. */
  startMs: number;
  intervalMs?: number;
  /** false: the newest batch has its offsets file but no commit (the job died mid-batch). */
  lastCommitted?: boolean;
  version?: 1 | 2;
  /** Stateful query: one operator with this many shuffle partitions (HDFS state store). */
  statePartitions?: number;
  queryId?: string;
}

export const QUERY_ID = '3b1f9c8e-7a52-4d1e-9f0a-5c6d7e8f9a0b';
const CONF = {
  'spark.sql.streaming.stateStore.providerClass': 'org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider',
  'spark.sql.streaming.multipleWatermarkPolicy': 'min',
  'spark.sql.shuffle.partitions': '200',
};

/** Kafka offsets at the end of batch n: partition p advances 100 × (p+1) records per batch. */
export function endOffsets(n: number, partitions: number, topic = 'orders.raw'): Record<string, Record<string, number>> {
  return { [topic]: Object.fromEntries(Array.from({ length: partitions }, (_, p) => [String(p), 5_000 + (n + 1) * 100 * (p + 1)])) };
}

export function sparkCheckpoint(o: SparkLayout): LaidObject[] {
  const topic = o.topic ?? 'orders.raw';
  const parts = o.partitions ?? 3;
  const interval = o.intervalMs ?? 10_000;
  const retain = o.retain ?? 100;
  const at = (n: number) => o.startMs + n * interval;
  const out: LaidObject[] = [
    { key: `${o.prefix}metadata`, body: JSON.stringify({ id: o.queryId ?? QUERY_ID }), atMs: o.startMs - 5_000 },
    {
      key: `${o.prefix}sources/0/0`,
      body: `v1\n${JSON.stringify({ [topic]: Object.fromEntries(Array.from({ length: parts }, (_, p) => [String(p), 5_000])) })}`,
      atMs: o.startMs - 4_000,
    },
  ];
  const first = Math.max(0, o.batches - retain);
  for (let n = first; n < o.batches; n++) {
    out.push({
      key: `${o.prefix}offsets/${n}`,
      body: formatOffsetsFile({ version: o.version ?? 1, batchTimestampMs: at(n), conf: CONF, sources: [endOffsets(n, parts, topic)] }),
      atMs: at(n),
    });
    if (n < o.batches - 1 || o.lastCommitted !== false) out.push({ key: `${o.prefix}commits/${n}`, body: formatCommitFile(0), atMs: at(n) + 2_000 });
  }
  if (o.statePartitions) {
    out.push({
      key: `${o.prefix}state/0/_metadata/metadata`,
      body: 'v1\n{"operatorInfo":{"operatorId":0,"operatorName":"stateStoreSave"},"stateStoreInfo":[{"storeName":"default","numColsPrefixKey":0,"numPartitions":4}]}',
      atMs: o.startMs,
    });
    for (let p = 0; p < o.statePartitions; p++) {
      for (let n = first; n < o.batches; n++) {
        const v = n + 1;
        out.push({ key: `${o.prefix}state/0/${p}/${v}.delta`, body: `delta ${v} of partition ${p}`, atMs: at(n) + 1_000 });
        if (v % 10 === 0) out.push({ key: `${o.prefix}state/0/${p}/${v}.snapshot`, body: `snapshot ${v} of partition ${p}`, atMs: at(n) + 1_500 });
      }
    }
  }
  return out;
}

export interface FlinkLayout {
  /** `<state.checkpoints.dir>/<job-id>/` as a key prefix. */
  prefix: string;
  completed: number[];
  /** chk-N directories without `_metadata`. */
  incomplete?: number[];
  startMs: number;
  savepointsPrefix?: string;
  savepoints?: { name: string; complete: boolean }[];
}

export function flinkCheckpoints(o: FlinkLayout): LaidObject[] {
  const out: LaidObject[] = [
    { key: `${o.prefix}shared/4c1f2e3d-aaaa-bbbb-cccc-000000000001`, body: 'sst', atMs: o.startMs },
    { key: `${o.prefix}taskowned/placeholder`, body: '', atMs: o.startMs },
  ];
  for (const n of o.completed) {
    out.push({ key: `${o.prefix}chk-${n}/9f2e7c1a-1111-2222-3333-${String(n).padStart(12, '0')}`, body: 'operator state', atMs: o.startMs + n * 60_000 });
    out.push({ key: `${o.prefix}chk-${n}/_metadata`, body: 'flink checkpoint metadata', atMs: o.startMs + n * 60_000 + 500 });
  }
  for (const n of o.incomplete ?? [])
    out.push({ key: `${o.prefix}chk-${n}/9f2e7c1a-1111-2222-3333-${String(n).padStart(12, '0')}`, body: 'partial', atMs: o.startMs + n * 60_000 });
  for (const s of o.savepoints ?? []) {
    out.push({ key: `${o.savepointsPrefix}${s.name}/4d2f0c11-0000-0000-0000-000000000000`, body: 'state', atMs: o.startMs });
    if (s.complete) out.push({ key: `${o.savepointsPrefix}${s.name}/_metadata`, body: 'savepoint metadata', atMs: o.startMs + 1_000 });
  }
  return out;
}
