import type { S3DestinationView } from '../../adapters/firehose';
import type { Recommendation } from '../../core/decision';
import type { FirehoseDeliveryEvidence } from './diagnose';
import type { DeliveryFacts } from './facts';
import {
  BUCKET_ACTIONS,
  KMS_ACTIONS,
  OBJECT_ACTIONS,
  minimalStatements,
  objectArnPattern,
  putRolePolicyCommand,
  regionOfArn,
  type MissingPermission,
} from './policy';

/**
 * The recommendations of each escalation: what to change, by hand, and the exact command.
 * IAM and KMS changes are never made automatically; these only say what would fix it.
 */

const bucketName = (bucketArn: string | undefined) => bucketArn?.replace(/^arn:[^:]+:s3:::/, '') ?? '(unknown bucket)';

const timeLeftNote = (f: DeliveryFacts) =>
  f.clock
    ? f.clock.losingNow
      ? 'Firehose is dropping records now'
      : `${f.evidence.timeLeftBeforeLoss} left before Firehose drops the oldest record`
    : 'freshness unknown';

/** Every required S3 action, as if all were missing: for a denial IAM's own view does not explain. */
function allRequired(d: S3DestinationView): MissingPermission[] {
  const obj = objectArnPattern(d.bucketArn!, d.prefix);
  return [
    ...BUCKET_ACTIONS.map((action) => ({ action, resource: d.bucketArn!, decision: 'required' })),
    ...OBJECT_ACTIONS.map((action) => ({ action, resource: obj, decision: 'required' })),
  ];
}

export function accessRecommendation(e: FirehoseDeliveryEvidence, f: DeliveryFacts): Recommendation {
  const d = e.destination!;
  const role = d.roleArn ?? '(no role)';
  if (f.missingS3.length > 0 && d.roleArn) {
    const statements = minimalStatements(f.missingS3, { ...(d.bucketArn ? { bucketArn: d.bucketArn } : {}), ...(d.prefix ? { prefix: d.prefix } : {}) });
    return {
      summary:
        `grant the delivery role ${role} ${f.missingS3.map((m) => m.action).join(', ')} on ${[...new Set(f.missingS3.map((m) => m.resource))].join(' and ')} ` +
        `(statement below; an IAM change, never automatic); Firehose retries and resumes by itself. ${timeLeftNote(f)}.`,
      command: putRolePolicyCommand(d.roleArn, statements),
      detail: { roleArn: role, statements, missing: f.missingS3 },
    };
  }
  const statements = d.bucketArn ? minimalStatements(allRequired(d), { bucketArn: d.bucketArn }) : [];
  return {
    summary:
      `S3 refuses the deliveries although the role's own policies ${e.permissions.checked ? 'allow every required action' : 'could not be simulated'}: ` +
      `check the bucket policy of ${bucketName(d.bucketArn)}, the account's SCPs, and the role's trust policy (firehose.amazonaws.com must be able to assume ${role}). ${timeLeftNote(f)}.`,
    command: `aws s3api get-bucket-policy --bucket ${bucketName(d.bucketArn)}`,
    detail: { roleArn: role, requiredStatements: statements, ...(e.permissions.error ? { simulationError: e.permissions.error } : {}) },
  };
}

export function kmsRecommendation(e: FirehoseDeliveryEvidence, f: DeliveryFacts): Recommendation {
  const d = e.destination!;
  const key = d.kmsKeyArn ?? "(the bucket's default key)";
  const codes = f.errorsOf('kms').map((c) => c.code);
  if (codes.some((c) => /Disabled/i.test(c))) {
    return {
      summary: `the KMS key ${key} is disabled: enable it (a KMS change, never automatic), or point the destination at an enabled key. ${timeLeftNote(f)}.`,
      command: `aws kms enable-key --key-id ${key}`,
      detail: { kmsKeyArn: key, errorCodes: codes },
    };
  }
  if (codes.some((c) => /InvalidState/i.test(c))) {
    return {
      summary: `the KMS key ${key} is pending deletion or otherwise unusable: cancel the deletion and enable it (a KMS change, never automatic). ${timeLeftNote(f)}.`,
      command: `aws kms cancel-key-deletion --key-id ${key} && aws kms enable-key --key-id ${key}`,
      detail: { kmsKeyArn: key, errorCodes: codes },
    };
  }
  if (codes.some((c) => /NotFound|KeyNotConfigured|AsymmetricCMKNotSupported/i.test(c))) {
    return {
      summary: `the destination's KMS key ${key} cannot be used (${codes.join(', ')}): point the destination at an existing symmetric key. ${timeLeftNote(f)}.`,
      command:
        `aws firehose update-destination --delivery-stream-name ${e.streamName} --current-delivery-stream-version-id ${e.stream?.versionId ?? '<VersionId>'} ` +
        `--destination-id ${d.destinationId} --extended-s3-destination-update '{"EncryptionConfiguration":{"KMSEncryptionConfig":{"AWSKMSKeyARN":"<an enabled symmetric key ARN>"}}}'`,
      detail: { kmsKeyArn: key, errorCodes: codes },
    };
  }
  const missing =
    f.missingKms.length > 0 ? f.missingKms : d.kmsKeyArn ? KMS_ACTIONS.map((action) => ({ action, resource: d.kmsKeyArn!, decision: 'required' })) : [];
  const statements = minimalStatements(missing, {
    ...(d.bucketArn ? { bucketArn: d.bucketArn } : {}),
    ...(d.prefix ? { prefix: d.prefix } : {}),
    ...(d.kmsKeyArn ? { kmsKeyArn: d.kmsKeyArn } : {}),
  });
  return {
    summary:
      `the delivery role ${d.roleArn ?? ''} may not use the KMS key ${key} through S3: grant ${missing.map((m) => m.action).join(', ') || 'kms:GenerateDataKey, kms:Decrypt'} ` +
      `(statement below) and check the key policy allows the role (a KMS/IAM change, never automatic). ${timeLeftNote(f)}.`,
    ...(d.roleArn && statements.length > 0 ? { command: putRolePolicyCommand(d.roleArn, statements) } : {}),
    detail: { kmsKeyArn: key, statements, errorCodes: codes, missing },
  };
}

export function bucketRecommendation(e: FirehoseDeliveryEvidence, f: DeliveryFacts): Recommendation {
  const d = e.destination!;
  const name = bucketName(d.bucketArn);
  const codes = f.errorsOf('bucket').map((c) => c.code);
  const region = e.stream?.arn ? regionOfArn(e.stream.arn) : undefined;
  if (codes.some((c) => /NoSuchBucket/i.test(c))) {
    return {
      summary: `the bucket ${name} does not exist: recreate it${region ? ` in ${region}` : ''} with its policy and encryption, or point the stream at another bucket. ${timeLeftNote(f)}.`,
      command: `aws s3api create-bucket --bucket ${name}${region && region !== 'us-east-1' ? ` --create-bucket-configuration LocationConstraint=${region}` : ''}`,
      detail: { bucketArn: d.bucketArn ?? null, errorCodes: codes },
    };
  }
  return {
    summary: `S3 rejects the destination's configuration (${codes.join(', ')}): check the bucket ${name}'s region and the stream's prefix. ${timeLeftNote(f)}.`,
    command: `aws firehose describe-delivery-stream --delivery-stream-name ${e.streamName}`,
    detail: { bucketArn: d.bucketArn ?? null, prefix: d.prefix ?? null, errorCodes: codes },
  };
}

/** A failure of the stream itself (its own encryption, ENI or VPC), from FailureDescription. */
export function streamFailureRecommendation(e: FirehoseDeliveryEvidence, f: DeliveryFacts, type: string, details: string): Recommendation {
  const key = e.stream?.encryption?.keyArn;
  const name = e.streamName;
  const base = { detail: { failureType: type, failureDetails: details, streamStatus: e.stream?.status ?? null, ...(key ? { keyArn: key } : {}) } };
  if (type === 'DISABLED_KMS_KEY' && key) {
    return {
      ...base,
      summary: `the stream's KMS key ${key} is disabled: enable it (a KMS change, never automatic). ${timeLeftNote(f)}.`,
      command: `aws kms enable-key --key-id ${key}`,
    };
  }
  if (/KMS/.test(type)) {
    return {
      ...base,
      summary: `the stream's server-side encryption fails (${type}): give Firehose use of the key ${key ?? ''} in its key policy, or switch to an AWS-owned key (never automatic). ${timeLeftNote(f)}.`,
      command: `aws firehose start-delivery-stream-encryption --delivery-stream-name ${name} --delivery-stream-encryption-configuration-input KeyType=AWS_OWNED_CMK`,
    };
  }
  return {
    ...base,
    summary: `the stream is ${e.stream?.status ?? 'unknown'}${type ? ` with ${type}` : ''}: fix the cause named in the details (network, subnet or security group for ENI/VPC failures). ${timeLeftNote(f)}.`,
    command: `aws firehose describe-delivery-stream --delivery-stream-name ${name}`,
  };
}
