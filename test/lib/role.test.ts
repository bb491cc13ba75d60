import { Aws, type CfnResource } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enginePermissions } from '../../lambdas/core/permissions';
import { pipelineContext } from '../../lambdas/core/wiring';
import { jobFailedManifest } from '../../lambdas/playbooks/job-failed/manifest';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { asArray, buildStack, flat, type BuiltStack } from './fixture';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** action → the resources (flattened) the role allows it on, and the conditions seen with it. */
function grants(statements: Statement[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of statements) {
    expect(s.Effect).toBe('Allow');
    for (const action of asArray(s.Action)) {
      const set = out.get(action) ?? new Set<string>();
      for (const r of asArray(s.Resource)) set.add(`${flat(r)}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`);
      out.set(action, set);
    }
  }
  return out;
}

function roleStatements(b: BuiltStack, playbook: string): Statement[] {
  const role = b.resources[b.logicalId(b.stack.functions[playbook]!.role.node.defaultChild as CfnResource)]!;
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

describe('Stack: playbook function role', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(twoPipelines, { bundle: false });
  });
  afterAll(() => b.cleanup());

  it('holds exactly the manifest permissions of both pipelines, the engine permissions and the runtime ones', () => {
    // Prepare: the same data, built here from the manifest and the engine list directly
    const { stack, config } = b;
    const env = { account: Aws.ACCOUNT_ID, region: Aws.REGION, partition: Aws.PARTITION };
    const pf = stack.functions['job-failed']!;
    const expected = [
      ...['orders', 'payments'].flatMap((p) =>
        jobFailedManifest.permissions(
          pipelineContext(config, p, config.pipelines[p]!, jobFailedManifest, env) as Parameters<typeof jobFailedManifest.permissions>[0],
        ),
      ),
      ...enginePermissions({
        prefix: 'sfx',
        ...env,
        tableArn: stack.table.tableArn,
        topicArn: stack.escalation.topic.topicArn,
        topicKeyArn: stack.escalation.key.keyArn,
        pagerDutySecretArn: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:sfx/pagerduty`,
        schedulerGroup: 'sfx',
        schedulerRoleArn: stack.schedulerRole.roleArn,
        pauseParameterArns: [
          stack.pauseParameters.global.parameterArn,
          stack.pauseParameters.pipelines.orders!.parameterArn,
          stack.pauseParameters.pipelines.payments!.parameterArn,
        ],
      }),
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [pf.logGroup.logGroupArn] },
      { actions: ['sqs:SendMessage'], resources: [stack.deadLetterQueue.queueArn] },
    ].map((s) => ({
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources.map((r) => stack.resolve(r)),
      ...('conditions' in s && s.conditions ? { Condition: s.conditions } : {}),
    }));

    // Act
    const actual = grants(roleStatements(b, 'job-failed'));

    // Assess: same actions, and each on the same resources — nothing missing, nothing extra
    expect(actual).toEqual(grants(expected));
  });

  it('allows these actions and no others', () => {
    expect([...grants(roleStatements(b, 'job-failed')).keys()].sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'emr-serverless:GetJobRun',
      'emr-serverless:ListJobRuns',
      'emr-serverless:StartJobRun',
      'emr-serverless:TagResource',
      'iam:PassRole',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:ListBucket',
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
      'sqs:SendMessage',
      'ssm:GetParameters',
    ]);
  });

  it('scopes each action to the configured resources, never to "*"', () => {
    const g = grants(roleStatements(b, 'job-failed'));
    const arn = (service: string, rest: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${rest}`;
    const apps = ['00ordersapp0001', '00paymentsapp02'].flatMap((id) => [
      arn('emr-serverless', `/applications/${id}`),
      arn('emr-serverless', `/applications/${id}/jobruns/*`),
    ]);
    expect(g.get('emr-serverless:StartJobRun')).toEqual(new Set(apps));
    expect(g.get('emr-serverless:ListJobRuns')).toEqual(new Set(apps));
    expect(g.get('s3:ListBucket')).toEqual(new Set(['arn:<AWS::Partition>:s3:::orders-lake', 'arn:<AWS::Partition>:s3:::payments-lake']));
    const schedulerRole = b.logicalId(b.stack.schedulerRole.node.defaultChild as CfnResource);
    expect(g.get('iam:PassRole')).toEqual(
      new Set([
        'arn:aws:iam::111122223333:role/OrdersJobRole',
        'arn:aws:iam::111122223333:role/PaymentsJobRole',
        `<${schedulerRole}.Arn> if {"StringEquals":{"iam:PassedToService":"scheduler.amazonaws.com"}}`,
      ]),
    );
    expect(g.get('scheduler:CreateSchedule')).toEqual(new Set([arn('scheduler', 'schedule/sfx/*')]));
    expect(g.get('secretsmanager:GetSecretValue')).toEqual(new Set([arn('secretsmanager', 'secret:sfx/pagerduty-??????')]));
    const ledger = b.logicalId(b.stack.table.node.defaultChild as CfnResource);
    expect(g.get('dynamodb:Query')).toEqual(new Set([`<${ledger}.Arn>`, `<${ledger}.Arn>/index/*`]));
    const pauses = [...g.get('ssm:GetParameters')!];
    expect(pauses).toHaveLength(3);
    for (const r of [...g.values()].flatMap((s) => [...s])) expect(r).not.toBe('*');
  });

  it('has no managed policy and no policy attached beside its own inline one', () => {
    const role = b.resources[b.logicalId(b.stack.functions['job-failed']!.role.node.defaultChild as CfnResource)]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(b.ofType('AWS::IAM::Policy')).toEqual([]);
    expect(b.ofType('AWS::IAM::ManagedPolicy')).toEqual([]);
  });
});

describe('Stack: a pipeline whose playbook is off, without PagerDuty', () => {
  let b: BuiltStack;
  beforeAll(() => {
    const { pagerDuty: _omitted, ...escalation } = twoPipelines.escalation!;
    b = buildStack(
      {
        ...twoPipelines,
        escalation,
        routes: [],
        pipelines: { ...twoPipelines.pipelines, payments: { ...twoPipelines.pipelines.payments!, playbooks: { 'job-failed': { mode: 'off' } } } },
      },
      { bundle: false },
    );
  });
  afterAll(() => b.cleanup());

  it('grants nothing on the resources of the pipeline that is off', () => {
    const all = [...grants(roleStatements(b, 'job-failed')).values()].flatMap((s) => [...s]).join('\n');
    expect(all).toContain('00ordersapp0001');
    expect(all).not.toContain('00paymentsapp02');
    expect(all).not.toContain('payments-lake');
    expect(all).not.toContain('PaymentsJobRole');
    const pausePayments = b.logicalId(b.stack.pauseParameters.pipelines.payments!.node.defaultChild as CfnResource);
    expect(all).not.toContain(pausePayments);
  });

  it('neither reads a PagerDuty secret nor tells the function about one', () => {
    expect(grants(roleStatements(b, 'job-failed')).has('secretsmanager:GetSecretValue')).toBe(false);
    const [, fn] = b.ofType('AWS::Lambda::Function')[0]!;
    expect(fn.Properties.Environment.Variables).not.toHaveProperty('STREAMFIX_PAGERDUTY_SECRET');
  });

  it('builds neither alarms nor event rules for the pipeline that is off', () => {
    const names = b.ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName as string);
    expect(names.filter((n) => n.includes('payments'))).toEqual([]);
    expect(b.ofType('AWS::Events::Rule')).toHaveLength(2);
  });
});
