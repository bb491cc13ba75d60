import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnResource, Validations } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAG_NAMESPACE, NO_RESOURCE_LEVEL_ACTIONS } from '../../lib/nag';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import {
  buildStack,
  expectedNagFindings,
  grants,
  nagKey,
  roleStatements,
  type BuiltStack,
  type NagPluginReport,
  type NagViolation,
  type Statement,
} from './fixture';

// Two EMR Serverless pipelines; and one EMR Serverless pipeline next to Managed Flink ones (Kinesis and MSK sources).
describe.each([
  ['two EMR Serverless pipelines', twoPipelines],
  ['EMR Serverless and Managed Flink pipelines', emrAndFlink],
])('Stack: cdk-nag AwsSolutions (%s)', (_name, config) => {
  let b: BuiltStack;
  let reports: NagPluginReport[];
  /** construct path → logical id of every CloudFormation resource of the stack. */
  let logicalIdAt: Map<string, string>;
  beforeAll(() => {
    // app.synth() throws when a plugin reports an error, so reaching the report means none did
    b = buildStack(config, { bundle: false, validate: true });
    reports = (JSON.parse(readFileSync(join(b.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: NagPluginReport[] }).pluginReports;
    logicalIdAt = new Map(
      b.stack.node
        .findAll()
        .filter((c): c is CfnResource => c instanceof CfnResource)
        .map((c) => [c.node.path, b.logicalId(c)]),
    );
  }, 120_000);
  afterAll(() => b?.cleanup());

  const nag = () => {
    const report = reports.find((r) => r.pluginName === 'AwsSolutions');
    if (!report) throw new Error('no AwsSolutions report');
    return report;
  };
  const suppressed = (): NagViolation[] => nag().suppressedViolations ?? [];
  /** The one resource a finding is about, by logical id. */
  const findingOf = (v: NagViolation) => {
    const paths = (v.violatingConstructs ?? []).map((c) => c.constructPath);
    expect(paths, v.ruleName).toHaveLength(1);
    const logicalId = logicalIdAt.get(paths[0]!);
    if (logicalId === undefined) throw new Error(`${v.ruleName}: no resource at ${paths[0]}`);
    return { ruleName: v.ruleName, logicalId };
  };

  it('reports no unacknowledged error or warning, from cdk-nag or the CloudFormation schema checks', () => {
    expect(nag().conclusion).toBe('success');
    for (const r of reports) expect(r.violations, r.pluginName).toEqual([]);
  });

  it('builds a function for every playbook and operation of the config, so every kind of finding is checked', () => {
    expect(
      b
        .functions()
        .map((f) => f.id)
        .sort(),
    ).toEqual([...b.stack.wiring.map((w) => w.playbook), ...b.stack.operationWiring.map((w) => w.operation), 'dead-letters'].sort());
    expect(b.ofType('AWS::Lambda::Function')).toHaveLength(b.functions().length);
  });

  it('acknowledges exactly the findings the template holds: L1 per function, SQS3, IAM5 per role and wildcard', () => {
    // Prepare: what the template must be flagged for, worked out from the template itself
    const expected = expectedNagFindings(b.resources).map(nagKey).sort();
    // Act
    const actual = suppressed().map(findingOf).map(nagKey).sort();
    // Assess: nothing flagged that is not explained, and every explanation still flagged
    expect(actual).toEqual(expected);
    expect(new Set(actual).size).toBe(actual.length);
  });

  it('expects the wildcards of each function role from its permissions: "*" only for actions without resource-level permissions', () => {
    const fromTemplate = expectedNagFindings(b.resources).filter((f) => f.ruleName.startsWith('AwsSolutions-IAM5'));
    const fromPermissions = b.functions().flatMap(({ fn }) => {
      const roleId = b.id(fn.role);
      const g = grants(roleStatements(b, fn));
      const star = [...g].filter(([, resources]) => resources.has('*')).map(([action]) => action);
      for (const action of star) expect(NO_RESOURCE_LEVEL_ACTIONS.has(action), `${fn.node.path}: ${action} on "*"`).toBe(true);
      // A grant's resource, without the condition it may carry (` if {…}`, whose values can hold `*`).
      const wildcards = new Set(
        [...g.values()]
          .flatMap((s) => [...s])
          .map((r) => r.split(' if {')[0]!)
          .filter((r) => r.includes('*')),
      );
      return [...wildcards].map((r) => ({ ruleName: `AwsSolutions-IAM5[Resource::${r}]`, logicalId: roleId }));
    });
    expect(fromPermissions.map(nagKey).sort()).toEqual(fromTemplate.map(nagKey).sort());
  });

  it('acknowledges nothing that is not reported: every acknowledgement in the construct tree matches a finding', () => {
    const acknowledged = b.stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) => Object.keys(m.data as Record<string, string>).map((id) => `${c.node.path} ${id}`)),
      );
    expect(acknowledged.sort()).toEqual(
      suppressed()
        .map((v) => `${v.acknowledgedAt} ${v.acknowledgedId}`)
        .sort(),
    );
    for (const v of suppressed()) expect(v.acknowledgedId).toBe(`${NAG_NAMESPACE}::${v.ruleName}`);
  });

  it('acknowledges each finding on the resource it concerns, with a reason, never on the stack', () => {
    expect(suppressed().length).toBeGreaterThan(0);
    for (const v of suppressed()) {
      const [path] = (v.violatingConstructs ?? []).map((c) => c.constructPath);
      expect(path, v.ruleName).toMatch(/\/Resource$/);
      expect(`${v.acknowledgedAt}/Resource`, v.ruleName).toBe(path);
      expect(v.reason?.length, v.ruleName).toBeGreaterThan(60);
    }
    const at = (rule: string) =>
      new Set(
        suppressed()
          .filter((v) => v.ruleName.startsWith(rule))
          .map((v) => v.acknowledgedAt),
      );
    expect(at('AwsSolutions-L1')).toEqual(new Set(b.functions().map(({ fn }) => fn.function.node.path)));
    expect(at('AwsSolutions-SQS3')).toEqual(new Set([b.stack.deadLetterQueue.node.path]));
    const roles = new Set(b.functions().map(({ fn }) => fn.role.node.path));
    for (const path of at('AwsSolutions-IAM5')) expect(roles, path).toContain(path);
    const onStack = b.stack.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(onStack).toEqual([]);
  });

  it('explains a wildcard by what it covers, and "*" by exactly the actions the role uses it for', () => {
    const stars = suppressed().filter((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    expect(stars.length).toBeGreaterThan(0);
    for (const v of stars) {
      const role = b.resources[findingOf(v).logicalId]!;
      const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
      const onStar = [...grants(statements)].filter(([, resources]) => resources.has('*')).map(([action]) => action);
      expect(v.reason, v.acknowledgedAt).toMatch(new RegExp(`^Only ${[...new Set(onStar)].sort().join(', ')} use "\\*"`));
    }
    const reasons = new Map(suppressed().map((v) => [v.ruleName, v.reason ?? '']));
    const ledger = b.id(b.stack.table);
    expect(reasons.get(`AwsSolutions-IAM5[Resource::<${ledger}.Arn>/index/*]`)).toMatch(/secondary indexes/);
    for (const [rule, reason] of reasons) {
      if (rule.includes('/jobruns/*')) expect(reason, rule).toMatch(/job run id/);
      if (rule.includes(':s3:::')) expect(reason, rule).toMatch(/prefix/);
      if (rule.includes(':schedule/')) expect(reason, rule).toMatch(/schedule group/);
      if (rule.includes(':log-group:')) expect(reason, rule).toMatch(/log group the config names/);
    }
  });
});
