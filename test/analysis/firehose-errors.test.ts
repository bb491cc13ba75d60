import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyDeliveryError, errorCountsText, parseDeliveryErrorLine, summarizeDeliveryErrors } from '../../lambdas/analysis/firehose-errors';

const T0 = Date.parse('2026-11-22T09:30:00.000Z');
const line = (errorCode: string, message = 'm') =>
  JSON.stringify({
    deliveryStreamARN: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/order-firehose',
    destination: 'arn:aws:s3:::orders-data-lake',
    deliveryStreamVersionId: 7,
    message,
    errorCode,
  });

describe('Function: classifyDeliveryError', () => {
  it.each([
    ['S3.AccessDenied', 'access'],
    ['S3.AllAccessDisabled', 'access'],
    ['S3.InvalidPayer', 'access'],
    ['S3.NoSuchBucket', 'bucket'],
    ['S3.MethodNotAllowed', 'access'],
    ['S3.KMS.NotFoundException', 'kms'],
    ['S3.KMS.KeyDisabled', 'kms'],
    ['KMS.DisabledException', 'kms'],
    ['KMS.InvalidStateException', 'kms'],
    ['S3.KMS.RequestLimitExceeded', 'rate'],
    ['S3.SlowDown', 'rate'],
    ['InternalError', 'transient'],
    ['S3.MultipartUpload.NoSuchUpload', 'transient'],
    ['S3.SomethingNew', 'other'],
  ])('%s is %s', (code, cls) => {
    expect(classifyDeliveryError(code)).toBe(cls);
  });
});

describe('Function: parseDeliveryErrorLine', () => {
  it('reads the code and message of a Firehose error log event', () => {
    expect(parseDeliveryErrorLine(line('S3.AccessDenied', 'Access was denied.'))).toEqual({ code: 'S3.AccessDenied', message: 'Access was denied.' });
  });

  it('falls back to the errorCode field of a cut line, then to a bare code', () => {
    expect(parseDeliveryErrorLine('{"deliveryStreamARN":"arn:…","errorCode":"S3.NoSuchBucket","message":"The specified bu')?.code).toBe('S3.NoSuchBucket');
    expect(parseDeliveryErrorLine('delivery failed with S3.KMS.KeyDisabled for key abc')?.code).toBe('S3.KMS.KeyDisabled');
  });

  it('names nothing for a line without an error code', () => {
    expect(parseDeliveryErrorLine('{"message":"all good"}')).toBeUndefined();
    expect(parseDeliveryErrorLine('')).toBeUndefined();
  });

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(() => parseDeliveryErrorLine(s)).not.toThrow();
      }),
    );
  });
});

describe('Function: summarizeDeliveryErrors', () => {
  it('counts per code, most frequent first, keeping the newest message and the classes', () => {
    const events = [
      { timestampMs: T0, message: line('S3.AccessDenied', 'first') },
      { timestampMs: T0 + 60_000, message: line('S3.KMS.KeyDisabled') },
      { timestampMs: T0 + 120_000, message: line('S3.AccessDenied', 'newest') },
      { timestampMs: T0 + 30_000, message: line('S3.AccessDenied', 'middle') },
      { timestampMs: T0 + 90_000, message: 'no code here' },
    ];
    const s = summarizeDeliveryErrors(events);
    expect(s.total).toBe(4);
    expect(s.unparsed).toBe(1);
    expect(s.byCode[0]).toEqual({ code: 'S3.AccessDenied', class: 'access', count: 3, firstAtMs: T0, lastAtMs: T0 + 120_000, lastMessage: 'newest' });
    expect(s.classes.sort()).toEqual(['access', 'kms']);
    expect(errorCountsText(s)).toBe('S3.AccessDenied×3, S3.KMS.KeyDisabled×1');
  });

  it('says none for an empty log', () => {
    const s = summarizeDeliveryErrors([]);
    expect(s).toEqual({ total: 0, unparsed: 0, byCode: [], classes: [] });
    expect(errorCountsText(s)).toBe('none');
  });

  it('accounts for every event once, whatever the mix', () => {
    const codes = fc.constantFrom('S3.AccessDenied', 'S3.NoSuchBucket', 'S3.SlowDown', 'InternalError');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(codes), fc.integer({ min: 0, max: 3_600_000 }))), (evs) => {
        const s = summarizeDeliveryErrors(evs.map(([c, t]) => ({ timestampMs: T0 + t, message: c ? line(c) : 'plain text' })));
        expect(s.total + s.unparsed).toBe(evs.length);
        expect(s.byCode.reduce((a, c) => a + c.count, 0)).toBe(s.total);
      }),
    );
  });
});
