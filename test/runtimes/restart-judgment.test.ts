import { describe, expect, it } from 'vitest';
import { checkpointPatternsOf } from '../../lambdas/analysis/checkpoint/classify';
import type { PipelineConfig } from '../../lambdas/config/schema';
import { jobRestartSettingsOf } from '../../lambdas/runtimes/restart-judgment';
import { parseConfig } from '../../lambdas/schema';
import exampleConfig from '../../streamfix.config';

/** Reading another playbook's validated settings block: job-failed's for consumer-lag, checkpoint-failure's patterns for the restart plan. */
describe("Functions: jobRestartSettingsOf, checkpointPatternsOf (another playbook's block of a pipeline)", () => {
  const orders = parseConfig(exampleConfig).pipelines.orders!;
  const withBlock = (id: string, block: unknown): PipelineConfig => ({ ...orders, playbooks: { ...orders.playbooks, [id]: block } }) as PipelineConfig;

  it("gives job-failed's validated settings, defaults filled", () => {
    const s = jobRestartSettingsOf(orders);
    expect(s).toBe(orders.playbooks['job-failed']);
    expect(s.bounds.maxCheckpointAgeHours).toBeGreaterThan(0);
  });

  it('throws when the block is missing or was never validated (no bounds)', () => {
    expect(() => jobRestartSettingsOf(withBlock('job-failed', undefined))).toThrow('playbooks.job-failed settings are missing or not validated');
    expect(() => jobRestartSettingsOf(withBlock('job-failed', { mode: 'auto', maxActionsPerHour: 3 }))).toThrow('playbooks.job-failed');
  });

  it("gives checkpoint-failure's patterns while it is not off, and none when off or absent", () => {
    const on = orders.playbooks['checkpoint-failure'] as unknown as { bounds: unknown };
    expect(checkpointPatternsOf(orders)).toBe(on.bounds);
    expect(checkpointPatternsOf(withBlock('checkpoint-failure', { ...on, mode: 'off' }))).toBeUndefined();
    expect(checkpointPatternsOf(withBlock('checkpoint-failure', undefined))).toBeUndefined();
  });
});
