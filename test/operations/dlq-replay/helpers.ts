import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { clientConfig, type AwsClientOptions } from '../../../lambdas/adapters/clients';
import type { KafkaMessage, KafkaProducerPort, SendOutcome } from '../../../lambdas/adapters/kafka';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { createDlqReplayOperation, type DlqReplayOptions } from '../../../lambdas/operations/dlq-replay';
import { createOperationHandler } from '../../../lambdas/operations/runtime';
import exampleConfig from '../../../streamfix.config';
import { startDynalite } from '../../helpers/dynalite';
import { startS3rver } from '../../helpers/s3rver-process';

export const BUCKET = 'orders-data-lake';
export const T0 = Date.parse('2026-11-22T12:00:00Z');
export const config = parseConfig({
  ...exampleConfig,
  pipelines: {
    orders: { ...exampleConfig.pipelines.orders, dlq: { s3: `s3://${BUCKET}/dlq/orders/`, firehoseErrorOutput: `s3://${BUCKET}/firehose-errors/orders/` } },
  },
});

export const TYPES = ['parse_error', 'validation_error', 'timeout', 'external_api_error', 'duplicate'] as const;

/** Envelope line number `i` of a DLQ: id `orders.raw/<i % 4>/<i>`, payload `{"id":i,…}`. */
export function envelope(i: number, opts: { type?: string; atMs?: number; payloadBytes?: number } = {}): string {
  const payload = JSON.stringify({ id: i, customer_id: `c-${i % 7}`, ...(opts.payloadBytes ? { pad: 'x'.repeat(opts.payloadBytes) } : {}) });
  return JSON.stringify({
    error_type: opts.type ?? TYPES[i % TYPES.length],
    error_message: `failed ${i}`,
    failed_at: new Date(opts.atMs ?? T0 - 3_600_000 + i).toISOString(),
    source: { topic: 'orders.raw', partition: i % 4, offset: i },
    key: `k-${i}`,
    payload,
  });
}

export const idOf = (data: Uint8Array): number => (JSON.parse(Buffer.from(data).toString('utf8')) as { id: number }).id;

export interface Env {
  aws: AwsClientOptions;
  tableName: string;
  put(key: string, lines: string[], gzip?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const [s3, db] = await Promise.all([startS3rver([BUCKET]), startDynalite()]);
  const aws: AwsClientOptions = { ...s3.aws, endpoints: { ...s3.aws.endpoints, ...db.aws.endpoints } };
  const raw = new S3Client(clientConfig(s3.aws, 's3'));
  return {
    aws,
    tableName: db.tableName,
    put: async (key, lines, gzip = false) => {
      const text = `${lines.join('\n')}\n`;
      await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzip ? gzipSync(text) : text }));
    },
    close: async () => {
      raw.destroy();
      await Promise.all([s3.close(), db.close()]);
    },
  };
}

/** A Kafka producer that records what it acknowledged; `fail` decides per message (or throws). */
export class FakeProducer implements KafkaProducerPort {
  readonly acked: KafkaMessage[] = [];
  calls = 0;
  disconnected = 0;
  constructor(public fail: (m: KafkaMessage, call: number) => SendOutcome | 'throw' | undefined = () => undefined) {}
  async send(_topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]> {
    this.calls++;
    const out: SendOutcome[] = [];
    for (const m of messages) {
      const f = this.fail(m, this.calls);
      if (f === 'throw') throw new Error(`worker killed during call ${this.calls}`);
      if (f && !f.ok) out.push(f);
      else {
        this.acked.push(m);
        out.push({ ok: true });
      }
    }
    return out;
  }
  async disconnect(): Promise<void> {
    this.disconnected++;
  }
}

export function replayHandler(env: Env, opts: DlqReplayOptions & { clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock(T0);
  return createOperationHandler(createDlqReplayOperation(opts), {
    config,
    clock,
    env: {
      tableName: env.tableName,
      topicArn: '',
      schedulerGroup: '',
      schedulerRoleArn: '',
      pauseParameter: '',
      pipelinePauseParameterPrefix: '',
      metricsNamespace: '',
    },
    aws: env.aws,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'streamfix' }),
  });
}

/** How many times each id was delivered. */
export function deliveries(ids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}
