import { describe, expect, it } from 'vitest';
import { dlqChecks, dlqReplaySummary, operationsChecks } from '../../drills/dlq';
import { timelineEntrySchema } from '../../drills/scenario/schema';
import { splitByWeight } from '../../drills/sim/dlq';
import { parseDlqLine } from '../../lambdas/analysis/dlq';
import { parseConfig } from '../../lambdas/schema';
import exampleConfig from '../../streamfix.config';
import { newWorld, T0 } from './helpers';

const metric = { namespace: 'orders-pipeline', metricName: 'DLQRecordCount', dimensions: { Pipeline: 'orders' } };
const spec = (over: Record<string, unknown> = {}) => ({
  pipeline: 'orders',
  dlqUri: 's3://orders-data-lake/dlq/orders/',
  topic: 'orders.raw',
  metric,
  applicationId: '00fabcd1234efg5h',
  jobName: 'orders-stream',
  perMinute: 10,
  untilMs: T0 + 180_000,
  types: [['timeout', 1]] as ['timeout', number][],
  errorMessage: 'slow',
  payload: { order_id: 'o-{i}' },
  stampJobRun: false,
  ...over,
});

describe('Class: SimDlq', () => {
  it("writes one object of envelopes a minute while it lasts, and the minute's count on the metric", async () => {
    const world = newWorld();
    world.s3.createBucket('orders-data-lake');
    world.dlq.startWriting(spec());
    await world.runUntil(T0 + 10 * 60_000);
    const keys = world.s3.keys('orders-data-lake', 'dlq/orders/');
    expect(keys).toEqual([
      'dlq/orders/2026/01/01/00/part-00001.jsonl',
      'dlq/orders/2026/01/01/00/part-00002.jsonl',
      'dlq/orders/2026/01/01/00/part-00003.jsonl',
    ]);
    const lines = world.s3.object('orders-data-lake', keys[1]!)!.body.toString().trim().split('\n');
    expect(lines).toHaveLength(10);
    const parsed = lines.map((l) => parseDlqLine(l));
    expect(parsed.every((p) => p.ok)).toBe(true);
    expect(parsed[0]).toMatchObject({ ok: true, record: { errorType: 'timeout', position: { topic: 'orders.raw' } } });
    expect(JSON.parse((parsed[0] as { record: { payload: Buffer } }).record.payload.toString())).toEqual({ order_id: 'o-10' });
    expect(world.cloudwatch.store.datapoints(metric, 'Sum', 60, T0 - 60_000, T0 + 600_000).map((d) => d.value)).toEqual([10, 10, 10]);
    expect(new Set(world.dlq.written.get('orders')).size).toBe(30);
  });

  it('counts what a replay produced: delivered once, twice, or never', async () => {
    const world = newWorld();
    world.s3.createBucket('orders-data-lake');
    world.dlq.startWriting(spec({ untilMs: T0 + 1 }));
    const ids = world.dlq.written.get('orders')!;
    const p = world.dlq.producer();
    await p.send(
      'orders.raw',
      ids.slice(0, 8).map((id) => ({ value: Buffer.from('x'), headers: { 'streamfix-replay-of': id } })),
    );
    await p.send('orders.raw', [{ value: Buffer.from('x'), headers: { 'streamfix-replay-of': ids[0]! } }]);
    const config = parseConfig(exampleConfig);
    const summary = dlqReplaySummary(world, config);
    expect(summary).toEqual({ orders: { written: 10, delivered: 8, duplicates: 1, missing: 2 } });
    expect(dlqChecks({ orders: { duplicates: 0, missing: 2 } }, summary).map((c) => c.ok)).toEqual([false, true]);
    expect(operationsChecks({ 'dlq-replay': { invocations: 1 } }, undefined)[0]).toMatchObject({ ok: false, actual: 0 });
  });
});

describe('Function: splitByWeight', () => {
  it('spreads records over types by weight, exactly and deterministically', () => {
    const out = splitByWeight(10, [
      ['timeout', 8],
      ['external_api_error', 2],
    ]);
    expect(out.filter((t) => t === 'timeout')).toHaveLength(8);
    expect(
      splitByWeight(7, [
        ['parse_error', 1],
        ['duplicate', 1],
      ]),
    ).toHaveLength(7);
  });
});

describe('Scenario: dead-letter timeline entries', () => {
  it('needs exactly one of errorType or errorTypes, and names the path', () => {
    const bad = timelineEntrySchema.safeParse({ at: 60, 'dlq-records': { pipeline: 'orders', perMinute: 10, for: '5m' } });
    expect(bad.success).toBe(false);
    const ok = timelineEntrySchema.safeParse({ at: 60, 'dlq-records': { pipeline: 'orders', perMinute: 10, for: '5m', errorTypes: { timeout: 1 } } });
    expect(ok.success).toBe(true);
    expect(timelineEntrySchema.safeParse({ at: 60, 'invoke-operation': { operation: 'dlq-replay', payload: { command: 'replay' } } }).success).toBe(true);
  });
});
