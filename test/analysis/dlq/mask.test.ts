import { describe, expect, it } from 'vitest';
import { luhnValid, maskSecrets, samplePayload, truncate } from '../../../lambdas/analysis/dlq';

describe('Function: maskSecrets', () => {
  it('masks secret-like fields at any depth of a JSON payload, and nothing else', () => {
    const text = JSON.stringify({ order_id: 'o-1', password: 'hunter2', auth: { api_key: 'k-123', Authorization: 'Bearer abc' }, items: [{ card_number: '4111' }], note: 'fine' });
    const out = JSON.parse(maskSecrets(text));
    expect(out).toEqual({ order_id: 'o-1', password: '***', auth: { api_key: '***', Authorization: '***' }, items: [{ card_number: '***' }], note: 'fine' });
  });

  it.each([
    ['password=hunter2&user=bob', 'password=***&user=bob'],
    ['{"client_secret": "s3cr3t", "id": 1', '{"client_secret": "***", "id": 1'],
    ["{'access_token': 'abc.def'", "{'access_token': '***'"],
    ['header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'header Authorization: ***'],
    ['key AKIAIOSFODNN7EXAMPLE used', 'key *** used'],
  ])('masks secrets in text that is not JSON: %s', (input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
  });

  it('masks card-like numbers that pass the Luhn check, keeping the last four digits', () => {
    expect(maskSecrets('{"note":"paid with 4111 1111 1111 1111"}')).toBe('{"note":"paid with ****1111"}');
    expect(maskSecrets('{"pan":4111111111111111}')).toBe('{"pan":"****1111"}');
    expect(maskSecrets('card 5500-0000-0000-0004 ok')).toBe('card ****0004 ok');
  });

  it('leaves numbers that are not card numbers alone (order ids, timestamps)', () => {
    expect(maskSecrets('{"order":1234567890123,"ts":1732270992345}')).toBe('{"order":1234567890123,"ts":1732270992345}');
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});

describe('Function: samplePayload', () => {
  it('masks before cutting, so a secret at the cut is not half shown', () => {
    const text = `{"pad":"${'x'.repeat(50)}","password":"correct-horse-battery-staple"}`;
    const out = samplePayload(text, 60);
    expect(out).not.toContain('correct');
    expect(out.endsWith('…')).toBe(true);
    expect(out.length).toBe(60);
  });

  it('does not split a surrogate pair at the cut', () => {
    const t = truncate('ab😀cd', 4);
    expect(t).toBe('ab…');
    expect(truncate('short', 10)).toBe('short');
  });
});
