import * as iam from 'aws-cdk-lib/aws-iam';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { enginePermissions, type EnginePermissionContext, type EnginePermissionSpec } from '../lambdas/core/permissions';
import { operationPipelineContext, pipelineContext, type Env, type OperationWiring, type PlaybookWiring } from '../lambdas/core/wiring';
import type { PermissionSpec } from '../lambdas/playbooks/types';

/**
 * What a playbook function's role holds, as data: the manifest's permissions for each wired
 * pipeline, the engine's, and what the Lambda runtime itself needs. The role is built from
 * this list and nothing else (see PlaybookFunction), so a test can compare the two exactly.
 */

/** One statement's worth of permission, from any source. */
export type RoleStatementSpec = Pick<EnginePermissionSpec, 'actions' | 'resources' | 'why' | 'conditions'>;

/** The manifest's permissions for every pipeline the playbook is wired to. */
export function playbookPermissions(config: StreamfixConfig, wiring: PlaybookWiring, env: Env): PermissionSpec[] {
  return wiring.pipelines.flatMap((name) => {
    const pipeline = config.pipelines[name];
    if (pipeline === undefined) throw new Error(`wiring names pipeline "${name}", which the config does not have`);
    return wiring.manifest.permissions(pipelineContext(config, name, pipeline, wiring.manifest, env));
  });
}

export interface RuntimePermissionContext {
  /** The function's own log group (its `Arn` attribute already covers the streams). */
  logGroupArn: string;
  /** The queue that keeps invocations which failed every retry. */
  deadLetterQueueArn: string;
}

/** What the Lambda service does on the function's behalf with its execution role. */
export function runtimePermissions(ctx: RuntimePermissionContext): RoleStatementSpec[] {
  return [
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [ctx.logGroupArn],
      why: "write the function's logs to its own log group (created by the stack, with a retention)",
    },
    {
      actions: ['sqs:SendMessage'],
      resources: [ctx.deadLetterQueueArn],
      why: 'the on-failure destination: keep an asynchronous invocation that failed every retry',
    },
  ];
}

export interface FunctionPermissionContext extends Omit<EnginePermissionContext, 'pauseParameterArns'>, RuntimePermissionContext {
  /** ARN of the global pause parameter. */
  pauseParameterArn: string;
  /** ARN of each pipeline's pause parameter, by pipeline name. */
  pipelinePauseParameterArns: Record<string, string>;
}

/** Everything one playbook function's role holds, before merging. */
export function functionPermissions(
  config: StreamfixConfig,
  wiring: PlaybookWiring,
  env: Env,
  ctx: FunctionPermissionContext,
): RoleStatementSpec[] {
  const { pauseParameterArn, pipelinePauseParameterArns, logGroupArn, deadLetterQueueArn, ...engine } = ctx;
  const pipelinePauses = wiring.pipelines.map((p) => {
    const arn = pipelinePauseParameterArns[p];
    if (arn === undefined) throw new Error(`no pause parameter for pipeline "${p}"`);
    return arn;
  });
  return [
    ...playbookPermissions(config, wiring, env),
    ...enginePermissions({ ...engine, pauseParameterArns: [pauseParameterArn, ...pipelinePauses] }),
    ...runtimePermissions({ logGroupArn, deadLetterQueueArn }),
  ];
}

/**
 * A manual operation's role: its manifest's permissions for each pipeline it applies to, the
 * ledger (operation records and progress) and its own logs. No escalation, schedules or pause
 * switches: an operation is run by a person, who sees its result.
 */
export function operationPermissions(
  config: StreamfixConfig,
  wiring: OperationWiring,
  env: Env,
  ctx: { tableArn: string; logGroupArn: string },
): RoleStatementSpec[] {
  return [
    ...wiring.pipelines.flatMap((name) => wiring.manifest.permissions(operationPipelineContext(config, name, env))),
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [ctx.tableArn, `${ctx.tableArn}/index/*`],
      why: 'record the operation and its progress in the ledger (a re-invocation continues where it stopped)',
    },
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [ctx.logGroupArn],
      why: "write the function's logs to its own log group (created by the stack, with a retention)",
    },
  ];
}

export interface MergedStatement {
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string>>;
}

/**
 * One statement per distinct (action set, conditions): specs with the same actions (e.g. the
 * same manifest step for two pipelines) share a statement listing all their resources.
 */
export function mergeStatements(specs: readonly RoleStatementSpec[]): MergedStatement[] {
  const byKey = new Map<string, MergedStatement>();
  for (const spec of specs) {
    const actions = [...new Set(spec.actions)].sort();
    const key = JSON.stringify([actions, spec.conditions ?? null]);
    const merged = byKey.get(key) ?? { actions, resources: [], ...(spec.conditions ? { conditions: spec.conditions } : {}) };
    for (const r of spec.resources) if (!merged.resources.includes(r)) merged.resources.push(r);
    byKey.set(key, merged);
  }
  return [...byKey.values()];
}

export function policyDocument(specs: readonly RoleStatementSpec[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: mergeStatements(specs).map(
      (s) =>
        new iam.PolicyStatement({
          effect: iam.Effect.ALLOW,
          actions: s.actions,
          resources: s.resources,
          ...(s.conditions ? { conditions: s.conditions } : {}),
        }),
    ),
  });
}
