import { emrPipeline } from '../helpers/pipelines';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOperationWiring, buildWiring } from '../../lambdas/wiring';
import exampleConfig from '../../streamfix.config';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';
import {
  asArray,
  buildStack,
  expectedDeadLetterPermissions,
  expectedOperationPermissions,
  expectedPlaybookPermissions,
  roleStatements,
  specStatements,
  STACK_ENV,
  type BuiltFunction,
  type BuiltStack,
  type Statement,
} from '../lib/fixture';

/**
 * Least privilege, proven on the synthesized template: for each function role, its inline
 * policies (as CloudFormation will create them, with the stack's pseudo parameters and resource
 * references resolved to concrete ARNs) are evaluated by a local IAM policy evaluator:
 *  - every action its manifest (and the engine / runtime) declares is allowed on the declared resources;
 *  - the same actions are denied on other resources (another bucket or prefix, application,
 *    stream, cluster, table, topic, key, role, account);
 *  - a list of dangerous actions is denied everywhere.
 */

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const OTHER_ACCOUNT = '210987654321';

let b: BuiltStack;
let resolve: (v: unknown) => string;

/** Concrete ARNs for the stack's own resources (physical names are made up; only the shape matters). */
function resolverFor(built: BuiltStack): (v: unknown) => string {
  const arnOf = (logicalId: string): string => {
    const r = built.resources[logicalId];
    if (!r) throw new Error(`no resource ${logicalId}`);
    const name = `sfx-${logicalId.toLowerCase()}`;
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${REGION}:${ACCOUNT}:key/0b1c2d3e-${logicalId.slice(-8).toLowerCase()}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${name}:*`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
      default:
        throw new Error(`no ARN for ${r.Type} ${logicalId}`);
    }
  };
  const refOf = (id: string): string => {
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::Region') return REGION;
    if (id === 'AWS::AccountId') return ACCOUNT;
    const r = built.resources[id];
    if (!r) throw new Error(`no resource ${id}`);
    if (r.Type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:sfx-${id.toLowerCase()}`;
    if (r.Type === 'AWS::SSM::Parameter') {
      const n = typeof r.Properties.Name === 'string' ? r.Properties.Name : `/sfx/${id}`;
      return n.startsWith('/') ? n : `/${n}`;
    }
    throw new Error(`no Ref for ${r.Type} ${id}`);
  };
  const go = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (o && Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(go).join(sep);
    }
    if (o && Array.isArray(o['Fn::GetAtt'])) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      if (attr !== 'Arn') throw new Error(`unexpected attribute ${attr}`);
      return arnOf(id);
    }
    if (o && typeof o.Ref === 'string') return refOf(o.Ref);
    throw new Error(`cannot resolve ${JSON.stringify(v)}`);
  };
  return go;
}

interface ConcreteStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const concrete = (statements: readonly Statement[]): ConcreteStatement[] =>
  statements.map((s) => ({
    Effect: s.Effect as 'Allow' | 'Deny',
    Action: asArray(s.Action),
    Resource: asArray(s.Resource as unknown).map((r) => resolve(r)),
    ...(s.Condition ? { Condition: s.Condition as Record<string, Record<string, string | string[]>> } : {}),
  }));

/** Only the grants (the explicit denies are checked on their own below). */
const allows = (statements: ConcreteStatement[]) => statements.filter((s) => s.Effect === 'Allow');

/** The role's synthesized inline policy, resolved. */
const policyOf = (f: BuiltFunction): ConcreteStatement[] => concrete(roleStatements(b, f.fn));

/** What the manifests, the engine and the runtime declare for the function, resolved. */
function declaredOf(f: BuiltFunction): ConcreteStatement[] {
  if (f.kind === 'playbook') {
    const w = buildWiring(b.config, STACK_ENV).find((x) => x.playbook === f.id)!;
    return concrete(specStatements(b.stack, expectedPlaybookPermissions(b, w)));
  }
  if (f.kind === 'dead-letters') return concrete(specStatements(b.stack, expectedDeadLetterPermissions(b)));
  const w = buildOperationWiring(b.config).find((x) => x.operation === f.id)!;
  return concrete(specStatements(b.stack, expectedOperationPermissions(b, w)));
}

/** `NotApplicable`: the resource is not of a type the action takes (the evaluator refuses the request). */
type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'NotApplicable' | 'WildcardOnly';

/** KMS honours an identity policy only when the key policy delegates to the account (the CDK default key policy). */
const keyPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};

async function decide(
  policy: ConcreteStatement[],
  principal: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<Decision> {
  const simulation: Simulation = {
    identityPolicies: [{ name: 'inline', policy: { Version: '2012-10-17', Statement: policy } }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(action.startsWith('kms:') && resource.includes(`:${ACCOUNT}:`) ? { resourcePolicy: keyPolicy } : {}),
    request: {
      action,
      principal,
      resource: { resource, accountId: resource.split(':')[4] || ACCOUNT },
      contextVariables: context,
    },
  } as unknown as Simulation;
  const r = await runSimulation(simulation, {});
  if (r.resultType === 'error' && JSON.stringify(r.errors).includes('no.resource.types')) return 'NotApplicable';
  if (r.resultType === 'error' && JSON.stringify(r.errors).includes('must.use.wildcard')) return 'WildcardOnly';
  if (r.resultType === 'error') throw new Error(`${action} on ${resource}: ${JSON.stringify(r.errors)}`);
  return r.overallResult as Decision;
}

/** A concrete resource matching an ARN pattern (`*` → a sample segment, `?` → a letter). */
const sample = (pattern: string): string =>
  pattern === '*'
    ? '*'
    : pattern
        .replace(/(:log-group:[^:]+):\*$/, '$1:log-stream:sample')
        .replace(/\*/g, 'sample')
        .replace(/\?/g, 'a');

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** The context a conditioned statement needs to apply (iam:PassedToService, an s3:prefix it allows…). */
const contextFor = (s: ConcreteStatement): Record<string, string> =>
  Object.fromEntries(
    Object.entries(s.Condition ?? {})
      .filter(([op]) => op !== 'Null')
      .flatMap(([, kv]) => Object.entries(kv).map(([k, v]) => [k, sample(Array.isArray(v) ? v[0]! : v)])),
  );

/** The names the config and the stack give things, each with a look-alike that is not in the config. */
function substitutions(): [string, string][] {
  const orders = emrPipeline(b.config.pipelines.orders);
  const out: [string, string][] = [
    [`:${ACCOUNT}:`, `:${OTHER_ACCOUNT}:`],
    ['orders-data-lake', 'other-data-lake'],
    ['_checkpoints/streaming/orders/', '_checkpoints/streaming/payments/'],
    ['_checkpoints/streaming/orders_backup_', '_checkpoints/streaming/payments_backup_'],
    ['dlq/orders/', 'dlq/payments/'],
    [orders.job.applicationId, '00fzzzz9999zzz9z'],
    ['role/EmrServerlessJobExecutionRole', 'role/AdminRole'],
    ['sfx-', 'other-'],
    ['parameter/', 'parameter/other/'],
    ['secret:streamfix/', 'secret:other/'],
    ['schedule/streamfix/', 'schedule/other/'],
  ];
  if (orders.sink)
    out.push(
      [`deliverystream/${orders.sink.deliveryStreamName}`, 'deliverystream/other-firehose'],
      [`/aws/kinesisfirehose/${orders.sink.deliveryStreamName}`, '/aws/kinesisfirehose/other-firehose'],
    );
  if (orders.source.kind === 'msk') out.push([`/${orders.source.clusterName}/`, '/other-cluster/'], [`/${orders.source.topic}`, '/orders.other']);
  return out;
}

beforeAll(() => {
  b = buildStack(exampleConfig, { bundle: true });
  resolve = resolverFor(b);
}, 300_000);

afterAll(() => b?.cleanup());

describe('least privilege: every function role, evaluated on the synthesized template', () => {
  it('builds a function for every playbook and operation of the example config, and the dead-letter function', () => {
    const ids = b
      .functions()
      .map((f) => `${f.kind}:${f.id}`)
      .sort();
    expect(ids).toEqual(
      [
        ...buildWiring(b.config, STACK_ENV).map((w) => `playbook:${w.playbook}`),
        ...buildOperationWiring(b.config).map((w) => `operation:${w.operation}`),
        'dead-letters:dead-letters',
      ].sort(),
    );
    expect(ids.length).toBeGreaterThanOrEqual(7);
  });

  it('allows every declared action on every declared resource', async () => {
    let checked = 0;
    const wildcardOnly = new Set<string>();
    for (const f of b.functions()) {
      const policy = policyOf(f);
      const principal = resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
      for (const s of allows(declaredOf(f))) {
        for (const action of s.Action) {
          let applicable = 0;
          for (const pattern of s.Resource) {
            const resource = sample(pattern);
            const d = await decide(policy, principal, action, resource, contextFor(s));
            if (d === 'NotApplicable') continue; // e.g. GetJobRun declared on the application ARN too
            if (d === 'WildcardOnly') {
              wildcardOnly.add(action);
              applicable++;
              continue;
            }
            expect(d, `${f.kind} ${f.id}: ${action} on ${resource}`).toBe('Allowed');
            applicable++;
            checked++;
          }
          expect(applicable, `${f.kind} ${f.id}: ${action} has no resource of a type it takes`).toBeGreaterThan(0);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    // An action IAM honours only with "Resource": "*" but declared on a specific resource would not work in AWS.
    expect([...wildcardOnly]).toEqual([]);
  }, 120_000);

  it('denies the declared actions on resources the config does not name', async () => {
    let checked = 0;
    const subs = substitutions();
    for (const f of b.functions()) {
      const policy = policyOf(f);
      const principal = resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
      const declared = allows(declaredOf(f));
      for (const s of declared) {
        for (const action of s.Action) {
          // Everything the function may do this action on, across all its statements.
          const allowed = declared
            .filter((d) => d.Action.includes(action))
            .flatMap((d) => d.Resource)
            .map(glob);
          for (const pattern of s.Resource) {
            if (pattern === '*') continue; // an action without resource-level permissions (cloudwatch:GetMetricData…)
            const resource = sample(pattern);
            for (const [from, to] of subs) {
              if (!resource.includes(from)) continue;
              const other = resource.split(from).join(to);
              if (allowed.some((g) => g.test(other))) continue;
              const d = await decide(policy, principal, action, other, contextFor(s));
              if (d === 'WildcardOnly' || d === 'NotApplicable') continue;
              expect(d, `${f.kind} ${f.id}: ${action} on ${other}`).not.toBe('Allowed');
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  }, 240_000);

  it('denies dangerous actions everywhere, except what a manifest needs', async () => {
    const orders = emrPipeline(b.config.pipelines.orders);
    const app = `arn:aws:emr-serverless:${REGION}:${ACCOUNT}:/applications/${orders.job.applicationId}`;
    const cluster = orders.source.kind === 'msk' ? orders.source.clusterArn : `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/c/0`;
    const topicArn = `${cluster.replace(':cluster/', ':topic/')}/orders.raw`;
    const groupArn = `${cluster.replace(':cluster/', ':group/')}/order-processor`;
    const stream = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${orders.sink!.deliveryStreamName}`;
    const table = resolve({ 'Fn::GetAtt': [b.ofType('AWS::DynamoDB::Table')[0]![0], 'Arn'] });
    const key = resolve({ 'Fn::GetAtt': [b.ofType('AWS::KMS::Key')[0]![0], 'Arn'] });
    const otherKey = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
    const topic = resolve({ Ref: b.ofType('AWS::SNS::Topic')[0]![0] });
    const pauseParams = b.ofType('AWS::SSM::Parameter').map(([id]) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${resolve({ Ref: id })}`);
    const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:streamfix/pagerduty-routing-key-AbCdEf`;
    const roles = b.ofType('AWS::IAM::Role').map(([id]) => resolve({ 'Fn::GetAtt': [id, 'Arn'] }));
    const execRole = orders.job.executionRoleArn;
    const schedulerRole = resolve({ 'Fn::GetAtt': [b.id(b.stack.schedulerRole), 'Arn'] });
    const checkpointObject = 'arn:aws:s3:::orders-data-lake/_checkpoints/streaming/orders/offsets/12';

    const dangerous: [string, string[]][] = [
      ['iam:PutRolePolicy', [...roles, execRole]],
      ['iam:AttachRolePolicy', [...roles, execRole]],
      ['iam:CreatePolicyVersion', [`arn:aws:iam::${ACCOUNT}:policy/any`]],
      ['iam:UpdateAssumeRolePolicy', [...roles, execRole]],
      ['iam:CreateRole', [`arn:aws:iam::${ACCOUNT}:role/new`]],
      ['iam:PassRole', [...roles, `arn:aws:iam::${ACCOUNT}:role/AdminRole`]],
      ['kms:PutKeyPolicy', [key, otherKey]],
      ['kms:CreateGrant', [key, otherKey]],
      ['kms:ScheduleKeyDeletion', [key, otherKey]],
      ['kms:DisableKey', [key, otherKey]],
      ['kms:Decrypt', [otherKey]],
      ['kms:Encrypt', [key, otherKey]],
      [
        's3:DeleteObject',
        [
          'arn:aws:s3:::orders-data-lake/data/orders/part-0001.parquet',
          'arn:aws:s3:::orders-data-lake/dlq/orders/2026/11/22/x.json.gz',
          'arn:aws:s3:::orders-data-lake/_checkpoints/streaming/orders_backup_20261122T100000Z/offsets/12',
          'arn:aws:s3:::orders-data-lake/_checkpoints/streaming/payments/offsets/1',
          'arn:aws:s3:::other-data-lake/_checkpoints/streaming/orders/offsets/12',
        ],
      ],
      ['s3:DeleteBucket', ['arn:aws:s3:::orders-data-lake']],
      ['s3:PutBucketPolicy', ['arn:aws:s3:::orders-data-lake']],
      ['s3:PutObject', ['arn:aws:s3:::orders-data-lake/data/orders/part-0001.parquet', 'arn:aws:s3:::orders-data-lake/code/orders-stream/main.py']],
      ['emr-serverless:DeleteApplication', [app]],
      ['emr-serverless:StopApplication', [app]],
      ['emr-serverless:UpdateApplication', [app]],
      ['kafka:DeleteCluster', [cluster]],
      ['kafka:UpdateBrokerCount', [cluster]],
      ['kafka:UpdateBrokerStorage', [cluster]],
      ['kafka:UpdateClusterConfiguration', [cluster]],
      ['kafka-cluster:AlterTopic', [topicArn]],
      ['kafka-cluster:CreateTopic', [topicArn]],
      ['kafka-cluster:DeleteTopic', [topicArn]],
      ['kafka-cluster:AlterGroup', [groupArn]],
      ['kafka-cluster:DeleteGroup', [groupArn]],
      ['firehose:DeleteDeliveryStream', [stream]],
      ['dynamodb:DeleteTable', [table]],
      ['dynamodb:UpdateTable', [table]],
      ['dynamodb:Scan', [table]],
      ['sns:DeleteTopic', [topic]],
      ['sns:SetTopicAttributes', [topic]],
      ['ssm:PutParameter', pauseParams],
      ['ssm:DeleteParameter', pauseParams],
      ['secretsmanager:PutSecretValue', [secret]],
      ['secretsmanager:DeleteSecret', [secret]],
      ['logs:DeleteLogGroup', [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/any:*`]],
      ['lambda:UpdateFunctionCode', [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:streamfix-job-failed`]],
    ];
    const declaredPassRoles = (f: BuiltFunction) =>
      allows(declaredOf(f))
        .filter((s) => s.Action.includes('iam:PassRole'))
        .flatMap((s) => s.Resource.map((r) => ({ r, ctx: contextFor(s) })));
    let checked = 0;
    for (const f of b.functions()) {
      const policy = policyOf(f);
      const principal = resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
      // kms:Decrypt / GenerateDataKey on the escalation key is declared by the engine: allowed there only.
      for (const [action, resources] of dangerous) {
        for (const resource of resources) {
          for (const ctx of action === 'iam:PassRole'
            ? [
                {} as Record<string, string>,
                { 'iam:PassedToService': 'scheduler.amazonaws.com' },
                { 'iam:PassedToService': 'emr-serverless.amazonaws.com' },
                { 'iam:PassedToService': 'lambda.amazonaws.com' },
              ]
            : [{} as Record<string, string>]) {
            // A role the function passes by declaration, under its declared condition, is checked below.
            const passes = declaredPassRoles(f).some(
              (p) => p.r === resource && Object.entries(p.ctx).every(([k, v]) => (ctx as Record<string, string>)[k] === v),
            );
            if (action === 'iam:PassRole' && passes) continue;
            const d = await decide(policy, principal, action, resource, ctx);
            if (d === 'NotApplicable' || d === 'WildcardOnly') throw new Error(`${action} on ${resource}: ${d}; fix the dangerous list`);
            expect(d, `${f.kind} ${f.id}: ${action} on ${resource} ${JSON.stringify(ctx)}`).not.toBe('Allowed');
            checked++;
          }
        }
      }
      // iam:PassRole: only the declared roles, each only under its declared condition.
      for (const { r, ctx } of declaredPassRoles(f)) {
        expect([schedulerRole, execRole]).toContain(r);
        expect(await decide(policy, principal, 'iam:PassRole', r, ctx)).toBe('Allowed');
        if (Object.keys(ctx).length > 0)
          expect(await decide(policy, principal, 'iam:PassRole', r, { 'iam:PassedToService': 'lambda.amazonaws.com' })).not.toBe('Allowed');
      }
      // s3:DeleteObject only inside the configured checkpoint, and only for what declares it.
      const deletes = allows(declaredOf(f)).some((s) => s.Action.includes('s3:DeleteObject'));
      expect(await decide(policy, principal, 's3:DeleteObject', checkpointObject)).toBe(deletes ? 'Allowed' : 'ImplicitlyDenied');
    }
    expect(checked).toBeGreaterThan(300);
  }, 240_000);

  it('lets only broker-health reboot a broker, and only of the configured cluster', async () => {
    const orders = emrPipeline(b.config.pipelines.orders);
    if (orders.source.kind !== 'msk') throw new Error('the example pipeline reads from MSK');
    const cluster = orders.source.clusterArn;
    const others = [
      cluster.replace(`/${orders.source.clusterName}/`, '/other-cluster/'),
      cluster.replace(/-\d+$/, '-9'),
      cluster.replace(`:${ACCOUNT}:`, `:${OTHER_ACCOUNT}:`),
    ];
    const rebooting: string[] = [];
    for (const f of b.functions()) {
      const policy = policyOf(f);
      const principal = resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
      if ((await decide(policy, principal, 'kafka:RebootBroker', cluster)) === 'Allowed') rebooting.push(f.id);
      for (const other of others) expect(await decide(policy, principal, 'kafka:RebootBroker', other), `${f.id} on ${other}`).not.toBe('Allowed');
    }
    expect(rebooting).toEqual(['broker-health']);
  });

  it('denies every function what no grant may give: backups deleted or their seal overwritten, audit items deleted, listings outside the prefixes', async () => {
    const table = resolve({ 'Fn::GetAtt': [b.ofType('AWS::DynamoDB::Table')[0]![0], 'Arn'] });
    const backupObject = 'arn:aws:s3:::orders-data-lake/_checkpoints/streaming/orders_backup_20261122T100000Z-0a1b2c3d/offsets/12';
    const manifest = 'arn:aws:s3:::orders-data-lake/_checkpoints/streaming/orders_backup_20261122T100000Z-0a1b2c3d/_streamfix_backup.json';
    let checked = 0;
    for (const f of b.functions()) {
      const policy = policyOf(f);
      const principal = resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
      const name = `${f.kind} ${f.id}`;
      expect(await decide(policy, principal, 's3:DeleteObject', backupObject), name).toBe('ExplicitlyDenied');
      expect(await decide(policy, principal, 's3:PutObject', manifest), name).not.toBe('Allowed');
      for (const key of ['INCIDENT#orders.job-failed.20261122T100000.abc123', 'OP#dlq-replay.orders.0123456789abcdef']) {
        expect(await decide(policy, principal, 'dynamodb:DeleteItem', table, { 'dynamodb:LeadingKeys': [key] }), `${name}: ${key}`).toBe('ExplicitlyDenied');
      }
      const engineDeletes = allows(declaredOf(f)).some((s) => s.Action.includes('dynamodb:DeleteItem'));
      expect(
        await decide(policy, principal, 'dynamodb:DeleteItem', table, { 'dynamodb:LeadingKeys': ['LOCK#emr-serverless:00fabcd1234efg5h:orders-stream'] }),
        name,
      ).toBe(engineDeletes ? 'Allowed' : 'ImplicitlyDenied');
      const lists = allows(declaredOf(f)).find((s) => s.Action.includes('s3:ListBucket'));
      if (lists) {
        const prefix = (lists.Condition!.StringLike!['s3:prefix'] as string[])[0]!.replace(/\*$/, '');
        expect(await decide(policy, principal, 's3:ListBucket', lists.Resource[0]!, { 's3:prefix': `${prefix}2026/` }), name).toBe('Allowed');
        expect(await decide(policy, principal, 's3:ListBucket', lists.Resource[0]!, { 's3:prefix': '' }), name).not.toBe('Allowed');
        expect(await decide(policy, principal, 's3:ListBucket', lists.Resource[0]!, { 's3:prefix': 'data/' }), name).not.toBe('Allowed');
      }
      checked++;
    }
    // The two that seal backups can still write a manifest, with If-None-Match.
    for (const id of ['checkpoint-failure', 'checkpoint-ops']) {
      const f = b.functions().find((x) => x.id === id)!;
      const principal = resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
      expect(await decide(policyOf(f), principal, 's3:PutObject', manifest, { 's3:if-none-match': '*' }), id).toBe('Allowed');
    }
    expect(checked).toBe(b.functions().length);
  }, 120_000);

  it('grants only actions a manifest, the engine or the runtime declares (no wildcard actions)', () => {
    for (const f of b.functions()) {
      const declared = new Set(declaredOf(f).flatMap((s) => s.Action));
      const granted = policyOf(f).flatMap((s) => s.Action);
      for (const a of granted) {
        expect(a.includes('*'), `${f.id}: ${a}`).toBe(false);
        expect(declared.has(a), `${f.id}: ${a} is granted but not declared`).toBe(true);
      }
    }
  });
});

/**
 * The Managed Flink and Kinesis grants: the stack built from a config with an EMR Serverless
 * pipeline next to two Managed Flink ones (clicks on a Kinesis stream with a log group, ledger on
 * MSK). From here on `b` and `resolve` are that stack's; the example stack is put back after.
 */
describe('least privilege: the Managed Flink and Kinesis grants (EMR Serverless and Managed Flink pipelines)', () => {
  let example: BuiltStack;
  const FLINK = /^(kinesisanalytics|kinesis):|^logs:FilterLogEvents$/;
  const clicksApp = `arn:aws:kinesisanalytics:${REGION}:${ACCOUNT}:application/clicks-enricher`;
  const ledgerApp = `arn:aws:kinesisanalytics:${REGION}:${ACCOUNT}:application/ledger-aggregator`;
  const clicksStream = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/clicks-events`;
  const clicksLogs = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/kinesis-analytics/clicks-enricher:log-stream:kinesis-analytics-log-stream`;

  beforeAll(() => {
    example = b;
    b = buildStack(emrAndFlink, { bundle: false });
    resolve = resolverFor(b);
  }, 300_000);
  afterAll(() => {
    b?.cleanup();
    b = example;
    resolve = resolverFor(b);
  });

  const principalOf = (f: BuiltFunction) => resolve({ 'Fn::GetAtt': [b.id(f.fn.role), 'Arn'] });
  const flinkStatements = (f: BuiltFunction) =>
    allows(declaredOf(f))
      .map((s) => ({ ...s, Action: s.Action.filter((a) => FLINK.test(a)) }))
      .filter((s) => s.Action.length > 0);

  it('allows every declared Managed Flink, Kinesis and log action on the configured applications, stream and log group', async () => {
    const seen = new Set<string>();
    for (const f of b.functions()) {
      const policy = policyOf(f);
      for (const s of flinkStatements(f)) {
        for (const action of s.Action) {
          for (const pattern of s.Resource) {
            const resource = sample(pattern);
            expect(await decide(policy, principalOf(f), action, resource), `${f.id}: ${action} on ${resource}`).toBe('Allowed');
            seen.add(`${f.id} ${action} ${resource.replace(/:log-stream:.*$/, '')}`);
          }
        }
      }
    }
    // Each Flink playbook reads both applications; only job-failed and consumer-lag start one; only consumer-lag updates one.
    for (const id of ['job-failed', 'consumer-lag', 'checkpoint-failure']) {
      for (const app of [clicksApp, ledgerApp]) expect(seen, `${id} on ${app}`).toContain(`${id} kinesisanalytics:DescribeApplication ${app}`);
      expect(seen).toContain(`${id} logs:FilterLogEvents arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/kinesis-analytics/clicks-enricher`);
    }
    expect(seen).toContain(`consumer-lag kinesis:ListShards ${clicksStream}`);
    expect(
      [...seen]
        .filter((x) => x.includes(':StartApplication '))
        .map((x) => x.split(' ')[0])
        .sort(),
    ).toEqual(['consumer-lag', 'consumer-lag', 'job-failed', 'job-failed']);
    expect([...seen].filter((x) => x.includes(':UpdateApplication ')).map((x) => x.split(' ')[0])).toEqual(['consumer-lag', 'consumer-lag']);
  }, 120_000);

  it('denies them on another application, stream, log group or account', async () => {
    const subs: [string, string][] = [
      ['application/clicks-enricher', 'application/clicks-enricher-v2'],
      ['application/ledger-aggregator', 'application/other-app'],
      ['stream/clicks-events', 'stream/clicks-events-eu'],
      ['/aws/kinesis-analytics/clicks-enricher', '/aws/kinesis-analytics/other-app'],
      [`:${ACCOUNT}:`, `:${OTHER_ACCOUNT}:`],
    ];
    let checked = 0;
    for (const f of b.functions()) {
      const policy = policyOf(f);
      const declared = flinkStatements(f);
      for (const s of declared) {
        for (const action of s.Action) {
          const allowed = declared
            .filter((d) => d.Action.includes(action))
            .flatMap((d) => d.Resource)
            .map(glob);
          for (const resource of s.Resource.map(sample)) {
            for (const [from, to] of subs) {
              if (!resource.includes(from)) continue;
              const other = resource.split(from).join(to);
              if (allowed.some((g) => g.test(other))) continue;
              expect(await decide(policy, principalOf(f), action, other), `${f.id}: ${action} on ${other}`).not.toBe('Allowed');
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  }, 120_000);

  it('denies what streamfix never does to an application, its state or a stream', async () => {
    const serviceRole = `arn:aws:iam::${ACCOUNT}:role/clicks-enricher-service-role`;
    const dangerous: [string, string[], Record<string, string>?][] = [
      ['kinesisanalytics:DeleteApplication', [clicksApp, ledgerApp]],
      ['kinesisanalytics:StopApplication', [clicksApp, ledgerApp]],
      ['kinesisanalytics:DeleteApplicationSnapshot', [clicksApp, ledgerApp]],
      ['kinesisanalytics:CreateApplicationSnapshot', [clicksApp]],
      ['kinesisanalytics:RollbackApplication', [clicksApp]],
      ['kinesisanalytics:UpdateApplicationMaintenanceConfiguration', [clicksApp]],
      ['kinesisanalytics:AddApplicationVpcConfiguration', [clicksApp]],
      ['kinesisanalytics:DeleteApplicationCloudWatchLoggingOption', [clicksApp]],
      ['kinesis:DeleteStream', [clicksStream]],
      ['kinesis:SplitShard', [clicksStream]],
      ['kinesis:DecreaseStreamRetentionPeriod', [clicksStream]],
      ['kinesis:MergeShards', [clicksStream]],
      ['kinesis:GetRecords', [clicksStream]],
      ['kinesis:PutRecord', [clicksStream]],
      ['logs:DeleteLogGroup', [clicksLogs.replace(/:log-stream:.*$/, ':*')]],
      ['iam:PassRole', [serviceRole], { 'iam:PassedToService': 'kinesisanalytics.amazonaws.com' }],
    ];
    let checked = 0;
    for (const f of b.functions()) {
      const policy = policyOf(f);
      for (const [action, resources, ctx] of dangerous) {
        for (const resource of resources) {
          const d = await decide(policy, principalOf(f), action, resource, ctx ?? {});
          if (d === 'NotApplicable' || d === 'WildcardOnly') throw new Error(`${action} on ${resource}: ${d}; fix the dangerous list`);
          expect(d, `${f.id}: ${action} on ${resource}`).not.toBe('Allowed');
          checked++;
        }
      }
    }
    expect(checked).toBe(b.functions().length * dangerous.reduce((n, [, r]) => n + r.length, 0));
  }, 120_000);
});
