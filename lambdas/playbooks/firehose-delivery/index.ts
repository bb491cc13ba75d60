import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { FirehoseAdapter } from '../../adapters/firehose';
import { IamAdapter } from '../../adapters/iam';
import { LogsAdapter } from '../../adapters/logs';
import type { Playbook } from '../../core/playbook';
import { updateBufferingHintsAction } from './act';
import { diagnoseFirehoseDelivery, type FirehoseDeliveryEvidence } from './diagnose';
import { firehoseDeliveryManifest, type FirehoseDeliverySettings } from './manifest';
import { planFirehoseDelivery } from './plan';
import { verifyFirehoseDelivery } from './verify';

export const firehoseDeliveryPlaybook: Playbook<FirehoseDeliverySettings, FirehoseDeliveryEvidence> = {
  manifest: firehoseDeliveryManifest,
  // The stream, its metrics and error log, a simulation of its delivery role.
  adapters: { firehose: FirehoseAdapter, cloudwatch: CloudWatchAdapter, logs: LogsAdapter, iam: IamAdapter },
  diagnose: diagnoseFirehoseDelivery,
  plan: planFirehoseDelivery,
  verify: verifyFirehoseDelivery,
  actions: [updateBufferingHintsAction],
};
