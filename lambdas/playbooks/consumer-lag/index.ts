import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { LogsAdapter } from '../../adapters/logs';
import { S3Adapter } from '../../adapters/s3';
import { startJobRunAction } from '../job-failed/act';
import type { Playbook } from '../types';
import { restartWithParametersAction } from './act';
import { diagnoseConsumerLag, type ConsumerLagEvidence } from './diagnose';
import { consumerLagManifest, type ConsumerLagSettings } from './manifest';
import { planConsumerLag } from './plan';
import { verifyConsumerLag } from './verify';

export const consumerLagPlaybook: Playbook<ConsumerLagSettings, ConsumerLagEvidence> = {
  manifest: consumerLagManifest,
  // Lag metrics, the job's runs (and a failed run's driver logs), and its checkpoint before a restart.
  adapters: { cloudwatch: CloudWatchAdapter, emr: EmrServerlessAdapter, s3: S3Adapter, logs: LogsAdapter },
  diagnose: diagnoseConsumerLag,
  plan: planConsumerLag,
  verify: verifyConsumerLag,
  // job-failed's restart for a job that is not running (same type, resource and guardrails).
  actions: [startJobRunAction, restartWithParametersAction],
};
