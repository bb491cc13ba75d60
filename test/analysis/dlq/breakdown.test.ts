import { describe, expect, it } from 'vitest';
import { BreakdownBuilder, severityFromRate, shareOf, type DlqRecord } from '../../../lambdas/analysis/dlq';

const rec = (errorType: DlqRecord['errorType'], i: number, extra: Partial<DlqRecord> = {}): DlqRecord => ({
  format: 'pipeline',
  errorType,
  errorCode: errorType,
  errorMessage: `failed at offset ${i}`,
  atMs: 1_000 + i,
  position: { topic: 't', partition: 0, offset: String(i) },
  payload: Buffer.from(JSON.stringify({ id: i, token: 'secret-token' })),
  ...extra,
});

describe('Class: BreakdownBuilder', () => {
  it('counts by type, finds the dominant type, and keeps a bounded number of masked samples per type', () => {
    const b = new BreakdownBuilder({ samplesPerType: 2, sampleChars: 80 });
    for (let i = 0; i < 7; i++) b.add(rec('timeout', i, { jobRunId: 'run-b' }));
    for (let i = 0; i < 3; i++) b.add(rec('parse_error', 100 + i));
    const out = b.build();
    expect(out.records).toBe(10);
    expect(out.byType).toMatchObject({ timeout: 7, parse_error: 3, validation_error: 0 });
    expect(out.dominant).toEqual({ type: 'timeout', share: 0.7 });
    expect(out.samples.map((s) => s.errorType)).toEqual(['timeout', 'timeout', 'parse_error', 'parse_error']);
    expect(out.samples.every((s) => !s.payload.includes('secret-token'))).toBe(true);
    expect(out.topMessages[0]).toEqual({ errorType: 'timeout', message: 'failed at offset #', records: 7 });
    expect(out.byJobRun).toEqual({ 'run-b': 7 });
    expect([out.oldestAtMs, out.newestAtMs]).toEqual([1_000, 1_102]);
    expect(out.failingFields.share('id')).toBe(1);
    expect(shareOf(out, ['timeout', 'external_api_error'])).toBe(0.7);
  });

  it('has no dominant type without records', () => {
    expect(new BreakdownBuilder().build()).toMatchObject({ records: 0, samples: [] });
    expect(new BreakdownBuilder().build().dominant).toBeUndefined();
  });
});

describe('Function: severityFromRate', () => {
  it.each([
    [undefined, 'error'],
    [99.9, 'warning'],
    [100, 'error'],
    [999, 'error'],
    [1_000, 'critical'],
  ] as const)('%s records/min → %s (threshold 100, critical 1000)', (rate, sev) => {
    expect(severityFromRate(rate, 100, 1_000)).toBe(sev);
  });
});
