import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { alarmName } from '../../lambdas/core/names';
import { alarmRulePattern, buildWiring, type PlaybookWiring } from '../../lambdas/wiring';
import { ruleNameOrGenerated } from '../../lib/rules';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { STACK_ENV, buildStack, getAttArn, type BuiltStack, type CfnJson } from './fixture';

const playbookIds = buildWiring(parseConfig(twoPipelines), STACK_ENV).map((w) => w.playbook);

/** The names of the rules that start a playbook: its alarm rule (when it has alarms) and one per manifest event rule. */
const ruleNamesOf = (prefix: string, w: PlaybookWiring): string[] => [
  ...(w.alarmNames.length > 0 ? [`${prefix}-${w.playbook}-alarms`] : []),
  ...w.rules.map((r) => r.name),
];
/** The scheduled sweep of each playbook function, and the rule of its pause parameters' changes (a lifted pause re-evaluates). */
const sweepRuleOf = (prefix: string, w: PlaybookWiring): string => `${prefix}-${w.playbook}-sweep`;
const resumeRuleOf = (prefix: string, w: PlaybookWiring): string => `${prefix}-${w.playbook}-resume`;

let b: BuiltStack;
let dlqId: string;
beforeAll(() => {
  b = buildStack(twoPipelines, { bundle: false });
  dlqId = b.id(b.stack.deadLetterQueue);
});
afterAll(() => b?.cleanup());

const wiringOf = (playbook: string) => {
  const w = b.stack.wiring.find((x) => x.playbook === playbook);
  if (!w) throw new Error(`playbook ${playbook} is not wired`);
  return w;
};
const fnIdOf = (playbook: string) => b.id(b.stack.functions[playbook]!.function);

describe('Stack: EventBridge rules', () => {
  const rule = (name: string): [string, CfnJson] => {
    const found = b.ofType('AWS::Events::Rule').find(([, r]) => r.Properties.Name === name);
    if (!found) throw new Error(`no rule named ${name}`);
    return found;
  };

  it('builds exactly the rules of the wiring: one per playbook with alarms, one per manifest event rule and pipeline, one sweep and one resume per playbook', () => {
    const expected = b.stack.wiring.flatMap((w) => [...ruleNamesOf(b.config.name, w), sweepRuleOf(b.config.name, w), resumeRuleOf(b.config.name, w)]);
    for (const name of expected) expect(ruleNameOrGenerated(name), `${name} is short enough to be named`).toBe(name);
    expect(
      b
        .ofType('AWS::Events::Rule')
        .map(([, r]) => r.Properties.Name as string)
        .sort(),
    ).toEqual([...expected].sort());
  });

  it.each(playbookIds)('sends %s the state changes of every alarm of its wiring, config routes included', (playbook) => {
    const w = wiringOf(playbook);
    expect(w.alarmNames.length, 'the fixture gives every playbook alarms').toBeGreaterThan(0);
    const [, r] = rule(`sfx-${playbook}-alarms`);
    expect(r.Properties.EventPattern).toEqual(alarmRulePattern(w.alarmNames));
    expect(r.Properties.State).toBe('ENABLED');
  });

  it('job-failed: includes the config route with the stack alarms of both pipelines', () => {
    const [, r] = rule('sfx-job-failed-alarms');
    const names = [
      'sfx-orders-job-failed-failed-runs',
      'sfx-orders-job-failed-not-running',
      'sfx-payments-job-failed-failed-runs',
      'sfx-payments-job-failed-not-running',
      'payments-composite-job-health',
    ];
    expect(r.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: names },
    });
  });

  it('builds each manifest event rule of each pipeline from its spec', () => {
    const wired = b.stack.wiring.flatMap((w) => w.rules);
    expect(wired.length).toBeGreaterThan(0);
    for (const w of wired) {
      const [, r] = rule(w.name);
      expect(r.Properties.EventPattern, w.name).toEqual(w.spec.pattern);
      expect(r.Properties.Description, w.name).toContain(w.spec.description.slice(0, 100));
    }
  });

  it('job-failed: builds one job-run rule for both pipelines from the manifest event rule', () => {
    const [, r] = rule('sfx-job-failed-job-run-ended');
    expect(r.Properties.EventPattern).toEqual({
      source: ['aws.emr-serverless'],
      'detail-type': ['EMR Serverless Job Run State Change'],
      detail: { applicationId: ['00ordersapp0001', '00paymentsapp02'], state: ['FAILED', 'CANCELLED'] },
    });
  });

  it.each(playbookIds)('targets the %s function from each of its rules, with retries and the dead-letter queue', (playbook) => {
    for (const name of ruleNamesOf(b.config.name, wiringOf(playbook))) {
      const [, r] = rule(name);
      expect(r.Properties.Targets, name).toEqual([
        {
          Id: 'Target0',
          Arn: getAttArn(fnIdOf(playbook)),
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: getAttArn(dlqId) },
        },
      ]);
    }
  });

  it.each(playbookIds)('lets each rule of %s, and only its rules, invoke its function', (playbook) => {
    // Prepare
    const fnArn = JSON.stringify(getAttArn(fnIdOf(playbook)));
    const ruleIds = [
      ...ruleNamesOf(b.config.name, wiringOf(playbook)),
      sweepRuleOf(b.config.name, wiringOf(playbook)),
      resumeRuleOf(b.config.name, wiringOf(playbook)),
    ].map((name) => rule(name)[0]);
    // Act
    const permissions = b
      .ofType('AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => JSON.stringify(p.FunctionName) === fnArn);
    // Assess: one permission per rule, scoped to that rule
    expect(permissions.map((p) => JSON.stringify(p.SourceArn)).sort()).toEqual(ruleIds.map((id) => JSON.stringify(getAttArn(id))).sort());
    for (const p of permissions) {
      expect(p).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: getAttArn(fnIdOf(playbook)),
        Principal: 'events.amazonaws.com',
        SourceArn: p.SourceArn,
      });
    }
  });

  it.each(playbookIds)('sweeps %s every 5 minutes with the sweep payload, retried and dead-lettered', (playbook) => {
    const [, r] = rule(sweepRuleOf(b.config.name, wiringOf(playbook)));
    expect(r.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(r.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: getAttArn(fnIdOf(playbook)),
        Input: JSON.stringify({ streamfix: 'sweep' }),
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: getAttArn(dlqId) },
      },
    ]);
  });

  it('lets no rule and nothing else invoke a function: one permission per rule in all', () => {
    const permissions = b.ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions).toHaveLength(b.ofType('AWS::Events::Rule').length);
    const playbookFns = new Set(Object.keys(b.stack.functions).map((p) => JSON.stringify(getAttArn(fnIdOf(p)))));
    for (const p of permissions) expect(playbookFns.has(JSON.stringify(p.FunctionName)), JSON.stringify(p.FunctionName)).toBe(true);
  });

  it('gives the operation functions no rule and no EventBridge permission', () => {
    expect(Object.keys(b.stack.operationFunctions).length).toBeGreaterThan(0);
    for (const [operation, of] of Object.entries(b.stack.operationFunctions)) {
      const id = b.id(of.function);
      const mentions = (r: CfnJson) => JSON.stringify(r.Properties).includes(`"${id}"`);
      expect(
        b.ofType('AWS::Events::Rule').filter(([, r]) => mentions(r)),
        operation,
      ).toEqual([]);
      expect(
        b.ofType('AWS::Lambda::Permission').filter(([, p]) => mentions(p)),
        operation,
      ).toEqual([]);
    }
  });

  it('lets each rule, and nothing else, send undeliverable events to the dead-letter queue', () => {
    const policy = b.single('AWS::SQS::QueuePolicy');
    // biome-ignore lint/suspicious/noExplicitAny: IAM statements in the synthesized template are untyped JSON
    const allows = (policy.Properties.PolicyDocument.Statement as Record<string, any>[]).filter((s) => s.Effect === 'Allow');
    const sources = allows.map((s) => {
      expect(s).toMatchObject({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' }, Resource: getAttArn(dlqId) });
      return JSON.stringify(s.Condition.ArnEquals['aws:SourceArn']);
    });
    expect(sources.sort()).toEqual(
      b
        .ofType('AWS::Events::Rule')
        .map(([id]) => JSON.stringify(getAttArn(id)))
        .sort(),
    );
  });
});

describe('Stack: alarms', () => {
  const alarm = (name: string) => {
    const found = b.ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === name);
    if (!found) throw new Error(`no alarm named ${name}`);
    return found[1].Properties;
  };

  it('creates exactly the alarms of the wiring, named by alarmName, and the dead-letter alarm', () => {
    const wired = b.stack.wiring.flatMap((w) => w.alarms);
    for (const a of wired) expect(a.name).toBe(alarmName(b.config.name, a.pipeline, a.playbook, a.spec.signal));
    expect(
      b
        .ofType('AWS::CloudWatch::Alarm')
        .map(([, a]) => a.Properties.AlarmName)
        .sort(),
    ).toEqual([...wired.map((a) => a.name), 'sfx-dead-letters'].sort());
  });

  it.each(playbookIds)('%s: matches each alarm to its manifest spec field by field, without alarm actions', (playbook) => {
    const w = wiringOf(playbook);
    expect(w.alarms.length).toBeGreaterThan(0);
    for (const spec of w.alarms) {
      const a = alarm(spec.name);
      const m = spec.spec.metric;
      expect([a.Namespace, a.MetricName, a.Statistic, a.Period], spec.name).toEqual([m.namespace, m.metricName, m.statistic, m.periodSeconds]);
      expect(a.Dimensions ?? [], spec.name).toEqual(Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })));
      expect([a.ComparisonOperator, a.Threshold, a.EvaluationPeriods, a.DatapointsToAlarm, a.TreatMissingData], spec.name).toEqual([
        spec.spec.comparison,
        spec.spec.threshold,
        spec.spec.evaluationPeriods,
        spec.spec.datapointsToAlarm,
        spec.spec.treatMissingData,
      ]);
      expect(a.AlarmDescription, spec.name).toBe(spec.spec.description);
      expect(a.ActionsEnabled, spec.name).toBe(false);
      expect(a.AlarmActions, spec.name).toBeUndefined();
      expect(a.OKActions, spec.name).toBeUndefined();
    }
  });

  it.each([
    // orders: no release configured: ApplicationId only, and missing data is not a failure.
    ['orders', [{ Name: 'ApplicationId', Value: '00ordersapp0001' }], 'missing'],
    // payments on EMR 7.10: the metrics carry ApplicationId and ApplicationName, and are known to be published.
    [
      'payments',
      [
        { Name: 'ApplicationId', Value: '00paymentsapp02' },
        { Name: 'ApplicationName', Value: 'payments-streaming' },
      ],
      'breaching',
    ],
  ])('job-failed: watches the %s application on the dimensions of its release, with the manifest thresholds', (pipeline, dimensions, notRunningMissing) => {
    expect(alarm(`sfx-${pipeline}-job-failed-failed-runs`)).toMatchObject({
      Namespace: 'AWS/EMRServerless',
      MetricName: 'FailedJobs',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      ActionsEnabled: false,
    });
    expect(alarm(`sfx-${pipeline}-job-failed-not-running`)).toMatchObject({
      Namespace: 'AWS/EMRServerless',
      MetricName: 'RunningJobs',
      Dimensions: dimensions,
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: notRunningMissing,
      ActionsEnabled: false,
    });
  });

  it('notifies the escalation topic as soon as one message waits in the dead-letter queue', () => {
    expect(alarm('sfx-dead-letters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: b.id(b.stack.escalation.topic) }],
    });
  });
});
