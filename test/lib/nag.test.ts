import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations, type CfnResource } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { buildStack, type BuiltStack } from './fixture';

interface Violation {
  ruleName: string;
  severity: string;
  reason?: string;
  acknowledgedAt?: string;
}
interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: Violation[];
  suppressedViolations?: Violation[];
}

describe('Stack: cdk-nag AwsSolutions', () => {
  let b: BuiltStack;
  let reports: PluginReport[];
  beforeAll(() => {
    // app.synth() throws when a plugin reports an error, so reaching the report means none did
    b = buildStack(twoPipelines, { bundle: false, validate: true });
    reports = (JSON.parse(readFileSync(join(b.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] }).pluginReports;
  }, 120_000);
  afterAll(() => b.cleanup());

  const nag = () => reports.find((r) => r.pluginName === 'AwsSolutions');

  it('reports no unacknowledged error or warning, from cdk-nag or the CloudFormation schema checks', () => {
    expect(nag()?.conclusion).toBe('success');
    for (const r of reports) expect(r.violations, r.pluginName).toEqual([]);
  });

  it('acknowledges exactly these findings, each one real (no stale acknowledgement)', () => {
    const ledger = b.logicalId(b.stack.table.node.defaultChild as CfnResource);
    const arn = (service: string, rest: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${rest}`;
    expect((nag()?.suppressedViolations ?? []).map((v) => v.ruleName).sort()).toEqual(
      [
        'AwsSolutions-L1',
        'AwsSolutions-SQS3',
        `AwsSolutions-IAM5[Resource::<${ledger}.Arn>/index/*]`,
        `AwsSolutions-IAM5[Resource::${arn('emr-serverless', '/applications/00ordersapp0001/jobruns/*')}]`,
        `AwsSolutions-IAM5[Resource::${arn('emr-serverless', '/applications/00paymentsapp02/jobruns/*')}]`,
        `AwsSolutions-IAM5[Resource::${arn('scheduler', 'schedule/sfx/*')}]`,
      ].sort(),
    );
  });

  it('acknowledges each finding on the resource it concerns, with a reason, never on the stack', () => {
    const expectedAt: Record<string, string> = {
      'AwsSolutions-L1': 'StreamfixTest/Playbook-job-failed/Function',
      'AwsSolutions-SQS3': 'StreamfixTest/DeadLetters',
      'AwsSolutions-IAM5': 'StreamfixTest/Playbook-job-failed/Role',
    };
    const suppressed = nag()?.suppressedViolations ?? [];
    expect(suppressed.length).toBeGreaterThan(0);
    for (const v of suppressed) expect(v.acknowledgedAt, v.ruleName).toBe(expectedAt[v.ruleName.replace(/\[.*$/, '')]);
    for (const v of nag()?.suppressedViolations ?? []) expect(v.reason?.length, v.ruleName).toBeGreaterThan(60);
    const onStack = b.stack.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(onStack).toEqual([]);
  });
});
