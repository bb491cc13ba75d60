import type { CfnResource } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmRulePattern } from '../../lambdas/core/wiring';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { buildStack, getAttArn, type BuiltStack } from './fixture';

describe('Stack: EventBridge rules', () => {
  let b: BuiltStack;
  let fnId: string;
  let dlqId: string;
  beforeAll(() => {
    b = buildStack(twoPipelines, { bundle: false });
    fnId = b.logicalId(b.stack.functions['job-failed']!.function.node.defaultChild as CfnResource);
    dlqId = b.logicalId(b.stack.deadLetterQueue.node.defaultChild as CfnResource);
  });
  afterAll(() => b.cleanup());

  const rule = (name: string) => {
    const found = b.ofType('AWS::Events::Rule').find(([, r]) => r.Properties.Name === name);
    if (!found) throw new Error(`no rule named ${name}`);
    return found;
  };

  it('sends the state changes of every alarm of the playbook, including config routes, to its function', () => {
    const [, r] = rule('sfx-job-failed-alarms');
    const names = [
      'sfx-orders-job-failed-failed-runs',
      'sfx-orders-job-failed-not-running',
      'sfx-payments-job-failed-failed-runs',
      'sfx-payments-job-failed-not-running',
      'payments-composite-job-health',
    ];
    expect(r.Properties.EventPattern).toEqual(alarmRulePattern(names));
    expect(r.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: names },
    });
  });

  it.each([
    ['sfx-orders-job-failed-job-run-ended', '00ordersapp0001'],
    ['sfx-payments-job-failed-job-run-ended', '00paymentsapp02'],
  ])('builds %s from the manifest event rule of the pipeline', (name, applicationId) => {
    const [, r] = rule(name);
    expect(r.Properties.EventPattern).toEqual({
      source: ['aws.emr-serverless'],
      'detail-type': ['EMR Serverless Job Run State Change'],
      detail: { applicationId: [applicationId], state: ['FAILED', 'CANCELLED'] },
    });
  });

  it('targets the function from every rule, with retries and the dead-letter queue', () => {
    const rules = b.ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(3);
    for (const [, r] of rules) {
      expect(r.Properties.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: getAttArn(fnId),
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: getAttArn(dlqId) },
        },
      ]);
    }
  });

  it('lets each rule, and only its rules, invoke the function', () => {
    const permissions = b.ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
    const rules = b.ofType('AWS::Events::Rule');
    expect(permissions).toHaveLength(rules.length);
    for (const [ruleId] of rules) {
      const matching = permissions.filter((p) => JSON.stringify(p.SourceArn) === JSON.stringify(getAttArn(ruleId)));
      expect(matching).toEqual([
        { Action: 'lambda:InvokeFunction', FunctionName: getAttArn(fnId), Principal: 'events.amazonaws.com', SourceArn: getAttArn(ruleId) },
      ]);
    }
  });

  it('lets each rule, and nothing else, send undeliverable events to the dead-letter queue', () => {
    const policy = b.single('AWS::SQS::QueuePolicy');
    const allows = (policy.Properties.PolicyDocument.Statement as Record<string, any>[]).filter((s) => s.Effect === 'Allow'); // eslint-disable-line @typescript-eslint/no-explicit-any
    const sources = allows.map((s) => {
      expect(s).toMatchObject({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' }, Resource: getAttArn(dlqId) });
      return JSON.stringify(s.Condition.ArnEquals['aws:SourceArn']);
    });
    expect(sources.sort()).toEqual(b.ofType('AWS::Events::Rule').map(([id]) => JSON.stringify(getAttArn(id))).sort());
  });
});

describe('Stack: alarms', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(twoPipelines, { bundle: false });
  });
  afterAll(() => b.cleanup());

  const alarm = (name: string) => {
    const found = b.ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === name);
    if (!found) throw new Error(`no alarm named ${name}`);
    return found[1].Properties;
  };

  it('creates every manifest alarm of every wired pipeline, and the dead-letter alarm', () => {
    expect(b.ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName).sort()).toEqual([
      'sfx-dead-letters',
      'sfx-orders-job-failed-failed-runs',
      'sfx-orders-job-failed-not-running',
      'sfx-payments-job-failed-failed-runs',
      'sfx-payments-job-failed-not-running',
    ]);
  });

  it.each([
    ['orders', '00ordersapp0001'],
    ['payments', '00paymentsapp02'],
  ])('watches the %s application with the manifest thresholds, without alarm actions', (pipeline, applicationId) => {
    expect(alarm(`sfx-${pipeline}-job-failed-failed-runs`)).toMatchObject({
      Namespace: 'AWS/EMRServerless',
      MetricName: 'FailedJobs',
      Dimensions: [{ Name: 'ApplicationId', Value: applicationId }],
      Statistic: 'Sum',
      Period: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      ActionsEnabled: false,
    });
    const notRunning = alarm(`sfx-${pipeline}-job-failed-not-running`);
    expect(notRunning).toMatchObject({
      Namespace: 'AWS/EMRServerless',
      MetricName: 'RunningJobs',
      Dimensions: [{ Name: 'ApplicationId', Value: applicationId }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      ActionsEnabled: false,
    });
    expect(notRunning.AlarmActions).toBeUndefined();
  });

  it('matches each alarm to its wired spec field by field', () => {
    for (const w of b.stack.wiring[0]!.alarms) {
      const a = alarm(w.name);
      expect(a.Namespace).toBe(w.spec.metric.namespace);
      expect(a.MetricName).toBe(w.spec.metric.metricName);
      expect(a.Dimensions).toEqual(Object.entries(w.spec.metric.dimensions).map(([Name, Value]) => ({ Name, Value })));
      expect([a.Statistic, a.Period, a.ComparisonOperator, a.Threshold]).toEqual([
        w.spec.metric.statistic,
        w.spec.metric.periodSeconds,
        w.spec.comparison,
        w.spec.threshold,
      ]);
      expect([a.EvaluationPeriods, a.DatapointsToAlarm, a.TreatMissingData]).toEqual([
        w.spec.evaluationPeriods,
        w.spec.datapointsToAlarm,
        w.spec.treatMissingData,
      ]);
    }
  });

  it('notifies the escalation topic as soon as one message waits in the dead-letter queue', () => {
    const topicId = b.logicalId(b.stack.escalation.topic.node.defaultChild as CfnResource);
    const queueId = b.logicalId(b.stack.deadLetterQueue.node.defaultChild as CfnResource);
    expect(alarm('sfx-dead-letters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });
});
