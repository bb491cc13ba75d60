/**
 * The files of a Spark Structured Streaming checkpoint, parsed the way Spark reads them
 * (HDFSMetadataLog, OffsetSeqLog, CommitLog). Pure: text in, a parsed value or the exact
 * reason Spark would refuse the file out.
 *
 *   metadata          {"id":"<query uuid>"}
 *   offsets/<batch>   v1 | metadata JSON | one offset JSON (or "-") per source, in source order
 *                     v2 | metadata JSON | "<sourceId>:<offset JSON>" per source (named sources)
 *   commits/<batch>   v1 | {"nextBatchWatermarkMs":0}   (v2 adds stateUniqueIds)
 */

import { isRecord } from '../../util/is-record';

/** Highest log versions this reader understands (offsets v2 = OffsetMap, commits v2 = state checkpoint format v2). */
export const MAX_OFFSETS_VERSION = 2;
export const MAX_COMMITS_VERSION = 2;
export const VOID_OFFSET = '-';

/** Why a log file cannot be read, named after Spark's own errors. */
export type LogFileFault =
  /** No line at all: "Incomplete log file". */
  | 'empty'
  /** First line is not `v<n>`, or a line is not valid JSON: "Log file was malformed". */
  | 'malformed'
  /** `v<n>` newer than the reader supports: "UnsupportedLogVersion". */
  | 'unsupported-version';

export type Parsed<T> = { ok: true; value: T } | { ok: false; fault: LogFileFault; message: string; version?: number };

/** Offsets of one Kafka source: topic → partition → next offset to read. */
export type KafkaOffsets = Record<string, Record<string, number>>;

export interface SourceOffset {
  /** Position in the query's sources (v1) or the source's name (v2). */
  sourceId: string;
  /** No new data for this source in the batch (`-`). */
  void: boolean;
  /** The offset JSON exactly as logged. */
  json?: string;
  /** Set when the offset has Kafka's shape `{"topic":{"partition":offset}}`. */
  kafka?: KafkaOffsets;
}

export interface OffsetSeqFile {
  version: number;
  batchWatermarkMs?: number;
  batchTimestampMs?: number;
  conf: Record<string, string>;
  sources: SourceOffset[];
}

export interface CommitFile {
  version: number;
  nextBatchWatermarkMs?: number;
}

const fail = <T>(fault: LogFileFault, message: string, version?: number): Parsed<T> => ({
  ok: false,
  fault,
  message,
  ...(version !== undefined ? { version } : {}),
});

/** Spark's validateVersion: `v<n>` with 0 < n ≤ max. */
export function parseVersionLine(line: string | undefined, max: number): Parsed<number> {
  const text = (line ?? '').trim();
  const m = /^v(\d+)$/.exec(text);
  if (!m) return fail('malformed', `Log file was malformed: failed to read correct log version from "${text.slice(0, 40)}"`);
  const v = Number(m[1]);
  if (v <= 0) return fail('malformed', `Log file was malformed: failed to read correct log version from "${text}"`);
  if (v > max) {
    return fail('unsupported-version', `UnsupportedLogVersion: maximum supported log version is v${max}, but encountered v${v}`, v);
  }
  return { ok: true, value: v };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `{"topic":{"0":123,"1":456}}` → the Kafka offsets; anything else (file, rate, Kinesis sources) → undefined. */
export function kafkaOffsetsOf(json: unknown): KafkaOffsets | undefined {
  if (!isRecord(json) || Object.keys(json).length === 0) return undefined;
  const out: KafkaOffsets = {};
  for (const [topic, parts] of Object.entries(json)) {
    if (!isRecord(parts) || Object.keys(parts).length === 0) return undefined;
    const byPartition: Record<string, number> = {};
    for (const [p, off] of Object.entries(parts)) {
      if (!/^\d+$/.test(p) || typeof off !== 'number' || !Number.isInteger(off)) return undefined;
      byPartition[p] = off;
    }
    out[topic] = byPartition;
  }
  return out;
}

function sourceOffset(sourceId: string, raw: string): Parsed<SourceOffset> {
  if (raw.trim() === VOID_OFFSET) return { ok: true, value: { sourceId, void: true } };
  const json = parseJson(raw);
  if (json === undefined) return fail('malformed', `Log file was malformed: offset of source ${sourceId} is not JSON: ${raw.slice(0, 80)}`);
  const kafka = kafkaOffsetsOf(json);
  return { ok: true, value: { sourceId, void: false, json: raw, ...(kafka ? { kafka } : {}) } };
}

function metadataOf(line: string | undefined, version: number): Parsed<Omit<OffsetSeqFile, 'version' | 'sources'>> {
  const text = (line ?? '').trim();
  if (text === '') {
    return version >= 2 ? fail('malformed', 'VERSION_2 offset log requires metadata') : { ok: true, value: { conf: {} } };
  }
  const md = parseJson(text);
  if (!isRecord(md)) return fail('malformed', `Log file was malformed: batch metadata is not a JSON object: ${text.slice(0, 80)}`);
  const num = (k: string) => (typeof md[k] === 'number' ? (md[k] as number) : undefined);
  const conf = isRecord(md.conf) ? Object.fromEntries(Object.entries(md.conf).map(([k, v]) => [k, String(v)])) : {};
  const wm = num('batchWatermarkMs');
  const ts = num('batchTimestampMs');
  return { ok: true, value: { conf, ...(wm !== undefined ? { batchWatermarkMs: wm } : {}), ...(ts !== undefined ? { batchTimestampMs: ts } : {}) } };
}

/** OffsetSeqLog.deserialize, v1 and v2. */
export function parseOffsetsFile(text: string, maxVersion = MAX_OFFSETS_VERSION): Parsed<OffsetSeqFile> {
  if (text.length === 0) return fail('empty', 'Incomplete log file');
  const lines = text.split('\n');
  const version = parseVersionLine(lines[0], maxVersion);
  if (!version.ok) return version as Parsed<OffsetSeqFile>;
  if (lines.length < 2) return fail('malformed', 'Log file was malformed: no batch metadata line after the version');
  const md = metadataOf(lines[1], version.value);
  if (!md.ok) return md as Parsed<OffsetSeqFile>;
  const sources: SourceOffset[] = [];
  const body = lines.slice(2);
  // A file ends with the last offset, without a newline; a trailing empty line is not a source.
  if (body.length > 0 && body[body.length - 1] === '') body.pop();
  for (const [i, line] of body.entries()) {
    let id = String(i);
    let raw = line;
    if (version.value >= 2) {
      const colon = line.indexOf(':');
      if (colon <= 0 || line.startsWith('{')) return fail('malformed', `Invalid OffsetMap format: ${line.slice(0, 80)}`);
      id = line.slice(0, colon);
      raw = line.slice(colon + 1);
    }
    const s = sourceOffset(id, raw);
    if (!s.ok) return s as Parsed<OffsetSeqFile>;
    sources.push(s.value);
  }
  if (sources.length === 0) return fail('malformed', 'Log file was malformed: no source offsets');
  return { ok: true, value: { version: version.value, ...md.value, sources } };
}

/** CommitLog.deserialize: the version line, then optional metadata JSON. */
export function parseCommitFile(text: string, maxVersion = MAX_COMMITS_VERSION): Parsed<CommitFile> {
  if (text.length === 0) return fail('empty', 'Incomplete log file in the offset commit log');
  const lines = text.split('\n');
  const version = parseVersionLine(lines[0], maxVersion);
  if (!version.ok) return version as Parsed<CommitFile>;
  const mdText = (lines[1] ?? '').trim();
  if (mdText === '') return { ok: true, value: { version: version.value } };
  const md = parseJson(mdText);
  if (!isRecord(md)) return fail('malformed', `commit metadata is not a JSON object: ${mdText.slice(0, 80)}`);
  const wm = typeof md.nextBatchWatermarkMs === 'number' ? md.nextBatchWatermarkMs : undefined;
  return { ok: true, value: { version: version.value, ...(wm !== undefined ? { nextBatchWatermarkMs: wm } : {}) } };
}

/** The `metadata` file: `{"id":"<uuid>"}`. */
export function parseMetadataFile(text: string): Parsed<{ id: string }> {
  const md = parseJson(text.trim());
  if (!isRecord(md) || typeof md.id !== 'string' || md.id === '') {
    return fail(text.trim() === '' ? 'empty' : 'malformed', `checkpoint metadata has no query id: ${text.slice(0, 80)}`);
  }
  return { ok: true, value: { id: md.id } };
}

/** Writers for tests, drills and the bench: the same bytes Spark writes. */
export function formatOffsetsFile(f: {
  version?: 1 | 2;
  batchTimestampMs: number;
  batchWatermarkMs?: number;
  conf?: Record<string, string>;
  sources: (KafkaOffsets | null)[];
}): string {
  const v = f.version ?? 1;
  const md = JSON.stringify({ batchWatermarkMs: f.batchWatermarkMs ?? 0, batchTimestampMs: f.batchTimestampMs, conf: f.conf ?? {} });
  const lines = f.sources.map((s, i) => {
    const body = s === null ? VOID_OFFSET : JSON.stringify(s);
    return v === 2 ? `${i}:${body}` : body;
  });
  return [`v${v}`, md, ...lines].join('\n');
}

export const formatCommitFile = (nextBatchWatermarkMs = 0): string => `v1\n${JSON.stringify({ nextBatchWatermarkMs })}`;
