import type { AwsClientOptions } from './clients';
import { EmrServerlessAdapter } from './emr-serverless';
import { S3Adapter } from './s3';
import { SchedulerAdapter } from './scheduler';
import { SsmAdapter } from './ssm';
import { CloudWatchAdapter } from './cloudwatch';
import { IamAdapter } from './iam';
import { FirehoseAdapter } from './firehose';
import { LogsAdapter } from './logs';

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
export { S3Adapter, parseS3Uri, type BucketEncryptionView, type ListPrefixOptions, type S3ObjectView } from './s3';
export { SchedulerAdapter, atExpression, scheduleName, type OneTimeScheduleParams } from './scheduler';
export { SsmAdapter } from './ssm';
export { CloudWatchAdapter, type MetricQuery, type MetricSeries, type MetricRef } from './cloudwatch';
export { IamAdapter, type EvalDecision, type SimulationResult } from './iam';
export { FirehoseAdapter, type BufferingHints, type DeliveryStreamView, type PutRecordBatchResult, type S3DestinationView } from './firehose';
export { LogsAdapter, type LogEventView } from './logs';

export interface AwsAdapters {
  emr: EmrServerlessAdapter;
  s3: S3Adapter;
  scheduler: SchedulerAdapter;
  ssm: SsmAdapter;
  cloudwatch: CloudWatchAdapter;
  iam: IamAdapter;
  firehose: FirehoseAdapter;
  logs: LogsAdapter;
}

const FACTORIES: { [K in keyof AwsAdapters]: (opts: AwsClientOptions) => AwsAdapters[K] } = {
  emr: (o) => EmrServerlessAdapter.fromOptions(o),
  s3: (o) => S3Adapter.fromOptions(o),
  scheduler: (o) => SchedulerAdapter.fromOptions(o),
  ssm: (o) => SsmAdapter.fromOptions(o),
  cloudwatch: (o) => CloudWatchAdapter.fromOptions(o),
  iam: (o) => IamAdapter.fromOptions(o),
  firehose: (o) => FirehoseAdapter.fromOptions(o),
  logs: (o) => LogsAdapter.fromOptions(o),
};

/**
 * The adapters of one invocation. Each SDK client is built on first use and then reused, so a
 * function that only reads SSM never builds an S3 client (nor resolves its config and endpoints).
 */
export function createAwsAdapters(opts: AwsClientOptions): AwsAdapters {
  const built: Partial<AwsAdapters> = {};
  const out = {} as AwsAdapters;
  for (const key of Object.keys(FACTORIES) as (keyof AwsAdapters)[]) {
    Object.defineProperty(out, key, {
      enumerable: true,
      get: () => (built[key] ??= FACTORIES[key](opts) as never),
    });
  }
  return out;
}
