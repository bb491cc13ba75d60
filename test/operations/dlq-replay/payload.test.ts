import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import { replayOperationId, replayPayloadSchema, resolveReplay } from '../../../lambdas/operations/dlq-replay';
import exampleConfig from '../../../streamfix.config';
import { config } from './helpers';

const parse = (p: Record<string, unknown>) => replayPayloadSchema.parse({ command: 'replay', pipeline: 'orders', ...p });
const refusals = (p: Record<string, unknown>, c = config) => {
  const r = resolveReplay(parse(p), c);
  return r.ok ? [] : r.refusals.map((x) => x.field);
};

describe('Function: resolveReplay', () => {
  it('defaults to a dry run of the pipeline DLQ to its source topic', () => {
    const r = resolveReplay(parse({}), config);
    expect(r).toMatchObject({
      ok: true,
      value: {
        root: 's3://orders-data-lake/dlq/orders/',
        uri: 's3://orders-data-lake/dlq/orders/',
        format: 'pipeline',
        target: { kind: 'kafka', topic: 'orders.raw' },
      },
    });
    expect(parse({}).dryRun).toBe(true);
  });

  it('replays Firehose error output to the stream by default, and never to the source topic', () => {
    expect(resolveReplay(parse({ source: { kind: 'firehose-errors' } }), config)).toMatchObject({
      ok: true,
      value: { format: 'firehose', target: { kind: 'firehose', deliveryStreamName: 'order-firehose' } },
    });
    expect(refusals({ source: { kind: 'firehose-errors' }, target: { kind: 'kafka' } })).toEqual(['target.kind']);
  });

  it.each([
    ['an unknown pipeline', { pipeline: 'payments' }, 'pipeline'],
    ['a prefix outside the configured DLQ', { source: { s3: 's3://orders-data-lake/other/' } }, 'source.s3'],
    ['a look-alike prefix', { source: { s3: 's3://orders-data-lake/dlq/orders-old/' } }, 'source.s3'],
    ['another topic', { target: { kind: 'kafka', topic: 'orders.enriched' } }, 'target.topic'],
    ['another delivery stream', { target: { kind: 'firehose', deliveryStreamName: 'x' } }, 'target.deliveryStreamName'],
    ['a topic on a Firehose target', { target: { kind: 'firehose', topic: 'orders.raw' } }, 'target.topic'],
    ['a write without confirm', { dryRun: false }, 'confirm'],
  ])('refuses %s, naming the field', (_n, p, field) => {
    expect(refusals(p)).toContain(field);
  });

  it('refuses Firehose error output when the config does not name it', () => {
    expect(refusals({ source: { kind: 'firehose-errors' } }, parseConfig(exampleConfig))).toEqual(['source.kind']);
  });

  it('accepts a narrower prefix under the configured one', () => {
    expect(refusals({ source: { s3: 's3://orders-data-lake/dlq/orders/2026/11/22/' } })).toEqual([]);
  });
});

describe('Schema: replay payload', () => {
  it.each([
    [{ errorTypes: ['oops'] }, 'errorTypes'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-11-22T12:00:00Z', to: '2026-11-22T11:00:00Z' }, 'to'],
    [{ ratePerSecond: 0 }, 'ratePerSecond'],
    [{ ratePerSecond: 0.0001 }, 'ratePerSecond'],
    [{ ratePerSecond: 0.999 }, 'ratePerSecond'],
    [{ where: ['no operator here'] }, 'where'],
    [{ where: ['$nope=1'] }, 'where'],
    [{ unknown: true }, ''],
  ])('rejects %j naming %s', (p, field) => {
    const r = replayPayloadSchema.safeParse({ command: 'replay', pipeline: 'orders', ...p });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.path.join('.')).toContain(field);
  });
});

describe('Schema: replay payload bounds', () => {
  it.each([
    ['a 1 MB errorCodes entry', { errorCodes: ['x'.repeat(1_000_000)] }, 'errorCodes.0'],
    ['51 errorCodes', { errorCodes: Array.from({ length: 51 }, (_, i) => `c${i}`) }, 'errorCodes'],
    ['a 3 KB pipeline', { pipeline: 'p'.repeat(3_000) }, 'pipeline'],
    ['a 250-character topic', { target: { kind: 'kafka', topic: 't'.repeat(250) } }, 'target.topic'],
    ['a 65-character stream name', { target: { kind: 'firehose', deliveryStreamName: 's'.repeat(65) } }, 'target.deliveryStreamName'],
    ['a 1,200-character source prefix', { source: { s3: `s3://b/${'k'.repeat(1_200)}/` } }, 'source.s3'],
  ])('rejects %s, naming %s', (_name, p, field) => {
    const r = replayPayloadSchema.safeParse({ command: 'replay', pipeline: 'orders', ...p });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.path.join('.')).toBe(field);
  });

  it('accepts each bounded field at its bound', () => {
    expect(
      replayPayloadSchema.safeParse({
        command: 'replay',
        pipeline: 'p'.repeat(40),
        ratePerSecond: 1,
        errorCodes: Array.from({ length: 50 }, () => 'e'.repeat(200)),
        target: { topic: 't'.repeat(249), deliveryStreamName: 's'.repeat(64) },
      }).success,
    ).toBe(true);
  });

  it('names the bound in the message', () => {
    const r = replayPayloadSchema.safeParse({ command: 'replay', pipeline: 'orders', errorCodes: ['x'.repeat(201)] });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.message).toContain('at most 200 characters');
  });
});

describe('Function: replayOperationId', () => {
  it('is the same for the same selection whatever the pace, and differs for another selection, replay id or a dry run', () => {
    const base = parse({ dryRun: false, confirm: true, errorTypes: ['timeout'] });
    const id = replayOperationId(base);
    expect(id).toMatch(/^dlq-replay\.orders\.[0-9a-f]{16}$/);
    expect(replayOperationId({ ...base, ratePerSecond: 50, maxRecords: 10 })).toBe(id);
    expect(replayOperationId({ ...base, errorTypes: ['parse_error'] })).not.toBe(id);
    expect(replayOperationId({ ...base, replayId: '2' })).not.toBe(id);
    expect(replayOperationId({ ...base, dryRun: true })).toBe(`${id}.dry-run`);
  });
});
