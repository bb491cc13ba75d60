import type { BatchFile, BatchListing } from './listing';
import {
  MAX_COMMITS_VERSION,
  MAX_OFFSETS_VERSION,
  parseCommitFile,
  parseMetadataFile,
  parseOffsetsFile,
  type CommitFile,
  type LogFileFault,
  type OffsetSeqFile,
  type Parsed,
} from './spark-files';

/**
 * The judgment over a Spark checkpoint, pure: listings of `offsets/` and `commits/` plus the
 * texts of the few files that were read → latest planned / committed / last good batch and
 * every problem found. What Spark does on restart (MicroBatchExecution.populateStartOffsets):
 * read the latest `offsets/N`, then `offsets/N-1` ("batch N-1 doesn't exist" if missing), then
 * the latest `commits/C`; a file it cannot parse stops the query.
 */

export type ProblemKind =
  | 'metadata-missing'
  | 'metadata-malformed'
  | 'offsets-empty'
  | 'offsets-malformed'
  | 'offsets-unsupported-version'
  | 'commit-empty'
  | 'commit-malformed'
  | 'commit-unsupported-version'
  | 'previous-offsets-missing'
  | 'batch-gap'
  | 'commit-without-offsets'
  | 'commit-ahead-of-offsets'
  | 'commit-gap';

export interface CheckpointProblem {
  kind: ProblemKind;
  /** `fatal`: Spark cannot restart on this checkpoint; `warning`: it can, but something is off. */
  severity: 'fatal' | 'warning';
  batchId?: number;
  key?: string;
  message: string;
}

export interface BatchView {
  batchId: number;
  offsets?: { key: string; sizeBytes: number; writtenAtMs: number; status: 'ok' | LogFileFault | 'unread'; version?: number; batchTimestampMs?: number };
  commit?: { key: string; sizeBytes: number; writtenAtMs: number; status: 'ok' | LogFileFault | 'unread'; version?: number };
}

export interface PartitionOffset {
  sourceId: string;
  topic: string;
  partition: number;
  /** Next offset to read (the end of the batch). */
  offset: number;
}

export interface AssessInput {
  metadata: { text?: string; writtenAtMs?: number };
  offsets: BatchListing;
  commits: BatchListing;
  /** Texts of the files read, by key (undefined = the object vanished between list and read). */
  texts: ReadonlyMap<string, string | undefined>;
  /** Offsets log versions the job's Spark reads (from its failure text); default: v1 and v2. */
  maxOffsetsVersion?: number;
  maxCommitsVersion?: number;
}

export interface SparkAssessment {
  exists: boolean;
  queryId?: string;
  oldestBatch?: number;
  latestPlannedBatch?: number;
  latestCommittedBatch?: number;
  /** Newest batch Spark could resume after: offsets/B and commits/B readable, offsets/B-1 readable (B > 0). */
  lastGoodBatch?: number;
  lastGoodBatchCommittedAtMs?: number;
  lastGoodOffsets?: PartitionOffset[];
  latestWriteMs?: number;
  batches: BatchView[];
  problems: CheckpointProblem[];
  /** True when the files read were not enough to find a last good batch (more reads allowed). */
  searchIncomplete: boolean;
}

type FileState<T> = { file: BatchFile; parsed?: Parsed<T> };

function fileState<T>(listing: BatchListing, id: number, texts: AssessInput['texts'], parse: (t: string) => Parsed<T>): FileState<T> | undefined {
  const file = listing.files.get(id);
  if (!file) return undefined;
  if (!texts.has(file.key)) return { file };
  const text = texts.get(file.key);
  // Listed but gone when read: treat as an empty file (Spark would fail to open it).
  return { file, parsed: text === undefined ? { ok: false, fault: 'empty', message: 'listed, then missing when read' } : parse(text) };
}

const faultKind = (prefix: 'offsets' | 'commit', f: LogFileFault): ProblemKind =>
  `${prefix}-${f === 'empty' ? 'empty' : f === 'malformed' ? 'malformed' : 'unsupported-version'}` as ProblemKind;

/** Keys worth reading next, newest first, to judge the restart files and find the last good batch. */
export function keysToRead(input: AssessInput, window: number): string[] {
  const { offsets, commits, texts } = input;
  const want: string[] = [];
  const add = (l: BatchListing, id: number) => {
    const f = l.files.get(id);
    if (f && !texts.has(f.key) && !want.includes(f.key)) want.push(f.key);
  };
  const n = offsets.ids[offsets.ids.length - 1];
  const c = commits.ids[commits.ids.length - 1];
  if (n !== undefined) {
    add(offsets, n);
    add(offsets, n - 1);
  }
  if (c !== undefined) add(commits, c);
  if (want.length > 0) return want;
  const a = assessSpark(input);
  if (a.lastGoodBatch !== undefined || !a.searchIncomplete) return [];
  for (const b of [...commits.ids].reverse()) {
    if (!offsets.files.has(b)) continue;
    add(commits, b);
    add(offsets, b);
    add(offsets, b - 1);
    if (want.length >= window) break;
  }
  return want;
}

export function assessSpark(input: AssessInput): SparkAssessment {
  const { offsets, commits, texts } = input;
  const maxO = input.maxOffsetsVersion ?? MAX_OFFSETS_VERSION;
  const maxC = input.maxCommitsVersion ?? MAX_COMMITS_VERSION;
  const problems: CheckpointProblem[] = [];
  const o = (id: number) => fileState<OffsetSeqFile>(offsets, id, texts, (t) => parseOffsetsFile(t, maxO));
  const cm = (id: number) => fileState<CommitFile>(commits, id, texts, (t) => parseCommitFile(t, maxC));
  const n = offsets.ids[offsets.ids.length - 1];
  const c = commits.ids[commits.ids.length - 1];
  const min = offsets.ids[0];
  const exists = input.metadata.text !== undefined || n !== undefined || c !== undefined;

  let queryId: string | undefined;
  if (input.metadata.text === undefined) {
    if (exists)
      problems.push({
        kind: 'metadata-missing',
        severity: 'warning',
        key: 'metadata',
        message: 'no metadata file: Spark would write a new query id, and sinks keyed on the query id would see a new query',
      });
  } else {
    const md = parseMetadataFile(input.metadata.text);
    if (md.ok) queryId = md.value.id;
    else problems.push({ kind: 'metadata-malformed', severity: 'fatal', key: 'metadata', message: md.message });
  }

  const noteFault = (kind: 'offsets' | 'commit', id: number, st: FileState<unknown> | undefined, fatal: boolean) => {
    if (!st?.parsed || st.parsed.ok) return;
    problems.push({ kind: faultKind(kind, st.parsed.fault), severity: fatal ? 'fatal' : 'warning', batchId: id, key: st.file.key, message: st.parsed.message });
  };

  // The files Spark itself reads on restart.
  if (n !== undefined) {
    noteFault('offsets', n, o(n), true);
    if (n > 0 && !offsets.files.has(n - 1)) {
      problems.push({
        kind: 'previous-offsets-missing',
        severity: 'fatal',
        batchId: n - 1,
        message: `offsets/${n - 1} is missing: Spark needs it to restart at batch ${n} ("batch ${n - 1} doesn't exist")`,
      });
    } else if (n > 0) noteFault('offsets', n - 1, o(n - 1), true);
  }
  if (c !== undefined) noteFault('commit', c, cm(c), true);

  // Structure, from the listings alone.
  if (n !== undefined && min !== undefined) {
    // Gaps between consecutive listed ids (offsets/N-1 has its own, fatal, problem above).
    let missingCount = 0;
    const firstMissing: number[] = [];
    for (let i = 1; i < offsets.ids.length; i++) {
      const from = offsets.ids[i - 1]! + 1;
      const to = Math.min(offsets.ids[i]! - 1, n - 2);
      if (to < from) continue;
      missingCount += to - from + 1;
      for (let id = from; id <= to && firstMissing.length < 10; id++) firstMissing.push(id);
    }
    if (missingCount > 0) {
      problems.push({
        kind: 'batch-gap',
        severity: 'warning',
        batchId: firstMissing[0]!,
        message: `offsets missing for ${missingCount} batch(es) between ${min} and ${n}: ${firstMissing.join(', ')}${missingCount > firstMissing.length ? ', …' : ''}`,
      });
    }
  }
  for (const id of commits.ids) {
    if (n !== undefined && id > n) {
      problems.push({
        kind: 'commit-ahead-of-offsets',
        severity: 'fatal',
        batchId: id,
        key: commits.files.get(id)!.key,
        message: `commits/${id} exists but the newest offsets file is ${n}: a commit for a batch never planned`,
      });
    } else if (n === undefined || (min !== undefined && id >= min && !offsets.files.has(id))) {
      problems.push({
        kind: 'commit-without-offsets',
        severity: n !== undefined && id >= n - 1 ? 'fatal' : 'warning',
        batchId: id,
        key: commits.files.get(id)!.key,
        message: `commits/${id} has no offsets/${id}`,
      });
    }
  }
  if (c !== undefined && n !== undefined && c < n - 1) {
    problems.push({
      kind: 'commit-gap',
      severity: 'warning',
      batchId: c + 1,
      message: `the newest commit is ${c} but batches up to ${n} were planned: ${n - c - 1} planned batch(es) never committed`,
    });
  }

  // The last good batch: newest committed batch whose files (and offsets/B-1) all read cleanly.
  let lastGood: number | undefined;
  let searchIncomplete = false;
  for (const b of [...commits.ids].reverse()) {
    if (n !== undefined && b > n) continue;
    const ob = o(b);
    const cb = cm(b);
    const prev = b > 0 ? o(b - 1) : undefined;
    if (!ob) continue;
    if (!ob.parsed || !cb?.parsed || (b > 0 && prev && !prev.parsed)) {
      searchIncomplete = true;
      break;
    }
    if (!ob.parsed.ok || !cb.parsed.ok) {
      noteFault('offsets', b, ob, false);
      noteFault('commit', b, cb, false);
      continue;
    }
    if (b > 0 && (!prev || (prev.parsed && !prev.parsed.ok))) {
      noteFault('offsets', b - 1, prev, false);
      continue;
    }
    lastGood = b;
    break;
  }

  const batches: BatchView[] = [];
  const shown = new Set<number>([...(n !== undefined ? [n, n - 1] : []), ...(c !== undefined ? [c] : []), ...(lastGood !== undefined ? [lastGood] : [])]);
  for (const id of [...shown].filter((x) => x >= 0).sort((a, b) => b - a)) {
    const os = o(id);
    const cs = cm(id);
    if (!os && !cs) continue;
    const view = (st: FileState<OffsetSeqFile | CommitFile>) => ({
      key: st.file.key,
      sizeBytes: st.file.sizeBytes,
      writtenAtMs: st.file.writtenAtMs,
      status: !st.parsed ? ('unread' as const) : st.parsed.ok ? ('ok' as const) : st.parsed.fault,
      ...(st.parsed?.ok ? { version: st.parsed.value.version } : st.parsed?.version !== undefined ? { version: st.parsed.version } : {}),
    });
    const ts = os?.parsed?.ok ? os.parsed.value.batchTimestampMs : undefined;
    batches.push({
      batchId: id,
      ...(os ? { offsets: { ...view(os), ...(ts !== undefined ? { batchTimestampMs: ts } : {}) } } : {}),
      ...(cs ? { commit: view(cs) } : {}),
    });
  }

  const good = lastGood !== undefined ? o(lastGood) : undefined;
  const lastGoodOffsets: PartitionOffset[] = [];
  if (good?.parsed?.ok) {
    for (const s of good.parsed.value.sources) {
      for (const [topic, parts] of Object.entries(s.kafka ?? {})) {
        for (const [p, off] of Object.entries(parts)) lastGoodOffsets.push({ sourceId: s.sourceId, topic, partition: Number(p), offset: off });
      }
    }
    lastGoodOffsets.sort((a, b) => a.sourceId.localeCompare(b.sourceId) || a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }
  const times = [
    input.metadata.writtenAtMs,
    n !== undefined ? offsets.files.get(n)?.writtenAtMs : undefined,
    c !== undefined ? commits.files.get(c)?.writtenAtMs : undefined,
  ].filter((t): t is number => t !== undefined);
  const committedAt = lastGood !== undefined ? commits.files.get(lastGood)?.writtenAtMs : undefined;
  return {
    exists,
    ...(queryId !== undefined ? { queryId } : {}),
    ...(min !== undefined ? { oldestBatch: min } : {}),
    ...(n !== undefined ? { latestPlannedBatch: n } : {}),
    ...(c !== undefined ? { latestCommittedBatch: c } : {}),
    ...(lastGood !== undefined ? { lastGoodBatch: lastGood } : {}),
    ...(committedAt !== undefined ? { lastGoodBatchCommittedAtMs: committedAt } : {}),
    ...(lastGoodOffsets.length > 0 ? { lastGoodOffsets } : {}),
    ...(times.length > 0 ? { latestWriteMs: Math.max(...times) } : {}),
    batches,
    problems: dedupe(problems),
    searchIncomplete,
  };
}

function dedupe(problems: CheckpointProblem[]): CheckpointProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.kind}#${p.batchId ?? ''}#${p.key ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
