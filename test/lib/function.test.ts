import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../lambdas/core/env';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { buildStack, getAttArn, type BuiltStack, type CfnJson } from './fixture';

describe('Stack: playbook function', () => {
  let b: BuiltStack;
  let fn: CfnJson;
  let bundleDir: string;
  beforeAll(() => {
    b = buildStack(twoPipelines); // bundles with esbuild, locally
    fn = b.resources[b.logicalId(b.stack.functions['job-failed']!.function.node.defaultChild as CfnResource)]!;
    const key = fn.Properties.Code.S3Key as string;
    bundleDir = join(b.outdir, `asset.${key.replace(/\.zip$/, '')}`);
  }, 120_000);
  afterAll(() => b.cleanup());

  it('runs on Node.js 22 or newer, on arm64, with the configured size and timeout', () => {
    const m = /^nodejs(\d+)\.x$/.exec(fn.Properties.Runtime as string);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(22);
    expect(fn.Properties).toMatchObject({
      FunctionName: 'sfx-job-failed',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 300,
      Handler: 'index.handler',
    });
  });

  it('sets every variable the engine reads, and the Powertools ones', () => {
    const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
    for (const variable of Object.values(ENV_VARS)) expect(vars, variable).toHaveProperty(variable);
    expect(vars).toMatchObject({
      STREAMFIX_PAGERDUTY_SECRET: 'sfx/pagerduty',
      STREAMFIX_SCHEDULER_GROUP: 'sfx',
      STREAMFIX_PAUSE_PARAMETER: '/sfx/pause',
      STREAMFIX_PIPELINE_PAUSE_PREFIX: '/sfx/pause/',
      POWERTOOLS_METRICS_NAMESPACE: 'streamfix',
      POWERTOOLS_SERVICE_NAME: 'job-failed',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(vars.STREAMFIX_TABLE).toEqual({ Ref: b.logicalId(b.stack.table.node.defaultChild as CfnResource) });
    expect(vars.STREAMFIX_TOPIC_ARN).toEqual({ Ref: b.logicalId(b.stack.escalation.topic.node.defaultChild as CfnResource) });
    expect(vars.STREAMFIX_SCHEDULER_ROLE_ARN).toEqual(getAttArn(b.logicalId(b.stack.schedulerRole.node.defaultChild as CfnResource)));
  });

  it('logs to its own log group, kept three months', () => {
    const logsId = b.logicalId(b.stack.functions['job-failed']!.logGroup.node.defaultChild as CfnResource);
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
    expect(b.resources[logsId]!.Properties).toEqual({ LogGroupName: '/aws/lambda/sfx-job-failed', RetentionInDays: 90 });
  });

  it('retries asynchronous invocations twice within an hour, then keeps them in the dead-letter queue', () => {
    b.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: b.logicalId(b.stack.functions['job-failed']!.function.node.defaultChild as CfnResource) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: getAttArn(b.logicalId(b.stack.deadLetterQueue.node.defaultChild as CfnResource)) } },
    });
  });

  it('bundles an ESM handler with the require banner, the SDK inside and the config baked in', () => {
    const code = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
    expect(code.startsWith("import { createRequire as __streamfixCreateRequire } from 'module';")).toBe(true);
    expect(code).not.toContain('process.env.STREAMFIX_CONFIG_JSON');
    expect(code).toContain('00paymentsapp02');
    expect(code).toContain('payments-composite-job-health');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
  });

  it('loads in Node.js with the baked config alone (no STREAMFIX_CONFIG_JSON in the environment)', () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      STREAMFIX_TABLE: 'sfx-ledger',
      STREAMFIX_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:sfx-escalations',
      STREAMFIX_SCHEDULER_GROUP: 'sfx',
      STREAMFIX_SCHEDULER_ROLE_ARN: 'arn:aws:iam::111122223333:role/sfx-scheduler',
      STREAMFIX_PAUSE_PARAMETER: '/sfx/pause',
      STREAMFIX_PIPELINE_PAUSE_PREFIX: '/sfx/pause/',
      POWERTOOLS_METRICS_NAMESPACE: 'streamfix',
    };
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('./index.mjs'); console.log('handler:' + typeof m.handler);"],
      { cwd: bundleDir, env, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).not.toContain('STREAMFIX_CONFIG_JSON is not set');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('handler:function');
  });
});
