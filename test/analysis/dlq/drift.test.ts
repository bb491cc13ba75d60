import { describe, expect, it } from 'vitest';
import { alikeNames, detectDrift, FieldCounter, fieldPaths, splitConcatenatedJson } from '../../../lambdas/analysis/dlq';

const counter = (payloads: unknown[]) => {
  const c = new FieldCounter();
  for (const p of payloads) c.add(fieldPaths(p));
  return c;
};

describe('Function: detectDrift', () => {
  const good = Array.from({ length: 50 }, (_, i) => ({ order_id: `o-${i}`, customer_id: `c-${i}`, total: i, ...(i % 3 === 0 ? { coupon: 'X' } : {}) }));

  it('names a field that replaced another as a new field, a missing field and a likely rename', () => {
    const failing = Array.from({ length: 40 }, (_, i) => ({ order_id: `o-${i}`, cust_id: `c-${i}`, total: i }));
    const d = detectDrift(counter(failing), counter(good));
    expect(d.newFields).toEqual([{ field: 'cust_id', failingSharePercent: 100 }]);
    expect(d.missingFields).toEqual([{ field: 'customer_id', failingSharePercent: 0 }]);
    expect(d.renames).toEqual([{ from: 'customer_id', to: 'cust_id' }]);
    expect(d.missingFields.map((f) => f.field)).not.toContain('coupon');
  });

  it('ignores a new field carried by fewer failing payloads than the minimum share', () => {
    const failing = Array.from({ length: 40 }, (_, i) => ({ order_id: `o-${i}`, customer_id: 'c', total: 1, ...(i < 4 ? { debug: true } : {}) }));
    expect(detectDrift(counter(failing), counter(good), { minShare: 0.2 }).newFields).toEqual([]);
    expect(detectDrift(counter(failing), counter(good), { minShare: 0.1 }).newFields.map((f) => f.field)).toEqual(['debug']);
  });

  it('reports only the shallowest of a new nested object', () => {
    const failing = [{ order_id: 'o', customer_id: 'c', total: 1, meta: { source: 'app', version: 2 } }];
    expect(detectDrift(counter(failing), counter(good)).newFields.map((f) => f.field)).toEqual(['meta']);
  });

  it('says nothing without a reference or without failing payloads', () => {
    expect(detectDrift(counter([{ a: 1 }]), new FieldCounter())).toMatchObject({ newFields: [], missingFields: [], renames: [], referenceRecords: 0 });
    expect(detectDrift(new FieldCounter(), counter(good))).toMatchObject({ newFields: [], failingRecords: 0 });
  });
});

describe('Function: alikeNames', () => {
  it.each([
    ['customer_id', 'cust_id', true],
    ['customerId', 'customer_id', true],
    ['quantity', 'qty', true],
    ['total_amount', 'amount', true],
    ['order_id', 'customer_id', false],
    ['id', 'uid', false],
    ['price', 'price', false],
  ])('%s ~ %s: %s', (a, b, expected) => {
    expect(alikeNames(a, b)).toBe(expected);
  });
});

describe('Function: fieldPaths / splitConcatenatedJson', () => {
  it('walks nested objects and arrays to depth 3', () => {
    expect([...fieldPaths({ a: 1, b: { c: { d: { e: 1 } } }, items: [{ sku: 1 }, { qty: 2 }] })].sort()).toEqual([
      'a',
      'b',
      'b.c',
      'b.c.d',
      'items',
      'items[].qty',
      'items[].sku',
    ]);
  });

  it('splits JSON objects written back to back, braces inside strings included', () => {
    expect(splitConcatenatedJson('{"a":"}{"}{"b":[1,{"c":2}]}  {"bad": }{"d":1}')).toEqual([{ a: '}{' }, { b: [1, { c: 2 }] }, { d: 1 }]);
  });
});
