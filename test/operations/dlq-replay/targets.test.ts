import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FirehoseAdapter } from '../../../lambdas/adapters/firehose';
import { Batch, firehoseTarget, kafkaTarget, withReplayId } from '../../../lambdas/operations/dlq-replay/targets';
import { FakeProducer } from './helpers';

const firehose = mockClient(FirehoseClient);
const target = firehoseTarget(new FirehoseAdapter(new FirehoseClient({ region: 'eu-west-1' })), 'order-firehose');
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, replayId: `id${i}`, data: Buffer.from(`{"i":${i}}`) }));

describe('Function: firehoseTarget', () => {
  beforeEach(() => firehose.reset());

  it('maps each entry of a 200 reply with FailedPutCount to its outcome', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      Encrypted: false,
      RequestResponses: [{ RecordId: 'a' }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }, { RecordId: 'c' }],
    });
    expect(await target.send(records(3))).toEqual([
      { ok: true },
      { ok: false, code: 'ServiceUnavailableException', message: 'Slow down.', retriable: true },
      { ok: true },
    ]);
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]!.args[0].input).toMatchObject({
      DeliveryStreamName: 'order-firehose',
      Records: [{ Data: Buffer.from('{"i":0}') }, {}, {}],
    });
  });

  it('treats entries the reply does not account for as failed', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 2, RequestResponses: [] });
    expect((await target.send(records(2))).every((o) => !o.ok)).toBe(true);
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'a' }] });
    expect(await target.send(records(2))).toEqual([{ ok: true }, expect.objectContaining({ ok: false, code: 'NoResultEntry' })]);
  });
});

describe('Function: kafkaTarget', () => {
  it('sends key, value and the replay headers, and closes the producer', async () => {
    const p = new FakeProducer();
    const t = kafkaTarget(p, 'orders.raw', 'op-1');
    await t.send([{ id: 'orders.raw/1/2', replayId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', data: Buffer.from('v'), key: 'k' }]);
    await t.close();
    expect(p.acked[0]).toEqual({
      key: 'k',
      value: Buffer.from('v'),
      headers: { 'streamfix-replay-id': '0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'streamfix-replay-of': 'orders.raw/1/2', 'streamfix-operation': 'op-1' },
    });
    expect(p.disconnected).toBe(1);
  });
});

describe('Function: withReplayId', () => {
  it.each([
    ['{"id":1}', '{"streamfix_replay_id":"abc","id":1}'],
    ['  { "id": 1 }\n', '  {"streamfix_replay_id":"abc", "id": 1 }\n'],
    ['{}', '{"streamfix_replay_id":"abc"}'],
    ['{ }\n', '{"streamfix_replay_id":"abc" }\n'],
  ])('puts the replay id first in the JSON object %j, the other bytes unchanged', (input, expected) => {
    const out = withReplayId(Buffer.from(input), 'abc').toString();
    expect(out).toBe(expected);
    expect(JSON.parse(out)).toMatchObject({ streamfix_replay_id: 'abc' });
  });

  it.each([['[1,2]'], ['plain text'], ['"a string"'], ['{"cut":']])('sends %j unchanged (not a JSON object)', (input) => {
    expect(withReplayId(Buffer.from(input), 'abc').toString()).toBe(input);
  });
});

describe('Class: Batch', () => {
  it('holds at most 500 records', () => {
    const b = new Batch();
    for (let i = 0; i < 500; i++) b.add({ data: Buffer.alloc(1) });
    expect(b.fits({ data: Buffer.alloc(1) })).toBe(false);
  });

  it('holds at most 4 MiB, and no record over 1,000 KiB', () => {
    const b = new Batch();
    for (let i = 0; i < 4; i++) b.add({ data: Buffer.alloc(1_000 * 1024) });
    expect(b.fits({ data: Buffer.alloc(96 * 1024) })).toBe(true);
    expect(b.fits({ data: Buffer.alloc(96 * 1024 + 1) })).toBe(false);
    expect(Batch.fitsAlone(1_000 * 1024)).toBe(true);
    expect(Batch.fitsAlone(1_000 * 1024 + 1)).toBe(false);
  });

  it('can be capped lower (a second of records at a low rate)', () => {
    const b = new Batch(2);
    b.add({ data: Buffer.alloc(1) });
    b.add({ data: Buffer.alloc(1) });
    expect(b.fits({ data: Buffer.alloc(1) })).toBe(false);
    b.clear();
    expect(b.size).toBe(0);
  });
});
