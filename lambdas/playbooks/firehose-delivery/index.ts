import type { Playbook } from '../types';
import { updateBufferingHintsAction } from './act';
import { diagnoseFirehoseDelivery, type FirehoseDeliveryEvidence } from './diagnose';
import { firehoseDeliveryManifest, type FirehoseDeliverySettings } from './manifest';
import { planFirehoseDelivery } from './plan';
import { verifyFirehoseDelivery } from './verify';

export const firehoseDeliveryPlaybook: Playbook<FirehoseDeliverySettings, FirehoseDeliveryEvidence> = {
  manifest: firehoseDeliveryManifest,
  diagnose: diagnoseFirehoseDelivery,
  plan: planFirehoseDelivery,
  verify: verifyFirehoseDelivery,
  actions: [updateBufferingHintsAction],
};
