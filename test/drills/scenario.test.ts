import { mkdtemp, writeFile } from 'node:fs/promises';
import { emrPipeline } from '../helpers/pipelines';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../drills/scenario/duration';
import { loadScenario, ScenarioError, validateScenario } from '../../drills/scenario/load';
import type { PlaybookSettings } from '../../lambdas/core/playbook';

const config = {
  pipelines: {
    orders: {
      source: { kind: 'msk', clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1', clusterName: 'c', topic: 't', consumerGroup: 'g' },
      job: {
        kind: 'emr-serverless',
        applicationId: '00fabcd1234efg5h',
        jobName: 'orders-stream',
        executionRoleArn: 'arn:aws:iam::123456789012:role/R',
        checkpoint: 's3://orders-data-lake/cp/',
      },
    },
  },
};

const valid = () => ({
  version: 1,
  name: 'a-drill',
  description: 'd',
  config,
  timeline: [{ at: '60s', 'fail-job-run': { pipeline: 'orders', stateDetails: 'boom' } }],
  runFor: '10m',
  expect: { incidents: [{ pipeline: 'orders', playbook: 'job-failed', decision: 'fix' }], guardrailViolations: 0 },
});

async function issues(doc: unknown): Promise<{ path: string; message: string }[]> {
  const err = await validateScenario('s.yaml', doc).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ScenarioError);
  return (err as ScenarioError).issues;
}

describe('Scenario format', () => {
  it('accepts a valid scenario and fills defaults', async () => {
    const { scenario, config: c } = await validateScenario('s.yaml', valid());
    expect(scenario.runFor).toBe(600_000);
    expect(scenario.timeline[0]!.at).toBe(60_000);
    expect(scenario.start).toBe('2026-01-01T00:00:00Z');
    expect(scenario.expect.incidents[0]!.which).toBe('first');
    expect((c.pipelines.orders!.playbooks['job-failed'] as PlaybookSettings).maxActionsPerHour).toBe(3);
  });

  it.each([
    ['an unknown top-level field', { surprise: true }, '(root)', 'unknown field "surprise"'],
    [
      'an unknown field deep inside',
      { expect: { incidents: [{ pipeline: 'orders', playbook: 'job-failed', decison: 'fix' }] } },
      'expect.incidents[0]',
      'unknown field "decison"',
    ],
    ['another version', { version: 2 }, 'version', 'must be 1'],
    ['a bad duration', { runFor: '10 minutes' }, 'runFor', 'not a duration'],
    [
      'a wrong decision kind',
      { expect: { incidents: [{ pipeline: 'orders', playbook: 'job-failed', decision: 'restart' }] } },
      'expect.incidents[0].decision',
      '',
    ],
    ['two faults in one entry', { timeline: [{ at: 1, pause: { reason: 'x' }, resume: {} }] }, 'timeline[0]', 'has pause and resume'],
    ['an entry without a fault', { timeline: [{ at: 1 }] }, 'timeline[0]', 'needs one of'],
    ['a fault missing a field', { timeline: [{ at: 1, 'fail-job-run': { pipeline: 'orders' } }] }, 'timeline[0].fail-job-run.stateDetails', 'Required'],
    ['config and configFile both', { configFile: 'x.yaml' }, 'config', 'exactly one of `config` or `configFile`'],
  ])('rejects %s, naming the path', async (_what, patch, path, message) => {
    const found = await issues({ ...valid(), ...patch });
    expect(found).toContainEqual(expect.objectContaining({ path, message: expect.stringContaining(message) }));
  });

  it('names config errors under config.', async () => {
    const found = await issues({
      ...valid(),
      config: { pipelines: { orders: { ...config.pipelines.orders, job: { ...config.pipelines.orders.job, checkpoint: 'nope' } } } },
    });
    expect(found[0]?.path).toBe('config.pipelines.orders.job.checkpoint');
  });

  it('rejects pipelines and playbooks the config does not have, and entries after runFor', async () => {
    const found = await issues({
      ...valid(),
      timeline: [{ at: '11m', 'cancel-job-run': { pipeline: 'payments', by: 'person' } }],
      expect: { incidents: [{ pipeline: 'orders', playbook: 'lag' }] },
    });
    expect(found.map((i) => i.path)).toEqual(['timeline[0].cancel-job-run.pipeline', 'expect.incidents[0].playbook', 'timeline[0].at']);
  });

  it('loads YAML and JSON files, and a configFile relative to the scenario', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamfix-scenario-'));
    await writeFile(join(dir, 'platform.json'), JSON.stringify(config));
    const { config: _c, ...rest } = valid();
    await writeFile(join(dir, 'a.json'), JSON.stringify({ ...rest, configFile: 'platform.json' }));
    await writeFile(join(dir, 'b.yaml'), 'version: 1\nname: b\ndescription: d\nconfigFile: platform.json\nrunFor: 5m\n');
    expect(emrPipeline((await loadScenario(join(dir, 'a.json'))).config.pipelines.orders).job.jobName).toBe('orders-stream');
    expect((await loadScenario(join(dir, 'b.yaml'))).scenario.runFor).toBe(300_000);
    await writeFile(join(dir, 'c.yaml'), 'version: 1\nname: [unclosed\n');
    await expect(loadScenario(join(dir, 'c.yaml'))).rejects.toThrow('not valid YAML');
  });
});

describe('Function: parseDurationMs', () => {
  it.each([
    [90, 90_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['500ms', 500],
    ['1.5s', 1_500],
  ] as const)('%s → %i ms', (input, ms) => expect(parseDurationMs(input)).toBe(ms));

  it.each(['', '5', 'm', '5 m', '1m1h', '-1s'])('rejects %j', (input) => expect(parseDurationMs(input)).toBeUndefined());
});
