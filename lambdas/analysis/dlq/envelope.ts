import * as z from 'zod';

/**
 * The two dead-letter formats streamfix reads (docs/dlq-format.md), parsed into one record
 * shape. Parsing never throws: a line that is not JSON or not the format is a bad line.
 */

export const ERROR_TYPES = ['parse_error', 'validation_error', 'duplicate', 'timeout', 'external_api_error', 'other'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];
export const isErrorType = (s: string): s is ErrorType => (ERROR_TYPES as readonly string[]).includes(s);

export type DlqFormat = 'pipeline' | 'firehose';

export interface SourcePosition {
  topic: string;
  partition: number;
  /** Decimal string: Kafka offsets can exceed 2^53. */
  offset: string;
}

export interface DlqRecord {
  format: DlqFormat;
  errorType: ErrorType;
  /** The writer's own code: the envelope's `error_type` as written, or Firehose's `errorCode`. */
  errorCode: string;
  errorMessage: string;
  /** `failed_at` (pipeline) or `arrivalTimestamp` (Firehose), ms since the epoch. */
  atMs: number;
  position?: SourcePosition;
  key?: string;
  jobRunId?: string;
  attemptsMade?: number;
  /** The bytes to replay: the record value exactly as it was consumed or put. */
  payload: Buffer;
}

export type ParsedLine = { ok: true; record: DlqRecord } | { ok: false; reason: string };

const offsetSchema = z.union([z.number().int().min(0), z.string().regex(/^\d{1,20}$/)]);
const timeSchema = z.union([z.number().int().min(0), z.iso.datetime({ offset: true })]);

const pipelineEnvelope = z.looseObject({
  v: z.literal(1).optional(),
  error_type: z.string().min(1).max(200),
  error_message: z.string().optional(),
  failed_at: timeSchema,
  source: z.looseObject({ topic: z.string().min(1), partition: z.number().int().min(0), offset: offsetSchema }),
  key: z.string().nullable().optional(),
  job_run_id: z.string().min(1).optional(),
  payload: z.unknown().optional(),
  payload_base64: z.base64().optional(),
});

const firehoseErrorRecord = z.looseObject({
  errorCode: z.string().min(1).max(200),
  errorMessage: z.string().optional(),
  attemptsMade: z.number().int().min(0).optional(),
  arrivalTimestamp: z.number().int().min(0),
  rawData: z.base64(),
});

/** Firehose error codes → error types (docs/dlq-format.md). */
export function firehoseErrorType(code: string): ErrorType {
  if (/timeout|timed out/i.test(code)) return 'timeout';
  if (/^Lambda\./.test(code)) return 'external_api_error';
  if (/^(DataFormatConversion|DynamicPartitioning)\.|json|parse/i.test(code)) return 'parse_error';
  return 'other';
}

function issue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DIGITS = /^\d{1,20}$/;
const isSafeNonNegative = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const num = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
};

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` (already matched by CANONICAL_ISO) → ms, or undefined when not a real time. */
function canonicalIsoMs(f: string): number | undefined {
  const y = num(f, 0, 4);
  const mo = num(f, 5, 7);
  const d = num(f, 8, 10);
  const h = num(f, 11, 13);
  const mi = num(f, 14, 16);
  const sec = num(f, 17, 19);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  // Years before 1000 are left to the schema (Date.UTC reads years 0–99 as 1900–1999).
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : DAYS[mo - 1]!) || h > 23 || mi > 59 || sec > 59) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, sec, num(f, 20, 23));
}

/**
 * The common envelope, checked by hand: the zod schema costs more than JSON.parse itself, and a
 * replay reads millions of lines. It accepts a strict subset of what the schema accepts (a
 * canonical `toISOString()` time or epoch ms, a string payload); anything else returns
 * undefined and goes to the schema, which stays the definition (a property test holds the two
 * together).
 */
export function readEnvelopeFast(o: Record<string, unknown>): DlqRecord | undefined {
  const t = o.error_type;
  const m = o.error_message;
  const f = o.failed_at;
  const src = o.source;
  const key = o.key;
  const run = o.job_run_id;
  const payload = o.payload;
  if (o.v !== undefined && o.v !== 1) return undefined;
  if (typeof t !== 'string' || t.length === 0 || t.length > 200) return undefined;
  if (m !== undefined && typeof m !== 'string') return undefined;
  let atMs: number;
  if (isSafeNonNegative(f)) atMs = f;
  else if (typeof f === 'string' && CANONICAL_ISO.test(f)) {
    const t = canonicalIsoMs(f);
    if (t === undefined) return undefined;
    atMs = t;
  } else return undefined;
  if (src === null || typeof src !== 'object' || Array.isArray(src)) return undefined;
  const { topic, partition, offset } = src as Record<string, unknown>;
  if (typeof topic !== 'string' || topic.length === 0 || !isSafeNonNegative(partition)) return undefined;
  let off: string;
  if (isSafeNonNegative(offset)) off = String(offset);
  else if (typeof offset === 'string' && DIGITS.test(offset)) off = offset;
  else return undefined;
  if (key !== undefined && key !== null && typeof key !== 'string') return undefined;
  if (run !== undefined && (typeof run !== 'string' || run.length === 0)) return undefined;
  if (typeof payload !== 'string' || 'payload_base64' in o) return undefined;
  return {
    format: 'pipeline',
    errorType: isErrorType(t) ? t : 'other',
    errorCode: t,
    errorMessage: m ?? '',
    atMs,
    position: { topic, partition, offset: off },
    ...(typeof key === 'string' ? { key } : {}),
    ...(run !== undefined ? { jobRunId: run } : {}),
    payload: Buffer.from(payload, 'utf8'),
  };
}

/** The envelope checked against the zod schema: the definition, with the reason a line is bad. */
export function readEnvelope(obj: unknown): ParsedLine {
  const r = pipelineEnvelope.safeParse(obj);
  if (!r.success) return { ok: false, reason: issue(r.error) };
  const e = r.data;
  let payload: Buffer;
  if (e.payload_base64 !== undefined) {
    if (e.payload !== undefined) return { ok: false, reason: 'payload: only one of payload and payload_base64 may be set' };
    payload = Buffer.from(e.payload_base64, 'base64');
  } else if (typeof e.payload === 'string') {
    payload = Buffer.from(e.payload, 'utf8');
  } else if (e.payload !== undefined && e.payload !== null) {
    payload = Buffer.from(JSON.stringify(e.payload), 'utf8');
  } else {
    return { ok: false, reason: 'payload: Required (payload or payload_base64)' };
  }
  const atMs = typeof e.failed_at === 'number' ? e.failed_at : Date.parse(e.failed_at);
  return {
    ok: true,
    record: {
      format: 'pipeline',
      errorType: isErrorType(e.error_type) ? e.error_type : 'other',
      errorCode: e.error_type,
      errorMessage: e.error_message ?? '',
      atMs,
      position: { topic: e.source.topic, partition: e.source.partition, offset: String(e.source.offset) },
      ...(typeof e.key === 'string' ? { key: e.key } : {}),
      ...(e.job_run_id !== undefined ? { jobRunId: e.job_run_id } : {}),
      payload,
    },
  };
}

function fromFirehose(obj: unknown): ParsedLine {
  const r = firehoseErrorRecord.safeParse(obj);
  if (!r.success) return { ok: false, reason: issue(r.error) };
  const e = r.data;
  return {
    ok: true,
    record: {
      format: 'firehose',
      errorType: firehoseErrorType(e.errorCode),
      errorCode: e.errorCode,
      errorMessage: e.errorMessage ?? '',
      atMs: e.arrivalTimestamp,
      ...(e.attemptsMade !== undefined ? { attemptsMade: e.attemptsMade } : {}),
      payload: Buffer.from(e.rawData, 'base64'),
    },
  };
}

/**
 * One line → one record. `auto` tells the formats apart by their required fields
 * (`rawData` + `errorCode` is Firehose, anything else is read as the pipeline's envelope).
 */
export function parseDlqLine(text: string, format: DlqFormat | 'auto' = 'auto'): ParsedLine {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, reason: 'not a JSON object' };
  const f = format === 'auto' ? ('rawData' in obj && 'errorCode' in obj ? 'firehose' : 'pipeline') : format;
  if (f === 'firehose') return fromFirehose(obj);
  const fast = readEnvelopeFast(obj as Record<string, unknown>);
  return fast ? { ok: true, record: fast } : readEnvelope(obj);
}

/** `orders.raw/3/1842211` for an envelope; `s3://bucket/key#line` otherwise. */
export const recordId = (r: DlqRecord, objectUri: string, lineNo: number): string =>
  r.position ? `${r.position.topic}/${r.position.partition}/${r.position.offset}` : `${objectUri}#${lineNo}`;
