import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { MskAdapter } from '../../adapters/msk';
import type { Playbook } from '../../core/playbook';
import { rebootBrokerAction } from './act';
import { diagnoseBrokerHealth, type BrokerHealthEvidence } from './diagnose';
import { brokerHealthManifest, type BrokerHealthSettings } from './manifest';
import { planBrokerHealth } from './plan';
import { verifyBrokerHealth } from './verify';

export const brokerHealthPlaybook: Playbook<BrokerHealthSettings, BrokerHealthEvidence> = {
  manifest: brokerHealthManifest,
  // The cluster, its nodes and operations (MSK control plane) and its metrics.
  adapters: { msk: MskAdapter, cloudwatch: CloudWatchAdapter },
  diagnose: diagnoseBrokerHealth,
  plan: planBrokerHealth,
  verify: verifyBrokerHealth,
  actions: [rebootBrokerAction],
};
