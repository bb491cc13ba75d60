import { describe, expect, it } from 'vitest';
import { ibanValid, luhnValid, Masker, maskSecrets, samplePayload, truncate } from '../../../lambdas/analysis/dlq';
import { maskingSchema } from '../../../lambdas/config/masking';

/** The personal data of issue 13 (point 8), each of which went unmasked into pages and the ledger. */
const PERSON = {
  name: 'Jane Doe',
  email: 'jane.doe@example.com',
  phone: '+49 30 1234567',
  iban: 'DE89 3704 0044 0532 0130 00',
  date_of_birth: '1984-02-29',
  pin: '4921',
  card: '4111 1111 1111 1111',
};
const VALUES = Object.values(PERSON);

describe('Class: Masker (default rules)', () => {
  it('masks every field of the issue by its name, at any depth of a JSON payload', () => {
    const text = JSON.stringify({ order_id: 'o-1', customer: PERSON, total: 12 });
    const out = maskSecrets(text);
    for (const v of VALUES) expect(out).not.toContain(v);
    expect(JSON.parse(out)).toEqual({ order_id: 'o-1', total: 12, customer: Object.fromEntries(Object.keys(PERSON).map((k) => [k, '***'])) });
  });

  it.each([
    ['firstName', 'Jane'],
    ['last_name', 'Doe'],
    ['customerEmail', 'x'],
    ['phone_number', '030 1'],
    ['mobile', '0170'],
    ['billing-address', 'Main St 1'],
    ['dob', '1984-02-29'],
    ['birthDate', '1984'],
    ['dateOfBirth', '1984'],
    ['PIN', '1234'],
    ['password', 'p'],
    ['client_secret', 's'],
    ['access_token', 't'],
    ['api_key', 'k'],
    ['ssn', '078-05-1120'],
    ['tax_id', 'DE123'],
    ['taxId', 'DE123'],
    ['iban', 'x'],
    ['card_number', '4111'],
    ['cvv', '123'],
  ])('masks the field %s', (field, value) => {
    expect(JSON.parse(maskSecrets(JSON.stringify({ [field]: value, keep: 'ok' })))).toEqual({ [field]: '***', keep: 'ok' });
  });

  it.each(['order_id', 'hotel', 'passenger_count', 'pinned', 'author', 'keyboard_layout', 'total', 'country'])('leaves the field %s alone', (field) => {
    expect(JSON.parse(maskSecrets(JSON.stringify({ [field]: 'visible' })))).toEqual({ [field]: 'visible' });
  });

  it.each([
    ['pass=hunter2', 'pass=***'],
    ['user=bob&password=hunter2', 'user=bob&password=***'],
    ['{"client_secret": "s3cr3t", "id": 1', '{"client_secret": "***", "id": 1'],
    ["{'access_token': 'abc.def'", "{'access_token': '***'"],
    ['header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'header Authorization: ***'],
    ['key AKIAIOSFODNN7EXAMPLE used', 'key *** used'],
    ['pin: 4921 rejected', 'pin: *** rejected'],
    ['name=Jane phone=0301234567 ok', 'name=*** phone=*** ok'],
  ])('masks key=value secrets and personal data in text that is not JSON: %s', (input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
  });

  it('masks e-mail addresses, IBANs and Luhn-valid card numbers by value, wherever they are', () => {
    const note = `contact jane.doe@example.com, pay to ${PERSON.iban} or DE89370400440532013000, card 4111-1111-1111-1111`;
    const out = maskSecrets(JSON.stringify({ note, message: 'sent to ops+alerts@mail.example.org' }));
    expect(JSON.parse(out)).toEqual({
      note: 'contact ***@***, pay to ****3000 or ****3000, card ****1111',
      message: 'sent to ***@***',
    });
    expect(maskSecrets('{"pan":4111111111111111}')).toBe('{"pan":"***"}');
    expect(maskSecrets('{"amount":4111111111111111}')).toBe('{"amount":"****1111"}');
    expect(maskSecrets('card 5500-0000-0000-0004 ok')).toBe('card ****0004 ok');
  });

  it('leaves numbers and codes that are not card numbers or IBANs alone', () => {
    expect(maskSecrets('{"order":1234567890123,"ts":1732270992345}')).toBe('{"order":1234567890123,"ts":1732270992345}');
    expect(maskSecrets('ref DE00 1234 5678 9012 3456 78 retried')).toBe('ref DE00 1234 5678 9012 3456 78 retried');
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
  });

  it('stays linear on hostile text (long runs without separators)', () => {
    const started = performance.now();
    const out = maskSecrets(`${'a'.repeat(60_000)}=${'b'.repeat(4_000)}`);
    console.log(`masking 64 KB of hostile text: ${(performance.now() - started).toFixed(1)} ms`);
    expect(out.length).toBeGreaterThan(0);
  });
});

describe('Class: Masker (per pipeline configuration)', () => {
  const masker = (input: Record<string, unknown>) => new Masker(maskingSchema.parse(input));

  it('adds field names (extraFields) and spares others (keepFields)', () => {
    const m = masker({ extraFields: ['loyalty_no'], keepFields: ['topic_name'] });
    expect(JSON.parse(m.mask(JSON.stringify({ loyalty_no: 'L-1', topic_name: 'orders', name: 'Jane' })))).toEqual({
      loyalty_no: '***',
      topic_name: 'orders',
      name: '***',
    });
  });

  it('replaces the field list (fields) and chooses the value rules (values)', () => {
    const m = masker({ fields: ['pin'], values: ['card'] });
    expect(JSON.parse(m.mask(JSON.stringify({ pin: '1', name: 'Jane', email: 'jane@example.com', note: '4111 1111 1111 1111' })))).toEqual({
      pin: '***',
      name: 'Jane',
      email: 'jane@example.com',
      note: '****1111',
    });
  });

  it('shows samples as they are when turned off', () => {
    const text = JSON.stringify(PERSON);
    expect(masker({ enabled: false }).mask(text)).toBe(text);
  });

  it('rejects an unknown value rule, naming the field', () => {
    const r = maskingSchema.safeParse({ values: ['phone'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['values', 0]);
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
