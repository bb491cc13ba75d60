import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { WiredAlarm } from '../lambdas/wiring';
import type { AlarmSpec } from '../lambdas/core/playbook';

/** How an AlarmSpec's comparison and missing-data words map to CloudWatch's enums. */
export const COMPARISON: Record<AlarmSpec['comparison'], cloudwatch.ComparisonOperator> = {
  GreaterThanThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  GreaterThanOrEqualToThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  LessThanThreshold: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

export const TREAT_MISSING_DATA: Record<AlarmSpec['treatMissingData'], cloudwatch.TreatMissingData> = {
  missing: cloudwatch.TreatMissingData.MISSING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
};

/**
 * A playbook alarm, exactly as its manifest describes it.
 *
 * It has no alarm actions on purpose: its state changes reach the playbook through the
 * EventBridge rule built from `alarmRulePattern`, and the playbook decides whether a person
 * is needed. An SNS action here would page someone for every alarm streamfix is about to fix.
 */
/** CloudWatch keeps at most 1,024 characters of an alarm's description (PutMetricAlarm, AlarmDescription). */
export const MAX_ALARM_DESCRIPTION = 1_024;

/** The manifest's description, then the next step: the playbook's runbook, when configured. */
export function alarmDescription(description: string, runbook: string | undefined): string {
  const next = runbook ? ` Runbook: ${runbook}` : '';
  const room = MAX_ALARM_DESCRIPTION - next.length;
  return `${description.length > room ? `${description.slice(0, room - 1)}…` : description}${next}`;
}

export function playbookAlarm(scope: Construct, id: string, wired: WiredAlarm, runbook?: string): cloudwatch.Alarm {
  const { spec } = wired;
  const metric = new cloudwatch.Metric({
    namespace: spec.metric.namespace,
    metricName: spec.metric.metricName,
    dimensionsMap: spec.metric.dimensions,
    statistic: spec.metric.statistic,
    period: Duration.seconds(spec.metric.periodSeconds),
  });
  return new cloudwatch.Alarm(scope, id, {
    alarmName: wired.name,
    alarmDescription: alarmDescription(spec.description, runbook),
    metric: spec.metric.math
      ? new cloudwatch.MathExpression({
          expression: `${spec.metric.math}(m1)`,
          usingMetrics: { m1: metric },
          period: Duration.seconds(spec.metric.periodSeconds),
        })
      : metric,
    comparisonOperator: COMPARISON[spec.comparison],
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: TREAT_MISSING_DATA[spec.treatMissingData],
    actionsEnabled: false,
  });
}

export interface DeadLetterAlarmProps {
  readonly alarmName: string;
  readonly queue: sqs.IQueue;
  readonly topic: sns.ITopic;
}

/**
 * Any message in the dead-letter queue means an alarm or event was not handled: tell the
 * people on the escalation topic, since streamfix itself is what failed.
 */
export function deadLetterAlarm(scope: Construct, id: string, props: DeadLetterAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription: 'An invocation of a streamfix function failed every retry; its event is kept in the dead-letter queue',
    metric: props.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    threshold: 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new actions.SnsAction(props.topic));
  return alarm;
}
