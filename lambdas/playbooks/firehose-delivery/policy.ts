import type { SimulationResult } from '../../adapters/iam';

/**
 * What Firehose's delivery role needs on an S3 destination (Firehose developer guide, "Grant
 * Firehose access to an Amazon S3 destination"), and the smallest statement that grants what
 * is missing. Pure data and text: streamfix recommends IAM and KMS changes, never makes them.
 */

/** Checked on the bucket ARN. */
export const BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'] as const;
/** Checked on the objects under the destination prefix. */
export const OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'] as const;
/** Checked on the destination's KMS key, when it has one (called by S3 on the role's behalf). */
export const KMS_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** The static part of a prefix: Firehose expands `!{timestamp:…}` and `!{firehose:…}` per object. */
export const staticPrefix = (prefix: string | undefined): string => (prefix ?? '').split('!{')[0]!;

export const objectArnPattern = (bucketArn: string, prefix: string | undefined) => `${bucketArn}/${staticPrefix(prefix)}*`;

export const regionOfArn = (arn: string): string | undefined => arn.split(':')[3] || undefined;

export const roleNameOf = (roleArn: string): string => roleArn.slice(roleArn.lastIndexOf('/') + 1);

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface MissingPermission {
  action: string;
  resource: string;
  decision: string;
}

/** The simulation results that do not allow the call, one per action and resource. */
export function missingPermissions(results: readonly SimulationResult[]): MissingPermission[] {
  const seen = new Set<string>();
  const out: MissingPermission[] = [];
  for (const r of results) {
    if (r.decision === 'allowed') continue;
    const key = `${r.action} ${r.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ action: r.action, resource: r.resource, decision: r.decision });
  }
  return out;
}

/**
 * One Allow statement per resource that lacks actions; a KMS statement limits the key to S3
 * calls for this bucket and prefix, as the Firehose guide recommends.
 */
export function minimalStatements(missing: readonly MissingPermission[], o: { bucketArn?: string; prefix?: string; kmsKeyArn?: string }): PolicyStatement[] {
  const byResource = new Map<string, string[]>();
  for (const m of missing) byResource.set(m.resource, [...(byResource.get(m.resource) ?? []), m.action]);
  return [...byResource.entries()].map(([resource, actions]) => {
    const statement: PolicyStatement = { Effect: 'Allow', Action: [...new Set(actions)].sort(), Resource: [resource] };
    const region = regionOfArn(resource);
    if (resource === o.kmsKeyArn && o.bucketArn && region) {
      statement.Condition = {
        StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': objectArnPattern(o.bucketArn, o.prefix) },
      };
    }
    return statement;
  });
}

export const POLICY_NAME = 'firehose-s3-delivery';

/** The command that would add the statements to the role as an inline policy (run by a person). */
export function putRolePolicyCommand(roleArn: string, statements: readonly PolicyStatement[]): string {
  const doc = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  return `aws iam put-role-policy --role-name ${roleNameOf(roleArn)} --policy-name ${POLICY_NAME} --policy-document '${doc}'`;
}

/** `s3:PutObject on arn:aws:s3:::bucket/prefix/* (implicitDeny)`, joined: the evidence line. */
export const missingText = (missing: readonly MissingPermission[]): string =>
  missing.length === 0 ? 'none' : missing.map((m) => `${m.action} on ${m.resource} (${m.decision})`).join('; ');
