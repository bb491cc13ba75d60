import { emrPipeline } from '../helpers/pipelines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type StreamfixConfigInput } from '../../lambdas/schema';
import { enginePermissions } from '../../lambdas/core/permissions';
import { alarmRulePattern, buildOperationWiring, buildWiring, operationPipelineContext, pipelineContext } from '../../lambdas/wiring';
import { operationManifests } from '../../lambdas/operations/registry';
import { manifests } from '../../lambdas/playbooks/registry';
import { NO_RESOURCE_LEVEL_ACTIONS } from '../../lib/nag';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import {
  STACK_ENV,
  buildStack,
  denials,
  expectedOperationPermissions,
  expectedPlaybookPermissions,
  grants,
  roleStatements,
  specStatements,
  type BuiltStack,
  type Grants,
} from './fixture';

const config = parseConfig(twoPipelines);
const playbookIds = buildWiring(config, STACK_ENV).map((w) => w.playbook);
const operationIds = buildOperationWiring(config).map((w) => w.operation);

const LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'];
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** Every resource of every grant, one per line. */
const allResources = (g: Grants) => [...g.values()].flatMap((s) => [...s]);

describe('Stack: function roles', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(twoPipelines, { bundle: false });
  });
  afterAll(() => b?.cleanup());

  const playbook = (id: string) => {
    const w = b.stack.wiring.find((x) => x.playbook === id);
    const fn = b.stack.functions[id];
    if (!w || !fn) throw new Error(`playbook ${id} is not wired`);
    return { w, fn, actual: grants(roleStatements(b, fn)), denied: denials(roleStatements(b, fn)) };
  };
  const operation = (id: string) => {
    const w = b.stack.operationWiring.find((x) => x.operation === id);
    const fn = b.stack.operationFunctions[id];
    if (!w || !fn) throw new Error(`operation ${id} is not wired`);
    return { w, fn, actual: grants(roleStatements(b, fn)), denied: denials(roleStatements(b, fn)) };
  };

  it('builds one function per wired playbook and per operation, and the fixture wires every one of them', () => {
    expect(Object.keys(b.stack.functions)).toEqual(playbookIds);
    expect(Object.keys(b.stack.operationFunctions)).toEqual(operationIds);
    expect([...playbookIds].sort()).toEqual(manifests.map((m) => m.id).sort());
    expect([...operationIds].sort()).toEqual(operationManifests.map((m) => m.id).sort());
  });

  describe.each(playbookIds)('playbook %s', (id) => {
    it('holds exactly functionPermissions: the same actions both ways, each on the same resources', () => {
      // Prepare: the list the role is meant to be built from
      const { w, actual, denied } = playbook(id);
      const specs = specStatements(b.stack, expectedPlaybookPermissions(b, w));
      const expected = grants(specs);
      // Assess: nothing missing, nothing extra, the same explicit denies
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      expect(actual).toEqual(expected);
      expect(denied).toEqual(denials(specs));
    });

    it('holds its manifest permissions for each wired pipeline, the engine permissions and the runtime ones', () => {
      // Prepare: the same data composed here, from the manifest and the engine list directly
      const { w, fn, actual } = playbook(id);
      const { stack } = b;
      const expected = grants(
        specStatements(stack, [
          ...w.pipelines.flatMap((p) => w.manifest.permissions(pipelineContext(config, p, config.pipelines[p]!, w.manifest, STACK_ENV))),
          ...enginePermissions({
            prefix: config.name,
            ...STACK_ENV,
            tableArn: stack.table.tableArn,
            topicArn: stack.escalation.topic.topicArn,
            topicKeyArn: stack.escalation.key.keyArn,
            pagerDutySecretArn: `arn:${STACK_ENV.partition}:secretsmanager:${STACK_ENV.region}:${STACK_ENV.account}:secret:sfx/pagerduty`,
            schedulerGroup: config.name,
            schedulerRoleArn: stack.schedulerRole.roleArn,
            pauseParameterArns: [
              `arn:${STACK_ENV.partition}:ssm:${STACK_ENV.region}:${STACK_ENV.account}:parameter/sfx/pause`,
              ...w.pipelines.map((p) => `arn:${STACK_ENV.partition}:ssm:${STACK_ENV.region}:${STACK_ENV.account}:parameter/sfx/pause/${p}`),
            ],
          }),
          { actions: LOG_ACTIONS, resources: [fn.logGroup.logGroupArn] },
          { actions: ['sqs:SendMessage'], resources: [stack.deadLetterQueue.queueArn] },
        ]),
      );
      expect(actual).toEqual(expected);
    });

    it('uses "*" only for actions without resource-level permissions', () => {
      const { actual } = playbook(id);
      for (const [action, resources] of actual) {
        if (resources.has('*')) expect(NO_RESOURCE_LEVEL_ACTIONS.has(action), action).toBe(true);
      }
    });
  });

  describe.each(operationIds)('operation %s', (id) => {
    it('holds exactly operationPermissions: the same actions both ways, each on the same resources', () => {
      const { w, actual, denied } = operation(id);
      const specs = specStatements(b.stack, expectedOperationPermissions(b, w));
      const expected = grants(specs);
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      expect(actual).toEqual(expected);
      expect(denied).toEqual(denials(specs));
    });

    it('holds the ledger, its own logs and its manifest permissions, nothing of the engine', () => {
      // Prepare
      const { w, fn, actual } = operation(id);
      const manifestActions = w.pipelines.flatMap((p) => w.manifest.permissions(operationPipelineContext(config, p, STACK_ENV))).flatMap((s) => s.actions);
      const ledger = `<${b.id(b.stack.table)}.Arn>`;
      // dlq-replay runs in the orders cluster's VPC: Lambda manages its network interfaces with its role.
      const vpc =
        id === 'dlq-replay'
          ? [
              'ec2:CreateNetworkInterface',
              'ec2:DeleteNetworkInterface',
              'ec2:AssignPrivateIpAddresses',
              'ec2:UnassignPrivateIpAddresses',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DescribeSubnets',
            ]
          : [];
      // Assess
      expect([...actual.keys()].sort()).toEqual([...new Set([...manifestActions, ...LEDGER_ACTIONS, ...LOG_ACTIONS, ...vpc])].sort());
      for (const a of LEDGER_ACTIONS) expect(actual.get(a), a).toEqual(new Set([ledger, `${ledger}/index/*`]));
      for (const a of LOG_ACTIONS) expect(actual.get(a), a).toEqual(new Set([`<${b.id(fn.logGroup)}.Arn>`]));
      for (const action of actual.keys()) {
        expect(action, 'no escalation, schedules, pause switches or on-failure queue').not.toMatch(/^(sns|scheduler|secretsmanager|ssm|sqs):/);
      }
      expect(actual.has('dynamodb:DeleteItem')).toBe(false);
      expect(actual.get('iam:PassRole')).toBeUndefined();
    });

    it('uses "*" only for actions without resource-level permissions', () => {
      const { actual } = operation(id);
      for (const [action, resources] of actual) {
        if (resources.has('*')) expect(NO_RESOURCE_LEVEL_ACTIONS.has(action), action).toBe(true);
      }
    });
  });

  it('job-failed: allows these actions and no others', () => {
    expect([...playbook('job-failed').actual.keys()].sort()).toEqual([
      'cloudwatch:DescribeAlarms',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'emr-serverless:CancelJobRun',
      'emr-serverless:GetJobRun',
      'emr-serverless:ListJobRunAttempts',
      'emr-serverless:ListJobRuns',
      'emr-serverless:StartJobRun',
      'emr-serverless:TagResource',
      'iam:PassRole',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:FilterLogEvents',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
      'sqs:SendMessage',
      'ssm:GetParameters',
    ]);
  });

  it('job-failed: scopes each action to the configured resources, "*" only to read a held alarm', () => {
    const g = playbook('job-failed').actual;
    const arn = (service: string, rest: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${rest}`;
    const apps = ['00ordersapp0001', '00paymentsapp02'].flatMap((id) => [
      arn('emr-serverless', `/applications/${id}`),
      arn('emr-serverless', `/applications/${id}/jobruns/*`),
    ]);
    expect(g.get('emr-serverless:StartJobRun')).toEqual(new Set(apps));
    expect(g.get('emr-serverless:ListJobRuns')).toEqual(new Set(apps));
    expect(g.get('emr-serverless:ListJobRunAttempts')).toEqual(new Set(apps));
    expect(g.get('emr-serverless:CancelJobRun')).toEqual(new Set(apps.filter((a) => a.endsWith('/jobruns/*'))));
    expect(g.get('s3:ListBucket')).toEqual(
      new Set([
        'arn:<AWS::Partition>:s3:::orders-lake if {"StringLike":{"s3:prefix":["_checkpoints/orders/*"]}}',
        'arn:<AWS::Partition>:s3:::payments-lake if {"StringLike":{"s3:prefix":["state/payments/*"]}}',
      ]),
    );
    expect(g.get('s3:GetObject')).toEqual(
      new Set([
        'arn:<AWS::Partition>:s3:::orders-lake/_checkpoints/orders/metadata',
        'arn:<AWS::Partition>:s3:::payments-lake/state/payments/metadata',
        // orders' driver logs are in S3, payments' in CloudWatch Logs.
        'arn:<AWS::Partition>:s3:::orders-lake/emr-logs/orders/applications/00ordersapp0001/jobs/*',
      ]),
    );
    expect(g.get('logs:FilterLogEvents')).toEqual(new Set([arn('logs', 'log-group:/aws/emr-serverless/payments:*')]));
    const schedulerRole = b.id(b.stack.schedulerRole);
    expect(g.get('iam:PassRole')).toEqual(
      new Set([
        'arn:aws:iam::111122223333:role/OrdersJobRole if {"StringEquals":{"iam:PassedToService":"emr-serverless.amazonaws.com"}}',
        'arn:aws:iam::111122223333:role/PaymentsJobRole if {"StringEquals":{"iam:PassedToService":"emr-serverless.amazonaws.com"}}',
        `<${schedulerRole}.Arn> if {"StringEquals":{"iam:PassedToService":"scheduler.amazonaws.com"}}`,
      ]),
    );
    expect(g.get('scheduler:CreateSchedule')).toEqual(new Set([arn('scheduler', 'schedule/sfx/*')]));
    expect(g.get('secretsmanager:GetSecretValue')).toEqual(new Set([arn('secretsmanager', 'secret:sfx/pagerduty-??????')]));
    const ledger = b.id(b.stack.table);
    expect(g.get('dynamodb:Query')).toEqual(new Set([`<${ledger}.Arn>`, `<${ledger}.Arn>/index/*`]));
    expect([...g.get('ssm:GetParameters')!]).toHaveLength(3);
    for (const [action, resources] of g) if (resources.has('*')) expect(action).toBe('cloudwatch:DescribeAlarms');
  });

  it('checkpoint-failure: reads the metric with "*", the named log group, and the bucket key of the pipeline that has one', () => {
    const g = playbook('checkpoint-failure').actual;
    expect(g.get('cloudwatch:GetMetricData')).toEqual(new Set(['*']));
    expect(g.get('logs:FilterLogEvents')).toEqual(
      new Set([
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/emr-serverless/payments-stream:*',
        // payments' driver logs: the failed attempt's whole failure text.
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/emr-serverless/payments:*',
      ]),
    );
    expect(g.get('kms:Decrypt')).toContain('arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9');
    expect(g.get('s3:DeleteObject')).toEqual(
      new Set(['arn:<AWS::Partition>:s3:::orders-lake/_checkpoints/orders/*', 'arn:<AWS::Partition>:s3:::payments-lake/state/payments/*']),
    );
  });

  it('checkpoint-ops: changes the two checkpoints and their backups, and uses the bucket key configured for orders', () => {
    const g = operation('checkpoint-ops').actual;
    const s3 = (rest: string) => `arn:<AWS::Partition>:s3:::${rest}`;
    expect(g.get('s3:DeleteObject')).toEqual(new Set([s3('orders-lake/_checkpoints/orders/*'), s3('payments-lake/state/payments/*')]));
    expect(g.get('s3:PutObject')).toEqual(
      new Set([
        s3('orders-lake/_checkpoints/orders/*'),
        s3('orders-lake/_checkpoints/orders_backup_*'),
        s3('payments-lake/state/payments/*'),
        s3('payments-lake/state/payments_backup_*'),
      ]),
    );
    expect(g.get('kms:Decrypt')).toEqual(new Set(['arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9']));
  });

  it('dlq-replay: writes only to the orders delivery stream and source topic, and quarantines under each dead-letter prefix', () => {
    const g = operation('dlq-replay').actual;
    const s3 = (rest: string) => `arn:<AWS::Partition>:s3:::${rest}`;
    expect(g.get('firehose:PutRecordBatch')).toEqual(new Set(['arn:<AWS::Partition>:firehose:<AWS::Region>:<AWS::AccountId>:deliverystream/orders-delivery']));
    expect(g.get('kafka-cluster:WriteData')).toEqual(
      new Set(['arn:aws:kafka:eu-west-1:111122223333:topic/orders/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-1/orders.raw']),
    );
    expect(g.get('s3:PutObject')).toEqual(
      new Set([
        s3('orders-lake/dlq/orders/_quarantine/*'),
        s3('orders-lake/delivery-errors/orders/_quarantine/*'),
        s3('payments-lake/dlq/payments/_quarantine/*'),
      ]),
    );
    expect(g.has('s3:DeleteObject')).toBe(false);
  });

  it('gives every role only its own inline policy when it fits: no managed policy, no attached policy, assumed by Lambda alone', () => {
    for (const { fn } of b.functions()) {
      const role = b.resources[b.id(fn.role)]!;
      expect(role.Properties.ManagedPolicyArns, fn.node.path).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement, fn.node.path).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
    expect(b.ofType('AWS::IAM::Policy')).toEqual([]);
    expect(b.ofType('AWS::IAM::ManagedPolicy')).toEqual([]);
  });
});

/** twoPipelines without PagerDuty, with job-failed off for payments and dlq-spike off everywhere. */
function withPlaybooksOff(): StreamfixConfigInput {
  const { pagerDuty: _omitted, ...escalation } = twoPipelines.escalation!;
  const { orders, payments } = twoPipelines.pipelines as Record<'orders' | 'payments', NonNullable<StreamfixConfigInput['pipelines'][string]>>;
  return {
    ...twoPipelines,
    escalation,
    pipelines: {
      orders: { ...orders, playbooks: { ...orders.playbooks, 'dlq-spike': { mode: 'off' } } },
      payments: { ...payments, playbooks: { ...payments.playbooks, 'job-failed': { mode: 'off' }, 'dlq-spike': { mode: 'off' } } },
    },
  };
}

describe('Stack: playbooks turned off, without PagerDuty', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(withPlaybooksOff(), { bundle: false });
  });
  afterAll(() => b?.cleanup());

  const alarmNames = () => b.ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName as string);
  const ruleNames = () => b.ofType('AWS::Events::Rule').map(([, r]) => r.Properties.Name as string);

  it('grants job-failed nothing on the resources of the pipeline it is off for', () => {
    const all = allResources(grants(roleStatements(b, b.stack.functions['job-failed']!))).join('\n');
    expect(all).toContain('00ordersapp0001');
    expect(all).not.toContain('00paymentsapp02');
    expect(all).not.toContain('payments-lake');
    expect(all).not.toContain('PaymentsJobRole');
    expect(all).not.toContain(b.id(b.stack.pauseParameters.pipelines.payments!));
  });

  it('neither reads a PagerDuty secret nor tells any function about one', () => {
    for (const { fn } of b.functions()) {
      expect(grants(roleStatements(b, fn)).has('secretsmanager:GetSecretValue'), fn.node.path).toBe(false);
      const variables = b.resources[b.id(fn.function)]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(variables, fn.node.path).not.toHaveProperty('STREAMFIX_PAGERDUTY_SECRET');
    }
  });

  it('builds neither alarms nor event rules of a playbook for the pipeline it is off for, and keeps the others', () => {
    const wiring = b.stack.wiring;
    expect(alarmNames().sort()).toEqual([...wiring.flatMap((w) => w.alarms.map((a) => a.name)), 'sfx-dead-letters'].sort());
    expect(alarmNames().filter((n) => n.startsWith('sfx-payments-job-failed-'))).toEqual([]);
    const paymentsApp = emrPipeline(b.config.pipelines.payments).job.applicationId;
    const patternOf = (name: string) =>
      JSON.stringify(b.ofType('AWS::Events::Rule').find(([, r]) => r.Properties.Name === name)?.[1].Properties.EventPattern ?? null);
    expect(patternOf('sfx-job-failed-job-run-ended')).not.toContain(paymentsApp);
    // the pipeline's other playbooks still have theirs
    expect(alarmNames().filter((n) => n.startsWith('sfx-payments-consumer-lag-')).length).toBeGreaterThan(0);
    expect(ruleNames()).toContain('sfx-checkpoint-failure-job-run-failed');
    expect(patternOf('sfx-checkpoint-failure-job-run-failed')).toContain(paymentsApp);
    // and its alarms, or the config route to it, do not start job-failed
    const jobFailed = wiring.find((w) => w.playbook === 'job-failed')!;
    expect(jobFailed.pipelines).toEqual(['orders']);
    const [, alarmRule] = b.ofType('AWS::Events::Rule').find(([, r]) => r.Properties.Name === 'sfx-job-failed-alarms')!;
    expect(alarmRule.Properties.EventPattern).toEqual(alarmRulePattern(jobFailed.alarmNames));
    expect(JSON.stringify(alarmRule.Properties.EventPattern)).not.toMatch(/payments/);
  });

  it('builds nothing for a playbook that is off for every pipeline, not even a function', () => {
    expect(b.stack.wiring.map((w) => w.playbook)).not.toContain('dlq-spike');
    expect(Object.keys(b.stack.functions)).toEqual(b.stack.wiring.map((w) => w.playbook));
    expect(b.ofType('AWS::Lambda::Function').map(([, f]) => f.Properties.FunctionName)).not.toContain('sfx-dlq-spike');
    expect(alarmNames().filter((n) => n.includes('-dlq-spike-'))).toEqual([]);
    expect(ruleNames().filter((n) => n.includes('dlq-spike'))).toEqual([]);
    expect(JSON.stringify(b.resources[b.id(b.stack.schedulerRole)]!.Properties.Policies)).not.toContain('dlq-spike');
    // a manual operation does not depend on a playbook's mode
    expect(Object.keys(b.stack.operationFunctions)).toContain('dlq-replay');
  });
});
