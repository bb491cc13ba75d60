import { jobFailedSettings } from './job-failed/manifest';
import { dlqSpikeSettings } from './dlq-spike/manifest';
import { firehoseDeliverySettings } from './firehose-delivery/manifest';
import { consumerLagSettings } from './consumer-lag/manifest';
import { checkpointFailureSettings } from './checkpoint-failure/manifest';
import { brokerHealthSettings } from './broker-health/manifest';

/** The settings schema of every playbook, by id: the config schema is built from this. */
export const playbookSettingsSchemas = {
  'job-failed': jobFailedSettings,
  'dlq-spike': dlqSpikeSettings,
  'firehose-delivery': firehoseDeliverySettings,
  'consumer-lag': consumerLagSettings,
  'checkpoint-failure': checkpointFailureSettings,
  'broker-health': brokerHealthSettings,
};

export type PlaybookId = keyof typeof playbookSettingsSchemas;
