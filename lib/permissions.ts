import * as iam from 'aws-cdk-lib/aws-iam';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { deadLetterPermissions, enginePermissions, type EnginePermissionContext, type EnginePermissionSpec } from '../lambdas/core/permissions';
import { operationPipelineContext, pipelineContext, type Env, type OperationWiring, type PlaybookWiring } from '../lambdas/wiring';
import type { IamConditions, PermissionSpec } from '../lambdas/core/playbook';
import type { VpcConfig } from '../lambdas/config/access';

/**
 * What a playbook function's role holds, as data: the manifest's permissions for each wired
 * pipeline, the engine's, and what the Lambda runtime itself needs. The role is built from
 * this list and nothing else (see PlaybookFunction), so a test can compare the two exactly.
 */

/** One statement's worth of permission, from any source; `effect: 'Deny'` takes a permission away whatever else allows it. */
export type RoleStatementSpec = Pick<EnginePermissionSpec, 'actions' | 'resources' | 'why' | 'conditions'> & { effect?: 'Deny' };

/** The signature of a backup prefix in an object ARN: `<checkpoint>_backup_<YYYYMMDDTHHMMSSZ>…`. */
export const BACKUP_OBJECTS = (partition: string): string => `arn:${partition}:s3:::*_backup_????????T??????Z*`;

/**
 * What no function may do, whatever its other permissions (explicit denies, checked in every role):
 * - delete anything under a backup prefix, or write a backup's manifest other than with
 *   `If-None-Match: *` (a seal is written once: the `s3:if-none-match` key is absent from a
 *   request without the header, and `Null` is then true — "Enforce conditional writes on Amazon
 *   S3 buckets", S3 User Guide). Copies are not held to the header: S3 refuses CopyObject under a
 *   policy that enforces it (403 without it, 501 with it), and backups are made by CopyObject.
 * - delete an audit item of the ledger: an incident (with its timeline and actions) or an
 *   operation (with its progress), by their partition keys (`dynamodb:LeadingKeys`, "Using IAM
 *   policy conditions for fine-grained access control", DynamoDB Developer Guide). Pointers,
 *   locks and claims, which the engine deletes, have other keys.
 */
export function protectiveDenies(ctx: { partition: string; tableArn: string }): RoleStatementSpec[] {
  return [
    {
      effect: 'Deny',
      actions: ['s3:DeleteObject'],
      resources: [BACKUP_OBJECTS(ctx.partition)],
      why: 'a sealed backup is never deleted by streamfix',
    },
    {
      effect: 'Deny',
      actions: ['s3:PutObject'],
      resources: [`${BACKUP_OBJECTS(ctx.partition)}/_streamfix_backup.json`],
      why: 'a backup manifest is written once (If-None-Match: *), never overwritten',
      conditions: { Null: { 's3:if-none-match': 'true' } },
    },
    {
      effect: 'Deny',
      actions: ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
      resources: [ctx.tableArn, `${ctx.tableArn}/index/*`],
      why: 'the audit trail (incidents, their timelines and actions, operations and their progress) is not deleted by the functions',
      conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['INCIDENT#*', 'OP#*'] } },
    },
  ];
}

/**
 * A function in a VPC: Lambda creates and removes its network interfaces with the function's
 * own role ("Giving Lambda functions access to resources in an Amazon VPC", Lambda Developer
 * Guide; the AWS managed policy AWSLambdaVPCAccessExecutionRole lists the same actions).
 * Create only in the configured subnets with the configured security groups; the Describe
 * actions only work on "*".
 */
export function vpcPermissions(vpc: VpcConfig, env: Env): RoleStatementSpec[] {
  const ec2 = `arn:${env.partition}:ec2:${env.region}:${env.account}`;
  const enis = `${ec2}:network-interface/*`;
  return [
    {
      actions: ['ec2:CreateNetworkInterface'],
      resources: [...vpc.subnetIds.map((s) => `${ec2}:subnet/${s}`), ...vpc.securityGroupIds.map((g) => `${ec2}:security-group/${g}`), enis],
      why: "Lambda creates the function's network interfaces in the cluster's subnets, with its security groups",
    },
    {
      actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: [enis],
      why: "Lambda manages and removes the function's network interfaces",
    },
    {
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      resources: ['*'],
      why: 'Lambda looks up the subnets and network interfaces (these describe actions take no resource)',
    },
  ];
}

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
export function functionPermissions(config: StreamfixConfig, wiring: PlaybookWiring, env: Env, ctx: FunctionPermissionContext): RoleStatementSpec[] {
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
    ...protectiveDenies({ partition: env.partition, tableArn: ctx.tableArn }),
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
  ctx: { tableArn: string; logGroupArn: string; vpc?: VpcConfig },
): RoleStatementSpec[] {
  return [
    ...(ctx.vpc ? vpcPermissions(ctx.vpc, env) : []),
    ...wiring.pipelines.flatMap((name) => wiring.manifest.permissions(operationPipelineContext(config, name, env))),
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [ctx.tableArn, `${ctx.tableArn}/index/*`],
      why: "record the operation and its progress in the ledger (a re-invocation continues where it stopped), hold its target (one run per DLQ or checkpoint) and, for a checkpoint change, the job's guardrail lock",
    },
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [ctx.logGroupArn],
      why: "write the function's logs to its own log group (created by the stack, with a retention)",
    },
    ...protectiveDenies({ partition: env.partition, tableArn: ctx.tableArn }),
  ];
}

export interface MergedStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  conditions?: IamConditions;
}

/**
 * One statement per distinct (action set, conditions): specs with the same actions (e.g. the
 * same manifest step for two pipelines) share a statement listing all their resources.
 */
export function mergeStatements(specs: readonly RoleStatementSpec[]): MergedStatement[] {
  const byKey = new Map<string, MergedStatement>();
  for (const spec of specs) {
    const actions = [...new Set(spec.actions)].sort();
    const effect = spec.effect ?? 'Allow';
    const key = JSON.stringify([effect, actions, spec.conditions ?? null]);
    const merged = byKey.get(key) ?? { effect, actions, resources: [], ...(spec.conditions ? { conditions: spec.conditions } : {}) };
    for (const r of spec.resources) if (!merged.resources.includes(r)) merged.resources.push(r);
    byKey.set(key, merged);
  }
  return [...byKey.values()];
}

export function policyDocument(specs: readonly RoleStatementSpec[]): iam.PolicyDocument {
  return documentOf(mergeStatements(specs));
}

export function documentOf(statements: readonly MergedStatement[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: statements.map(
      (s) =>
        new iam.PolicyStatement({
          effect: s.effect === 'Deny' ? iam.Effect.DENY : iam.Effect.ALLOW,
          actions: s.actions,
          resources: s.resources,
          ...(s.conditions ? { conditions: s.conditions } : {}),
        }),
    ),
  });
}

export interface DeadLetterFunctionContext {
  tableArn: string;
  topicArn: string;
  topicKeyArn?: string;
  pagerDutySecretArn?: string;
  queueArn: string;
  logGroupArn: string;
  partition: string;
}

/** The dead-letter function's role: read the queue, record in the ledger, page; its own logs. */
export function deadLetterFunctionPermissions(ctx: DeadLetterFunctionContext): RoleStatementSpec[] {
  const { logGroupArn, partition, ...rest } = ctx;
  return [
    ...deadLetterPermissions(rest),
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroupArn],
      why: "write the function's logs to its own log group (created by the stack, with a retention)",
    },
    ...protectiveDenies({ partition, tableArn: ctx.tableArn }),
  ];
}
