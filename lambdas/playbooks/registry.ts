import { jobFailedPlaybook } from './job-failed';
import { dlqSpikePlaybook } from './dlq-spike';
import { firehoseDeliveryPlaybook } from './firehose-delivery';
import { consumerLagPlaybook } from './consumer-lag';
import { checkpointFailurePlaybook } from './checkpoint-failure';
import { brokerHealthPlaybook } from './broker-health';
import type { Playbook } from './types';

/** Every playbook by id (drills and CLI; a Lambda entry imports only its own playbook). */
export const playbooks: Readonly<Record<string, Playbook>> = {
  [jobFailedPlaybook.manifest.id]: jobFailedPlaybook,
  [dlqSpikePlaybook.manifest.id]: dlqSpikePlaybook,
  [firehoseDeliveryPlaybook.manifest.id]: firehoseDeliveryPlaybook,
  [consumerLagPlaybook.manifest.id]: consumerLagPlaybook,
  [checkpointFailurePlaybook.manifest.id]: checkpointFailurePlaybook,
  [brokerHealthPlaybook.manifest.id]: brokerHealthPlaybook,
};
