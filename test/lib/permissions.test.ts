import { Aws, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { enginePermissions, type EnginePermissionContext } from '../../lambdas/core/permissions';
import { NO_RESOURCE_LEVEL_ACTIONS, nagResourceName, wildcardAcknowledgements } from '../../lib/nag';
import { mergeStatements } from '../../lib/permissions';
import { ruleNameOrGenerated, toEventPattern } from '../../lib/rules';
import { functionEnvironment } from '../../lib/playbook-function';

const ctx: EnginePermissionContext = {
  prefix: 'sfx',
  account: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
  tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/sfx-ledger',
  topicArn: 'arn:aws:sns:eu-west-1:111122223333:sfx-escalations',
  topicKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234',
  pagerDutySecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sfx/pagerduty',
  schedulerGroup: 'sfx',
  schedulerRoleArn: 'arn:aws:iam::111122223333:role/sfx-scheduler',
  pauseParameterArns: ['arn:aws:ssm:eu-west-1:111122223333:parameter/sfx/pause', 'arn:aws:ssm:eu-west-1:111122223333:parameter/sfx/pause/orders'],
};

describe('Function: enginePermissions', () => {
  const byAction = (specs: ReturnType<typeof enginePermissions>) => Object.fromEntries(specs.flatMap((s) => s.actions.map((a) => [a, s])));

  it('covers the ledger table and its indexes, nothing else in DynamoDB', () => {
    const p = byAction(enginePermissions(ctx));
    for (const a of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query']) {
      expect(p[`dynamodb:${a}`]?.resources).toEqual([ctx.tableArn, `${ctx.tableArn}/index/*`]);
    }
    expect(Object.keys(p).filter((a) => a.startsWith('dynamodb:'))).toHaveLength(5);
  });

  it('reads the PagerDuty secret by its ARN with the 6-character suffix, only when configured', () => {
    expect(byAction(enginePermissions(ctx))['secretsmanager:GetSecretValue']?.resources).toEqual([`${ctx.pagerDutySecretArn}-??????`]);
    const { pagerDutySecretArn: _p, ...withoutPagerDuty } = ctx;
    expect(byAction(enginePermissions(withoutPagerDuty))).not.toHaveProperty(['secretsmanager:GetSecretValue']);
  });

  it('uses the topic key only when the topic has one', () => {
    expect(byAction(enginePermissions(ctx))['kms:GenerateDataKey']?.resources).toEqual([ctx.topicKeyArn]);
    const { topicKeyArn: _k, ...withoutKey } = ctx;
    expect(Object.keys(byAction(enginePermissions(withoutKey))).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });

  it('limits schedules to the streamfix group and passes the scheduler role only to EventBridge Scheduler', () => {
    const p = byAction(enginePermissions(ctx));
    expect(p['scheduler:CreateSchedule']?.resources).toEqual(['arn:aws:scheduler:eu-west-1:111122223333:schedule/sfx/*']);
    expect(p['scheduler:DeleteSchedule']?.resources).toEqual(['arn:aws:scheduler:eu-west-1:111122223333:schedule/sfx/*']);
    expect(p['iam:PassRole']).toMatchObject({
      resources: [ctx.schedulerRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });

  it('reads exactly the pause parameters it is given, and says why for every permission', () => {
    const specs = enginePermissions(ctx);
    expect(byAction(specs)['ssm:GetParameters']?.resources).toEqual(ctx.pauseParameterArns);
    expect(byAction(specs)['sns:Publish']?.resources).toEqual([ctx.topicArn]);
    for (const s of specs) expect(s.why.length).toBeGreaterThan(20);
    // "*" only for reads IAM cannot scope to a resource (DescribeAlarms of a held alarm).
    for (const s of specs.filter((x) => x.resources.includes('*'))) {
      expect(s.resources).toEqual(['*']);
      for (const a of s.actions) expect(NO_RESOURCE_LEVEL_ACTIONS.has(a), a).toBe(true);
    }
    expect(byAction(specs)['cloudwatch:DescribeAlarms']?.resources).toEqual(['*']);
  });
});

describe('Function: mergeStatements', () => {
  it('merges specs with the same actions into one statement listing each resource once', () => {
    const merged = mergeStatements([
      { actions: ['b:Get', 'a:List'], resources: ['r1', 'r2'], why: 'one' },
      { actions: ['a:List', 'b:Get'], resources: ['r2', 'r3'], why: 'two' },
      { actions: ['a:List'], resources: ['r4'], why: 'three' },
    ]);
    expect(merged).toEqual([
      { effect: 'Allow', actions: ['a:List', 'b:Get'], resources: ['r1', 'r2', 'r3'] },
      { effect: 'Allow', actions: ['a:List'], resources: ['r4'] },
    ]);
  });

  it('keeps a conditional grant apart from an unconditional one of the same action', () => {
    const merged = mergeStatements([
      { actions: ['iam:PassRole'], resources: ['job-role'], why: 'job' },
      {
        actions: ['iam:PassRole'],
        resources: ['scheduler-role'],
        why: 'schedule',
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    expect(merged).toHaveLength(2);
    expect(merged[1]).toEqual({
      effect: 'Allow',
      actions: ['iam:PassRole'],
      resources: ['scheduler-role'],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });
});

describe('Function: mergeStatements (denies)', () => {
  it('keeps a Deny apart from an Allow of the same actions and resources', () => {
    const merged = mergeStatements([
      { actions: ['s3:DeleteObject'], resources: ['a'], why: 'allow' },
      { effect: 'Deny', actions: ['s3:DeleteObject'], resources: ['a'], why: 'deny' },
    ]);
    expect(merged.map((m) => m.effect)).toEqual(['Allow', 'Deny']);
  });
});

describe('Function: wildcardAcknowledgements', () => {
  const stack = new Stack();

  it('names a tokenized wildcard resource exactly as cdk-nag prints it', () => {
    expect(nagResourceName(stack, `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/sfx/*`)).toBe(
      'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/sfx/*',
    );
  });

  it('acknowledges known wildcard shapes once each, and ignores resources without a wildcard', () => {
    const jobRuns = `arn:${Aws.PARTITION}:emr-serverless:${Aws.REGION}:${Aws.ACCOUNT_ID}:/applications/00app/jobruns/*`;
    const acks = wildcardAcknowledgements(stack, [
      { actions: ['emr-serverless:GetJobRun'], resources: [jobRuns, jobRuns, 'arn:aws:iam::111122223333:role/x'] },
    ]);
    expect(acks.map((a) => a.id)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:emr-serverless:<AWS::Region>:<AWS::AccountId>:/applications/00app/jobruns/*]',
    ]);
    expect(acks[0]!.reason).toMatch(/job run id/);
  });

  it('leaves an unexplained wildcard unacknowledged, so cdk-nag still reports it', () => {
    expect(
      wildcardAcknowledgements(stack, [
        { actions: ['s3:GetObject', 'emr-serverless:GetJobRun'], resources: ['arn:aws:s3:::bucket/*', 'arn:aws:emr-serverless:eu-west-1:1:/applications/*'] },
      ]),
    ).toEqual([]);
  });

  it('acknowledges "*" only when every action on it has no resource-level permissions', () => {
    expect(wildcardAcknowledgements(stack, [{ actions: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], resources: ['*'] }]).map((a) => a.id)).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
    ]);
    expect(
      wildcardAcknowledgements(stack, [
        { actions: ['cloudwatch:GetMetricData'], resources: ['*'] },
        { actions: ['s3:DeleteObject'], resources: ['*'] },
      ]),
    ).toEqual([]);
  });

  it('acknowledges the log streams of one named log group, not every log group', () => {
    const named = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/emr-serverless/orders-stream:*`;
    const acks = wildcardAcknowledgements(stack, [
      {
        actions: ['logs:FilterLogEvents'],
        resources: [named, 'arn:aws:logs:eu-west-1:111122223333:log-group:*', 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/*:*'],
      },
    ]);
    expect(acks.map((a) => a.id)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/emr-serverless/orders-stream:*]',
    ]);
    expect(acks[0]!.reason).toMatch(/log group/);
  });

  it('acknowledges objects under a configured prefix, not a whole bucket', () => {
    const acks = wildcardAcknowledgements(stack, [
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::lake/_checkpoints/streaming/orders/*', 'arn:aws:s3:::lake/*'] },
    ]);
    expect(acks.map((a) => a.id)).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::lake/_checkpoints/streaming/orders/*]']);
  });
});

describe('Function: rule and environment helpers', () => {
  it('keeps an EventBridge rule name up to 64 characters and lets CloudFormation name longer ones', () => {
    expect(ruleNameOrGenerated('a'.repeat(64))).toBe('a'.repeat(64));
    expect(ruleNameOrGenerated('a'.repeat(65))).toBeUndefined();
  });

  it('turns a manifest pattern into the CDK event pattern without losing a key', () => {
    expect(toEventPattern({ source: ['aws.emr-serverless'], 'detail-type': ['X'], detail: { state: ['FAILED'] } })).toEqual({
      source: ['aws.emr-serverless'],
      detailType: ['X'],
      detail: { state: ['FAILED'] },
    });
    expect(toEventPattern({ source: ['s'], 'detail-type': ['d'] })).toEqual({ source: ['s'], detailType: ['d'] });
  });

  it('leaves an absent optional variable out of the environment', () => {
    const env = functionEnvironment(
      {
        tableName: 't',
        topicArn: 'arn',
        schedulerGroup: 'g',
        schedulerRoleArn: 'r',
        pauseParameter: '/p',
        pipelinePauseParameterPrefix: '/p/',
        metricsNamespace: 'streamfix',
      },
      'job-failed',
      'DEBUG',
    );
    expect(env).not.toHaveProperty('STREAMFIX_PAGERDUTY_SECRET');
    expect(env).toMatchObject({ STREAMFIX_TABLE: 't', POWERTOOLS_SERVICE_NAME: 'job-failed', POWERTOOLS_LOG_LEVEL: 'DEBUG' });
  });
});
