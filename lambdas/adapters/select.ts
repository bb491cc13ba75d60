import { StreamfixError } from '../core/errors';
import type { AwsClientOptions } from './clients';
import type { CloudWatchAdapter } from './cloudwatch';
import type { EmrServerlessAdapter } from './emr-serverless';
import type { FirehoseAdapter } from './firehose';
import type { IamAdapter } from './iam';
import type { KinesisAdapter } from './kinesis';
import type { LogsAdapter } from './logs';
import type { ManagedFlinkAdapter } from './managed-flink';
import type { MskAdapter } from './msk';
import type { S3Adapter } from './s3';
import type { SchedulerAdapter } from './scheduler';
import type { SsmAdapter } from './ssm';

/**
 * Choosing the service adapters a function contains. This file imports no adapter and no SDK
 * client at run time: a function's bundle holds only the adapter classes its playbook or
 * operation names (`adapters`), so a playbook that never calls IAM does not load the IAM client.
 */

/** Every service adapter playbook and operation code reaches through `ctx.aws`. */
export interface AwsAdapters {
  emr: EmrServerlessAdapter;
  s3: S3Adapter;
  scheduler: SchedulerAdapter;
  ssm: SsmAdapter;
  cloudwatch: CloudWatchAdapter;
  iam: IamAdapter;
  firehose: FirehoseAdapter;
  logs: LogsAdapter;
  msk: MskAdapter;
  flink: ManagedFlinkAdapter;
  kinesis: KinesisAdapter;
}

/** The playbook contract (core/playbook.ts) types `ctx.aws` and a playbook's `adapters` with these. */
declare module '../core/playbook' {
  interface PlaybookAdapters extends AwsAdapters {}
  interface PlaybookAdapterClasses extends AdapterClasses {}
}

export type AdapterName = keyof AwsAdapters;

/** What builds an adapter: its class, through the static `fromOptions` every adapter has. */
export interface AdapterClass<A> {
  fromOptions(opts: AwsClientOptions): A;
}

/** The adapters a function contains, by name. */
export type AdapterClasses = { readonly [K in AdapterName]?: AdapterClass<AwsAdapters[K]> };

/**
 * The IAM service prefix each adapter calls: how a manifest's permissions name it
 * (`emr-serverless:StartJobRun` needs `emr`). Also the list of every adapter name.
 */
export const ADAPTER_SERVICES: Readonly<Record<AdapterName, string>> = {
  emr: 'emr-serverless',
  s3: 's3',
  scheduler: 'scheduler',
  ssm: 'ssm',
  cloudwatch: 'cloudwatch',
  iam: 'iam',
  firehose: 'firehose',
  logs: 'logs',
  msk: 'kafka',
  flink: 'kinesisanalytics',
  kinesis: 'kinesis',
};

export const ADAPTER_NAMES = Object.keys(ADAPTER_SERVICES) as readonly AdapterName[];

/** Code used an adapter its function does not contain: its playbook or operation must name it. */
export class AdapterNotBundledError extends StreamfixError {
  override readonly name = 'AdapterNotBundledError';
  constructor(
    readonly adapter: AdapterName,
    readonly owner: string,
  ) {
    super(
      `the ${adapter} adapter (${ADAPTER_SERVICES[adapter]}) is not bundled in the ${owner} function: ` +
        `name it in the adapters of its playbook or operation`,
    );
  }
}

/**
 * The adapters of one function, from the classes it names. Each SDK client is built on first use
 * and then reused, so a function that only reads SSM never builds an S3 client (nor resolves its
 * config and endpoints). Using an adapter that is not named throws AdapterNotBundledError naming
 * the adapter and `owner` (the playbook or operation id); those properties are not enumerable.
 */
export function selectAwsAdapters(opts: AwsClientOptions, classes: AdapterClasses, owner: string): AwsAdapters {
  const built: Partial<Record<AdapterName, unknown>> = {};
  const out = {} as AwsAdapters;
  for (const key of ADAPTER_NAMES) {
    const cls = classes[key] as AdapterClass<unknown> | undefined;
    Object.defineProperty(
      out,
      key,
      cls
        ? { enumerable: true, get: () => (built[key] ??= cls.fromOptions(opts)) }
        : {
            enumerable: false,
            get: () => {
              throw new AdapterNotBundledError(key, owner);
            },
          },
    );
  }
  return out;
}
