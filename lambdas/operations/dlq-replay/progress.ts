import { createHash } from 'node:crypto';
import type { Ledger } from '../../ledger/ledger';

/**
 * Replay progress per source object, in the ledger (`PROGRESS#<unit>` of the operation).
 * Lines before `nextLine` are settled: acknowledged by the target, quarantined, filtered out or
 * bad. Lines at or after it listed in `ackedAhead` were acknowledged by a batch that had not
 * settled yet (some entries were being retried): a resumed replay skips them.
 */
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
}

export const progressUnit = (uri: string): string => createHash('sha256').update(uri).digest('hex').slice(0, 32);

export const freshProgress = (uri: string): ObjectProgress => ({
  uri, nextLine: 1, nextByte: 0, ackedAhead: [], done: false, delivered: 0, quarantined: 0, filtered: 0, badLines: 0,
});

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** Progress as stored; anything malformed reads as "start this object again". */
export function readProgress(uri: string, doc: Record<string, unknown> | undefined): ObjectProgress {
  if (!doc || doc.uri !== uri) return freshProgress(uri);
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
  };
}

export async function loadProgress(ledger: Pick<Ledger, 'listProgress'>, operationId: string): Promise<Map<string, Record<string, unknown>>> {
  return new Map((await ledger.listProgress(operationId)).map((p) => [p.unit, p.progress]));
}

/** `<root>_quarantine/<operationId>/<unit>-<first line>.jsonl`: the same batch always lands on the same key. */
export const quarantineKey = (rootPrefix: string, operationId: string, unit: string, firstLine: number): string =>
  `${rootPrefix}_quarantine/${operationId}/${unit}-${String(firstLine).padStart(9, '0')}.jsonl`;
