import type { IamConditions, PermissionSpec } from './playbook';

/**
 * The IAM the engine itself needs in every playbook function, next to the playbook's own
 * manifest permissions: the ledger, escalation, follow-up schedules and the pause switches.
 * DATA ONLY — lib/ turns it into a role; the registry tests read it.
 */

/** A permission that may carry an IAM condition block (`{ StringEquals: { key: value } }`). */
export interface EnginePermissionSpec extends PermissionSpec {
  conditions?: IamConditions;
}

export interface EnginePermissionContext {
  /** config.name: prefix of every resource streamfix creates. */
  prefix: string;
  account: string;
  region: string;
  partition: string;
  /** The ledger table's ARN. */
  tableArn: string;
  /** The escalation topic's ARN. */
  topicArn: string;
  /**
   * The customer-managed KMS key of the escalation topic. Publishing to a topic encrypted
   * with a customer-managed key needs this key; absent = the topic needs no key grant.
   */
  topicKeyArn?: string;
  /**
   * The PagerDuty routing-key secret's partial ARN (`arn:…:secret:<name>`, without the
   * 6-character suffix Secrets Manager appends); absent = PagerDuty is not configured.
   */
  pagerDutySecretArn?: string;
  /** EventBridge Scheduler group holding the follow-up (verify / recheck) schedules. */
  schedulerGroup: string;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  schedulerRoleArn: string;
  /** The global pause parameter and the per-pipeline ones this function reads. */
  pauseParameterArns: string[];
  /** Objects under the post-incident reports' prefix (`arn:…:s3:::bucket/prefix/*`); absent = no reports. */
  reportObjectsArn?: string;
}

/**
 * `s3:ListBucket` on a bucket, only for listings under the given prefixes: the `s3:prefix`
 * condition key is the Prefix of the ListObjectsV2 request (Amazon S3 condition key examples,
 * S3 User Guide), so listing the bucket's root or another prefix is denied.
 */
export function listBucketUnder(partition: string, bucket: string, prefixes: readonly string[], step: PermissionSpec['step'], why: string): PermissionSpec {
  return {
    step,
    actions: ['s3:ListBucket'],
    resources: [`arn:${partition}:s3:::${bucket}`],
    why,
    conditions: { StringLike: { 's3:prefix': [...new Set(prefixes.map((p) => `${p}*`))] } },
  };
}

/** The service a job's execution role may be passed to: EMR Serverless, on StartJobRun, and nothing else. */
export const EMR_SERVERLESS_SERVICE = 'emr-serverless.amazonaws.com';

/** `iam:PassRole` for the job's execution role, only to EMR Serverless (`iam:PassedToService`). */
export function passJobRole(roleArn: string, why = 'StartJobRun passes the job execution role (to EMR Serverless only)'): PermissionSpec {
  return { step: 'act', actions: ['iam:PassRole'], resources: [roleArn], why, conditions: { StringEquals: { 'iam:PassedToService': EMR_SERVERLESS_SERVICE } } };
}

/** The 6 characters Secrets Manager appends to a secret's name in its ARN. */
export const SECRET_ARN_SUFFIX = '-??????';

export const scheduleArnPattern = (c: Pick<EnginePermissionContext, 'partition' | 'region' | 'account' | 'schedulerGroup'>): string =>
  `arn:${c.partition}:scheduler:${c.region}:${c.account}:schedule/${c.schedulerGroup}/*`;

export function enginePermissions(ctx: EnginePermissionContext): EnginePermissionSpec[] {
  const out: EnginePermissionSpec[] = [
    {
      step: 'diagnose',
      actions: ['ssm:GetParameters'],
      resources: [...ctx.pauseParameterArns],
      why: 'read the global and per-pipeline pause switches at the start of every invocation',
    },
    {
      step: 'diagnose',
      actions: ['cloudwatch:DescribeAlarms'],
      // DescribeAlarms takes no resource-level permission.
      resources: ['*'],
      why: 'read an alarm whose actions CloudWatch held (mute rule or suppressor) once the hold should be over, and the alarms still in ALARM when a pause is lifted',
    },
    {
      step: 'act',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      resources: [ctx.tableArn, `${ctx.tableArn}/index/*`],
      why: 'the ledger: dedupe events, hold locks and cooldowns, count the budget, record decisions and actions, list incidents by time (gsi1)',
    },
  ];
  out.push(...escalationPermissions(ctx));
  if (ctx.reportObjectsArn !== undefined) {
    out.push({
      step: 'verify',
      actions: ['s3:PutObject'],
      resources: [ctx.reportObjectsArn],
      why: 'write the post-incident report of each incident that closes under the configured reports prefix',
    });
  }
  out.push(
    {
      step: 'verify',
      actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
      resources: [scheduleArnPattern(ctx)],
      why: 'schedule the follow-up verification or recheck of an incident, and remove it once done',
    },
    {
      step: 'verify',
      actions: ['iam:PassRole'],
      resources: [ctx.schedulerRoleArn],
      why: 'a schedule names the role EventBridge Scheduler assumes to invoke this function',
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  );
  return out;
}

/** Paging: the escalation topic (and its key), and PagerDuty's routing key when configured. */
export function escalationPermissions(ctx: Pick<EnginePermissionContext, 'topicArn' | 'topicKeyArn' | 'pagerDutySecretArn'>): EnginePermissionSpec[] {
  const out: EnginePermissionSpec[] = [
    {
      step: 'act',
      actions: ['sns:Publish'],
      resources: [ctx.topicArn],
      why: 'escalate to the people subscribed to the escalation topic',
    },
  ];
  if (ctx.topicKeyArn !== undefined) {
    out.push({
      step: 'act',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [ctx.topicKeyArn],
      why: 'publish to the escalation topic, which is encrypted with this key',
    });
  }
  if (ctx.pagerDutySecretArn !== undefined) {
    out.push({
      step: 'act',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [`${ctx.pagerDutySecretArn}${SECRET_ARN_SUFFIX}`],
      why: 'read the PagerDuty Events v2 routing key to trigger and resolve incidents',
    });
  }
  return out;
}

/**
 * The dead-letter function: it consumes the dead-letter queue (the event source mapping polls
 * with the function's role), records each dead letter in the ledger next to its incident, and
 * pages through the escalation.
 */
export function deadLetterPermissions(
  ctx: Pick<EnginePermissionContext, 'tableArn' | 'topicArn' | 'topicKeyArn' | 'pagerDutySecretArn'> & { queueArn: string },
): EnginePermissionSpec[] {
  return [
    {
      step: 'diagnose',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      resources: [ctx.queueArn],
      why: 'the event source mapping on the dead-letter queue receives and deletes its messages with this role',
    },
    {
      step: 'act',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [ctx.tableArn, `${ctx.tableArn}/index/*`],
      why: "record each dead letter once, find the incident its event fed, and note the page on that incident's timeline",
    },
    ...escalationPermissions(ctx),
  ];
}
