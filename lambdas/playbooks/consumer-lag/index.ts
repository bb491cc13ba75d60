import { startJobRunAction } from '../job-failed/act';
import type { Playbook } from '../types';
import { restartWithParametersAction } from './act';
import { diagnoseConsumerLag, type ConsumerLagEvidence } from './diagnose';
import { consumerLagManifest, type ConsumerLagSettings } from './manifest';
import { planConsumerLag } from './plan';
import { verifyConsumerLag } from './verify';

export const consumerLagPlaybook: Playbook<ConsumerLagSettings, ConsumerLagEvidence> = {
  manifest: consumerLagManifest,
  diagnose: diagnoseConsumerLag,
  plan: planConsumerLag,
  verify: verifyConsumerLag,
  // job-failed's restart for a job that is not running (same type, resource and guardrails).
  actions: [startJobRunAction, restartWithParametersAction],
};
