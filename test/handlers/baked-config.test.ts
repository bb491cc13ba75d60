import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bakedConfig, type StreamfixConfig } from '../../lambdas/config';
import { parseConfig } from '../../lambdas/schema';
import { ConfigError } from '../../lambdas/config/errors';
import { lambdaHandler } from '../../lambdas/handlers/lambda';
import { jobFailedPlaybook } from '../../lambdas/playbooks/job-failed';
import { builtinScenarios } from '../../drills/cli';
import { loadScenario } from '../../drills/scenario/load';
import exampleConfig from '../../streamfix.config';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';

/** What the stack bakes into a bundle: the validated config, through JSON. */
const bake = (config: StreamfixConfig): string => JSON.stringify(config);

let configs: [string, StreamfixConfig][];
beforeAll(async () => {
  const drills = await Promise.all(
    (await builtinScenarios()).map(async (f) => [f.replace(/.*\//, ''), (await loadScenario(f)).config] as [string, StreamfixConfig]),
  );
  configs = [['two-pipelines', parseConfig(twoPipelines)], ['streamfix.config.ts', exampleConfig], ...drills];
});

describe('Function: bakedConfig', () => {
  it('reads every known config exactly as parsing it again would', () => {
    for (const [name, config] of configs) {
      const json = bake(config);
      // Parsing is a fixed point on a baked config: the function loses nothing by not parsing it.
      expect(bakedConfig(json), name).toEqual(parseConfig(JSON.parse(json)));
      expect(parseConfig(JSON.parse(json)), name).toEqual(JSON.parse(json));
    }
  });

  it('refuses to start without a baked config', () => {
    expect(() => bakedConfig(undefined)).toThrow('STREAMFIX_CONFIG_JSON is not set');
    expect(() => bakedConfig('')).toThrow('STREAMFIX_CONFIG_JSON is not set');
  });

  it('refuses what the stack did not bake, naming each missing part', () => {
    expect(() => bakedConfig('[]')).toThrow(ConfigError);
    let error: ConfigError | undefined;
    try {
      bakedConfig(JSON.stringify({ name: 'sfx', pipelines: {} }));
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.issues.map((i) => i.path)).toEqual(['escalation', 'routes']);
  });
});

describe('Function: lambdaHandler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const runtimeEnv = {
    STREAMFIX_TABLE: 'streamfix-ledger',
    STREAMFIX_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:streamfix-escalations',
    STREAMFIX_SCHEDULER_GROUP: 'streamfix-follow-ups',
    STREAMFIX_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/streamfix-scheduler',
    STREAMFIX_PAUSE_PARAMETER: '/streamfix/pause',
    STREAMFIX_PIPELINE_PAUSE_PREFIX: '/streamfix/pause/',
    POWERTOOLS_METRICS_NAMESPACE: 'streamfix',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };

  it('builds from the baked config', () => {
    Object.assign(process.env, runtimeEnv, { STREAMFIX_CONFIG_JSON: bake(exampleConfig) });
    expect(typeof lambdaHandler(jobFailedPlaybook)).toBe('function');
  });

  it("refuses a baked config whose settings its own playbook's manifest rejects, naming the path", () => {
    const config = structuredClone(exampleConfig) as StreamfixConfig;
    const orders = config.pipelines.orders!.playbooks as unknown as Record<string, Record<string, unknown>>;
    orders['job-failed'] = { ...orders['job-failed'], mode: 'manual' };
    Object.assign(process.env, runtimeEnv, { STREAMFIX_CONFIG_JSON: bake(config) });
    let error: ConfigError | undefined;
    try {
      lambdaHandler(jobFailedPlaybook);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.path)).toEqual(['pipelines.orders.playbooks.job-failed.mode']);
  });

  it("checks only its own playbook's settings (another playbook's block is its function's)", () => {
    const config = structuredClone(exampleConfig) as StreamfixConfig;
    const orders = config.pipelines.orders!.playbooks as unknown as Record<string, Record<string, unknown>>;
    orders['dlq-spike'] = { ...orders['dlq-spike'], cooldownSeconds: -1 };
    Object.assign(process.env, runtimeEnv, { STREAMFIX_CONFIG_JSON: bake(config) });
    expect(typeof lambdaHandler(jobFailedPlaybook)).toBe('function');
  });

  it("refuses a baked config without its playbook's block", () => {
    const config = structuredClone(exampleConfig) as StreamfixConfig;
    delete (config.pipelines.orders!.playbooks as Record<string, unknown>)['job-failed'];
    Object.assign(process.env, runtimeEnv, { STREAMFIX_CONFIG_JSON: bake(config) });
    expect(() => lambdaHandler(jobFailedPlaybook)).toThrow('pipelines.orders.playbooks.job-failed: Required');
  });

  it('refuses to build without it', () => {
    Object.assign(process.env, runtimeEnv);
    delete process.env.STREAMFIX_CONFIG_JSON;
    expect(() => lambdaHandler(jobFailedPlaybook)).toThrow('STREAMFIX_CONFIG_JSON');
  });
});
