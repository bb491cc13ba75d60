import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firehoseErrorType, parseDlqLine, readEnvelope, readEnvelopeFast, recordId } from '../../../lambdas/analysis/dlq';

const envelope = {
  v: 1,
  error_type: 'validation_error',
  error_message: 'missing required field customer_id',
  failed_at: '2026-11-22T10:03:12.345Z',
  source: { topic: 'orders.raw', partition: 3, offset: 1842211 },
  key: 'ord-1001',
  job_run_id: '00fq2bd6v7g0a00b',
  payload: '{"order_id":"ord-1001","cust_id":"C-17"}',
};
const firehose = {
  attemptsMade: 4,
  arrivalTimestamp: 1_732_270_992_345,
  errorCode: 'Lambda.FunctionError',
  errorMessage: 'The Lambda function was successfully invoked but it returned an error result.',
  rawData: Buffer.from('{"order_id":"ord-1001"}').toString('base64'),
};

describe('Function: parseDlqLine', () => {
  it('reads the pipeline envelope into a record', () => {
    const r = parseDlqLine(JSON.stringify(envelope));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record).toMatchObject({
      format: 'pipeline',
      errorType: 'validation_error',
      errorCode: 'validation_error',
      atMs: Date.parse(envelope.failed_at),
      position: { topic: 'orders.raw', partition: 3, offset: '1842211' },
      key: 'ord-1001',
      jobRunId: '00fq2bd6v7g0a00b',
    });
    expect(r.record.payload.toString()).toBe(envelope.payload);
    expect(recordId(r.record, 's3://b/k', 9)).toBe('orders.raw/3/1842211');
  });

  it('keeps offsets beyond 2^53 exact when written as strings', () => {
    const r = parseDlqLine(JSON.stringify({ ...envelope, source: { ...envelope.source, offset: '18446744073709551615' } }));
    expect(r.ok && r.record.position?.offset).toBe('18446744073709551615');
  });

  it.each([
    ['an unknown error type as other, keeping the code', { error_type: 'schema_registry_error' }, { errorType: 'other', errorCode: 'schema_registry_error' }],
    ['epoch milliseconds as the failure time', { failed_at: 1_732_270_992_345 }, { atMs: 1_732_270_992_345 }],
    ['a JSON payload as its compact text', { payload: { a: 1 } }, {}],
  ])('reads %s', (_name, patch, expected) => {
    const r = parseDlqLine(JSON.stringify({ ...envelope, ...patch }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.record).toMatchObject(expected);
    if (r.ok && 'payload' in patch && typeof patch.payload === 'object') expect(r.record.payload.toString()).toBe('{"a":1}');
  });

  it('reads a binary payload from payload_base64', () => {
    const { payload: _p, ...rest } = envelope;
    const r = parseDlqLine(JSON.stringify({ ...rest, payload_base64: Buffer.from([0xff, 0x00, 0x01]).toString('base64') }));
    expect(r.ok && [...r.record.payload]).toEqual([0xff, 0x00, 0x01]);
  });

  it.each([
    ['not JSON', '{"error_type":', 'not JSON'],
    ['a JSON array', '[1,2]', 'not a JSON object'],
    ['no error type', JSON.stringify({ ...envelope, error_type: undefined }), 'error_type'],
    ['a negative partition', JSON.stringify({ ...envelope, source: { ...envelope.source, partition: -1 } }), 'source.partition'],
    ['a time without offset', JSON.stringify({ ...envelope, failed_at: '2026-11-22 10:03' }), 'failed_at'],
    ['no payload', JSON.stringify({ ...envelope, payload: undefined }), 'payload'],
    ['both payloads', JSON.stringify({ ...envelope, payload_base64: 'AAAA' }), 'only one'],
  ])('reports %s as a bad line naming the reason', (_name, line, reason) => {
    const r = parseDlqLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('reads Firehose error output, mapping its code to an error type', () => {
    const r = parseDlqLine(JSON.stringify(firehose));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record).toMatchObject({
      format: 'firehose',
      errorType: 'external_api_error',
      errorCode: 'Lambda.FunctionError',
      atMs: firehose.arrivalTimestamp,
      attemptsMade: 4,
    });
    expect(r.record.payload.toString()).toBe('{"order_id":"ord-1001"}');
    expect(recordId(r.record, 's3://b/errors/x', 12)).toBe('s3://b/errors/x#12');
  });

  it('refuses a Firehose line read as the pipeline format, and the reverse', () => {
    expect(parseDlqLine(JSON.stringify(firehose), 'pipeline').ok).toBe(false);
    expect(parseDlqLine(JSON.stringify(envelope), 'firehose').ok).toBe(false);
  });

  it.each([
    ['Lambda.FunctionError', 'external_api_error'],
    ['Lambda.InvokeTimeout', 'timeout'],
    ['DynamicPartitioning.MetadataExtractionFailed', 'parse_error'],
    ['DataFormatConversion.InvalidSchema', 'parse_error'],
    ['S3.AccessDenied', 'other'],
  ])('maps Firehose code %s to %s', (code, type) => {
    expect(firehoseErrorType(code)).toBe(type);
  });

  describe('the hand-written fast path', () => {
    it('takes the canonical envelope, and leaves other shapes to the schema', () => {
      expect(readEnvelopeFast(envelope)).toBeDefined();
      expect(readEnvelopeFast({ ...envelope, failed_at: '2026-11-22T10:03:12.345678+00:00' })).toBeUndefined();
      expect(parseDlqLine(JSON.stringify({ ...envelope, failed_at: '2026-11-22T10:03:12.345678+00:00' })).ok).toBe(true);
      expect(readEnvelopeFast({ ...envelope, failed_at: '2026-02-31T10:03:12.345Z' })).toBeUndefined();
      expect(readEnvelopeFast({ ...envelope, source: { ...envelope.source, offset: 2 ** 53 } })).toBeUndefined();
    });

    it('never accepts what the zod schema refuses, and reads what it accepts the same way', () => {
      const values = fc.oneof(
        fc.jsonValue(),
        fc.constantFrom(
          undefined,
          null,
          -1,
          0,
          1,
          2 ** 53,
          1.5,
          '',
          '1',
          'x'.repeat(201),
          '2026-02-29T00:00:00.000Z',
          '2028-02-29T00:00:00.000Z',
          '2026-11-22T24:00:00.000Z',
          '+012026-11-22T10:00:00.000Z',
          '0050-01-01T00:00:00.000Z',
          '2026-04-31T00:00:00.000Z',
          '2026-12-31T23:59:59.999Z',
        ),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.record(
          { topic: fc.constantFrom('t', ''), partition: fc.constantFrom(0, -1, 1.5, '1'), offset: fc.constantFrom(0, '12', '1e3', -2, 2 ** 60) },
          { requiredKeys: [] },
        ),
      );
      const keys = ['v', 'error_type', 'error_message', 'failed_at', 'source', 'key', 'job_run_id', 'payload', 'payload_base64'];
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...keys), values), (patch) => {
          const o = JSON.parse(JSON.stringify({ ...envelope, ...patch })) as Record<string, unknown>;
          const fast = readEnvelopeFast(o);
          if (fast === undefined) return;
          const slow = readEnvelope(o);
          expect(slow.ok).toBe(true);
          if (slow.ok) expect(fast).toEqual(slow.record);
        }),
        { numRuns: 3_000 },
      );
    });
  });

  describe('fuzz', () => {
    it('never throws on arbitrary text', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (s) => {
          const r = parseDlqLine(s);
          expect(typeof r.ok).toBe('boolean');
        }),
        { numRuns: 2_000 },
      );
    });

    it('never throws on arbitrary JSON, nor on envelopes with any field replaced', () => {
      const keys = [...Object.keys(envelope), 'payload_base64', 'rawData', 'errorCode', 'arrivalTimestamp'];
      fc.assert(
        fc.property(
          fc.jsonValue(),
          fc.constantFrom(...keys),
          fc.jsonValue(),
          fc.constantFrom('auto', 'pipeline', 'firehose') as fc.Arbitrary<'auto' | 'pipeline' | 'firehose'>,
          (any, key, value, format) => {
            expect(() => parseDlqLine(JSON.stringify(any), format)).not.toThrow();
            const r = parseDlqLine(JSON.stringify({ ...envelope, ...firehose, [key]: value }), format);
            if (r.ok) expect(Buffer.isBuffer(r.record.payload)).toBe(true);
          },
        ),
        { numRuns: 2_000 },
      );
    });
  });
});
