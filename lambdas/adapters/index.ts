import type { AwsClientOptions } from './clients';
import { selectAwsAdapters, type AdapterClasses, type AwsAdapters } from './select';
import { EmrServerlessAdapter } from './emr-serverless';
import { S3Adapter } from './s3';
import { SchedulerAdapter } from './scheduler';
import { SsmAdapter } from './ssm';
import { CloudWatchAdapter } from './cloudwatch';
import { IamAdapter } from './iam';
import { FirehoseAdapter } from './firehose';
import { LogsAdapter } from './logs';
import { MskAdapter } from './msk';
import { ManagedFlinkAdapter } from './managed-flink';
import { KinesisAdapter } from './kinesis';

export type { AwsClientOptions } from './clients';
export { clientConfig, withPlugins } from './clients';
export { isTransient, mapAwsError } from './errors';
export {
  EmrServerlessAdapter,
  type ConfigurationOverrides,
  type JobDriver,
  type JobRunSummaryView,
  type JobRunView,
  type ListJobRunsOptions,
  type NetworkConfiguration,
  type RetryPolicy,
  type StartJobRunParams,
} from './emr-serverless';
export { S3Adapter, type BucketEncryptionView } from './s3';
export { SchedulerAdapter, atExpression, scheduleName, type OneTimeScheduleParams } from './scheduler';
export { SsmAdapter } from './ssm';
export { CloudWatchAdapter, type MetricQuery, type MetricSeries, type MetricRef } from './cloudwatch';
export { IamAdapter, type EvalDecision, type SimulationResult } from './iam';
export { FirehoseAdapter, type BufferingHints, type DeliveryStreamView, type PutRecordBatchResult, type S3DestinationView } from './firehose';
export { LogsAdapter, type LogEventView } from './logs';
export { MskAdapter, type MskBrokerNodeView, type MskClusterView, type MskOperationDetail, type MskOperationView } from './msk';
export { ManagedFlinkAdapter, type FlinkApplicationView, type FlinkOperationDetail, type FlinkOperationView, type FlinkSnapshotView } from './managed-flink';
export { KinesisAdapter, type KinesisShardView, type KinesisStreamView } from './kinesis';

export {
  ADAPTER_NAMES,
  ADAPTER_SERVICES,
  AdapterNotBundledError,
  selectAwsAdapters,
  type AdapterClass,
  type AdapterClasses,
  type AdapterName,
  type AwsAdapters,
} from './select';

/**
 * Every adapter class. Only for code that may use any service (the CLI, tests): a Lambda
 * function builds its adapters from its playbook's or operation's own `adapters` instead, and
 * so never imports this barrel's list (nor every SDK client with it).
 */
export const ALL_ADAPTERS = {
  emr: EmrServerlessAdapter,
  s3: S3Adapter,
  scheduler: SchedulerAdapter,
  ssm: SsmAdapter,
  cloudwatch: CloudWatchAdapter,
  iam: IamAdapter,
  firehose: FirehoseAdapter,
  logs: LogsAdapter,
  msk: MskAdapter,
  flink: ManagedFlinkAdapter,
  kinesis: KinesisAdapter,
} as const satisfies Required<AdapterClasses>;

/**
 * The adapters of one invocation, built on first use (see selectAwsAdapters): those of
 * `classes`, every adapter when none are given.
 */
export function createAwsAdapters(opts: AwsClientOptions, classes: AdapterClasses = ALL_ADAPTERS, owner = 'current'): AwsAdapters {
  return selectAwsAdapters(opts, classes, owner);
}
