import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aws, CfnResource, Validations, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { StreamfixConfig } from '../../lambdas/config';
import { parseConfig, type StreamfixConfigInput } from '../../lambdas/schema';
import type { Env, OperationWiring, PlaybookWiring } from '../../lambdas/wiring';
import { replayVpc } from '../../lib/access';
import { deadLetterFunctionPermissions, functionPermissions, operationPermissions, type RoleStatementSpec } from '../../lib/permissions';
import type { StreamfixFunction } from '../../lib/playbook-function';
import { StreamfixStack } from '../../lib/stack';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';

/** A CloudFormation resource as it appears in the synthesized template. */
export interface CfnJson {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation resource properties have a different shape per resource type
  Properties: Record<string, any>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The account, region and partition the stack builds its ARNs from (CloudFormation pseudo parameters). */
export const STACK_ENV: Env = { account: Aws.ACCOUNT_ID, region: Aws.REGION, partition: Aws.PARTITION };

/** One Lambda function of the stack: a playbook's or a manual operation's. */
export interface BuiltFunction {
  kind: 'playbook' | 'operation' | 'dead-letters';
  /** Playbook or operation id. */
  id: string;
  fn: StreamfixFunction;
}

export interface BuiltStack {
  config: StreamfixConfig;
  app: App;
  stack: StreamfixStack;
  template: Template;
  resources: Record<string, CfnJson>;
  /** The cloud assembly directory (templates, assets, validation report). */
  outdir: string;
  logicalId(resource: CfnResource): string;
  /** Logical id of a construct's CloudFormation resource (the construct itself or its default child). */
  id(construct: IConstruct): string;
  ofType(type: string): [string, CfnJson][];
  /** The one resource of `type`; throws when there is none or more than one. */
  single(type: string): CfnJson;
  /** Every playbook function, then every operation function, in the order the stack built them. */
  functions(): BuiltFunction[];
  cleanup(): void;
}

export interface BuildOptions {
  /** Run esbuild for the function assets. @default true */
  bundle?: boolean;
  /**
   * Validate as `cdk synth` does: cdk-nag's AwsSolutions checks (registered as bin/app.ts does)
   * and the CDK's built-in CloudFormation schema validation (slow, so off otherwise). @default false
   */
  validate?: boolean;
  /** The stack's environment, as `cdk synth` gives it from the machine's profile. @default none (environment-agnostic) */
  env?: { account: string; region: string };
}

/** Builds the stack in-process from a parsed config and synthesizes it into a temporary directory. */
export function buildStack(input: StreamfixConfigInput = twoPipelines, options: BuildOptions = {}): BuiltStack {
  const config = parseConfig(input);
  const outdir = mkdtempSync(join(tmpdir(), 'streamfix-cdk-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: options.validate === true,
    context: options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {},
  });
  const stack = new StreamfixStack(app, 'StreamfixTest', { config, ...(options.env ? { env: options.env } : {}) });
  if (options.validate) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnJson>;
  const cfnOf = (construct: IConstruct): CfnResource => {
    const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
    if (!(resource instanceof CfnResource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
    return resource;
  };
  return {
    config,
    app,
    stack,
    template,
    resources,
    outdir,
    logicalId: (resource) => stack.getLogicalId(resource),
    id: (construct) => stack.getLogicalId(cfnOf(construct)),
    ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type),
    single: (type) => {
      const found = Object.values(resources).filter((r) => r.Type === type);
      if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
      return found[0]!;
    },
    functions: () => [
      ...Object.entries(stack.functions).map(([id, fn]): BuiltFunction => ({ kind: 'playbook', id, fn })),
      ...Object.entries(stack.operationFunctions).map(([id, fn]): BuiltFunction => ({ kind: 'operation', id, fn })),
      { kind: 'dead-letters', id: 'dead-letters', fn: stack.deadLetterFunction },
    ],
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** A resolved CloudFormation value as one readable string: `arn:<AWS::Partition>:…`, `<Id.Arn>`, `<Id>`. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (o && Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  if (o && Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  if (o && typeof o.Ref === 'string') return `<${o.Ref}>`;
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

/* ---------------------------------------------------------------- IAM statements */

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** action → the resources (flattened) allowed for it, each with the condition it is allowed under. */
export type Grants = Map<string, Set<string>>;

export function grants(statements: readonly Statement[]): Grants {
  return byAction(statements, 'Allow');
}

/** The same for the explicit denies of the statements. */
export function denials(statements: readonly Statement[]): Grants {
  return byAction(statements, 'Deny');
}

function byAction(statements: readonly Statement[], effect: 'Allow' | 'Deny'): Grants {
  const out: Grants = new Map();
  for (const s of statements) {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`unexpected ${s.Effect} statement: ${JSON.stringify(s)}`);
    if (s.Effect !== effect) continue;
    for (const action of asArray(s.Action)) {
      const set = out.get(action) ?? new Set<string>();
      for (const r of asArray(s.Resource)) set.add(`${flat(r)}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`);
      out.set(action, set);
    }
  }
  return out;
}

/** Permission specs (as lib/permissions.ts lists them) in the shape of template statements, tokens resolved. */
export function specStatements(stack: Stack, specs: readonly Pick<RoleStatementSpec, 'actions' | 'resources' | 'conditions' | 'effect'>[]): Statement[] {
  return specs.map((s) => ({
    Effect: s.effect ?? 'Allow',
    Action: s.actions,
    Resource: s.resources.map((r) => stack.resolve(r) as unknown),
    ...(s.conditions ? { Condition: s.conditions } : {}),
  }));
}

/** Every statement of a role's inline policies and of the customer managed policies attached to it, as synthesized. */
export function roleStatements(b: BuiltStack, fn: StreamfixFunction): Statement[] {
  const role = b.resources[b.id(fn.role)]!;
  const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const managed = ((role.Properties.ManagedPolicyArns ?? []) as { Ref?: string }[]).map((ref) => {
    const policy = ref.Ref !== undefined ? b.resources[ref.Ref] : undefined;
    if (policy?.Type !== 'AWS::IAM::ManagedPolicy')
      throw new Error(`role ${b.id(fn.role)} has a managed policy that is not the stack's own: ${JSON.stringify(ref)}`);
    return policy.Properties.PolicyDocument as { Statement: Statement[] };
  });
  return [...policies.map((p) => p.PolicyDocument), ...managed].flatMap((d) => d.Statement);
}

/** What a playbook function's role must hold: `functionPermissions` over the stack's own resources. */
export function expectedPlaybookPermissions(b: BuiltStack, w: PlaybookWiring): RoleStatementSpec[] {
  const { stack, config } = b;
  const pf = stack.functions[w.playbook];
  if (!pf) throw new Error(`no function for playbook ${w.playbook}`);
  const pagerDuty = config.escalation.pagerDuty;
  return functionPermissions(config, w, STACK_ENV, {
    prefix: config.name,
    ...STACK_ENV,
    tableArn: stack.table.tableArn,
    topicArn: stack.escalation.topic.topicArn,
    topicKeyArn: stack.escalation.key.keyArn,
    // The secret's partial ARN, built from the config (the stack only references the secret by name).
    ...(pagerDuty ? { pagerDutySecretArn: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${pagerDuty.secretName}` } : {}),
    schedulerGroup: config.name,
    schedulerRoleArn: stack.schedulerRole.roleArn,
    // From the parameters' names and the stack's pseudo parameters (never the synth machine's region).
    pauseParameterArn: `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter/${config.name}/pause`,
    pipelinePauseParameterArns: Object.fromEntries(
      Object.keys(stack.pauseParameters.pipelines).map((p) => [
        p,
        `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter/${config.name}/pause/${p}`,
      ]),
    ),
    logGroupArn: pf.logGroup.logGroupArn,
    deadLetterQueueArn: stack.deadLetterQueue.queueArn,
  });
}

/** What an operation function's role must hold: `operationPermissions` over the stack's own resources. */
export function expectedOperationPermissions(b: BuiltStack, w: OperationWiring): RoleStatementSpec[] {
  const of = b.stack.operationFunctions[w.operation];
  if (!of) throw new Error(`no function for operation ${w.operation}`);
  const vpc = w.operation === 'dlq-replay' ? replayVpc(b.config, w) : undefined;
  return operationPermissions(b.config, w, STACK_ENV, { tableArn: b.stack.table.tableArn, logGroupArn: of.logGroup.logGroupArn, ...(vpc ? { vpc } : {}) });
}

/** What the dead-letter function's role must hold: `deadLetterFunctionPermissions` over the stack's own resources. */
export function expectedDeadLetterPermissions(b: BuiltStack): RoleStatementSpec[] {
  const { stack, config } = b;
  const pagerDuty = config.escalation.pagerDuty;
  return deadLetterFunctionPermissions({
    tableArn: stack.table.tableArn,
    topicArn: stack.escalation.topic.topicArn,
    topicKeyArn: stack.escalation.key.keyArn,
    ...(pagerDuty ? { pagerDutySecretArn: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${pagerDuty.secretName}` } : {}),
    queueArn: stack.deadLetterQueue.queueArn,
    logGroupArn: stack.deadLetterFunction.logGroup.logGroupArn,
    partition: STACK_ENV.partition,
  });
}

/* ---------------------------------------------------------------- cdk-nag */

/** An AwsSolutions finding: its rule (with the `[Resource::…]` part of a granular rule) and the resource it is about. */
export interface NagFinding {
  ruleName: string;
  logicalId: string;
}

export const nagKey = (f: NagFinding): string => `${f.logicalId} ${f.ruleName}`;

/**
 * The AwsSolutions findings a template must produce, worked out from the template alone:
 * - L1 for every Lambda function (each is pinned to the runtime its bundle is compiled for);
 * - SQS3 for every queue that neither has a dead-letter queue nor is one of another queue;
 * - IAM5, once per role and wildcard, for every action or resource of a role's policies that holds `*`.
 */
export function expectedNagFindings(resources: Record<string, CfnJson>): NagFinding[] {
  const out: NagFinding[] = [];
  const entries = Object.entries(resources);
  const redriveTargets = JSON.stringify(entries.map(([, r]) => r.Properties?.RedrivePolicy ?? null));
  for (const [logicalId, r] of entries) {
    if (r.Type === 'AWS::Lambda::Function') out.push({ ruleName: 'AwsSolutions-L1', logicalId });
    if (r.Type === 'AWS::SQS::Queue' && r.Properties.RedrivePolicy === undefined && !redriveTargets.includes(`"${logicalId}"`)) {
      out.push({ ruleName: 'AwsSolutions-SQS3', logicalId });
    }
    if (r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      const documents =
        r.Type === 'AWS::IAM::Role'
          ? ((r.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument)
          : [r.Properties.PolicyDocument];
      const wildcards = new Set<string>();
      // cdk-nag does not report the wildcards of a Deny: it can only take permissions away.
      for (const s of documents.flatMap((d) => (d as { Statement: Statement[] }).Statement).filter((x) => x.Effect === 'Allow')) {
        for (const a of asArray(s.Action)) if (a.includes('*')) wildcards.add(`Action::${a}`);
        for (const res of asArray(s.Resource)) if (flat(res).includes('*')) wildcards.add(`Resource::${flat(res)}`);
      }
      for (const w of wildcards) out.push({ ruleName: `AwsSolutions-IAM5[${w}]`, logicalId });
    }
  }
  return out;
}

export interface NagViolation {
  ruleName: string;
  severity?: string;
  reason?: string;
  acknowledgedId?: string;
  acknowledgedAt?: string;
  violatingConstructs?: { constructPath: string }[];
}

export interface NagPluginReport {
  pluginName: string;
  conclusion: string;
  violations: NagViolation[];
  suppressedViolations?: NagViolation[];
}
