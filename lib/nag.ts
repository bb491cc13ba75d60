import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) acknowledgements. Each one is placed on the construct it is about,
 * never on the stack, and names the exact finding: a wildcard resource is acknowledged as
 * `AwsSolutions-IAM5[Resource::<resource as cdk-nag prints it>]`, so a new wildcard still fails
 * the synth until someone explains it here.
 */

/** Why a wildcard resource is the narrowest one possible, by the shape of the resource. */
export const WILDCARD_REASONS: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /:emr-serverless:.*:\/applications\/[^/*]+\/jobruns\/\*$/,
    reason:
      'EMR Serverless assigns a job run id when the run starts, so runs cannot be named at deploy time; ' +
      'the wildcard covers only the runs of the one configured application.',
  },
  {
    pattern: /(?::dynamodb:.*:table\/[^/*]+|^<[A-Za-z0-9]+\.Arn>)\/index\/\*$/,
    reason:
      "Queries on the ledger table's own global secondary indexes (gsi1 lists incidents by time); " +
      "index names are the table's and nothing outside the ledger table is covered.",
  },
  {
    pattern: /:s3:::[a-z0-9][a-z0-9.-]+\/[^*]+\*$/,
    reason:
      'Objects under a prefix the config names (a checkpoint, its backups, a dead-letter prefix or its quarantine): ' +
      'their keys are written by the streaming job at run time (batch ids, timestamps), so only the prefix can be fixed at deploy time.',
  },
  {
    pattern: /:logs:.*:log-group:[^*:]+:\*$/,
    reason:
      "The streaming job's driver log group the config names: IAM matches a log group by its ARN ending in `:*` " +
      '(the group and its log streams, which the job creates per run); no other log group is covered.',
  },
  {
    pattern: /:ec2:.*:network-interface\/\*$/,
    reason:
      'Lambda creates the network interfaces of a function in a VPC when it deploys it, so their ids are not known at deploy time; ' +
      'creating them is limited to the configured subnets and security groups.',
  },
  {
    pattern: /:scheduler:.*:schedule\/[^/*]+\/\*$/,
    reason:
      'Follow-up schedules are created per incident, so their names are not known at deploy time; ' +
      "the wildcard is limited to streamfix's own schedule group.",
  },
];

/** A resource string as cdk-nag reports it: tokens resolved, `Fn::Join` flattened, refs as `<Ref>`. */
export function nagResourceName(scope: IConstruct, resource: string): string {
  return flattenCfnValue(Stack.of(scope).resolve(resource));
}

function flattenCfnValue(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnValue).join(delimiter);
    }
    if ('Fn::Sub' in o) return flattenCfnValue(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
    }
    if ('Fn::ImportValue' in o) return flattenCfnValue(o['Fn::ImportValue']);
    if ('Ref' in o) return `<${flattenCfnValue(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

export interface WildcardAcknowledgement {
  id: string;
  reason: string;
}

/**
 * The IAM5 acknowledgements for the wildcard resources among `resources` that have a known
 * reason. Wildcards without one are left out on purpose: cdk-nag then reports them.
 */
/** Actions IAM cannot scope to a resource: the only ones acknowledged on `*`. */
export const NO_RESOURCE_LEVEL_ACTIONS: ReadonlySet<string> = new Set([
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:DescribeAlarms',
  'kafka:GetBootstrapBrokers',
  'kafka:DescribeClusterOperationV2',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
]);

export function wildcardAcknowledgements(
  scope: IConstruct,
  all: readonly { actions: readonly string[]; resources: readonly string[]; effect?: 'Allow' | 'Deny' }[],
): WildcardAcknowledgement[] {
  const out = new Map<string, WildcardAcknowledgement>();
  // cdk-nag reports wildcards of Allow statements only: a Deny can only take permissions away.
  const statements = all.filter((s) => s.effect !== 'Deny');
  const onStar = statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions);
  if (onStar.length > 0 && onStar.every((a) => NO_RESOURCE_LEVEL_ACTIONS.has(a))) {
    const id = 'AwsSolutions-IAM5[Resource::*]';
    out.set(id, {
      id,
      reason: `Only ${[...new Set(onStar)].sort().join(', ')} use "*": IAM has no resource-level permissions for these read actions.`,
    });
  }
  for (const resource of statements.flatMap((s) => s.resources)) {
    const flat = nagResourceName(scope, resource);
    if (!flat.includes('*')) continue;
    const known = WILDCARD_REASONS.find((w) => w.pattern.test(flat));
    if (!known) continue;
    const id = `AwsSolutions-IAM5[Resource::${flat}]`;
    out.set(id, { id, reason: known.reason });
  }
  return [...out.values()];
}

/** cdk-nag's plugin name: acknowledgements name it so they cannot match another plugin's rule. */
export const NAG_NAMESPACE = 'AwsSolutions';

/** Acknowledges one AwsSolutions finding (`AwsSolutions-L1`, `AwsSolutions-IAM5[Resource::…]`) on `construct`. */
export function acknowledge(construct: IConstruct, ruleId: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `${NAG_NAMESPACE}::${ruleId}`, reason });
}
