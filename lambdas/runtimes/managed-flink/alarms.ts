import { restartsMetric } from '../../config/flink-runtime';
import type { ManagedFlinkJob } from '../../config/schema';
import type { AlarmSpec } from '../../core/playbook';

/**
 * The alarms the Managed Service for Apache Flink guide recommends ("Use CloudWatch alarms with
 * Amazon Managed Service for Apache Flink", docs.aws.amazon.com/managed-flink/latest/java/
 * monitoring-metrics-alarms.html), on the metric names the configured runtime publishes
 * ("Metrics and dimensions", metrics-dimensions.html: namespace AWS/KinesisAnalytics, dimension
 * `Application`; Flink 2.2 replaced `fullRestarts` with `numRestarts`). DATA ONLY: each playbook's
 * manifest takes the ones it answers.
 *
 * - `downtime > 0` (Average): the application has failed and processes nothing;
 * - `RATE(fullRestarts | numRestarts) > 0`: the job restarts (a counter since the job started,
 *   alarmed on its rate, as the guide does for counters);
 * - `RATE(numberOfFailedCheckpoints) > 0` (Average): checkpoints fail;
 * - `lastCheckpointDuration > threshold`, `lastCheckpointSize > threshold` (Maximum);
 * - `records_lag_max` (Kafka source) / `millisBehindLatest` (Kinesis source) `> threshold` (Maximum);
 * - `cpuUtilization > 80`, `heapMemoryUtilization > 90` (Maximum, the guide's values).
 * `KPUs` is published while the application runs: its absence for three minutes is an application
 * that is not running at all (READY after a failed operation), which `downtime` cannot show.
 */

export const FLINK_NAMESPACE = 'AWS/KinesisAnalytics';

export const flinkDimensions = (job: ManagedFlinkJob): Record<string, string> => ({ Application: job.applicationName });

const metric = (job: ManagedFlinkJob, metricName: string, statistic: AlarmSpec['metric']['statistic']): AlarmSpec['metric'] => ({
  namespace: FLINK_NAMESPACE,
  metricName,
  dimensions: flinkDimensions(job),
  statistic,
  periodSeconds: 60,
});

/** job-failed: the application failed, restarts, or is not running. */
export function flinkFailureAlarms(job: ManagedFlinkJob): AlarmSpec[] {
  const restarts = restartsMetric(job.runtimeEnvironment);
  return [
    {
      signal: 'downtime',
      description: `${job.applicationName}: downtime above 0 (the job failed and processes nothing)`,
      metric: metric(job, 'downtime', 'Average'),
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
    },
    {
      signal: 'restarts',
      description: `${job.applicationName}: RATE(${restarts}) above 0 (the job restarts; ${job.runtimeEnvironment})`,
      metric: { ...metric(job, restarts, 'Maximum'), math: 'RATE' },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      // A rate over the last minute: back to 0 a minute later whatever happened.
      okMeansRecovered: false,
    },
    {
      signal: 'not-running',
      description: `${job.applicationName}: no KPUs for 3 minutes (the application is not running)`,
      metric: metric(job, 'KPUs', 'Maximum'),
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'breaching',
    },
  ];
}

/** checkpoint-failure: checkpoints fail, or take (or hold) too much. */
export function flinkCheckpointAlarms(job: ManagedFlinkJob, b: { slowCheckpointMs: number; maxCheckpointSizeBytes?: number | undefined }): AlarmSpec[] {
  const out: AlarmSpec[] = [
    {
      signal: 'failed-checkpoints',
      description: `${job.applicationName}: RATE(numberOfFailedCheckpoints) above 0`,
      metric: { ...metric(job, 'numberOfFailedCheckpoints', 'Average'), math: 'RATE' },
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      okMeansRecovered: false,
    },
    {
      signal: 'checkpoint-duration',
      description: `${job.applicationName}: lastCheckpointDuration above ${b.slowCheckpointMs} ms`,
      metric: metric(job, 'lastCheckpointDuration', 'Maximum'),
      comparison: 'GreaterThanThreshold',
      threshold: b.slowCheckpointMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'missing',
    },
  ];
  if (b.maxCheckpointSizeBytes !== undefined) {
    out.push({
      signal: 'checkpoint-size',
      description: `${job.applicationName}: lastCheckpointSize above ${b.maxCheckpointSizeBytes} bytes`,
      metric: metric(job, 'lastCheckpointSize', 'Maximum'),
      comparison: 'GreaterThanThreshold',
      threshold: b.maxCheckpointSizeBytes,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'missing',
    });
  }
  return out;
}

/** consumer-lag: the application falls behind its source, or runs out of CPU or heap. */
export function flinkLagAlarms(
  job: ManagedFlinkJob,
  source: 'msk' | 'kinesis',
  b: { lagAlarmRecords: number; iteratorAgeAlarmSeconds: number; alarmMinutes: number; cpuAlarmPercent: number; heapAlarmPercent: number },
): AlarmSpec[] {
  const every = {
    comparison: 'GreaterThanThreshold',
    evaluationPeriods: b.alarmMinutes,
    datapointsToAlarm: b.alarmMinutes,
    treatMissingData: 'missing',
  } as const;
  const lag: AlarmSpec =
    source === 'kinesis'
      ? {
          signal: 'millis-behind-latest',
          description: `${job.applicationName}: millisBehindLatest above ${b.iteratorAgeAlarmSeconds} s`,
          metric: metric(job, 'millisBehindLatest', 'Maximum'),
          threshold: b.iteratorAgeAlarmSeconds * 1000,
          ...every,
        }
      : {
          signal: 'records-lag-max',
          description: `${job.applicationName}: records_lag_max above ${b.lagAlarmRecords}`,
          metric: metric(job, 'records_lag_max', 'Maximum'),
          threshold: b.lagAlarmRecords,
          ...every,
        };
  // CPU or heap back below the threshold says nothing about the lag: their OK does not resolve an incident.
  return [
    lag,
    {
      signal: 'cpu',
      description: `${job.applicationName}: cpuUtilization above ${b.cpuAlarmPercent}%`,
      metric: metric(job, 'cpuUtilization', 'Maximum'),
      threshold: b.cpuAlarmPercent,
      ...every,
      okMeansRecovered: false,
    },
    {
      signal: 'heap',
      description: `${job.applicationName}: heapMemoryUtilization above ${b.heapAlarmPercent}%`,
      metric: metric(job, 'heapMemoryUtilization', 'Maximum'),
      threshold: b.heapAlarmPercent,
      ...every,
      okMeansRecovered: false,
    },
  ];
}
