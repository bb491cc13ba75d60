import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionName } from '../../lambdas/core/names';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { asArray, buildStack, flat, getAttArn, type BuiltStack, type Statement } from './fixture';

describe('Stack: shared resources', () => {
  let b: BuiltStack;
  const id = (r: IConstruct) => b.id(r);
  beforeAll(() => {
    b = buildStack(twoPipelines, { bundle: false });
  });
  afterAll(() => b?.cleanup());

  it('creates the ledger table as lambdas/ledger/table.ts describes it, kept when the stack goes', () => {
    const table = b.single('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      TableName: 'sfx-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('encrypts the escalation topic with a rotated key and subscribes every configured address', () => {
    const topic = b.stack.escalation.topic;
    b.template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'sfx-escalations',
      KmsMasterKeyId: getAttArn(id(b.stack.escalation.key)),
    });
    b.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const emails = b.ofType('AWS::SNS::Subscription').map(([, s]) => {
      expect(s.Properties).toMatchObject({ Protocol: 'email', TopicArn: { Ref: id(topic) } });
      return s.Properties.Endpoint;
    });
    expect(emails.sort()).toEqual(['data-platform@example.com', 'oncall@example.com']);
  });

  it('denies publishing to the topic without SSL', () => {
    b.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: id(b.stack.escalation.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch publish to the topic only for the dead-letter alarm, and use the key only for this topic', () => {
    const policy = b.single('AWS::SNS::TopicPolicy');
    // biome-ignore lint/suspicious/noExplicitAny: IAM statements in the synthesized template are untyped JSON
    const allow = (policy.Properties.PolicyDocument.Statement as Record<string, any>[]).filter((s) => s.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0]).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' });
    expect(JSON.stringify(allow[0]!.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:sfx-dead-letters');
    b.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('keeps failed invocations in an encrypted, SSL-only dead-letter queue', () => {
    b.template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'sfx-dead-letters', SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    b.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('creates the schedule group and a scheduler role that can invoke exactly the playbook functions', () => {
    b.template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'sfx' });
    const role = b.resources[id(b.stack.schedulerRole)]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const statements = role.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement) as Statement[];
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'lambda:InvokeFunction' });
    // A follow-up it cannot deliver goes to the dead-letter queue, and nowhere else.
    expect(statements[1]).toMatchObject({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [id(b.stack.deadLetterQueue), 'Arn'] } });
    expect(statements[0]!.Condition).toBeUndefined();
    // Prepare: the functions of the wired playbooks, by the name the stack gives them
    const functionArn = (fn: string) => `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${fn}`;
    const playbooks = b.stack.wiring.map((w) => functionArn(functionName('sfx', w.playbook)));
    const deployedName = (fn: IConstruct) => b.resources[id(fn)]!.Properties.FunctionName as string;
    expect(Object.values(b.stack.functions).map((pf) => functionArn(deployedName(pf.function)))).toEqual(playbooks);
    // Assess: every playbook function, and none of the operation functions
    expect(asArray(statements[0]!.Resource).map(flat).sort()).toEqual([...playbooks].sort());
    expect(playbooks).toContain(functionArn('sfx-job-failed'));
    expect(Object.keys(b.stack.operationFunctions).length).toBeGreaterThan(0);
    for (const of of Object.values(b.stack.operationFunctions)) {
      expect(playbooks).not.toContain(functionArn(deployedName(of.function)));
    }
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('creates the global and per-pipeline pause parameters, all "off"', () => {
    const params = b.ofType('AWS::SSM::Parameter').map(([, p]) => [p.Properties.Name, p.Properties.Value, p.Properties.Type]);
    expect(params.sort()).toEqual([
      ['/sfx/pause', 'off', 'String'],
      ['/sfx/pause/orders', 'off', 'String'],
      ['/sfx/pause/payments', 'off', 'String'],
    ]);
  });

  it('outputs the table name, the topic ARN and the name of every function', () => {
    const outputs = b.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.LedgerTableName!.Value).toEqual({ Ref: id(b.stack.table) });
    expect(outputs.EscalationTopicArn!.Value).toEqual({ Ref: id(b.stack.escalation.topic) });
    expect(outputs.FunctionNameJobFailed!.Value).toEqual({ Ref: id(b.stack.functions['job-failed']!.function) });
    const outputOf = (fn: { function: IConstruct }) =>
      Object.entries(outputs)
        .filter(([, o]) => JSON.stringify(o.Value) === JSON.stringify({ Ref: id(fn.function) }))
        .map(([key]) => key);
    for (const w of b.stack.wiring) {
      expect(outputOf(b.stack.functions[w.playbook]!), w.playbook).toEqual([expect.stringMatching(/^FunctionName[A-Z][A-Za-z]+$/)]);
    }
    for (const w of b.stack.operationWiring) {
      expect(outputOf(b.stack.operationFunctions[w.operation]!), w.operation).toEqual([expect.stringMatching(/^OperationFunctionName[A-Z][A-Za-z]+$/)]);
    }
  });
});

describe('StreamfixStack: DLQ metrics', () => {
  it('refuses to synthesize two pipelines whose DLQ alarms would share one metric, naming them', () => {
    const shared = structuredClone(twoPipelines) as { pipelines: Record<string, { playbooks?: Record<string, unknown> }> };
    for (const p of Object.values(shared.pipelines))
      p.playbooks = { ...(p.playbooks ?? {}), 'dlq-spike': { bounds: { metric: { namespace: 'shop', metricName: 'DLQRecordCount' } } } };
    expect(() => buildStack(shared as typeof twoPipelines, { bundle: false })).toThrow(/pipelines orders, payments share the DLQ metric shop\/DLQRecordCount/);
  });
});
