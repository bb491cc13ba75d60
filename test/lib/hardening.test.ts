import { Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamfixConfigInput } from '../../lambdas/schema';
import { IAM_LIMITS, layoutPolicies } from '../../lib/policy-size';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import {
  asArray,
  buildStack,
  denials,
  expectedOperationPermissions,
  expectedPlaybookPermissions,
  flat,
  grants,
  roleStatements,
  specStatements,
  type BuiltStack,
  type CfnJson,
  type Statement,
} from './fixture';

/**
 * Issue 13, point 9 and the access rules: each gap of the synthesized template, asserted on it.
 */

const withOrders = (patch: Record<string, unknown>): StreamfixConfigInput => {
  const orders = twoPipelines.pipelines.orders!;
  return { ...twoPipelines, pipelines: { ...twoPipelines.pipelines, orders: { ...orders, ...patch } } } as StreamfixConfigInput;
};

/** The statements of every function role (inline and managed), by function. */
const rolesOf = (b: BuiltStack) => b.functions().map((f) => ({ ...f, statements: roleStatements(b, f.fn) }));

describe('Template: IAM gaps of issue 13 (point 9)', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(twoPipelines, { bundle: false });
  });
  afterAll(() => b?.cleanup());

  it('lists a bucket only under the configured prefixes (an s3:prefix condition on every s3:ListBucket, six roles)', () => {
    const listing = rolesOf(b).filter((r) => r.statements.some((s) => asArray(s.Action).includes('s3:ListBucket')));
    expect(listing.map((r) => r.id).sort()).toEqual(['checkpoint-failure', 'checkpoint-ops', 'consumer-lag', 'dlq-replay', 'dlq-spike', 'job-failed']);
    for (const r of listing) {
      for (const s of r.statements.filter((x) => asArray(x.Action).includes('s3:ListBucket'))) {
        const prefixes = (s.Condition as { StringLike?: Record<string, string[]> } | undefined)?.StringLike?.['s3:prefix'];
        expect(prefixes, `${r.id}: ${JSON.stringify(s)}`).toBeDefined();
        for (const p of prefixes!) {
          expect(p.endsWith('*') && p.length > 2, `${r.id}: ${p}`).toBe(true);
        }
        expect(asArray(s.Action), `${r.id}: ListBucket shares its condition with no other action`).toEqual(['s3:ListBucket']);
      }
    }
    const cp = rolesOf(b)
      .find((r) => r.id === 'checkpoint-ops')!
      .statements.find((s) => asArray(s.Action).includes('s3:ListBucket') && flat(asArray(s.Resource)[0]).endsWith('orders-lake'))!;
    expect(cp.Condition).toEqual({ StringLike: { 's3:prefix': ['_checkpoints/orders/*', '_checkpoints/orders_backup_*'] } });
  });

  it('passes a job execution role only to EMR Serverless, and the scheduler role only to EventBridge Scheduler', () => {
    const execRoles = new Set(Object.values(b.config.pipelines).flatMap((p) => (p.job.kind === 'emr-serverless' ? [p.job.executionRoleArn] : [])));
    let checked = 0;
    for (const r of rolesOf(b)) {
      for (const s of r.statements.filter((x) => x.Effect === 'Allow' && asArray(x.Action).includes('iam:PassRole'))) {
        const passed = (s.Condition as { StringEquals?: Record<string, string> } | undefined)?.StringEquals?.['iam:PassedToService'];
        const resources = asArray(s.Resource).map(flat);
        expect(passed, `${r.id}: PassRole without iam:PassedToService on ${resources.join(', ')}`).toBeDefined();
        expect(passed).toBe(resources.every((x) => execRoles.has(x)) ? 'emr-serverless.amazonaws.com' : 'scheduler.amazonaws.com');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('denies every function deleting under a backup prefix, and writing a manifest without If-None-Match', () => {
    for (const r of rolesOf(b)) {
      const d = denials(r.statements);
      expect(d.get('s3:DeleteObject'), r.id).toEqual(new Set(['arn:<AWS::Partition>:s3:::*_backup_????????T??????Z*']));
      expect(d.get('s3:PutObject'), r.id).toEqual(
        new Set(['arn:<AWS::Partition>:s3:::*_backup_????????T??????Z*/_streamfix_backup.json if {"Null":{"s3:if-none-match":"true"}}']),
      );
    }
    // And what checkpoint-failure and checkpoint-ops may delete never reaches a backup.
    const backupKey = 'orders-lake/_checkpoints/orders_backup_20261122T100000Z-0a1b2c3d/offsets/12';
    for (const id of ['checkpoint-failure', 'checkpoint-ops']) {
      const allowed = [...(grants(rolesOf(b).find((r) => r.id === id)!.statements).get('s3:DeleteObject') ?? [])];
      expect(allowed.length).toBeGreaterThan(0);
      for (const pattern of allowed)
        expect(
          new RegExp(
            `^${pattern
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '.*')
              .replace(/\?/g, '.')}$`,
          ).test(`arn:<AWS::Partition>:s3:::${backupKey}`),
          pattern,
        ).toBe(false);
    }
  });

  it('denies every function deleting an audit item of the ledger (incidents and operations, by leading key)', () => {
    const table = `<${b.id(b.stack.table)}.Arn>`;
    for (const r of rolesOf(b)) {
      const d = denials(r.statements);
      const cond = '{"ForAnyValue:StringLike":{"dynamodb:LeadingKeys":["INCIDENT#*","OP#*"]}}';
      expect(d.get('dynamodb:DeleteItem'), r.id).toEqual(new Set([`${table} if ${cond}`, `${table}/index/* if ${cond}`]));
      expect(d.get('dynamodb:BatchWriteItem'), r.id).toEqual(d.get('dynamodb:DeleteItem'));
    }
  });

  it('protects the ledger table from deletion', () => {
    expect(b.single('AWS::DynamoDB::Table').Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('builds ARNs of its own resources with AWS::Region and AWS::AccountId, even when synthesized with a concrete environment', () => {
    const env = { account: '999988887777', region: 'ap-southeast-2' };
    const e = buildStack(twoPipelines, { bundle: false, env });
    try {
      const policies = Object.values(e.resources).filter((r) =>
        /^AWS::(IAM::(Role|ManagedPolicy|Policy)|KMS::Key|SNS::TopicPolicy|Lambda::ResourcePolicy)$/.test(r.Type),
      );
      const text = JSON.stringify(policies.map((r) => r.Properties));
      expect(text).toContain('AWS::Region');
      expect(text).not.toContain(env.region);
      expect(text).not.toContain(env.account);
      // The functions' environment too (what they read the table and topic by).
      expect(JSON.stringify(e.ofType('AWS::Lambda::Function').map(([, f]) => f.Properties.Environment))).not.toContain(env.region);
    } finally {
      e.cleanup();
    }
  });
});

describe('Template: who may invoke an operation, and where dlq-replay runs', () => {
  let b: BuiltStack;
  const invoker = 'arn:aws:iam::111122223333:role/StreamingOncall';
  beforeAll(() => {
    b = buildStack({ ...twoPipelines, operations: { invokers: [invoker] } }, { bundle: false });
  });
  afterAll(() => b?.cleanup());

  const policyOf = (bs: BuiltStack, id: string) => {
    const fn = bs.stack.operationFunctions[id]!;
    const [, r] = bs.ofType('AWS::Lambda::ResourcePolicy').find(([, x]) => JSON.stringify(x.Properties.ResourceArn).includes(bs.id(fn.function)))!;
    return r.Properties.PolicyDocument as { Statement: (Statement & { Principal: unknown; Sid: string })[] };
  };

  it('gives each operation function a resource policy: the configured invokers allowed, everyone but them and the administrators denied', () => {
    for (const id of ['checkpoint-ops', 'dlq-replay']) {
      const doc = policyOf(b, id);
      const allow = doc.Statement.find((s) => s.Effect === 'Allow')!;
      const deny = doc.Statement.find((s) => s.Effect === 'Deny')!;
      expect(allow).toMatchObject({ Principal: { AWS: '*' }, Action: 'lambda:InvokeFunction', Condition: { ArnLike: { 'aws:PrincipalArn': [invoker] } } });
      expect(deny).toMatchObject({ Principal: { AWS: '*' }, Action: ['lambda:InvokeFunction', 'lambda:InvokeAsync'] });
      const excepted = (deny.Condition as { ArnNotLike: Record<string, string[]> }).ArnNotLike['aws:PrincipalArn']!;
      expect(excepted[0]).toBe(invoker);
      expect(JSON.stringify(excepted)).toContain(':root');
      expect(JSON.stringify(excepted)).toContain('AWSReservedSSO_AdministratorAccess_');
    }
  });

  it('by default allows no one through the resource policy and denies all but the administrators', () => {
    const d = buildStack(twoPipelines, { bundle: false });
    try {
      const doc = policyOf(d, 'checkpoint-ops');
      expect(doc.Statement.map((s) => s.Effect)).toEqual(['Deny']);
    } finally {
      d.cleanup();
    }
  });

  it("runs dlq-replay in the MSK cluster's subnets and security groups, and lets Lambda manage its network interfaces there only", () => {
    const fn = b.resources[b.id(b.stack.operationFunctions['dlq-replay']!.function)]!;
    expect(fn.Properties.VpcConfig).toEqual({
      SubnetIds: ['subnet-0aa11bb22cc33dd44', 'subnet-0ee55ff66aa77bb88'],
      SecurityGroupIds: ['sg-0cc99dd00ee11ff22'],
    });
    expect(b.resources[b.id(b.stack.operationFunctions['checkpoint-ops']!.function)]!.Properties.VpcConfig).toBeUndefined();
    const g = grants(roleStatements(b, b.stack.operationFunctions['dlq-replay']!));
    expect([...g.get('ec2:CreateNetworkInterface')!].sort()).toEqual([
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*',
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/sg-0cc99dd00ee11ff22',
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:subnet/subnet-0aa11bb22cc33dd44',
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:subnet/subnet-0ee55ff66aa77bb88',
    ]);
  });

  it('fails the synth, naming the field, when an MSK pipeline with a DLQ has no subnets and security groups', () => {
    const orders = twoPipelines.pipelines.orders!;
    const { vpc: _none, ...source } = orders.source as Record<string, unknown>;
    expect(() => buildStack(withOrders({ source }), { bundle: false })).toThrow(
      /pipelines\.orders\.source\.vpc: required: dlq-replay replays orders to its MSK topic/,
    );
  });

  it('fails the synth when two MSK pipelines name different subnets (one function, one VPC)', () => {
    const orders = twoPipelines.pipelines.orders!;
    const other = {
      ...orders,
      source: { ...(orders.source as object), vpc: { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0cc99dd00ee11ff22'] } },
    };
    const config = { ...twoPipelines, pipelines: { ...twoPipelines.pipelines, refunds: other } } as unknown as StreamfixConfigInput;
    expect(() => buildStack(config, { bundle: false })).toThrow(/pipelines\.refunds\.source\.vpc: differs from pipelines\.orders\.source\.vpc/);
  });
});

/** Forty pipelines like payments (no MSK: no VPC needed), every playbook on. */
function fortyPipelines(): StreamfixConfigInput {
  const payments = twoPipelines.pipelines.payments!;
  const pipelines = Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => {
      const name = `pipeline-${String(i).padStart(2, '0')}`;
      return [
        name,
        {
          ...payments,
          job: {
            ...payments.job,
            applicationId: `00app${String(i).padStart(10, '0')}`,
            jobName: `${name}-stream`,
            checkpoint: `s3://lake-${i}/state/${name}/`,
          },
          dlq: { s3: `s3://lake-${i}/dlq/${name}/` },
          playbooks: {
            'checkpoint-failure': {
              bounds: {
                logGroupName: `/aws/emr-serverless/${name}`,
                bucketKmsKeyArn: `arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-6071-8293-${String(i).padStart(12, '0')}`,
              },
            },
          },
        },
      ];
    }),
  );
  return { ...twoPipelines, pipelines, routes: [] } as StreamfixConfigInput;
}

/** The size IAM counts (no whitespace) of a synthesized policy document, every reference at its longest. */
function deployedChars(doc: unknown): number {
  const fill = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map((p) => fill(p) as string).join(sep);
      }
      if ('Ref' in o)
        return (
          ({ 'AWS::Partition': 'aws-us-gov', 'AWS::Region': 'ap-southeast-5xx', 'AWS::AccountId': '123456789012' } as Record<string, string>)[String(o.Ref)] ??
          'r'.repeat(160)
        );
      if ('Fn::GetAtt' in o) return 'g'.repeat(160);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fill(x)]));
    }
    return v;
  };
  return JSON.stringify(fill(doc)).length;
}

describe('Template: per-role policy size within IAM limits (40 pipelines)', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(fortyPipelines(), { bundle: false });
  }, 120_000);
  afterAll(() => b?.cleanup());

  it('keeps every inline policy within 10,240 characters and every managed one within 6,144, at most 10 per role', () => {
    let managed = 0;
    for (const { id, fn } of b.functions()) {
      const role = b.resources[b.id(fn.role)]!;
      const inline = ((role.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).reduce((n, p) => n + deployedChars(p.PolicyDocument), 0);
      expect(inline, `${id}: inline`).toBeLessThanOrEqual(IAM_LIMITS.inlinePerRole);
      const attached = ((role.Properties.ManagedPolicyArns ?? []) as { Ref: string }[]).map((r) => b.resources[r.Ref] as CfnJson);
      expect(attached.length, id).toBeLessThanOrEqual(IAM_LIMITS.managedPerRole);
      for (const m of attached) expect(deployedChars(m.Properties.PolicyDocument), `${id}: managed`).toBeLessThanOrEqual(IAM_LIMITS.managedPolicy);
      managed += attached.length;
    }
    // The checkpoint-failure role alone needs far more than one inline policy for 40 pipelines.
    const cf = b.resources[b.id(b.stack.functions['checkpoint-failure']!.role)]!;
    expect((cf.Properties.ManagedPolicyArns ?? []).length).toBeGreaterThan(1);
    expect(managed).toBeGreaterThan(1);
  });

  it('grants exactly the declared permissions across the inline and managed policies', () => {
    for (const w of b.stack.wiring) {
      const actual = roleStatements(b, b.stack.functions[w.playbook]!);
      const expected = specStatements(b.stack, expectedPlaybookPermissions(b, w));
      expect(grants(actual), w.playbook).toEqual(grants(expected));
      expect(denials(actual), w.playbook).toEqual(denials(expected));
    }
    for (const w of b.stack.operationWiring) {
      const actual = roleStatements(b, b.stack.operationFunctions[w.operation]!);
      expect(grants(actual), w.operation).toEqual(grants(specStatements(b.stack, expectedOperationPermissions(b, w))));
    }
  });

  it('fails the synth with a clear message when a role would need more than 10 managed policies', () => {
    const stack = new Stack();
    const statements = Array.from({ length: 200 }, (_, i) => ({
      effect: 'Allow' as const,
      actions: [`s3:GetObject`],
      resources: [`arn:aws:s3:::bucket-${i}/${'k'.repeat(400)}/*`],
      conditions: { StringEquals: { 'aws:ResourceTag/n': String(i) } },
    }));
    expect(() => layoutPolicies(stack, 'function sfx-checkpoint-failure', statements)).toThrow(
      /function sfx-checkpoint-failure: its role needs about [\d,]+ characters of policy: 10,240 inline and \d+ managed policies of 6,144, over the 10 managed policies IAM attaches to a role/,
    );
  });
});
