import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS_DIR, drillCommand } from '../../drills/cli';
import { adaptScenario, misfit, namesMap, rename } from '../../drills/own-config';
import { loadScenario } from '../../drills/scenario/load';
import { parseConfig, type StreamfixConfigInput } from '../../lambdas/schema';
import exampleConfig from '../../streamfix.config';

/** `streamfix drill --config`: the built-in incidents on a user's own pipeline. */

const mine = parseConfig({
  ...(exampleConfig as unknown as StreamfixConfigInput),
  name: 'acme',
  pipelines: {
    payments: {
      ...(exampleConfig.pipelines.orders as unknown as Record<string, unknown>),
      job: {
        ...exampleConfig.pipelines.orders!.job,
        applicationId: '00acmepayments01',
        jobName: 'payments-stream',
        checkpoint: 's3://acme-lake/_checkpoints/payments/',
      },
      playbooks: { 'job-failed': { mode: 'recommend' } },
    },
  },
} as unknown as StreamfixConfigInput);

describe('Function: namesMap / rename', () => {
  it('maps each name to the one at the same place, and renames whole strings, keys and S3 prefixes', () => {
    const names = namesMap({ a: 'app-1', b: { c: 's3://x/cp/' }, mode: 'auto' }, { a: 'app-2', b: { c: 's3://y/cp2/' }, mode: 'recommend' });
    expect([...names]).toEqual([
      ['app-1', 'app-2'],
      ['s3://x/cp/', 's3://y/cp2/'],
    ]);
    expect(rename({ 'app-1': ['app-1', 's3://x/cp/offsets/3', 'auto', 'app-10'] }, names)).toEqual({
      'app-2': ['app-2', 's3://y/cp2/offsets/3', 'auto', 'app-10'],
    });
  });
});

describe('Function: adaptScenario', () => {
  it("runs a scenario's pipeline as the user's: their resources in its world, its name kept for its timeline", async () => {
    const loaded = await loadScenario(join(BUILTIN_SCENARIOS_DIR, 'job-crashed.yaml'));
    const a = adaptScenario(loaded, mine);
    if (!('loaded' in a)) throw new Error(a.skipped);
    expect(a.pipeline).toBe('payments');
    expect(Object.keys(a.loaded.config.pipelines)).toEqual(['orders']);
    expect(a.loaded.config.pipelines.orders!.job).toMatchObject({ applicationId: '00acmepayments01', jobName: 'payments-stream' });
    expect(a.loaded.config.pipelines.orders!.playbooks['job-failed']!.mode).toBe('recommend');
    expect(a.loaded.config.name).toBe('acme');
  });

  it('skips scenarios of several pipelines and pipelines that lack what the scenario needs', async () => {
    const shared = await loadScenario(join(BUILTIN_SCENARIOS_DIR, 'shared-application.yaml'));
    expect(adaptScenario(shared, mine)).toEqual({ skipped: 'it drills 2 pipelines together' });
    const loaded = await loadScenario(join(BUILTIN_SCENARIOS_DIR, 'job-crashed.yaml'));
    const noDlq = parseConfig({
      ...(exampleConfig as unknown as StreamfixConfigInput),
      pipelines: { p: { ...(exampleConfig.pipelines.orders as unknown as Record<string, unknown>), dlq: undefined } },
    } as unknown as StreamfixConfigInput);
    expect(misfit(loaded.config.pipelines.orders!, noDlq.pipelines.p!)).toBe('a DLQ');
  });
});

describe('Command: streamfix drill --config', () => {
  it("reports a difference the user's settings make (recommend starts nothing), not a failure", { timeout: 60_000 }, async () => {
    const out: string[] = [];
    const code = await drillCommand(['job-crashed', '--quiet', '--config', 'mine.ts'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      loadConfig: async () => mine,
    });
    expect(code).toBe(0);
    const line = out.find((l) => l.startsWith('DIFF job-crashed'))!;
    expect(line).toContain('(on your pipeline payments)');
    expect(line).toContain('expect.calls.StartJobRun: expected 1, got 0');
    expect(out.at(-1)).toBe('1 scenario(s) on your config: 0 as expected, 1 handled differently, 0 failed; 0 not applicable');
  });

  it('names an unknown scenario and a missing config file (exit 2)', async () => {
    const err: string[] = [];
    expect(await drillCommand(['no-such-drill'], { out: () => undefined, err: (t) => err.push(t) })).toBe(2);
    expect(err[0]).toMatch(/^no-such-drill: no built-in scenario of that name \(streamfix drill --list\), and no such file/);
    expect(await drillCommand(['--config', 'missing.config.ts'], { out: () => undefined, err: (t) => err.push(t) })).toBe(2);
    expect(err[1]).toMatch(/^--config missing\.config\.ts: config file not found/);
  });
});
