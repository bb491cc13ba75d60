import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { KinesisAdapter } from '../../adapters/kinesis';
import { LogsAdapter } from '../../adapters/logs';
import { ManagedFlinkAdapter } from '../../adapters/managed-flink';
import { S3Adapter } from '../../adapters/s3';
import { byJobKind } from '../../config/job-kind';
import { emrEvidence, flinkEvidence } from '../../runtimes/job-runtime';
import { scaleFlinkApplicationAction } from '../../runtimes/managed-flink/scale';
import { startFlinkApplicationAction } from '../../runtimes/managed-flink/start';
import { startJobRunAction } from '../../runtimes/emr-serverless/start-run';
import type { Playbook } from '../../core/playbook';
import { restartWithParametersAction } from '../../runtimes/emr-serverless/scale';
import { diagnoseConsumerLag, type ConsumerLagEvidence } from './diagnose';
import { diagnoseFlinkConsumerLag, type FlinkConsumerLagEvidence } from './flink-diagnose';
import { planFlinkConsumerLag } from './flink-plan';
import { verifyFlinkConsumerLag } from './flink-verify';
import { consumerLagManifest, type ConsumerLagSettings } from './manifest';
import { planConsumerLag } from './plan';
import { verifyConsumerLag } from './verify';

export type AnyConsumerLagEvidence = ConsumerLagEvidence | FlinkConsumerLagEvidence;

export const consumerLagPlaybook: Playbook<ConsumerLagSettings, AnyConsumerLagEvidence> = {
  manifest: consumerLagManifest,
  // Lag metrics and a Kinesis source's shards; EMR: the job's runs (a failed run's driver logs) and
  // its checkpoint; Managed Flink: the application, its snapshots, operations and log.
  adapters: { cloudwatch: CloudWatchAdapter, emr: EmrServerlessAdapter, s3: S3Adapter, logs: LogsAdapter, kinesis: KinesisAdapter, flink: ManagedFlinkAdapter },
  diagnose: (ctx, t) =>
    byJobKind<typeof ctx, Promise<AnyConsumerLagEvidence>>(ctx, {
      'emr-serverless': (c) => diagnoseConsumerLag(c, t),
      'managed-flink': (c) => diagnoseFlinkConsumerLag(c, t),
    }),
  plan: (input) =>
    byJobKind(input, {
      'emr-serverless': (i) => planConsumerLag({ ...i, evidence: emrEvidence<ConsumerLagEvidence>(i.evidence) }),
      'managed-flink': (i) => planFlinkConsumerLag({ ...i, evidence: flinkEvidence<FlinkConsumerLagEvidence>(i.evidence) }),
    }),
  verify: (ctx, incident) =>
    byJobKind(ctx, { 'emr-serverless': (c) => verifyConsumerLag(c, incident), 'managed-flink': (c) => verifyFlinkConsumerLag(c, incident) }),
  // EMR: job-failed's restart for a job that is not running, and the rescaled replacement run.
  // Managed Flink: job-failed's start from the latest snapshot, and the parallelism update.
  actions: [startJobRunAction, restartWithParametersAction, startFlinkApplicationAction, scaleFlinkApplicationAction],
};
