import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaMessage, SendOutcome } from '../../lambdas/adapters/kafka';
import { ManualClock } from '../../lambdas/core/clock';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import { BUCKET, deliveries, envelope, FakeProducer, idOf, replayHandler, startEnv, T0, type Env } from './dlq-replay/helpers';

/**
 * Issue 13, point 1: two runs of one replay (a CLI run beside a Lambda run, or one person
 * invoking twice) both continued the operation record and sent everything twice. A run holds a
 * fenced lease on its target (the DLQ) while it works: a second run is refused, naming the
 * holder, when it started and when its lease ends; Lambda's retry of a dead attempt (the same
 * request id) takes over at once.
 */

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const payload = (prefix: string, extra: Record<string, unknown> = {}) => ({
  command: 'replay',
  pipeline: 'orders',
  source: { kind: 'dlq', s3: `s3://${BUCKET}/dlq/orders/${prefix}/` },
  ratePerSecond: 5_000,
  dryRun: false,
  confirm: true,
  ...extra,
});
const kafkaIds = (p: FakeProducer) => p.acked.map((m) => idOf(m.value));
const lambda = (awsRequestId: string) => ({ awsRequestId, getRemainingTimeInMillis: () => 900_000 });
const iso = (ms: number) => new Date(ms).toISOString();

/** A producer whose call `hangOn` never answers: the invocation dies with that batch on the wire. */
class HangOn extends FakeProducer {
  constructor(private readonly hangOn: number) {
    super();
  }
  override async send(topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]> {
    if (this.calls + 1 === this.hangOn) {
      this.calls++;
      return new Promise<never>(() => undefined);
    }
    return super.send(topic, messages);
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('Operation handler: one run per target (dlq-replay; S3 on s3rver, ledger on dynalite)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(async () => env?.close());

  it('two concurrent runs of one replay send every record once: the second is refused, naming the holder, when it started and when its lease ends', async () => {
    // Prepare
    await env.put(
      'dlq/orders/twice/2026/11/22/11/a.jsonl',
      range(1_000).map((i) => envelope(i)),
    );
    await env.put(
      'dlq/orders/twice/2026/11/22/11/b.jsonl',
      range(1_000, 1_000).map((i) => envelope(i)),
    );
    const producer = new FakeProducer();
    const clock = new ManualClock(T0);
    const cli = replayHandler(env, { kafkaProducer: () => producer, clock });
    const fn = replayHandler(env, { kafkaProducer: () => producer, clock });
    // Act
    const [a, b] = await Promise.all([cli(payload('twice'), lambda('req-cli')), fn(payload('twice'), lambda('req-lambda'))]);
    // Assess
    const d = deliveries(kafkaIds(producer));
    expect(d.size).toBe(2_000);
    expect([...d.values()].filter((n) => n > 1)).toEqual([]);
    expect([a.outcome, b.outcome].sort()).toEqual(['done', 'refused']);
    const [done, refused] = a.outcome === 'done' ? [a, b] : [b, a];
    const holder = done === a ? 'req-cli' : 'req-lambda';
    expect(refused.summary).toContain(`operation ${done.operationId}`);
    expect(refused.summary).toContain(`request ${holder}`);
    expect(refused.summary).toContain(`since ${iso(T0)}`);
    expect(refused.summary).toContain(`its lease ends ${iso(T0 + 60_000)}`);
    expect(refused.errors).toEqual([{ field: 'source', message: expect.stringContaining(`s3://${BUCKET}/dlq/orders/ is being worked on`) }]);
    const ledger = dynamoLedger(env.aws, env.tableName);
    expect(await ledger.getOperation(done.operationId!)).toMatchObject({ status: 'done', result: { recordsDeliveredTotal: 2_000 } });
  });

  it('another replay of the same DLQ (another selection) is refused while one runs: one run per DLQ', async () => {
    await env.put(
      'dlq/orders/other/2026/11/22/11/a.jsonl',
      range(1_500).map((i) => envelope(i)),
    );
    const producer = new FakeProducer();
    const clock = new ManualClock(T0 + 3_600_000);
    const h = replayHandler(env, { kafkaProducer: () => producer, clock });
    const [a, b] = await Promise.all([h(payload('other'), lambda('req-a')), h(payload('other', { replayId: 'again' }), lambda('req-b'))]);
    expect([a.outcome, b.outcome].sort()).toEqual(['done', 'refused']);
    expect(producer.acked).toHaveLength(1_500);
  });

  it("Lambda's retry of a dead attempt (the same request id) takes over at once; another request waits until the dead attempt's lease ends", async () => {
    // Prepare: the attempt dies with its second batch on the wire (no answer, no release).
    await env.put(
      'dlq/orders/dead/2026/11/22/11/a.jsonl',
      range(1_200).map((i) => envelope(i)),
    );
    const producer = new HangOn(2);
    const clock = new ManualClock(T0 + 7_200_000);
    const h = replayHandler(env, { kafkaProducer: () => producer, clock });
    void h(payload('dead'), lambda('req-dead'));
    await until(() => producer.calls === 2, 'the second batch');
    // Act
    clock.set(T0 + 7_200_000 + 30_000);
    const other = await h(payload('dead'), lambda('req-other'));
    const retry = await h(payload('dead'), lambda('req-dead'));
    // Assess
    expect(other).toMatchObject({ outcome: 'refused' });
    expect(other.summary).toContain(`its lease ends ${iso(T0 + 7_200_000 + 60_000)}`);
    expect(retry).toMatchObject({ outcome: 'done', result: { recordsDeliveredTotal: 1_200 } });
    const d = deliveries(kafkaIds(producer));
    expect(d.size).toBe(1_200);
    expect([...d.values()].every((n) => n === 1)).toBe(true);
  });

  it("once a dead attempt's lease has ended, any request takes the target over and continues; the lease never outlives the deadline", async () => {
    await env.put(
      'dlq/orders/expired/2026/11/22/11/a.jsonl',
      range(1_200).map((i) => envelope(i)),
    );
    const producer = new HangOn(2);
    const clock = new ManualClock(T0 + 10_800_000);
    const h = replayHandler(env, { kafkaProducer: () => producer, clock });
    // 40 s left: the lease asked for ends with the invocation, not 60 s later.
    void h(payload('expired'), { awsRequestId: 'req-short', getRemainingTimeInMillis: () => 40_000 });
    await until(() => producer.calls === 2, 'the second batch');
    // (The replay's rate limit moves this clock a little: times are set, not added.)
    clock.set(T0 + 10_800_000 + 39_999);
    const early = await h(payload('expired'), lambda('req-next'));
    clock.set(T0 + 10_800_000 + 40_000);
    const after = await h(payload('expired'), lambda('req-next'));
    expect(early).toMatchObject({ outcome: 'refused' });
    expect(early.summary).toContain(`its lease ends ${iso(T0 + 10_800_000 + 40_000)}`);
    expect(after).toMatchObject({ outcome: 'done', result: { recordsDeliveredTotal: 1_200 } });
    expect(deliveries(kafkaIds(producer)).size).toBe(1_200);
  });

  it('a dry run reads only and takes no lease: it runs beside a replay', async () => {
    await env.put(
      'dlq/orders/dry/2026/11/22/11/a.jsonl',
      range(600).map((i) => envelope(i)),
    );
    const producer = new FakeProducer();
    const clock = new ManualClock(T0 + 14_400_000);
    const h = replayHandler(env, { kafkaProducer: () => producer, clock });
    const [real, dry] = await Promise.all([h(payload('dry'), lambda('req-real')), h(payload('dry', { dryRun: true, confirm: false }), lambda('req-dry'))]);
    expect(real.outcome).toBe('done');
    expect(dry).toMatchObject({ outcome: 'done', result: { dryRun: true, recordsMatched: 600 } });
    expect(producer.acked).toHaveLength(600);
  });
  it('a run that lost its target (its lease ran out and another run took it) sends nothing more and leaves the record to the new holder', async () => {
    // Prepare: during the second send the run stalls past its lease, and another run takes the DLQ.
    await env.put(
      'dlq/orders/lost/2026/11/22/11/a.jsonl',
      range(1_500).map((i) => envelope(i)),
    );
    const clock = new ManualClock(T0 + 18_000_000);
    const ledger = dynamoLedger(env.aws, env.tableName);
    let taken: unknown;
    class StallOnSecond extends FakeProducer {
      override async send(topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]> {
        if (this.calls === 1) {
          clock.set(T0 + 18_000_000 + 61_000);
          taken = await ledger.targets.acquire(`dlq:s3://${BUCKET}/dlq/orders/`, {
            operationId: 'someone-else',
            requestId: 'req-new',
            nowMs: clock.now(),
            untilMs: clock.now() + 60_000,
          });
        }
        return super.send(topic, messages);
      }
    }
    const producer = new StallOnSecond();
    const h = replayHandler(env, { kafkaProducer: () => producer, clock });
    // Act
    const r = await h(payload('lost'), lambda('req-old'));
    // Assess
    expect(taken).toMatchObject({ ok: true });
    expect(r).toMatchObject({ outcome: 'failed' });
    expect(r.summary).toContain('target is held by another worker now');
    expect(producer.calls).toBe(2);
    expect(await ledger.getOperation(r.operationId!)).toMatchObject({ status: 'running' });
    expect(await ledger.targets.holder(`dlq:s3://${BUCKET}/dlq/orders/`, clock.now())).toMatchObject({ requestId: 'req-new' });
  });
});
