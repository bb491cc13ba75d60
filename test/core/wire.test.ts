import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { mergePatterns } from '../../lambdas/core/wire';
import { buildWiring } from '../../lambdas/wiring';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';

const ENV = { account: '111122223333', region: 'eu-west-1', partition: 'aws' };

const wiring = (sharedApp: boolean) => {
  const input = structuredClone(twoPipelines);
  const [payments, orders] = [input.pipelines.payments!.job, input.pipelines.orders!.job];
  if (sharedApp && payments.kind === 'emr-serverless' && orders.kind === 'emr-serverless') payments.applicationId = orders.applicationId;
  return buildWiring(parseConfig(input), ENV);
};
const rulesOf = (sharedApp: boolean, playbook: string) => wiring(sharedApp).find((w) => w.playbook === playbook)!.rules;

describe('Module: core/wire', () => {
  it('wires one rule per manifest rule for every pipeline: the patterns of the pipelines in one list', () => {
    const rules = rulesOf(false, 'job-failed');
    expect(rules.map((r) => r.name).sort()).toEqual(['sfx-job-failed-job-run-ended', 'sfx-job-failed-job-run-retry']);
    for (const r of rules) expect(r.pipelines).toEqual(['orders', 'payments']);
    const ended = rules.find((r) => r.spec.id === 'job-run-ended')!;
    expect((ended.spec.pattern.detail as { applicationId: string[] }).applicationId.sort()).toEqual(['00ordersapp0001', '00paymentsapp02']);
  });

  it('wires an identical pattern once: pipelines on one EMR application share the job run rules, the alarms stay per pipeline', () => {
    const rules = rulesOf(true, 'job-failed');
    expect(rules.map((r) => r.name).sort()).toEqual(['sfx-job-failed-job-run-ended', 'sfx-job-failed-job-run-retry']);
    expect((rules[0]!.spec.pattern.detail as { applicationId: string[] }).applicationId).toEqual(['00ordersapp0001']);
    const w = wiring(true).find((x) => x.playbook === 'job-failed')!;
    expect(w.pipelines).toEqual(['orders', 'payments']);
    expect(w.alarms.filter((a) => a.pipeline === 'payments').length).toBeGreaterThan(0);
  });

  describe('Function: mergePatterns', () => {
    it('unions the one list in which two patterns of one shape differ', () => {
      expect(mergePatterns({ source: ['s'], detail: { a: ['x'], b: ['y'] } }, { source: ['s'], detail: { a: ['z'], b: ['y'] } })).toEqual({
        source: ['s'],
        detail: { a: ['x', 'z'], b: ['y'] },
      });
    });

    it('keeps apart patterns of another shape, or differing in two lists (their union would match the cross product)', () => {
      expect(mergePatterns({ detail: { a: ['x'] } }, { detail: { b: ['x'] } })).toBeUndefined();
      expect(mergePatterns({ detail: { a: ['x'], b: ['y'] } }, { detail: { a: ['z'], b: ['w'] } })).toBeUndefined();
      expect(mergePatterns({ detail: { a: [{ prefix: 'x' }] } }, { detail: { a: [{ prefix: 'y' }] } })).toBeUndefined();
    });
  });
});
