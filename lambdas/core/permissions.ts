import type { PermissionSpec } from '../playbooks/types';

/**
 * The IAM the engine itself needs in every playbook function, next to the playbook's own
 * manifest permissions: the ledger, escalation, follow-up schedules and the pause switches.
 * DATA ONLY — lib/ turns it into a role; the registry tests read it.
 */

/** A permission that may carry an IAM condition block (`{ StringEquals: { key: value } }`). */
export interface EnginePermissionSpec extends PermissionSpec {
  conditions?: Record<string, Record<string, string>>;
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
      why: 'read an alarm whose actions CloudWatch held (mute rule or suppressor) once the hold should be over: still in ALARM, still suppressed?',
    },
    {
      step: 'act',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      resources: [ctx.tableArn, `${ctx.tableArn}/index/*`],
      why: 'the ledger: dedupe events, hold locks and cooldowns, count the budget, record decisions and actions, list incidents by time (gsi1)',
    },
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
