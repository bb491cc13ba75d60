import { hourPrefix, type ErrorType } from '../../lambdas/analysis/dlq';
import type { KafkaMessage, KafkaProducerPort, SendOutcome } from '../../lambdas/adapters/kafka';
import { hang, type SimContext } from './context';
import type { SimEmrServerless } from './emr';
import type { MetricId, MetricStore } from './metrics';
import type { SimS3 } from './s3';
import { s3LocationOf } from '../../lambdas/util/s3-uri';

/**
 * The pipeline's dead-letter side of the world: a job that rejects records writes them to its
 * DLQ in S3 (the envelope of docs/dlq-format.md, one object a minute under the hourly layout)
 * and publishes its DLQ record-count metric; and the source topic as a replay sees it: every
 * message produced to it, with the replay's `streamfix-replay-of` header, so a drill can count
 * what was delivered once, twice, or never.
 */

export interface DlqWriterSpec {
  pipeline: string;
  /** `s3://bucket/prefix/` */
  dlqUri: string;
  topic: string;
  metric: MetricId;
  applicationId: string;
  jobName: string;
  perMinute: number;
  untilMs: number;
  /** Error types with their weights. */
  types: [ErrorType, number][];
  errorMessage: string;
  payload: Record<string, unknown>;
  stampJobRun: boolean;
}

export interface ProducedMessage {
  topic: string;
  /** The `streamfix-replay-of` header: the DLQ record it replays. */
  replayOf?: string;
  /** The `streamfix-replay-id` header: the same for every send of one record by one replay. */
  replayId?: string;
  key?: string;
  atMs: number;
  /** The invocation that sent it, and which send of the drill (one per producer call). */
  invocationId?: string;
  send: number;
}

const PARTITIONS = 3;
const MINUTE = 60_000;

/** `{i}` in any string of the template becomes `i`. */
function fill(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.replaceAll('{i}', String(i));
  if (Array.isArray(v)) return v.map((x) => fill(x, i));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, i)]));
  return v;
}

/** `n` records spread over the types by weight, deterministically (largest remainders). */
export function splitByWeight(n: number, types: [ErrorType, number][]): ErrorType[] {
  const total = types.reduce((a, [, w]) => a + w, 0) || 1;
  const exact = types.map(([t, w]) => ({ t, x: (n * w) / total }));
  const counts = exact.map((e) => ({ t: e.t, n: Math.floor(e.x), r: e.x - Math.floor(e.x) }));
  let left = n - counts.reduce((a, c) => a + c.n, 0);
  for (const c of [...counts].sort((a, b) => b.r - a.r)) {
    if (left-- <= 0) break;
    c.n++;
  }
  return counts.flatMap((c) => Array<ErrorType>(c.n).fill(c.t));
}

export class SimDlq {
  /** DLQ record ids (`topic/partition/offset`) written, by pipeline. */
  readonly written = new Map<string, string[]>();
  readonly produced: ProducedMessage[] = [];
  private readonly offsets = new Map<string, number>();
  private seq = 0;
  private sends = 0;

  constructor(
    private readonly ctx: SimContext,
    private readonly deps: { s3: SimS3; store: MetricStore; emr: SimEmrServerless },
  ) {}

  /** Starts writing: one object and one metric datapoint now and every minute until `untilMs`. */
  startWriting(spec: DlqWriterSpec): void {
    const tick = () => {
      this.writeMinute(spec);
      if (this.ctx.clock.now() + MINUTE < spec.untilMs) this.ctx.clock.after(MINUTE, `dlq ${spec.pipeline}`, tick);
    };
    tick();
  }

  private writeMinute(spec: DlqWriterSpec): void {
    const now = this.ctx.clock.now();
    const { bucket, prefix } = s3LocationOf(spec.dlqUri);
    const run = spec.stampJobRun
      ? this.deps.emr
          .activeRuns(spec.applicationId, spec.jobName)
          .filter((r) => r.state === 'RUNNING')
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]
      : undefined;
    const ids = this.written.get(spec.pipeline) ?? [];
    this.written.set(spec.pipeline, ids);
    const lines = splitByWeight(spec.perMinute, spec.types).map((type, k) => {
      const i = ids.length;
      const partition = i % PARTITIONS;
      const offsetKey = `${spec.topic}/${partition}`;
      const offset = this.offsets.get(offsetKey) ?? 1_000_000;
      this.offsets.set(offsetKey, offset + 1);
      ids.push(`${spec.topic}/${partition}/${offset}`);
      return JSON.stringify({
        v: 1,
        error_type: type,
        error_message: spec.errorMessage,
        failed_at: new Date(now - MINUTE + Math.floor(((k + 1) * MINUTE) / (spec.perMinute + 1))).toISOString(),
        source: { topic: spec.topic, partition, offset },
        key: `k-${i}`,
        ...(run ? { job_run_id: run.jobRunId } : {}),
        payload: JSON.stringify(fill(spec.payload, i)),
      });
    });
    this.seq++;
    this.deps.s3.put(bucket, `${hourPrefix(prefix, now)}part-${String(this.seq).padStart(5, '0')}.jsonl`, `${lines.join('\n')}\n`);
    // The minute the records failed in: the alarm evaluates it at the next boundary.
    this.deps.store.putValue(spec.metric, now - MINUTE, spec.perMinute, 'Count');
  }

  /** A producer to the simulated source topic: every message is acknowledged and recorded. */
  producer(): KafkaProducerPort {
    return {
      send: async (topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]> => {
        // As for an AWS call: an invocation Lambda ended gets no answer, and a kill point may end one here.
        const frame = this.ctx.clock.currentFrame();
        const call = { service: 'kafka', operation: 'Send' };
        if (frame && (this.ctx.killed.has(frame.invocationId) || this.ctx.killPoint?.(frame, call, 'before'))) return hang(this.ctx);
        const atMs = this.ctx.clock.now();
        const send = ++this.sends;
        for (const m of messages) {
          const replayOf = m.headers?.['streamfix-replay-of'];
          const replayId = m.headers?.['streamfix-replay-id'];
          this.produced.push({
            topic,
            atMs,
            send,
            ...(frame ? { invocationId: frame.invocationId } : {}),
            ...(replayOf !== undefined ? { replayOf } : {}),
            ...(replayId !== undefined ? { replayId } : {}),
            ...(m.key !== undefined ? { key: m.key } : {}),
          });
        }
        if (frame && this.ctx.killPoint?.(frame, call, 'after')) return hang(this.ctx);
        return messages.map(() => ({ ok: true }));
      },
      disconnect: async () => undefined,
    };
  }
}
