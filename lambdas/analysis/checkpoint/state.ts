import type { S3Reader } from './listing';

/**
 * Files of a Spark state store directory (`<checkpoint>/state/`) that belong to one version or
 * one batch, so a rollback can remove what the rolled-back batches wrote.
 *
 *   state/<op>/<part>[/<store>]/<v>.delta | <v>.snapshot          HDFS-backed provider
 *   state/<op>/<part>[/<store>]/<v>.zip | <v>.changelog            RocksDB provider
 *   state/<op>/<part>[/<store>]/<v>_<uniqueId>.zip | .changelog     checkpoint format v2
 *   state/<op>/_metadata/v2/<batchId>                              operator metadata v2
 *   state/<op>/_stateSchema/<store>/<batchId>_<uuid>               state schema files
 *
 * Batch B writes state version B+1. SST files (`SSTs/`), `_metadata/schema` and
 * `_metadata/metadata` are not tied to one version and are never removed by a rollback.
 */
export interface StateFile {
  key: string;
  sizeBytes: number;
  /** `version`: a state store version (batch + 1); `batch`: a file named by batch id. */
  tie: 'version' | 'batch';
  n: number;
}

const VERSION_FILE = /^(\d+)(?:_[A-Za-z0-9-]+)?\.(?:delta|snapshot|zip|changelog)$/;
const BATCH_FILE = /^(\d+)(?:_[A-Za-z0-9-]+)?$/;

/** How a key under `state/` ties to a version or batch, or undefined when it does not. */
export function classifyStateKey(relativeKey: string): Pick<StateFile, 'tie' | 'n'> | undefined {
  const parts = relativeKey.split('/');
  const name = parts[parts.length - 1] ?? '';
  if (parts.includes('SSTs')) return undefined;
  const inMetadataV2 = parts.length >= 3 && parts[parts.length - 3] === '_metadata' && parts[parts.length - 2] === 'v2';
  const inSchema = parts.includes('_stateSchema');
  if (inMetadataV2 || inSchema) {
    const m = BATCH_FILE.exec(name);
    return m ? { tie: 'batch', n: Number(m[1]) } : undefined;
  }
  if (parts.includes('_metadata')) return undefined;
  const v = VERSION_FILE.exec(name);
  return v ? { tie: 'version', n: Number(v[1]) } : undefined;
}

export interface StateListing {
  files: StateFile[];
  objects: number;
  complete: boolean;
}

export async function listStateFiles(s3: Pick<S3Reader, 'listPrefix'>, bucket: string, checkpointPrefix: string, maxKeys = 500_000): Promise<StateListing> {
  const dir = `${checkpointPrefix}state/`;
  const files: StateFile[] = [];
  let objects = 0;
  for await (const o of s3.listPrefix(bucket, dir, { maxKeys })) {
    objects++;
    const c = classifyStateKey(o.key.slice(dir.length));
    if (c) files.push({ key: o.key, sizeBytes: o.size, ...c });
  }
  return { files, objects, complete: objects < maxKeys };
}

/** Highest state version present in any store directory. */
export function latestStateVersion(files: readonly StateFile[]): number | undefined {
  let max: number | undefined;
  for (const f of files) if (f.tie === 'version' && (max === undefined || f.n > max)) max = f.n;
  return max;
}
