import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import type { Producer, ProducerRecord } from 'kafkajs';
import { beforeEach, describe, expect, it } from 'vitest';
import { mskBootstrapBrokers, mskIamKafkaConfig, producerPort } from '../../lambdas/adapters/kafka';
import { AwsRequestError } from '../../lambdas/core/errors';

const kafka = mockClient(KafkaClient);
const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3';

describe('Function: mskBootstrapBrokers', () => {
  beforeEach(() => kafka.reset());

  it('returns the SASL/IAM brokers of the cluster', async () => {
    kafka.on(GetBootstrapBrokersCommand, { ClusterArn: CLUSTER }).resolves({
      BootstrapBrokerStringTls: 'b-1.x:9094',
      BootstrapBrokerStringSaslIam: 'b-1.order.kafka.eu-west-1.amazonaws.com:9098,b-2.order.kafka.eu-west-1.amazonaws.com:9098',
    });
    expect(await mskBootstrapBrokers(CLUSTER, { region: 'eu-west-1' })).toEqual([
      'b-1.order.kafka.eu-west-1.amazonaws.com:9098',
      'b-2.order.kafka.eu-west-1.amazonaws.com:9098',
    ]);
  });

  it('says IAM access control is off when the cluster has no IAM brokers', async () => {
    kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringTls: 'b-1.x:9094' });
    await expect(mskBootstrapBrokers(CLUSTER, { region: 'eu-west-1' })).rejects.toMatchObject({ name: 'AwsRequestError', code: 'NoIamBrokers' });
    await expect(mskBootstrapBrokers(CLUSTER, { region: 'eu-west-1' })).rejects.toBeInstanceOf(AwsRequestError);
  });
});

describe('Function: mskIamKafkaConfig', () => {
  it('uses TLS and OAUTHBEARER with a token signed for the region on each connection', async () => {
    const regions: string[] = [];
    const cfg = mskIamKafkaConfig(['b-1:9098'], 'eu-west-1', async (r) => {
      regions.push(r);
      return { token: `token-${regions.length}` };
    });
    expect(cfg).toMatchObject({ brokers: ['b-1:9098'], ssl: true, sasl: { mechanism: 'oauthbearer' } });
    const sasl = cfg.sasl as { oauthBearerProvider(): Promise<{ value: string }> };
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-1' });
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-2' });
    expect(regions).toEqual(['eu-west-1', 'eu-west-1']);
  });
});

describe('Function: producerPort', () => {
  function fakeProducer(fail: (r: ProducerRecord) => Error | undefined) {
    const sent: ProducerRecord[] = [];
    let connects = 0;
    let disconnects = 0;
    const producer = {
      connect: async () => {
        connects++;
      },
      disconnect: async () => {
        disconnects++;
      },
      send: async (r: ProducerRecord) => {
        const e = fail(r);
        if (e) throw e;
        sent.push(r);
        return [];
      },
    } as unknown as Pick<Producer, 'connect' | 'send' | 'disconnect'>;
    return { producer, sent, counts: () => ({ connects, disconnects }) };
  }
  const tooLarge = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
    name: 'KafkaJSProtocolError',
    type: 'MESSAGE_TOO_LARGE',
    retriable: false,
  });

  it('sends a batch in one request with acks from all replicas, connecting once', async () => {
    const f = fakeProducer(() => undefined);
    const port = producerPort(f.producer);
    expect(await port.send('orders.raw', [{ value: Buffer.from('a'), key: 'k' }, { value: Buffer.from('b') }])).toEqual([{ ok: true }, { ok: true }]);
    await port.send('orders.raw', [{ value: Buffer.from('c') }]);
    expect(f.sent[0]).toMatchObject({ topic: 'orders.raw', acks: -1, messages: [{ key: 'k', value: Buffer.from('a') }, { value: Buffer.from('b') }] });
    await port.disconnect();
    expect(f.counts()).toEqual({ connects: 1, disconnects: 1 });
  });

  it('isolates the message that fails a batch, so the others still go', async () => {
    const f = fakeProducer((r) => (r.messages.some((m) => String(m.value) === 'big') ? tooLarge : undefined));
    const out = await producerPort(f.producer).send('orders.raw', [{ value: Buffer.from('a') }, { value: Buffer.from('big') }, { value: Buffer.from('c') }]);
    expect(out).toEqual([{ ok: true }, { ok: false, code: 'MESSAGE_TOO_LARGE', message: tooLarge.message, retriable: false }, { ok: true }]);
    expect(f.sent.map((r) => r.messages.map((m) => String(m.value)))).toEqual([['a'], ['c']]);
  });
});
