import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { OperationsAccess, VpcConfig } from '../lambdas/config/access';
import type { StreamfixConfig } from '../lambdas/config/schema';
import type { Env, OperationWiring } from '../lambdas/wiring';

/**
 * Who may invoke a manual operation function, and where dlq-replay runs.
 *
 * A function's resource-based policy (AWS::Lambda::ResourcePolicy: a full policy, Deny
 * statements included — "Working with resource-based policies in Lambda", Lambda Developer
 * Guide) allows the configured invokers and denies every other principal, in this account or
 * any other: an explicit Deny in a resource policy wins over any Allow an identity policy
 * grants. "The account's administrators" are, by default, the account root and the roles of IAM
 * Identity Center's AdministratorAccess permission set; `operations.administrators` names others.
 * They are never denied, and invoke with their own identity policies (the resource policy grants
 * them nothing).
 */

export const defaultAdministrators = (env: Env): string[] => [
  `arn:${env.partition}:iam::${env.account}:root`,
  `arn:${env.partition}:iam::${env.account}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*`,
];

export const INVOKE_ACTIONS = ['lambda:InvokeFunction', 'lambda:InvokeAsync'] as const;

export interface InvokePolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: { AWS: string };
  Action: string | string[];
  Resource: string[];
  Condition: Record<string, Record<string, string[]>>;
}

/** The resource policy of one operation function (data: the stack writes it, tests read it). */
export function operationInvokePolicy(functionArn: string, access: OperationsAccess, env: Env): { Version: string; Statement: InvokePolicyStatement[] } {
  const resources = [functionArn, `${functionArn}:*`];
  const admins = access.administrators ?? defaultAdministrators(env);
  const statements: InvokePolicyStatement[] = [];
  if (access.invokers.length > 0) {
    statements.push({
      Sid: 'AllowConfiguredInvokers',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'lambda:InvokeFunction',
      Resource: resources,
      Condition: { ArnLike: { 'aws:PrincipalArn': [...access.invokers] } },
    });
  }
  statements.push({
    Sid: 'DenyAllButInvokersAndAdministrators',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: [...INVOKE_ACTIONS],
    Resource: resources,
    Condition: { ArnNotLike: { 'aws:PrincipalArn': [...access.invokers, ...admins] } },
  });
  return { Version: '2012-10-17', Statement: statements };
}

export function addInvokePolicy(scope: Construct, id: string, fn: lambda.IFunction, access: OperationsAccess, env: Env): lambda.CfnResourcePolicy {
  return new lambda.CfnResourcePolicy(scope, id, {
    resourceArn: fn.functionArn,
    policyDocument: operationInvokePolicy(fn.functionArn, access, env),
  });
}

/**
 * The subnets and security groups dlq-replay runs in: those of the MSK clusters of the pipelines
 * it replays to (a Kafka target is the default for MSK pipelines; the brokers are only reachable
 * inside the cluster's VPC). One function, one VPC configuration: pipelines that name different
 * ones are refused, as is an MSK pipeline that names none. Undefined without MSK pipelines.
 */
export function replayVpc(config: StreamfixConfig, wiring: OperationWiring): VpcConfig | undefined {
  const msk = wiring.pipelines.filter((n) => config.pipelines[n]?.source.kind === 'msk');
  if (msk.length === 0) return undefined;
  const vpcOf = (n: string) => {
    const s = config.pipelines[n]!.source;
    return s.kind === 'msk' ? s.vpc : undefined;
  };
  const missing = msk.filter((n) => vpcOf(n) === undefined);
  if (missing.length > 0) {
    throw new Error(
      `pipelines.${missing[0]}.source.vpc: required: dlq-replay replays ${missing.join(', ')} to ${missing.length > 1 ? 'their' : 'its'} MSK topic and ` +
        "must run in the cluster's subnets and security groups to reach its brokers. Set source.vpc = { subnetIds: [...], securityGroupIds: [...] } " +
        "(the cluster's client subnets, and a security group its brokers accept on the SASL/IAM port 9098).",
    );
  }
  const key = (v: VpcConfig) => JSON.stringify([[...v.subnetIds].sort(), [...v.securityGroupIds].sort()]);
  const first = vpcOf(msk[0]!)!;
  const other = msk.find((n) => key(vpcOf(n)!) !== key(first));
  if (other !== undefined) {
    throw new Error(
      `pipelines.${other}.source.vpc: differs from pipelines.${msk[0]}.source.vpc: dlq-replay is one function in one VPC; ` +
        'give every MSK pipeline with a DLQ the same subnets and security groups (ones that reach all their clusters), or deploy them in separate stacks.',
    );
  }
  return { subnetIds: [...first.subnetIds], securityGroupIds: [...first.securityGroupIds] };
}

/** Puts the function in the VPC (the CloudFormation VpcConfig, set directly: the subnets are given by id, not looked up). */
export function placeInVpc(fn: lambda.Function, vpc: VpcConfig): void {
  (fn.node.defaultChild as lambda.CfnFunction).vpcConfig = { subnetIds: [...vpc.subnetIds], securityGroupIds: [...vpc.securityGroupIds] };
}
