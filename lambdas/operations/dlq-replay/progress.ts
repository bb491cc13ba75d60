import { createHash } from 'node:crypto';
import type { Ledger } from '../../ledger/ledger';

/**
 * Replay progress per source object, in the ledger (`PROGRESS#<unit>` of the operation).
 * Lines before `nextLine` are settled: acknowledged by the target, quarantined, filtered out or
 * bad. Lines at or after it listed in `ackedAhead` were acknowledged by a batch that had not
 * settled yet (some entries were being retried): a resumed replay skips them.
 */
/** A batch written ahead of its send: lines `fromLine`…`toLine`, `records` of them selected. */
export interface InFlight {
  fromLine: number;
  toLine: number;
  records: number;
}

export interface ObjectProgress {
  uri: string;
  nextLine: number;
  /** Where `nextLine` starts in the (decompressed) object: a plain object resumes with a ranged read. */
  nextByte: number;
  ackedAhead: number[];
  done: boolean;
  delivered: number;
  quarantined: number;
  filtered: number;
  badLines: number;
  /** The batch being sent when this was written: present = it may have reached the target (a crash). */
  inFlight?: InFlight;
  /** Records sent again after a crash that may have delivered them already (every invocation). */
  maybeDuplicated: number;
}

export const progressUnit = (uri: string): string => createHash('sha256').update(uri).digest('hex').slice(0, 32);

export const freshProgress = (uri: string): ObjectProgress => ({
  uri,
  nextLine: 1,
  nextByte: 0,
  ackedAhead: [],
  done: false,
  delivered: 0,
  quarantined: 0,
  filtered: 0,
  badLines: 0,
  maybeDuplicated: 0,
});

function readInFlight(v: unknown): InFlight | undefined {
  const x = v as Partial<InFlight> | undefined;
  if (!x || typeof x !== 'object') return undefined;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  return ok(x.fromLine) && ok(x.toLine) && ok(x.records) ? { fromLine: x.fromLine, toLine: x.toLine, records: x.records } : undefined;
}

/**
 * The id downstream can drop a replayed record's second copy by: the same for every send of the
 * same record by the same replay (retries, resumes, a batch re-sent after a crash), different
 * for another replay (`replayId`) or another record. 32 hex characters of SHA-256.
 */
export const replayIdOf = (operationId: string, objectUri: string, lineNo: number): string =>
  createHash('sha256').update(`${operationId}\n${objectUri}\n${lineNo}`).digest('hex').slice(0, 32);

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** Progress as stored; anything malformed reads as "start this object again". */
export function readProgress(uri: string, doc: Record<string, unknown> | undefined): ObjectProgress {
  if (!doc || doc.uri !== uri) return freshProgress(uri);
  const inFlight = readInFlight(doc.inFlight);
  return {
    uri,
    nextLine: Math.max(1, num(doc.nextLine)),
    nextByte: num(doc.nextByte),
    ackedAhead: Array.isArray(doc.ackedAhead) ? doc.ackedAhead.filter((x): x is number => typeof x === 'number') : [],
    done: doc.done === true,
    delivered: num(doc.delivered),
    quarantined: num(doc.quarantined),
    filtered: num(doc.filtered),
    badLines: num(doc.badLines),
    maybeDuplicated: num(doc.maybeDuplicated),
    ...(inFlight ? { inFlight } : {}),
  };
}

export async function loadProgress(ledger: Pick<Ledger, 'listProgress'>, operationId: string): Promise<Map<string, Record<string, unknown>>> {
  return new Map((await ledger.listProgress(operationId)).map((p) => [p.unit, p.progress]));
}

/** `<root>_quarantine/<operationId>/<unit>-<first line>.jsonl`: the same batch always lands on the same key. */
export const quarantineKey = (rootPrefix: string, operationId: string, unit: string, firstLine: number): string =>
  `${rootPrefix}_quarantine/${operationId}/${unit}-${String(firstLine).padStart(9, '0')}.jsonl`;
