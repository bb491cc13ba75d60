import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientConfig } from '../../../lambdas/adapters/clients';
import { ManualClock } from '../../../lambdas/core/clock';
import { dynamoLedger } from '../../../lambdas/engine/dynamo-ledger';
import type { KafkaMessage, SendOutcome } from '../../../lambdas/adapters/kafka';
import { BUCKET, deliveries, envelope, FakeProducer, idOf, replayHandler, startEnv, T0, type Env } from './helpers';

/** A producer whose call `dieOn` is acknowledged by the broker, then the worker dies (the call throws). */
class AckThenDie extends FakeProducer {
  constructor(public dieOn: number) {
    super();
  }
  override async send(topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]> {
    const out = await super.send(topic, messages);
    if (this.calls === this.dieOn) throw new Error(`worker killed after the acknowledgement of call ${this.calls}`);
    return out;
  }
}

const firehose = mockClient(FirehoseClient);
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const payload = (prefix: string, extra: Record<string, unknown> = {}) => ({
  command: 'replay',
  pipeline: 'orders',
  source: { kind: 'dlq', s3: `s3://${BUCKET}/dlq/orders/${prefix}/` },
  ratePerSecond: 5_000,
  ...extra,
});
const execute = { dryRun: false, confirm: true };
const kafkaIds = (p: FakeProducer) => p.acked.map((m) => idOf(m.value));

describe('Operation: dlq-replay (S3 on s3rver, ledger on dynalite)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(async () => env?.close());
  beforeEach(() => firehose.reset());

  it('dry run: counts by error type and target, sends and writes nothing', async () => {
    await env.put(
      'dlq/orders/dry/2026/11/22/11/a.jsonl',
      range(50).map((i) => envelope(i)),
    );
    const producer = new FakeProducer();
    const r = await replayHandler(env, { kafkaProducer: () => producer })(payload('dry'));
    expect(r.outcome).toBe('done');
    expect(r.result).toMatchObject({
      dryRun: true,
      target: 'kafka:orders.raw',
      recordsMatched: 50,
      recordsDelivered: 0,
      byErrorType: { parse_error: 10, validation_error: 10, timeout: 10, external_api_error: 10, duplicate: 10 },
    });
    expect(r.summary).toContain('nothing was written');
    expect(producer.calls).toBe(0);
    const ledger = dynamoLedger(env.aws, env.tableName);
    expect(await ledger.listProgress(r.operationId!)).toEqual([]);
  });

  it('sends every selected record once to the topic, with its key and a replay header, in batches', async () => {
    await env.put(
      'dlq/orders/all/2026/11/22/11/a.jsonl',
      range(600).map((i) => envelope(i)),
    );
    await env.put(
      'dlq/orders/all/2026/11/22/11/b.jsonl.gz',
      range(300, 600).map((i) => envelope(i)),
      true,
    );
    const producer = new FakeProducer();
    const r = await replayHandler(env, { kafkaProducer: () => producer })(
      payload('all', { ...execute, errorTypes: ['parse_error', 'validation_error', 'timeout', 'external_api_error'] }),
    );
    expect(r.outcome).toBe('done');
    const d = deliveries(kafkaIds(producer));
    expect(d.size).toBe(480 + 240);
    expect([...d.values()].every((n) => n === 1)).toBe(true);
    expect(producer.acked[0]).toMatchObject({
      key: 'k-0',
      headers: { 'streamfix-replay-of': 'orders.raw/0/0', 'streamfix-replay-id': expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    expect(producer.disconnected).toBe(1);
    expect(r.result).toMatchObject({ recordsDelivered: 720, recordsFiltered: 180, recordsDeliveredTotal: 720, objectsDone: 2 });
  });

  it('a repeated replay continues and never re-sends what was acknowledged', async () => {
    await env.put(
      'dlq/orders/again/2026/11/22/11/a.jsonl',
      range(40).map((i) => envelope(i)),
    );
    const producer = new FakeProducer();
    const h = replayHandler(env, { kafkaProducer: () => producer });
    await h(payload('again', execute));
    const second = await h(payload('again', execute));
    expect(second).toMatchObject({ outcome: 'done', result: { recordsDelivered: 0, recordsDeliveredTotal: 40 } });
    expect(producer.acked).toHaveLength(40);
  });

  describe('killed half-way and resumed', () => {
    it('a worker that dies mid-run (a call throws) loses nothing and duplicates nothing', async () => {
      await env.put(
        'dlq/orders/kill/2026/11/22/11/a.jsonl',
        range(1_200).map((i) => envelope(i)),
      );
      await env.put(
        'dlq/orders/kill/2026/11/22/11/b.jsonl',
        range(300, 1_200).map((i) => envelope(i)),
      );
      // The third batch never comes back: the worker dies with it.
      const producer = new FakeProducer((_m, call) => (call === 3 ? 'throw' : undefined));
      const h = replayHandler(env, { kafkaProducer: () => producer });
      const first = await h(payload('kill', execute));
      expect(first.outcome).toBe('failed');
      producer.fail = () => undefined;
      const second = await h(payload('kill', execute));
      expect(second.outcome).toBe('done');
      const d = deliveries(kafkaIds(producer));
      expect(d.size).toBe(1_500);
      expect([...d.values()].filter((n) => n !== 1)).toEqual([]);
      expect(second.result).toMatchObject({ recordsDeliveredTotal: 1_500 });
    });

    it('acknowledgements of a batch being retried survive the crash (ackedAhead)', async () => {
      await env.put(
        'dlq/orders/acked/2026/11/22/11/a.jsonl',
        range(100).map((i) => envelope(i)),
      );
      // Call 1: odd ids fail (retriable). Call 2 (the retry): the worker dies.
      const producer = new FakeProducer((m, call) =>
        call === 1 && idOf(m.value) % 2 === 1
          ? { ok: false, code: 'NOT_LEADER_FOR_PARTITION', message: 'x', retriable: true }
          : call === 2
            ? 'throw'
            : undefined,
      );
      const h = replayHandler(env, { kafkaProducer: () => producer });
      expect((await h(payload('acked', execute))).outcome).toBe('failed');
      producer.fail = () => undefined;
      expect((await h(payload('acked', execute))).outcome).toBe('done');
      const d = deliveries(kafkaIds(producer));
      expect(d.size).toBe(100);
      expect([...d.values()].every((n) => n === 1)).toBe(true);
    });

    it("a kill between the target's acknowledgement and the progress write re-sends one batch, no more, says so, and every copy has the same replay id", async () => {
      await env.put(
        'dlq/orders/ackkill/2026/11/22/11/a.jsonl',
        range(1_400).map((i) => envelope(i)),
      );
      // Call 2 (records 500–999): the broker acknowledges the whole batch, then the worker dies before saving.
      const producer = new AckThenDie(2);
      const h = replayHandler(env, { kafkaProducer: () => producer });
      expect((await h(payload('ackkill', execute))).outcome).toBe('failed');
      producer.dieOn = -1;
      const second = await h(payload('ackkill', execute));
      // Assess: every record delivered; only the batch in flight (500 records) twice.
      expect(second.outcome).toBe('done');
      const d = deliveries(kafkaIds(producer));
      expect(d.size).toBe(1_400);
      const twice = [...d].filter(([, n]) => n === 2).map(([id]) => id);
      expect(twice).toEqual(range(500, 500));
      expect([...d.values()].every((n) => n <= 2)).toBe(true);
      expect(second.result).toMatchObject({ recordsPossiblyDuplicated: 500, recordsPossiblyDuplicatedTotal: 500, recordsDeliveredTotal: 1_400 });
      expect(second.summary).toContain('500 record(s) may have been sent twice');
      // The two copies of a record carry the same replay id; different records different ones.
      const idsOf = (id: number) => producer.acked.filter((m) => idOf(m.value) === id).map((m) => m.headers!['streamfix-replay-id']);
      expect(new Set(idsOf(700)).size).toBe(1);
      expect(idsOf(700)[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(idsOf(701)[0]).not.toBe(idsOf(700)[0]);
    });

    it('the deadline ends a wait of the rate limit: partial, the batch not sent, nothing counted twice', async () => {
      await env.put(
        'dlq/orders/slow/2026/11/22/11/a.jsonl',
        range(6).map((i) => envelope(i)),
      );
      const controller = new AbortController();
      // At 1 record/s every batch holds one record and the second waits a second: the deadline comes during it.
      const clock = new ManualClock(T0);
      clock.sleep = async () => {
        controller.abort(new Error('deadline'));
        throw new Error('deadline');
      };
      const producer = new FakeProducer();
      const h = replayHandler(env, { kafkaProducer: () => producer, clock });
      const first = await h(payload('slow', { ...execute, ratePerSecond: 1 }), undefined, controller.signal);
      expect(first).toMatchObject({ outcome: 'partial', result: { stoppedBy: 'signal', recordsDelivered: 1 } });
      const rest = await replayHandler(env, { kafkaProducer: () => producer })(payload('slow', { ...execute, ratePerSecond: 1 }));
      expect(rest).toMatchObject({ outcome: 'done', result: { recordsDelivered: 5, recordsPossiblyDuplicated: 0, recordsDeliveredTotal: 6 } });
      expect(deliveries(kafkaIds(producer)).size).toBe(6);
      expect(producer.acked).toHaveLength(6);
    });

    it('an abort signal stops cleanly between records with partial + continueWith; the continuation finishes', async () => {
      await env.put(
        'dlq/orders/abort/2026/11/22/11/a.jsonl',
        range(2_000).map((i) => envelope(i)),
      );
      const controller = new AbortController();
      const producer = new FakeProducer((_m, call) => {
        if (call === 2) controller.abort();
        return undefined;
      });
      const h = replayHandler(env, { kafkaProducer: () => producer });
      const first = await h(payload('abort', execute), undefined, controller.signal);
      expect(first).toMatchObject({ outcome: 'partial', result: { stoppedBy: 'signal', recordsDelivered: 1_000 } });
      expect(first.continueWith).toMatchObject({ pipeline: 'orders', dryRun: false, confirm: true });
      const second = await h(first.continueWith);
      expect(second).toMatchObject({ outcome: 'done', result: { recordsDelivered: 1_000, recordsDeliveredTotal: 2_000 } });
      expect(deliveries(kafkaIds(producer)).size).toBe(2_000);
      expect(producer.acked).toHaveLength(2_000);
    });

    it('stops before the Lambda timeout, and at the per-invocation maximum', async () => {
      await env.put(
        'dlq/orders/limits/2026/11/22/11/a.jsonl',
        range(1_000).map((i) => envelope(i)),
      );
      const producer = new FakeProducer();
      const h = replayHandler(env, { kafkaProducer: () => producer });
      const timedOut = await h(payload('limits', execute), { getRemainingTimeInMillis: () => 19_999 });
      expect(timedOut).toMatchObject({ outcome: 'partial', result: { stoppedBy: 'time', recordsDelivered: 0 } });
      const capped = await h(payload('limits', { ...execute, maxRecords: 700 }));
      expect(capped).toMatchObject({ outcome: 'partial', result: { stoppedBy: 'maxRecords', recordsDelivered: 700 } });
      const rest = await h(payload('limits', { ...execute, maxRecords: 700 }));
      expect(rest).toMatchObject({ outcome: 'done', result: { recordsDelivered: 300, recordsDeliveredTotal: 1_000 } });
      expect(deliveries(kafkaIds(producer)).size).toBe(1_000);
    });
  });

  describe('Firehose target (recorded PutRecordBatch replies)', () => {
    it('resends only the entries that failed (FailedPutCount > 0), with backoff', async () => {
      await env.put(
        'dlq/orders/fh/2026/11/22/11/a.jsonl',
        range(5).map((i) => envelope(i)),
      );
      firehose
        .on(PutRecordBatchCommand)
        .resolvesOnce({
          FailedPutCount: 2,
          Encrypted: false,
          RequestResponses: [
            { RecordId: 'r0' },
            { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
            { RecordId: 'r2' },
            { ErrorCode: 'InternalFailure', ErrorMessage: 'x' },
            { RecordId: 'r4' },
          ],
        })
        .resolvesOnce({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'r1' }, { RecordId: 'r3' }] });
      const clock = new ManualClock(T0);
      const r = await replayHandler(env, { clock })(payload('fh', { ...execute, target: { kind: 'firehose' } }));
      expect(r).toMatchObject({ outcome: 'done', result: { target: 'firehose:order-firehose', recordsDelivered: 5, recordsQuarantined: 0 } });
      const calls = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.DeliveryStreamName)).toEqual(['order-firehose', 'order-firehose']);
      expect(calls[1]!.Records!.map((x) => idOf(x.Data!))).toEqual([1, 3]);
      expect(clock.now()).toBeGreaterThanOrEqual(T0 + 100);
    });

    it('quarantines records that fail every attempt, with the new error, and counts them', async () => {
      await env.put(
        'dlq/orders/quar/2026/11/22/11/a.jsonl',
        range(3).map((i) => envelope(i, { type: 'timeout' })),
      );
      firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => ({
        FailedPutCount: input.Records.filter((x) => idOf(x.Data) === 1).length,
        RequestResponses: input.Records.map((x) =>
          idOf(x.Data) === 1 ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } : { RecordId: 'ok' },
        ),
      }));
      const r = await replayHandler(env)(payload('quar', { ...execute, target: { kind: 'firehose' }, maxAttempts: 3 }));
      expect(r).toMatchObject({ outcome: 'done', result: { recordsDelivered: 2, recordsQuarantined: 1 } });
      expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
      const s3 = new S3Client(clientConfig(env.aws, 's3'));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `dlq/orders/_quarantine/${r.operationId}/` }));
      expect(listed.Contents).toHaveLength(1);
      const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: listed.Contents![0]!.Key! }))).Body!.transformToString();
      const line = JSON.parse(body.trim()) as Record<string, unknown>;
      expect(line).toMatchObject({
        error_type: 'timeout',
        source: { offset: 1 },
        replay_error: { code: 'ServiceUnavailableException', attempts: 3, operation_id: r.operationId },
      });
      s3.destroy();
    });

    it('quarantines a record over 1,000 KiB without sending it, and batches the rest within 4 MiB', async () => {
      await env.put('dlq/orders/big/2026/11/22/11/a.jsonl', [
        envelope(0, { payloadBytes: 1_100 * 1024 }),
        ...range(9, 1).map((i) => envelope(i, { payloadBytes: 600 * 1024 })),
      ]);
      firehose
        .on(PutRecordBatchCommand)
        .callsFake((input: { Records: unknown[] }) => ({ FailedPutCount: 0, RequestResponses: input.Records.map(() => ({ RecordId: 'ok' })) }));
      const r = await replayHandler(env)(payload('big', { ...execute, target: { kind: 'firehose' } }));
      expect(r).toMatchObject({ outcome: 'done', result: { recordsDelivered: 9, recordsQuarantined: 1 } });
      const sizes = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.reduce((n, x) => n + x.Data!.byteLength, 0));
      expect(sizes.length).toBe(2);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4 * 1024 * 1024);
    });

    it('stops as failed, keeping progress, when the stream itself keeps failing', async () => {
      await env.put(
        'dlq/orders/down/2026/11/22/11/a.jsonl',
        range(3).map((i) => envelope(i)),
      );
      firehose
        .on(PutRecordBatchCommand)
        .rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } }));
      const r = await replayHandler(env)(payload('down', { ...execute, target: { kind: 'firehose' }, maxAttempts: 2 }));
      expect(r.outcome).toBe('failed');
      expect(r.summary).toContain('firehose:order-firehose failed 2 time(s)');
      expect(r.continueWith).toBeDefined();
    });
  });

  it('replays Firehose error output (rawData) to the stream, selected by code and key predicate', async () => {
    const line = (i: number, code: string) =>
      JSON.stringify({
        attemptsMade: 4,
        arrivalTimestamp: T0 - 60_000 + i,
        errorCode: code,
        errorMessage: 'm',
        rawData: Buffer.from(JSON.stringify({ id: i, region: i % 2 ? 'eu' : 'us' })).toString('base64'),
      });
    await env.put(
      'firehose-errors/orders/processing-failed/2026/11/22/11/x',
      range(10).map((i) => line(i, i < 6 ? 'Lambda.FunctionError' : 'S3.AccessDenied')),
    );
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: { Records: unknown[] }) => ({ FailedPutCount: 0, RequestResponses: input.Records.map(() => ({ RecordId: 'ok' })) }));
    const r = await replayHandler(env)({
      command: 'replay',
      pipeline: 'orders',
      source: { kind: 'firehose-errors' },
      errorCodes: ['Lambda.FunctionError'],
      where: ['region=eu'],
      ...execute,
    });
    expect(r).toMatchObject({ outcome: 'done', result: { target: 'firehose:order-firehose', recordsDelivered: 3, recordsFiltered: 7 } });
    const records = firehose
      .commandCalls(PutRecordBatchCommand)
      .flatMap((c) => c.args[0].input.Records!.map((x) => JSON.parse(Buffer.from(x.Data!).toString()) as Record<string, unknown>));
    expect(records.map((x) => x.id)).toEqual([1, 3, 5]);
    // Each carries its replay id as the first field of the JSON object, the rest as it was put.
    expect(records.map((x) => Object.keys(x))).toEqual([
      ['streamfix_replay_id', 'id', 'region'],
      ['streamfix_replay_id', 'id', 'region'],
      ['streamfix_replay_id', 'id', 'region'],
    ]);
    expect(new Set(records.map((x) => x.streamfix_replay_id)).size).toBe(3);
  });

  it('refuses, naming the field, what the config does not hold, and sends nothing', async () => {
    const producer = new FakeProducer();
    const h = replayHandler(env, { kafkaProducer: () => producer });
    expect(await h({ command: 'replay', pipeline: 'orders', source: { s3: 's3://other-bucket/dlq/' } })).toMatchObject({
      outcome: 'refused',
      errors: [{ field: 'source.s3' }],
    });
    expect(await h({ command: 'replay', pipeline: 'orders', target: { kind: 'kafka', topic: 'payments.raw' } })).toMatchObject({
      outcome: 'refused',
      errors: [{ field: 'target.topic' }],
    });
    expect(await h({ command: 'replay', pipeline: 'orders', dryRun: false })).toMatchObject({ outcome: 'refused', errors: [{ field: 'confirm' }] });
    expect(await h({ command: 'replay', pipeline: 'orders', where: ['id~('] })).toMatchObject({ outcome: 'rejected', errors: [{ field: 'where[0]' }] });
    expect(producer.calls).toBe(0);
  });

  it('holds to the rate limit in simulated time (records/s)', async () => {
    await env.put(
      'dlq/orders/rate/2026/11/22/11/a.jsonl',
      range(1_000).map((i) => envelope(i)),
    );
    const clock = new ManualClock(T0);
    const producer = new FakeProducer();
    await replayHandler(env, { kafkaProducer: () => producer, clock })(payload('rate', { ...execute, ratePerSecond: 100 }));
    // 1,000 records at 100/s: the first second's batch goes at once, the other 9 wait their turn.
    expect(clock.now() - T0).toBe(9_000);
    expect(producer.calls).toBe(10);
  });
});
