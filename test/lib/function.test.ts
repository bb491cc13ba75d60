import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { ENV_VARS } from '../../lambdas/core/env';
import { functionName } from '../../lambdas/core/names';
import { buildOperationWiring, buildWiring } from '../../lambdas/wiring';
import type { StreamfixFunction } from '../../lib/playbook-function';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { STACK_ENV, buildStack, getAttArn, type BuiltStack, type CfnJson } from './fixture';

const config = parseConfig(twoPipelines);
const playbookIds = buildWiring(config, STACK_ENV).map((w) => w.playbook);
const operationWiring = buildOperationWiring(config);
const operationIds = operationWiring.map((w) => w.operation);
/** Every function of the stack: the playbooks', the operations' and the dead-letter function. */
const allIds = [...playbookIds, ...operationIds, 'dead-letters'];

/** The environment a deployed playbook function gets from the stack, as plain strings. */
const PLAYBOOK_ENV: NodeJS.ProcessEnv = {
  STREAMFIX_TABLE: 'sfx-ledger',
  STREAMFIX_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:sfx-escalations',
  STREAMFIX_SCHEDULER_GROUP: 'sfx',
  STREAMFIX_SCHEDULER_ROLE_ARN: 'arn:aws:iam::111122223333:role/sfx-scheduler',
  STREAMFIX_PAUSE_PARAMETER: '/sfx/pause',
  STREAMFIX_PIPELINE_PAUSE_PREFIX: '/sfx/pause/',
  POWERTOOLS_METRICS_NAMESPACE: 'streamfix',
};

let b: BuiltStack;
beforeAll(() => {
  b = buildStack(twoPipelines); // bundles every function with esbuild, locally
}, 180_000);
afterAll(() => b?.cleanup());

const functionOf = (id: string): StreamfixFunction => {
  const fn = id === 'dead-letters' ? b.stack.deadLetterFunction : (b.stack.functions[id] ?? b.stack.operationFunctions[id]);
  if (!fn) throw new Error(`no function for ${id}`);
  return fn;
};
const cfnOf = (id: string): CfnJson => b.resources[b.id(functionOf(id).function)]!;
const variablesOf = (id: string) => cfnOf(id).Properties.Environment.Variables as Record<string, unknown>;
const bundleDirOf = (id: string) => join(b.outdir, `asset.${(cfnOf(id).Properties.Code.S3Key as string).replace(/\.zip$/, '')}`);
const invokeConfigOf = (id: string) => {
  const ref = { Ref: b.id(functionOf(id).function) };
  const found = b.ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify(ref));
  expect(found, id).toHaveLength(1);
  return found[0]![1].Properties;
};

describe('Stack: functions', () => {
  it('builds one function per wired playbook and per operation, and the dead-letter function, named by functionName', () => {
    expect(
      b
        .ofType('AWS::Lambda::Function')
        .map(([, f]) => f.Properties.FunctionName as string)
        .sort(),
    ).toEqual(allIds.map((id) => functionName('sfx', id)).sort());
    expect(playbookIds.length).toBeGreaterThan(1);
    expect(operationIds.length).toBeGreaterThan(1);
  });

  describe.each(allIds)('%s', (id) => {
    it('runs on Node.js 22 or newer, on arm64, from the bundled handler', () => {
      const fn = cfnOf(id);
      const m = /^nodejs(\d+)\.x$/.exec(fn.Properties.Runtime as string);
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(22);
      expect(fn.Properties).toMatchObject({ FunctionName: functionName('sfx', id), Architectures: ['arm64'], Handler: 'index.handler' });
      expect(fn.Properties.Role).toEqual(getAttArn(b.id(functionOf(id).role)));
    });

    it('logs to its own log group, kept three months', () => {
      const logsId = b.id(functionOf(id).logGroup);
      expect(cfnOf(id).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
      expect(b.resources[logsId]!.Properties).toEqual({ LogGroupName: `/aws/lambda/${functionName('sfx', id)}`, RetentionInDays: 90 });
    });

    it('names its service and log level, and reads the ledger table from its environment', () => {
      expect(variablesOf(id)).toMatchObject({ POWERTOOLS_SERVICE_NAME: id, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_NAMESPACE: 'streamfix' });
      expect(variablesOf(id).STREAMFIX_TABLE).toEqual({ Ref: b.id(b.stack.table) });
    });

    it('bundles an ESM handler with the require banner, the SDK inside and the config baked in', () => {
      const dir = bundleDirOf(id);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(code.startsWith("import { createRequire as __streamfixCreateRequire } from 'module';")).toBe(true);
      expect(code).not.toContain('process.env.STREAMFIX_CONFIG_JSON');
      expect(code).toContain('00paymentsapp02');
      expect(code).toContain('payments-composite-job-health');
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    });

    it('loads in Node.js with the baked config alone (no STREAMFIX_CONFIG_JSON in the environment)', () => {
      // an operation handler needs only the ledger table from its environment
      const env = {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        ...(playbookIds.includes(id) || id === 'dead-letters' ? PLAYBOOK_ENV : { STREAMFIX_TABLE: 'sfx-ledger' }),
      };
      const r = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', "const m = await import('./index.mjs'); console.log('handler:' + typeof m.handler);"],
        { cwd: bundleDirOf(id), env, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.stderr).not.toContain('STREAMFIX_CONFIG_JSON is not set');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('handler:function');
    });
  });
});

describe('Stack: playbook functions', () => {
  it.each(playbookIds)('%s: has 512 MB and five minutes', (id) => {
    expect(cfnOf(id).Properties).toMatchObject({ MemorySize: 512, Timeout: 300 });
  });

  it.each(playbookIds)('%s: sets every variable the engine reads, and the Powertools ones', (id) => {
    const vars = variablesOf(id);
    for (const variable of Object.values(ENV_VARS)) expect(vars, variable).toHaveProperty(variable);
    expect(vars).toMatchObject({
      STREAMFIX_PAGERDUTY_SECRET: 'sfx/pagerduty',
      STREAMFIX_SCHEDULER_GROUP: 'sfx',
      STREAMFIX_PAUSE_PARAMETER: '/sfx/pause',
      STREAMFIX_PIPELINE_PAUSE_PREFIX: '/sfx/pause/',
      POWERTOOLS_METRICS_NAMESPACE: 'streamfix',
      POWERTOOLS_SERVICE_NAME: id,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(vars.STREAMFIX_TOPIC_ARN).toEqual({ Ref: b.id(b.stack.escalation.topic) });
    expect(vars.STREAMFIX_SCHEDULER_ROLE_ARN).toEqual(getAttArn(b.id(b.stack.schedulerRole)));
  });

  it.each(playbookIds)('%s: retries asynchronous invocations twice within an hour, then keeps them in the dead-letter queue', (id) => {
    expect(invokeConfigOf(id)).toEqual({
      FunctionName: { Ref: b.id(functionOf(id).function) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: getAttArn(b.id(b.stack.deadLetterQueue)) } },
    });
  });
});

describe('Stack: operation functions', () => {
  it.each(operationIds)('%s: has the timeout and memory of its manifest', (id) => {
    const { manifest } = operationWiring.find((w) => w.operation === id)!;
    expect(cfnOf(id).Properties).toMatchObject({ MemorySize: manifest.memoryMb, Timeout: manifest.timeoutSeconds });
  });

  it.each(operationIds)('%s: is never retried asynchronously and has no on-failure destination', (id) => {
    expect(invokeConfigOf(id)).toEqual({ FunctionName: { Ref: b.id(functionOf(id).function) }, Qualifier: '$LATEST', MaximumRetryAttempts: 0 });
  });
});
