import type { AwsClientOptions } from './clients';
import { EmrServerlessAdapter } from './emr-serverless';
import { S3Adapter } from './s3';
import { SchedulerAdapter } from './scheduler';
import { SsmAdapter } from './ssm';

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
export { S3Adapter, parseS3Uri, type ListPrefixOptions, type S3ObjectView } from './s3';
export { SchedulerAdapter, atExpression, scheduleName, type OneTimeScheduleParams } from './scheduler';
export { SsmAdapter } from './ssm';

export interface AwsAdapters {
  emr: EmrServerlessAdapter;
  s3: S3Adapter;
  scheduler: SchedulerAdapter;
  ssm: SsmAdapter;
}

/**
 * The adapters of one invocation. Each SDK client is built on first use and then reused, so a
 * function that only reads SSM never builds an S3 client (nor resolves its config and endpoints).
 */
export function createAwsAdapters(opts: AwsClientOptions): AwsAdapters {
  let emr: EmrServerlessAdapter | undefined;
  let s3: S3Adapter | undefined;
  let scheduler: SchedulerAdapter | undefined;
  let ssm: SsmAdapter | undefined;
  return {
    get emr() {
      return (emr ??= EmrServerlessAdapter.fromOptions(opts));
    },
    get s3() {
      return (s3 ??= S3Adapter.fromOptions(opts));
    },
    get scheduler() {
      return (scheduler ??= SchedulerAdapter.fromOptions(opts));
    },
    get ssm() {
      return (ssm ??= SsmAdapter.fromOptions(opts));
    },
  };
}
