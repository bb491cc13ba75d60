import type { SparkCheckpointReport } from '../../analysis/checkpoint';
import { parseS3Uri } from '../../core/object-store';
import type { Recommendation } from '../../core/decision';
import { missing, type AccessDiagnosis, type PermissionCheck } from './access';

/**
 * What an escalation tells a person to do, exactly: the minimal IAM or KMS statement that
 * would let the job use its checkpoint (never applied by streamfix), the reset options of the
 * checkpoint reset procedure with what each loses or re-reads, and configuration changes.
 */

const roleName = (roleArn: string) => roleArn.split('/').pop() ?? roleArn;
const quote = (json: unknown) => `'${JSON.stringify(json)}'`;

export function describeMissing(checks: readonly PermissionCheck[]): string {
  return missing(checks).map((c) => `${c.action} on ${c.resource} (${c.decision})`).join('; ');
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

export interface ResetOption {
  option: string;
  command: string;
  /** What data the option skips (never processed). */
  loses: string;
  /** What data the option processes a second time. */
  reReads: string;
}

/** The options of the checkpoint reset procedure, for this checkpoint, with their cost in data. */
export function resetOptions(pipelineName: string, cp: SparkCheckpointReport | undefined, nowMs: number, retentionHours: number): ResetOption[] {
  const cli = `streamfix checkpoint --pipeline ${pipelineName}`;
  const good = cp?.lastGoodBatch;
  const ageS = cp?.lastGoodBatchCommittedAtMs !== undefined ? Math.round((nowMs - cp.lastGoodBatchCommittedAtMs) / 1000) : undefined;
  const since = ageS !== undefined ? `${ageS} s (since batch ${good} committed)` : 'since the last good batch (unknown)';
  const out: ResetOption[] = [];
  if (good !== undefined && cp?.latestPlannedBatch !== undefined) {
    out.push({
      option: `roll back to after batch ${good} (the last good batch)`,
      command: `${cli} rollback --to-batch ${good} --keep-commit --confirm`,
      loses: 'nothing the source still holds',
      reReads: `nothing committed; batches ${good + 1}–${cp.latestPlannedBatch} are planned again (a sink that is not idempotent per batch id may see their records twice)`,
    });
  }
  if (cp?.lastGoodOffsets?.length) {
    out.push({
      option: 'reset, starting at the last good offsets (startingOffsets = the end of the last good batch)',
      command: `${cli} reset --to last-good --confirm`,
      loses: 'the query state (aggregations, deduplication, joins): stateful results restart empty; no source data',
      reReads: 'nothing',
    });
  }
  out.push(
    {
      option: 'A: reset to latest (resume from now)',
      command: `${cli} reset --to latest --confirm`,
      loses: `every record published ${since} until the job restarts, and the query state`,
      reReads: 'nothing',
    },
    {
      option: 'B: reset to a timestamp (startingOffsetsByTimestamp)',
      command: `${cli} reset --to timestamp --timestamp <ISO-8601> --confirm`,
      loses: 'the records before the timestamp that were not processed yet, and the query state',
      reReads: 'the records after the timestamp that were already processed',
    },
    {
      option: 'C: reset to earliest (reprocess everything retained)',
      command: `${cli} reset --to earliest --confirm`,
      loses: 'the query state',
      reReads: `everything the source retains (up to ${retentionHours} h): expect duplicates downstream`,
    },
  );
  return out;
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
    command:
      '--conf spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled=true --conf spark.hadoop.fs.s3.maxRetries=20',
    detail: {
      sparkConf: { 'spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled': 'true', 'spark.hadoop.fs.s3.maxRetries': '20' },
      flinkConf: { 'execution.checkpointing.timeout': '10 min', 'execution.checkpointing.min-pause': '1 min' },
    },
  };
}
