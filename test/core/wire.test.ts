import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/config';
import { buildWiring } from '../../lambdas/core/wiring';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';

const ENV = { account: '111122223333', region: 'eu-west-1', partition: 'aws' };

const wiring = (sharedApp: boolean) => {
  const input = structuredClone(twoPipelines);
  if (sharedApp) input.pipelines.payments!.job.applicationId = input.pipelines.orders!.job.applicationId;
  return buildWiring(parseConfig(input), ENV);
};
const rulesOf = (sharedApp: boolean, playbook: string) => wiring(sharedApp).find((w) => w.playbook === playbook)!.rules;

describe('Module: core/wire', () => {
  it('wires one rule per pipeline when their patterns differ', () => {
    expect(rulesOf(false, 'job-failed').map((r) => r.name).sort()).toEqual([
      'sfx-orders-job-failed-job-run-ended',
      'sfx-orders-job-failed-job-run-retry',
      'sfx-payments-job-failed-job-run-ended',
      'sfx-payments-job-failed-job-run-retry',
    ]);
  });

  it('wires an identical pattern once: pipelines on one EMR application share the job run rules, the alarms stay per pipeline', () => {
    const rules = rulesOf(true, 'job-failed');
    expect(rules.map((r) => r.name).sort()).toEqual(['sfx-orders-job-failed-job-run-ended', 'sfx-orders-job-failed-job-run-retry']);
    expect(new Set(rules.map((r) => JSON.stringify(r.spec.pattern))).size).toBe(rules.length);
    const w = wiring(true).find((x) => x.playbook === 'job-failed')!;
    expect(w.pipelines).toEqual(['orders', 'payments']);
    expect(w.alarms.filter((a) => a.pipeline === 'payments').length).toBeGreaterThan(0);
  });
});
