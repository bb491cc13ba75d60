import { describe, expect, it } from 'vitest';
import type { DlqRecord } from '../../../lambdas/analysis/dlq';
import { parsePredicate, ReplayFilter, type Predicate } from '../../../lambdas/operations/dlq-replay/filter';

const rec = (payload: unknown, extra: Partial<DlqRecord> = {}): DlqRecord => ({
  format: 'pipeline',
  errorType: 'validation_error',
  errorCode: 'validation_error',
  errorMessage: 'missing customer_id',
  atMs: 1_000,
  position: { topic: 'orders.raw', partition: 2, offset: '77' },
  key: 'k-1',
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  ...extra,
});
const preds = (...s: string[]): Predicate[] =>
  s.map((x) => {
    const r = parsePredicate(x);
    if (!r.ok) throw new Error(r.error);
    return r.predicate;
  });

describe('Function: parsePredicate', () => {
  it('accepts any RE2 pattern up to 200 characters, refuses longer ones and what RE2 cannot run', () => {
    for (const good of ['^ord-[0-9]+$', '(ab)+', '(\\w+)@example\\.com', 'cust_id', '(x+)+y', '(a|a)*', '(.*)*']) {
      expect(parsePredicate(`payload.id~${good}`).ok, good).toBe(true);
    }
    for (const bad of ['x'.repeat(201), '(a)\\1', '(?=x)y', '[']) {
      expect(parsePredicate(`payload.id~${bad}`).ok, bad).toBe(false);
    }
  });

  // The two patterns of issue 13 that took seconds (28 characters) and minutes (400 digits) on a
  // backtracking engine, on 10,000-character fields. Linear time: they finish; the time is
  // measured and printed, never asserted (npx vitest run … shows it).
  it.each([
    ['^(a|a)*$', 'a'.repeat(10_000), true],
    ['^(a|a)*$', `${'a'.repeat(9_999)}b`, false],
    ['\\d*\\d*\\d*\\d*x', '7'.repeat(10_000), false],
    ['\\d*\\d*\\d*\\d*x', `${'7'.repeat(9_999)}x`, true],
  ])('runs the hostile pattern /%s/ on a 10,000-character field in linear time', (pattern, value, matches) => {
    expect(value.length).toBe(10_000);
    const started = performance.now();
    const onPayload = new ReplayFilter({ where: preds(`note~${pattern}`) }).test(rec({ note: value }));
    const onKey = new ReplayFilter({ where: preds(`$key!~${pattern}`) }).test(rec({}, { key: value }));
    console.log(`/${pattern}/ on 10,000 characters, a payload field and the key: ${(performance.now() - started).toFixed(1)} ms`);
    expect(onPayload).toBe(matches ? 'match' : 'predicate');
    expect(onKey).toBe(matches ? 'predicate' : 'match');
  });

  it.each([
    ['customer.id=c-1', { field: 'customer.id', op: '=', value: 'c-1' }],
    ['status!=paid', { field: 'status', op: '!=', value: 'paid' }],
    ['email~@example\\.com$', { field: 'email', op: '~', value: '@example\\.com$' }],
    ['$key!~^test-', { field: '$key', op: '!~', value: '^test-' }],
    ['note=a=b', { field: 'note', op: '=', value: 'a=b' }],
  ])('reads %s', (s, expected) => {
    expect(parsePredicate(s)).toMatchObject({ ok: true, predicate: expected });
  });

  it.each([['nothing'], ['=x'], ['$unknown=1'], ['a~[']])('refuses %s with a reason', (s) => {
    const r = parsePredicate(s);
    expect(r.ok).toBe(false);
  });
});

describe('Class: ReplayFilter', () => {
  it('selects on the failure time range, both ends included', () => {
    const f = new ReplayFilter({ fromMs: 1_000, toMs: 2_000 });
    expect([999, 1_000, 2_000, 2_001].map((atMs) => f.test(rec({}, { atMs })))).toEqual(['time', 'match', 'match', 'time']);
    expect(f.test(rec({}, { atMs: Number.NaN }))).toBe('time');
    expect([999, 1_000].map((t) => f.objectMayMatch(t))).toEqual([false, true]);
  });

  it('selects on error types and writer codes', () => {
    expect(new ReplayFilter({ errorTypes: ['timeout'] }).test(rec({}))).toBe('type');
    expect(new ReplayFilter({ errorTypes: ['validation_error'], errorCodes: ['validation_error'] }).test(rec({}))).toBe('match');
    expect(new ReplayFilter({ errorCodes: ['VALIDATION'] }).test(rec({}))).toBe('type');
  });

  it('applies every predicate to the payload and the envelope; a missing field matches only negatives', () => {
    const r = rec({ customer: { id: 'c-1' }, total: 12, tags: ['a'] });
    const test = (...s: string[]) => new ReplayFilter({ where: preds(...s) }).test(r);
    expect(test('customer.id=c-1', 'total=12', '$partition=2', '$key~^k-')).toBe('match');
    expect(test('customer.id=c-2')).toBe('predicate');
    expect(test('missing=1')).toBe('predicate');
    expect(test('missing!=1', 'missing!~x')).toBe('match');
    expect(test('tags=["a"]')).toBe('match');
    expect(test('$errorMessage~customer_id', '$offset=77', '$topic=orders.raw')).toBe('match');
    expect(new ReplayFilter({ where: preds('a=1') }).test(rec('not json'))).toBe('predicate');
  });
});
