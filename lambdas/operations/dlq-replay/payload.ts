import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ERROR_TYPES } from '../../analysis/dlq';
import type { PipelineConfig, StreamfixConfig } from '../../config/schema';
import { parsePredicate } from './filter';
import { MIN_RATE_PER_SECOND } from './pace';
import { callerIdentitySchema } from '../caller';
import { MAX_S3_URI_CHARS } from '../../config/s3-uri';
import type { OperationTarget } from '../types';

/**
 * The manual payload of `dlq-replay` (docs/operations/dlq-replay.md). Dry run unless
 * `dryRun: false` and `confirm: true`. Names (prefixes, stream, topic) may be given only to
 * narrow or restate what the config holds: anything else is refused, naming the field.
 */

export const REPLAY_LIMITS = {
  /** PutRecordBatch: records and bytes per call, bytes per record (FACTS 5). */
  batchRecords: 500,
  batchBytes: 4 * 1024 * 1024,
  recordBytes: 1_000 * 1024,
} as const;

const predicate = z
  .string()
  .min(3)
  .max(500)
  .superRefine((s, ctx) => {
    const r = parsePredicate(s);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.error });
  });

/**
 * Bounds of the fields that end up in the operation id or the ledger's operation record (each
 * refusal names the field): pipeline names as the config allows them, AWS's own limits for
 * stream (64) and topic (249) names, 200 characters for a writer's error code.
 */
export const PAYLOAD_BOUNDS = { pipeline: 40, errorCode: 200, errorCodes: 50, deliveryStreamName: 64, topic: 249 } as const;

const bounded = (max: number, what: string) => z.string().min(1).max(max, `at most ${max} characters (${what})`);

export const replayPayloadSchema = z
  .object({
    command: z.literal('replay'),
    pipeline: bounded(PAYLOAD_BOUNDS.pipeline, 'a configured pipeline name'),
    source: z
      .object({
        kind: z.enum(['dlq', 'firehose-errors']).default('dlq'),
        /** Narrows the configured prefix (must lie under it). */
        s3: z
          .string()
          .max(MAX_S3_URI_CHARS, `at most ${MAX_S3_URI_CHARS} characters`)
          .regex(/^s3:\/\/[^/]+\/.*$/, 'must be an s3://bucket/prefix URI')
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Failure time range (envelope `failed_at`, Firehose `arrivalTimestamp`), ISO-8601. */
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    errorTypes: z.array(z.enum(ERROR_TYPES)).min(1).optional(),
    /** Exact writer codes (`error_type` as written, Firehose `errorCode`). */
    errorCodes: z.array(bounded(PAYLOAD_BOUNDS.errorCode, "a writer's error code")).min(1).max(PAYLOAD_BOUNDS.errorCodes).optional(),
    /** All must hold: `field=value`, `field!=value`, `field~regex`, `field!~regex` on the payload (or `$key`, `$topic`, …). */
    where: z.array(predicate).max(10).optional(),
    target: z
      .object({
        kind: z.enum(['firehose', 'kafka']).optional(),
        deliveryStreamName: bounded(PAYLOAD_BOUNDS.deliveryStreamName, 'a Firehose stream name').optional(),
        topic: bounded(PAYLOAD_BOUNDS.topic, 'a Kafka topic name').optional(),
      })
      .strict()
      .prefault({}),
    dryRun: z.boolean().default(true),
    confirm: z.boolean().default(false),
    /** Records per second sent to the target: at least 1 (no wait of the rate limit is then longer than a second). */
    ratePerSecond: z.number().min(MIN_RATE_PER_SECOND, `at least ${MIN_RATE_PER_SECOND} record per second`).max(5_000).default(500),
    /** Records sent at most by one invocation (then `partial` with `continueWith`). */
    maxRecords: z.number().int().positive().max(10_000_000).default(100_000),
    /** Sends of a failing record before it goes to quarantine. */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** A new id replays the same selection again; the same id continues (never re-sends). */
    replayId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/)
      .default('1'),
    /** Who asks (the CLI: STS GetCallerIdentity of its credentials); kept in the operation record. */
    requestedBy: callerIdentitySchema.optional(),
  })
  .strict()
  .refine((p) => p.from === undefined || p.to === undefined || Date.parse(p.from) <= Date.parse(p.to), { message: 'must not be before from', path: ['to'] });

export type ReplayPayload = z.output<typeof replayPayloadSchema>;
export type ReplayPayloadInput = z.input<typeof replayPayloadSchema>;

export interface ResolvedReplay {
  pipeline: PipelineConfig;
  /** The configured prefix of the source (quarantine lives under it). */
  root: string;
  /** What is read: the root or a narrower prefix under it. */
  uri: string;
  format: 'pipeline' | 'firehose';
  target: { kind: 'firehose'; deliveryStreamName: string } | { kind: 'kafka'; topic: string; clusterArn: string };
}

type Refusal = { field: string; message: string };

/** Pure: what the payload names, checked against the config; refusals name the field. */
export function resolveReplay(p: ReplayPayload, config: StreamfixConfig): { ok: true; value: ResolvedReplay } | { ok: false; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  const pipeline = config.pipelines[p.pipeline];
  if (!pipeline)
    return {
      ok: false,
      refusals: [{ field: 'pipeline', message: `unknown pipeline "${p.pipeline}" (configured: ${Object.keys(config.pipelines).join(', ')})` }],
    };
  const root = p.source.kind === 'dlq' ? pipeline.dlq?.s3 : pipeline.dlq?.firehoseErrorOutput;
  if (!root) {
    refusals.push({
      field: 'source.kind',
      message: `pipeline ${p.pipeline} has no ${p.source.kind === 'dlq' ? 'dlq.s3' : 'dlq.firehoseErrorOutput'} in the config`,
    });
  } else if (p.source.s3 !== undefined && !p.source.s3.startsWith(root)) {
    refusals.push({ field: 'source.s3', message: `${p.source.s3} is not under the configured ${root}` });
  }
  const kind = p.target.kind ?? (p.source.kind === 'firehose-errors' || pipeline.source.kind !== 'msk' ? 'firehose' : 'kafka');
  let target: ResolvedReplay['target'] | undefined;
  if (kind === 'kafka') {
    if (pipeline.source.kind !== 'msk') refusals.push({ field: 'target.kind', message: `pipeline ${p.pipeline} has no MSK source to replay to` });
    else if (p.source.kind === 'firehose-errors')
      refusals.push({
        field: 'target.kind',
        message: 'Firehose error output holds processed records: replay it to the Firehose stream, not to the source topic',
      });
    else if (p.target.topic !== undefined && p.target.topic !== pipeline.source.topic)
      refusals.push({ field: 'target.topic', message: `"${p.target.topic}" is not the configured topic "${pipeline.source.topic}"` });
    else target = { kind: 'kafka', topic: pipeline.source.topic, clusterArn: pipeline.source.clusterArn };
    if (p.target.deliveryStreamName !== undefined) refusals.push({ field: 'target.deliveryStreamName', message: 'a Kafka target takes no delivery stream' });
  } else {
    if (!pipeline.sink) refusals.push({ field: 'target.kind', message: `pipeline ${p.pipeline} has no Firehose sink in the config` });
    else if (p.target.deliveryStreamName !== undefined && p.target.deliveryStreamName !== pipeline.sink.deliveryStreamName) {
      refusals.push({
        field: 'target.deliveryStreamName',
        message: `"${p.target.deliveryStreamName}" is not the configured stream "${pipeline.sink.deliveryStreamName}"`,
      });
    } else target = { kind: 'firehose', deliveryStreamName: pipeline.sink.deliveryStreamName };
    if (p.target.topic !== undefined) refusals.push({ field: 'target.topic', message: 'a Firehose target takes no topic' });
  }
  if (!p.dryRun && !p.confirm) refusals.push({ field: 'confirm', message: 'a replay that writes (dryRun: false) needs confirm: true' });
  if (refusals.length > 0 || !root || !target) return { ok: false, refusals };
  return { ok: true, value: { pipeline, root, uri: p.source.s3 ?? root, format: p.source.kind === 'dlq' ? 'pipeline' : 'firehose', target } };
}

export const authorizeReplay = (p: ReplayPayload, config: StreamfixConfig): Refusal[] => {
  const r = resolveReplay(p, config);
  return r.ok ? [] : r.refusals;
};

/**
 * What a replay that writes holds while it runs: the DLQ (the configured prefix it reads, where
 * its quarantine lives too), whatever the selection. A dry run reads only and holds nothing.
 */
export function replayTarget(p: ReplayPayload, config: StreamfixConfig): OperationTarget | undefined {
  if (p.dryRun) return undefined;
  const r = resolveReplay(p, config);
  return r.ok ? { key: `dlq:${r.value.root}`, field: 'source' } : undefined;
}

/**
 * Same selection and target, same operation: a repeated or re-invoked replay continues and
 * never re-sends. Pace and limits (rate, max records, attempts) may change between invocations.
 * A dry run has its own id: it never touches the progress of the real one.
 */
export function replayOperationId(p: ReplayPayload): string {
  const selection = {
    source: p.source,
    from: p.from ?? null,
    to: p.to ?? null,
    errorTypes: p.errorTypes ?? null,
    errorCodes: p.errorCodes ?? null,
    where: p.where ?? null,
    target: p.target,
    replayId: p.replayId,
  };
  const h = createHash('sha256').update(JSON.stringify(selection)).digest('hex').slice(0, 16);
  return `dlq-replay.${p.pipeline}.${h}${p.dryRun ? '.dry-run' : ''}`;
}
