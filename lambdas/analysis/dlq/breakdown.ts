import type { Severity } from '../../core/decision';
import { FieldCounter } from './drift';
import { ERROR_TYPES, type DlqRecord, type ErrorType } from './envelope';
import { fieldPaths, payloadObject } from './fields';
import { defaultMasker, samplePayload, truncate, type Masker } from './mask';

/** Counts by error type, a few masked samples, the fields of failing payloads, their job runs. */

export type TypeCounts = Record<ErrorType, number>;
export const zeroCounts = (): TypeCounts => Object.fromEntries(ERROR_TYPES.map((t) => [t, 0])) as TypeCounts;

export interface DlqSample {
  errorType: ErrorType;
  errorCode: string;
  errorMessage: string;
  failedAt: string;
  /** `topic/partition/offset`, when the envelope has one. */
  position?: string;
  jobRunId?: string;
  payload: string;
}

export interface BreakdownOptions {
  samplesPerType?: number;
  sampleChars?: number;
  /** How samples and messages are masked (the pipeline's `masking`; default: every rule on). */
  masker?: Masker;
}

export interface DlqBreakdown {
  records: number;
  byType: TypeCounts;
  /** The most frequent type and its share of the records (0..1); undefined without records. */
  dominant?: { type: ErrorType; share: number };
  samples: DlqSample[];
  /** Most frequent messages (digits folded to `#`), per type. */
  topMessages: { errorType: ErrorType; message: string; records: number }[];
  /** Records by the job run that wrote them (envelopes with `job_run_id`). */
  byJobRun: Record<string, number>;
  oldestAtMs?: number;
  newestAtMs?: number;
  failingFields: FieldCounter;
}

const MAX_MESSAGES = 50;
const MAX_JOB_RUNS = 20;

export class BreakdownBuilder {
  private readonly byType = zeroCounts();
  private readonly samples: DlqSample[] = [];
  private readonly messages = new Map<string, { errorType: ErrorType; message: string; records: number }>();
  private readonly byJobRun: Record<string, number> = {};
  private readonly failingFields = new FieldCounter();
  private records = 0;
  private oldest?: number;
  private newest?: number;

  constructor(private readonly opts: BreakdownOptions = {}) {}

  add(r: DlqRecord): void {
    this.records++;
    this.byType[r.errorType]++;
    if (Number.isFinite(r.atMs)) {
      if (this.oldest === undefined || r.atMs < this.oldest) this.oldest = r.atMs;
      if (this.newest === undefined || r.atMs > this.newest) this.newest = r.atMs;
    }
    if (r.jobRunId !== undefined && (r.jobRunId in this.byJobRun || Object.keys(this.byJobRun).length < MAX_JOB_RUNS)) {
      this.byJobRun[r.jobRunId] = (this.byJobRun[r.jobRunId] ?? 0) + 1;
    }
    const text = r.payload.toString('utf8');
    const obj = payloadObject(text);
    if (obj) this.failingFields.add(fieldPaths(obj));
    const masker = this.opts.masker ?? defaultMasker;
    const message = truncate(masker.mask(r.errorMessage).replace(/\d+/g, '#'), 160);
    const mk = `${r.errorType}\u0000${message}`;
    const m = this.messages.get(mk);
    if (m) m.records++;
    else if (this.messages.size < MAX_MESSAGES) this.messages.set(mk, { errorType: r.errorType, message, records: 1 });
    const perType = this.opts.samplesPerType ?? 2;
    if (this.samples.filter((s) => s.errorType === r.errorType).length < perType) {
      const chars = this.opts.sampleChars ?? 200;
      this.samples.push({
        errorType: r.errorType,
        errorCode: r.errorCode,
        errorMessage: truncate(masker.mask(r.errorMessage), chars),
        failedAt: Number.isFinite(r.atMs) ? new Date(r.atMs).toISOString() : 'unknown',
        ...(r.position ? { position: `${r.position.topic}/${r.position.partition}/${r.position.offset}` } : {}),
        ...(r.jobRunId !== undefined ? { jobRunId: r.jobRunId } : {}),
        payload: samplePayload(text, chars, masker),
      });
    }
  }

  build(): DlqBreakdown {
    let dominant: DlqBreakdown['dominant'];
    for (const t of ERROR_TYPES) {
      if (this.byType[t] > 0 && (!dominant || this.byType[t] > this.byType[dominant.type])) dominant = { type: t, share: 0 };
    }
    if (dominant) dominant.share = this.byType[dominant.type] / this.records;
    return {
      records: this.records,
      byType: { ...this.byType },
      ...(dominant ? { dominant } : {}),
      samples: [...this.samples].sort((a, b) => this.byType[b.errorType] - this.byType[a.errorType]),
      topMessages: [...this.messages.values()].sort((a, b) => b.records - a.records).slice(0, 5),
      byJobRun: { ...this.byJobRun },
      ...(this.oldest !== undefined ? { oldestAtMs: this.oldest } : {}),
      ...(this.newest !== undefined ? { newestAtMs: this.newest } : {}),
      failingFields: this.failingFields,
    };
  }
}

/** Share (0..1) of the records whose type is one of `types`. */
export const shareOf = (b: Pick<DlqBreakdown, 'records' | 'byType'>, types: readonly ErrorType[]): number =>
  b.records === 0 ? 0 : types.reduce((n, t) => n + b.byType[t], 0) / b.records;

/**
 * Severity from the DLQ rate: at or above `criticalPerMinute` critical (data is being lost
 * fast), at or above the alarm threshold error, below it (the spike is already over) warning.
 */
export function severityFromRate(recordsPerMinute: number | undefined, thresholdPerMinute: number, criticalPerMinute: number): Severity {
  if (recordsPerMinute === undefined) return 'error';
  if (recordsPerMinute >= criticalPerMinute) return 'critical';
  if (recordsPerMinute >= thresholdPerMinute) return 'error';
  return 'warning';
}
