import { parseS3Uri } from '../../core/object-store';
import type { S3Reader } from './listing';

/**
 * A Flink checkpoint directory of one job, `<state.checkpoints.dir>/<job-id>/`:
 *
 *   chk-<N>/_metadata     a completed checkpoint (the coordinator writes `_metadata` last)
 *   chk-<N>/              without `_metadata`: failed, expired or still in progress
 *   shared/               state files shared by incremental checkpoints
 *   taskowned/            state owned by the task managers
 *
 * and savepoints, `<state.savepoints.dir>/savepoint-<6 chars of job id>-<12 chars>/_metadata`.
 * Only keys are listed (paged); no file is read.
 */
export interface FlinkCheckpointView {
  id: number;
  /** Has `_metadata`. */
  complete: boolean;
  files: number;
  bytes: number;
  writtenAtMs: number;
}

export interface FlinkSavepointView {
  name: string;
  uri: string;
  complete: boolean;
  writtenAtMs: number;
}

export interface FlinkCheckpointReport {
  uri: string;
  exists: boolean;
  latestCompleted?: FlinkCheckpointView & { uri: string };
  /** Checkpoints newer than the latest completed one that never completed (failed or in progress). */
  incompleteAfterLatest: number[];
  /** Older directories without `_metadata` (left behind by failed checkpoints). */
  incompleteBefore: number[];
  completedCount: number;
  sharedPresent: boolean;
  taskOwnedPresent: boolean;
  savepoints: FlinkSavepointView[];
  problems: { kind: 'no-completed-checkpoint' | 'failed-since-latest' | 'savepoint-incomplete'; message: string }[];
  listingComplete: boolean;
}

const CHK = /^chk-(\d+)\/(.*)$/;
const SAVEPOINT = /^(savepoint-[0-9a-f]{6}-[0-9a-f]+)\/(.*)$/;

export async function readFlinkCheckpoints(
  s3: Pick<S3Reader, 'listPrefix'>,
  uri: string,
  opts: { savepointsUri?: string; maxKeys?: number } = {},
): Promise<FlinkCheckpointReport> {
  const { bucket, prefix } = parseS3Uri(uri);
  const maxKeys = opts.maxKeys ?? 200_000;
  const firstKey = async (p: string) => {
    for await (const o of s3.listPrefix(bucket, p, { maxKeys: 1 })) return o;
    return undefined;
  };
  const listChk = async () => {
    const byId = new Map<number, FlinkCheckpointView>();
    let n = 0;
    for await (const o of s3.listPrefix(bucket, `${prefix}chk-`, { maxKeys })) {
      n++;
      const m = CHK.exec(o.key.slice(prefix.length));
      if (!m) continue;
      const id = Number(m[1]);
      const v = byId.get(id) ?? { id, complete: false, files: 0, bytes: 0, writtenAtMs: 0 };
      v.files++;
      v.bytes += o.size;
      v.writtenAtMs = Math.max(v.writtenAtMs, o.lastModifiedMs);
      if (m[2] === '_metadata') v.complete = true;
      byId.set(id, v);
    }
    return { views: [...byId.values()].sort((a, b) => a.id - b.id), complete: n < maxKeys };
  };
  const listSavepoints = async () => {
    if (!opts.savepointsUri) return [];
    const sp = parseS3Uri(opts.savepointsUri);
    const byName = new Map<string, FlinkSavepointView>();
    for await (const o of s3.listPrefix(sp.bucket, `${sp.prefix}savepoint-`, { maxKeys })) {
      const m = SAVEPOINT.exec(o.key.slice(sp.prefix.length));
      if (!m) continue;
      const v = byName.get(m[1]!) ?? { name: m[1]!, uri: `s3://${sp.bucket}/${sp.prefix}${m[1]!}/`, complete: false, writtenAtMs: 0 };
      v.writtenAtMs = Math.max(v.writtenAtMs, o.lastModifiedMs);
      if (m[2] === '_metadata') v.complete = true;
      byName.set(m[1]!, v);
    }
    return [...byName.values()].sort((a, b) => a.writtenAtMs - b.writtenAtMs);
  };
  const [chk, shared, taskOwned, savepoints] = await Promise.all([listChk(), firstKey(`${prefix}shared/`), firstKey(`${prefix}taskowned/`), listSavepoints()]);
  const completed = chk.views.filter((v) => v.complete);
  const latest = completed[completed.length - 1];
  const incompleteAfterLatest = chk.views.filter((v) => !v.complete && (latest === undefined || v.id > latest.id)).map((v) => v.id);
  const incompleteBefore = chk.views.filter((v) => !v.complete && latest !== undefined && v.id < latest.id).map((v) => v.id);
  const problems: FlinkCheckpointReport['problems'] = [];
  if (chk.views.length > 0 && !latest)
    problems.push({ kind: 'no-completed-checkpoint', message: `${chk.views.length} checkpoint director(ies) and none has _metadata: nothing to restore from` });
  if (latest && incompleteAfterLatest.length > 0) {
    problems.push({
      kind: 'failed-since-latest',
      message: `${incompleteAfterLatest.length} checkpoint(s) after chk-${latest.id} did not complete (${incompleteAfterLatest
        .slice(0, 5)
        .map((i) => `chk-${i}`)
        .join(', ')})`,
    });
  }
  for (const s of savepoints.filter((x) => !x.complete)) problems.push({ kind: 'savepoint-incomplete', message: `${s.name} has no _metadata` });
  return {
    uri,
    exists: chk.views.length > 0 || shared !== undefined,
    ...(latest ? { latestCompleted: { ...latest, uri: `s3://${bucket}/${prefix}chk-${latest.id}/` } } : {}),
    incompleteAfterLatest,
    incompleteBefore,
    completedCount: completed.length,
    sharedPresent: shared !== undefined,
    taskOwnedPresent: taskOwned !== undefined,
    savepoints,
    problems,
    listingComplete: chk.complete,
  };
}

/** Which engine wrote the checkpoint at a prefix, from its layout. */
export async function detectCheckpointKind(s3: Pick<S3Reader, 'listPrefix'>, uri: string): Promise<'spark' | 'flink' | 'none'> {
  const { bucket, prefix } = parseS3Uri(uri);
  const any = async (p: string) => {
    for await (const _ of s3.listPrefix(bucket, p, { maxKeys: 1 })) return true;
    return false;
  };
  const [spark, sparkMeta, flink] = await Promise.all([any(`${prefix}offsets/`), any(`${prefix}metadata`), any(`${prefix}chk-`)]);
  if (spark || sparkMeta) return 'spark';
  return flink ? 'flink' : 'none';
}
