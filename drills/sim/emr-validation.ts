import type { JobRunMode, StartJobRunRequest } from '@aws-sdk/client-emr-serverless';
import { CANCEL_GRACE_PERIOD_RELEASE, releaseAtLeast } from '../../lambdas/config/release';

/**
 * StartJobRun input checks, worded like the service's own ValidationException messages
 * ("Value null at 'executionRoleArn' failed to satisfy constraint: ..."), so each names its field.
 */

const ROLE_ARN = /^arn:aws[a-zA-Z0-9-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const APP_ID = /^[0-9a-z]+$/;

const constraint = (field: string, value: unknown, rule: string) =>
  `1 validation error detected: Value ${value === undefined || value === null ? 'null' : JSON.stringify(value)} at '${field}' failed to satisfy constraint: ${rule}`;

/** The first problem with the input, or undefined when it is valid. */
export function validateStartJobRun(i: StartJobRunRequest): string | undefined {
  if (i.applicationId === undefined || i.applicationId === null) return constraint('applicationId', undefined, 'Member must not be null');
  if (!APP_ID.test(i.applicationId) || i.applicationId.length > 64) {
    return constraint('applicationId', i.applicationId, 'Member must satisfy regular expression pattern: [0-9a-z]+');
  }
  if (i.executionRoleArn === undefined || i.executionRoleArn === null) return constraint('executionRoleArn', undefined, 'Member must not be null');
  if (!ROLE_ARN.test(i.executionRoleArn)) {
    return constraint(
      'executionRoleArn',
      i.executionRoleArn,
      'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):iam::(\\d{12})?:(role((\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F))[\\w+=,.@-]+)',
    );
  }
  if (i.clientToken !== undefined && (i.clientToken.length < 1 || i.clientToken.length > 64 || !/^[A-Za-z0-9._-]+$/.test(i.clientToken))) {
    return constraint('clientToken', i.clientToken, 'Member must have length between 1 and 64 and satisfy regular expression pattern: [A-Za-z0-9._-]+');
  }
  if (i.name !== undefined && (i.name.length < 1 || i.name.length > 256)) {
    return constraint('name', i.name, 'Member must have length between 1 and 256');
  }
  if (i.mode !== undefined && i.mode !== 'BATCH' && i.mode !== 'STREAMING') {
    return constraint('mode', i.mode, 'Member must satisfy enum value set: [BATCH, STREAMING]');
  }
  // The API lets jobDriver be omitted, but a run without one cannot start: the simulator refuses it
  // up front so a restart that lost its driver is caught by the drill.
  const entryPoint = i.jobDriver?.sparkSubmit?.entryPoint;
  if (!i.jobDriver) return constraint('jobDriver', undefined, 'Member must not be null');
  if (i.jobDriver.sparkSubmit && (entryPoint === undefined || entryPoint.length < 1)) {
    return constraint('jobDriver.sparkSubmit.entryPoint', entryPoint, 'Member must have length greater than or equal to 1');
  }
  if (!i.jobDriver.sparkSubmit && !i.jobDriver.hive) return constraint('jobDriver', i.jobDriver, 'Member must have exactly one of sparkSubmit or hive');
  const rp = i.retryPolicy;
  if (rp?.maxFailedAttemptsPerHour !== undefined) {
    if ((i.mode ?? 'BATCH') !== 'STREAMING') return 'maxFailedAttemptsPerHour is only supported for jobs in STREAMING mode.';
    if (rp.maxFailedAttemptsPerHour < 1 || rp.maxFailedAttemptsPerHour > 10) {
      return constraint('retryPolicy.maxFailedAttemptsPerHour', rp.maxFailedAttemptsPerHour, 'Member must have value between 1 and 10');
    }
  }
  if (rp?.maxAttempts !== undefined && i.mode === 'STREAMING') return 'maxAttempts is only supported for jobs in BATCH mode.';
  const policy = i.executionIamPolicy;
  if (policy?.policy !== undefined) {
    try {
      JSON.parse(policy.policy);
    } catch {
      return constraint('executionIamPolicy.policy', policy.policy.slice(0, 40), 'Member must be a JSON policy document');
    }
  }
  for (const [k, arn] of (policy?.policyArns ?? []).entries()) {
    if (!/^arn:aws[a-zA-Z0-9-]*:iam::(\d{12}|aws):policy\/.+$/.test(arn))
      return constraint(`executionIamPolicy.policyArns.${k}`, arn, 'Member must be an IAM policy ARN');
  }
  for (const [k, v] of Object.entries(i.tags ?? {})) {
    if (k.length < 1 || k.length > 128 || v.length > 256) return constraint(`tags.${k}`, v, 'Tag keys must be 1-128 and values 0-256 characters');
  }
  return undefined;
}

/**
 * CancelJobRun's `shutdownGracePeriodInSeconds`: "Valid Range for Shutdown Grace period: 15-1800
 * seconds ... Immediate termination (without any grace period): 0 second" (EMR Serverless User
 * Guide, "EMR Serverless job run cancellation with grace period").
 */
export function validateCancelGrace(seconds: number | undefined): string | undefined {
  if (seconds === undefined || seconds === 0 || (Number.isInteger(seconds) && seconds >= 15 && seconds <= 1800)) return undefined;
  return constraint('shutdownGracePeriodInSeconds', seconds, 'Member must be 0 or have value between 15 and 1800');
}

/**
 * How long a cancelled run keeps running (job-cancellation-grace-period.html): releases 7.9.0
 * and higher; streaming jobs get 120 s by default, batch jobs none. Earlier releases stop at
 * once. The whole period is waited (a streaming query may stop sooner, at the end of its
 * micro-batch: the harsher case is kept).
 */
export function cancelGraceMs(run: { releaseLabel?: string; mode?: JobRunMode }, requestedSeconds: number | undefined): number {
  if (!releaseAtLeast(run.releaseLabel, CANCEL_GRACE_PERIOD_RELEASE)) return 0;
  return (requestedSeconds ?? (run.mode === 'STREAMING' ? 120 : 0)) * 1000;
}
