import { parseS3Uri } from '../../core/object-store';
import type { Recommendation } from '../../core/decision';
import { missing, type AccessDiagnosis, type PermissionCheck } from './access';

/**
 * What an escalation tells a person to do, exactly: the minimal IAM or KMS statement that
 * would let the job use its checkpoint (never applied by streamfix) and configuration changes
 * (the reset options of the checkpoint reset procedure: analysis/checkpoint/reset-options.ts).
 */

const roleName = (roleArn: string) => roleArn.split('/').pop() ?? roleArn;
const quote = (json: unknown) => `'${JSON.stringify(json)}'`;

export function describeMissing(checks: readonly PermissionCheck[]): string {
  return missing(checks)
    .map((c) => `${c.action} on ${c.resource} (${c.decision})`)
    .join('; ');
}

/** The role policy that grants exactly what the simulation found missing on the checkpoint. */
export function s3Statement(access: AccessDiagnosis, checkpointUri: string) {
  const { prefix } = parseS3Uri(checkpointUri);
  const gone = missing(access.s3);
  const objectActions = [...new Set(gone.filter((c) => c.action !== 's3:ListBucket').map((c) => c.action))];
  const statements: Record<string, unknown>[] = [];
  if (objectActions.length > 0) statements.push({ Effect: 'Allow', Action: objectActions, Resource: access.prefixArn });
  if (gone.some((c) => c.action === 's3:ListBucket')) {
    statements.push({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: access.bucketArn, Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } });
  }
  return { Version: '2012-10-17', Statement: statements };
}

export function accessRecommendation(access: AccessDiagnosis, checkpointUri: string): Recommendation {
  const gone = missing(access.s3);
  if (gone.length === 0) {
    const { bucket } = parseS3Uri(checkpointUri);
    return {
      summary:
        `the job role's IAM policies allow every checkpoint action on ${access.prefixArn}; the denial comes from elsewhere: ` +
        `the bucket policy of ${bucket}, a service control policy, a VPC endpoint policy${access.kmsKeyArn ? `, or the key policy of ${access.kmsKeyArn}` : ''}`,
      command: `aws s3api get-bucket-policy --bucket ${bucket}`,
      detail: { roleArn: access.roleArn, simulated: access.s3 },
    };
  }
  const doc = s3Statement(access, checkpointUri);
  return {
    summary: `grant the job role ${roleName(access.roleArn)} ${gone.map((c) => c.action).join(', ')} on ${access.prefixArn} (never applied automatically)`,
    command: `aws iam put-role-policy --role-name ${roleName(access.roleArn)} --policy-name streamfix-checkpoint-access --policy-document ${quote(doc)}`,
    detail: { roleArn: access.roleArn, missing: gone, policy: doc },
  };
}

export function kmsRecommendation(access: AccessDiagnosis): Recommendation {
  const key = access.kmsKeyArn ?? access.encryption?.kmsKeyId ?? "the bucket's KMS key";
  const gone = missing(access.kms);
  if (gone.length > 0) {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [...new Set(gone.map((c) => c.action))], Resource: key }] };
    return {
      summary: `the job role ${roleName(access.roleArn)} may not use the checkpoint bucket's key ${key}: grant ${gone.map((c) => c.action).join(', ')} on it (never applied automatically)`,
      command: `aws iam put-role-policy --role-name ${roleName(access.roleArn)} --policy-name streamfix-checkpoint-kms --policy-document ${quote(doc)}`,
      detail: { keyArn: key, roleArn: access.roleArn, missing: gone, policy: doc },
    };
  }
  const keyPolicyStatement = {
    Sid: 'AllowStreamingJobCheckpoints',
    Effect: 'Allow',
    Principal: { AWS: access.roleArn },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
  };
  return {
    summary:
      `the job role's IAM policies allow kms:GenerateDataKey and kms:Decrypt on ${key}; the key policy of ${key} (not part of the simulation) ` +
      'must allow the role too, or the key is disabled or scheduled for deletion: check it, then add the statement or a grant (never applied automatically)',
    command: `aws kms create-grant --key-id ${key} --grantee-principal ${access.roleArn} --operations GenerateDataKey Decrypt`,
    detail: { keyArn: key, roleArn: access.roleArn, keyPolicyStatement, checkKey: `aws kms describe-key --key-id ${key}` },
  };
}

export function configRecommendation(kind: 'timeout' | 'disk-full', durationMaxMs: number | undefined, slowMs: number): Recommendation {
  if (kind === 'disk-full') {
    return {
      summary:
        'the job ran out of local disk (state store / shuffle): give executors more disk and keep state small: ' +
        'spark.emr-serverless.executor.disk=100G (20G–200G), RocksDB state with changelog checkpointing, a state TTL or watermark; then restart from the checkpoint',
      command: '--conf spark.emr-serverless.executor.disk=100G --conf spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled=true',
      detail: { sparkConf: { 'spark.emr-serverless.executor.disk': '100G', 'spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled': 'true' } },
    };
  }
  return {
    summary:
      `checkpoint writes are slow or time out${durationMaxMs !== undefined ? ` (slowest ${durationMaxMs} ms, bound ${slowMs} ms)` : ''}: ` +
      'upload less per batch (RocksDB changelog checkpointing), trigger less often, and give S3 calls more time and retries; ' +
      'for Flink raise execution.checkpointing.timeout (e.g. 10 min) and set a minimum pause between checkpoints',
    command: '--conf spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled=true --conf spark.hadoop.fs.s3.maxRetries=20',
    detail: {
      sparkConf: { 'spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled': 'true', 'spark.hadoop.fs.s3.maxRetries': '20' },
      flinkConf: { 'execution.checkpointing.timeout': '10 min', 'execution.checkpointing.min-pause': '1 min' },
    },
  };
}
