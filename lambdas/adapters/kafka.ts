import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import { AwsRequestError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

/**
 * Producing to an MSK topic with IAM auth: kafkajs with SASL OAUTHBEARER, the token signed by
 * aws-msk-iam-sasl-signer-js. Callers see only `KafkaProducerPort`, so everything above this
 * file is tested against a fake of it (no broker runs in tests).
 */

export interface KafkaMessage {
  key?: string;
  value: Uint8Array;
  headers?: Record<string, string>;
}

export type SendOutcome = { ok: true } | { ok: false; code: string; message: string; retriable: boolean };

export interface KafkaProducerPort {
  /**
   * Sends to `topic` with acks from all in-sync replicas; one outcome per message, in order.
   * A message's own failure is an outcome, not an exception.
   */
  send(topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]>;
  disconnect(): Promise<void>;
}

const SERVICE = 'kafka';

/** The SASL/IAM bootstrap brokers of an MSK cluster (GetBootstrapBrokers). */
export async function mskBootstrapBrokers(clusterArn: string, opts: AwsClientOptions): Promise<string[]> {
  const client = withPlugins(new KafkaClient(clientConfig(opts)), opts);
  let reply;
  try {
    reply = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  } catch (e) {
    mapAwsError(SERVICE, 'GetBootstrapBrokers', e);
  } finally {
    client.destroy();
  }
  const brokers = (reply.BootstrapBrokerStringSaslIam ?? reply.BootstrapBrokerStringPublicSaslIam ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw new AwsRequestError(SERVICE, 'GetBootstrapBrokers', 'NoIamBrokers', {
      cause: new Error(`cluster ${clusterArn} has no SASL/IAM bootstrap brokers: enable IAM access control on it`),
    });
  }
  return brokers;
}

/** kafkajs settings for MSK IAM: TLS, OAUTHBEARER with a freshly signed token per connection. */
export function mskIamKafkaConfig(
  brokers: string[],
  region: string,
  sign: (region: string) => Promise<{ token: string }> = (r) => generateAuthToken({ region: r }),
): KafkaConfig {
  return {
    clientId: 'streamfix-dlq-replay',
    brokers,
    ssl: true,
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: (await sign(region)).token }) },
    logLevel: logLevel.NOTHING,
    // The replay retries with its own backoff and quarantine; keep the client's retries short.
    retry: { retries: 2, initialRetryTime: 200 },
  };
}

interface KafkaErrorLike {
  name?: string;
  type?: string;
  message?: string;
  retriable?: boolean;
}

const outcomeOf = (e: unknown): SendOutcome => {
  const k = (e ?? {}) as KafkaErrorLike;
  return { ok: false, code: k.type ?? k.name ?? 'KafkaError', message: k.message ?? String(e), retriable: k.retriable ?? true };
};

const toMessage = (m: KafkaMessage): Message => ({
  value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
  ...(m.key !== undefined ? { key: m.key } : {}),
  ...(m.headers ? { headers: m.headers } : {}),
});

/**
 * The port over a kafkajs producer. A batch is sent at once; when it fails as a whole, each
 * message is sent alone, so one bad message (too large, say) does not fail the others.
 */
export function producerPort(producer: Pick<Producer, 'connect' | 'send' | 'disconnect'>): KafkaProducerPort {
  let connected: Promise<void> | undefined;
  const connect = () =>
    (connected ??= producer.connect().catch((e: unknown) => {
      connected = undefined;
      throw e;
    }));
  return {
    async send(topic, messages) {
      if (messages.length === 0) return [];
      await connect();
      try {
        await producer.send({ topic, acks: -1, messages: messages.map(toMessage) });
        return messages.map(() => ({ ok: true }) as const);
      } catch (batchError) {
        if (messages.length === 1) return [outcomeOf(batchError)];
      }
      const out: SendOutcome[] = [];
      for (const m of messages) {
        try {
          await producer.send({ topic, acks: -1, messages: [toMessage(m)] });
          out.push({ ok: true });
        } catch (e) {
          out.push(outcomeOf(e));
        }
      }
      return out;
    },
    async disconnect() {
      if (connected) await producer.disconnect();
      connected = undefined;
    },
  };
}

/** A producer to the MSK cluster with IAM auth (bootstrap brokers looked up on first use). */
export function mskIamProducer(clusterArn: string, opts: AwsClientOptions): KafkaProducerPort {
  let port: Promise<KafkaProducerPort> | undefined;
  const get = () =>
    (port ??= mskBootstrapBrokers(clusterArn, opts).then(
      (brokers) => producerPort(new Kafka(mskIamKafkaConfig(brokers, opts.region)).producer({ allowAutoTopicCreation: false })),
      (e: unknown) => {
        port = undefined;
        throw e;
      },
    ));
  return {
    send: async (topic, messages) => (await get()).send(topic, messages),
    disconnect: async () => {
      if (port) await (await port).disconnect();
    },
  };
}
