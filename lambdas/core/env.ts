import { InvalidInputError } from './errors';

/**
 * What a playbook function learns from its environment. The CDK stack sets these variables
 * (names below); drills build the same object by hand.
 */
export interface RuntimeEnv {
  /** Ledger table (DynamoDB). */
  tableName: string;
  /** SNS topic for escalations. */
  topicArn: string;
  /** Secrets Manager secret name/ARN of the PagerDuty routing key; absent = PagerDuty off. */
  pagerDutySecretId?: string;
  /** EventBridge Scheduler group and the role it assumes to invoke the function. */
  schedulerGroup: string;
  schedulerRoleArn: string;
  /** SSM parameters: global pause and the per-pipeline pause prefix (`<prefix><pipeline>`). */
  pauseParameter: string;
  pipelinePauseParameterPrefix: string;
  /** CloudWatch namespace of streamfix's own metrics. */
  metricsNamespace: string;
  /** SQS queue the follow-up schedules deliver to when they cannot invoke the function; absent = none. */
  deadLetterQueueArn?: string;
}

export const ENV_VARS = {
  tableName: 'STREAMFIX_TABLE',
  topicArn: 'STREAMFIX_TOPIC_ARN',
  pagerDutySecretId: 'STREAMFIX_PAGERDUTY_SECRET',
  schedulerGroup: 'STREAMFIX_SCHEDULER_GROUP',
  schedulerRoleArn: 'STREAMFIX_SCHEDULER_ROLE_ARN',
  pauseParameter: 'STREAMFIX_PAUSE_PARAMETER',
  pipelinePauseParameterPrefix: 'STREAMFIX_PIPELINE_PAUSE_PREFIX',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  deadLetterQueueArn: 'STREAMFIX_DEAD_LETTER_QUEUE_ARN',
} as const satisfies Record<keyof RuntimeEnv, string>;

const OPTIONAL: ReadonlySet<keyof RuntimeEnv> = new Set(['pagerDutySecretId', 'deadLetterQueueArn']);

export function readRuntimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const out: Partial<RuntimeEnv> = {};
  for (const [key, variable] of Object.entries(ENV_VARS) as [keyof RuntimeEnv, string][]) {
    const v = env[variable];
    if (v === undefined || v === '') {
      if (OPTIONAL.has(key)) continue;
      throw new InvalidInputError(`env.${variable}`, 'Required (set by the streamfix stack)');
    }
    out[key] = v;
  }
  return out as RuntimeEnv;
}
