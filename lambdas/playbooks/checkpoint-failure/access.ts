import type { BucketEncryptionView } from '../../adapters/s3';
import { parseS3Uri } from '../../core/object-store';
import type { EvalDecision, SimulationResult } from '../../adapters/iam';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext } from '../../core/playbook';

/**
 * Can the job's execution role use its checkpoint? IAM policy simulation of the role for the
 * S3 actions Spark's checkpointing makes on the prefix, and — when the bucket encrypts with a
 * customer-managed KMS key — for kms:GenerateDataKey (write) and kms:Decrypt (read) on that
 * key. Bucket and key policies are not part of the simulation (FACTS §7): an "allowed" here
 * with an AccessDenied in the job's log points at them.
 */

/** What Spark does to a checkpoint on S3: list, read, write (offsets, commits, state), delete (purge). */
export const CHECKPOINT_S3_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;
export const CHECKPOINT_KMS_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

export interface PermissionCheck {
  action: string;
  resource: string;
  decision: EvalDecision;
}

export interface AccessDiagnosis {
  roleArn: string;
  /** `arn:…:s3:::bucket/prefix*`: the resource the recommendations name. */
  prefixArn: string;
  bucketArn: string;
  s3: PermissionCheck[];
  encryption?: BucketEncryptionView;
  /** The key as an ARN when it could be resolved (a key id is completed with region and account). */
  kmsKeyArn?: string;
  kms: PermissionCheck[];
  /** A call that failed (the diagnosis goes on without it). */
  errors: string[];
}

export const missing = (checks: readonly PermissionCheck[]) => checks.filter((c) => c.decision !== 'allowed');

const accountOf = (arn: string) => /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1];
const regionOf = (arn: string | undefined) => (arn ? /^arn:[^:]+:[^:]+:([a-z0-9-]+):/.exec(arn)?.[1] : undefined);

/** `1234abcd-…` → `arn:aws:kms:<region>:<account>:key/1234abcd-…`; ARNs and aliases pass as they are. */
export function kmsKeyArnOf(keyId: string, roleArn: string, region: string | undefined, partition = 'aws'): string {
  if (keyId.startsWith('arn:')) return keyId;
  const account = accountOf(roleArn);
  if (!account || !region) return keyId;
  return `arn:${partition}:kms:${region}:${account}:${keyId.startsWith('alias/') ? keyId : `key/${keyId}`}`;
}

const toChecks = (r: SimulationResult[]): PermissionCheck[] => r.map((x) => ({ action: x.action, resource: x.resource, decision: x.decision }));

export async function diagnoseAccess(ctx: PlaybookContext<unknown, EmrPipeline>): Promise<AccessDiagnosis> {
  const job = ctx.pipeline.job;
  const { bucket, prefix } = parseS3Uri(job.checkpoint);
  const partition = /^arn:([^:]+):/.exec(job.executionRoleArn)?.[1] ?? 'aws';
  const bucketArn = `arn:${partition}:s3:::${bucket}`;
  const prefixArn = `arn:${partition}:s3:::${bucket}/${prefix}*`;
  const errors: string[] = [];
  const soft = <T>(what: string, p: Promise<T>): Promise<T | undefined> =>
    p.catch((e: unknown) => {
      errors.push(`${what}: ${(e as Error).message}`);
      return undefined;
    });
  const [objectSim, listSim, encryption] = await Promise.all([
    soft('simulate S3 object actions', ctx.aws.iam.simulatePrincipalPolicy(job.executionRoleArn, [...CHECKPOINT_S3_ACTIONS], [prefixArn])),
    soft('simulate s3:ListBucket', ctx.aws.iam.simulatePrincipalPolicy(job.executionRoleArn, ['s3:ListBucket'], [bucketArn])),
    soft('read bucket encryption', ctx.aws.s3.getBucketEncryption(bucket)),
  ]);
  const s3 = [...toChecks(objectSim ?? []), ...toChecks(listSim ?? [])];
  let kmsKeyArn: string | undefined;
  let kms: PermissionCheck[] = [];
  if (encryption?.sseAlgorithm.startsWith('aws:kms') && encryption.kmsKeyId) {
    const region = ctx.config.region ?? regionOf(ctx.pipeline.source.kind === 'msk' ? ctx.pipeline.source.clusterArn : undefined);
    kmsKeyArn = kmsKeyArnOf(encryption.kmsKeyId, job.executionRoleArn, region, partition);
    kms = toChecks(
      (await soft('simulate KMS actions', ctx.aws.iam.simulatePrincipalPolicy(job.executionRoleArn, [...CHECKPOINT_KMS_ACTIONS], [kmsKeyArn]))) ?? [],
    );
  }
  return {
    roleArn: job.executionRoleArn,
    prefixArn,
    bucketArn,
    s3,
    ...(encryption ? { encryption } : {}),
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
    kms,
    errors,
  };
}
