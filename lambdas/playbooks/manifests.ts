import { jobFailedManifest } from './job-failed/manifest';
import { dlqSpikeManifest } from './dlq-spike/manifest';
import { firehoseDeliveryManifest } from './firehose-delivery/manifest';
import { consumerLagManifest } from './consumer-lag/manifest';
import { checkpointFailureManifest } from './checkpoint-failure/manifest';
import { brokerHealthManifest } from './broker-health/manifest';
import type { PlaybookManifest } from './types';

/** Every playbook's manifest (data only): what lib/ builds alarms, rules and roles from. */
// biome-ignore lint/suspicious/noExplicitAny: the list holds manifests with different settings types
export const manifests: readonly PlaybookManifest<any>[] = [jobFailedManifest, dlqSpikeManifest, firehoseDeliveryManifest, consumerLagManifest, checkpointFailureManifest, brokerHealthManifest];
