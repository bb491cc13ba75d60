import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { S3Adapter } from '../../adapters/s3';
import type { Playbook } from '../../core/playbook';
import { dlqSpikeActions } from './act';
import { diagnoseDlqSpike, type DlqSpikeEvidence } from './diagnose';
import { dlqSpikeManifest, type DlqSpikeSettings } from './manifest';
import { planDlqSpike } from './plan';
import { verifyDlqSpike } from './verify';

export const dlqSpikePlaybook: Playbook<DlqSpikeSettings, DlqSpikeEvidence> = {
  manifest: dlqSpikeManifest,
  // Samples the DLQ (and a reference prefix) in S3, reads recent job runs.
  adapters: { emr: EmrServerlessAdapter, s3: S3Adapter },
  diagnose: diagnoseDlqSpike,
  plan: planDlqSpike,
  verify: verifyDlqSpike,
  actions: dlqSpikeActions,
};
