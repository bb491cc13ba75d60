import type { Playbook } from '../types';
import { dlqSpikeActions } from './act';
import { diagnoseDlqSpike, type DlqSpikeEvidence } from './diagnose';
import { dlqSpikeManifest, type DlqSpikeSettings } from './manifest';
import { planDlqSpike } from './plan';
import { verifyDlqSpike } from './verify';

export const dlqSpikePlaybook: Playbook<DlqSpikeSettings, DlqSpikeEvidence> = {
  manifest: dlqSpikeManifest,
  diagnose: diagnoseDlqSpike,
  plan: planDlqSpike,
  verify: verifyDlqSpike,
  actions: dlqSpikeActions,
};
