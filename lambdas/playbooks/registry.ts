import { jobFailedPlaybook } from './job-failed';
import { dlqSpikePlaybook } from './dlq-spike';
import { firehoseDeliveryPlaybook } from './firehose-delivery';
import { consumerLagPlaybook } from './consumer-lag';
import { checkpointFailurePlaybook } from './checkpoint-failure';
import { brokerHealthPlaybook } from './broker-health';
import type { Playbook, PlaybookManifest } from '../core/playbook';

/**
 * Every playbook: the one list. Adding a playbook is its folder (`playbooks/<id>/`, its manifest
 * and code) and one line here; the manifests (alarms, rules, roles), the settings schemas of the
 * config and the drills' and CLI's handlers all derive from this list. Its Lambda entry is written
 * at synth (lib/entries.ts) and imports only its own folder.
 */
const playbookList: readonly Playbook[] = [
  jobFailedPlaybook,
  dlqSpikePlaybook,
  firehoseDeliveryPlaybook,
  consumerLagPlaybook,
  checkpointFailurePlaybook,
  brokerHealthPlaybook,
];

/** Every playbook by id (drills and CLI; a Lambda entry imports only its own playbook). */
export const playbooks: Readonly<Record<string, Playbook>> = Object.fromEntries(playbookList.map((p) => [p.manifest.id, p]));

/** Every playbook's manifest (data): what lib/ builds alarms, rules and roles from. */
export const manifests: readonly PlaybookManifest[] = playbookList.map((p) => p.manifest);

/** The settings schema of every playbook, by id: the full config schema (lambdas/schema.ts) composes them. */
export const playbookSettingsSchemas: Readonly<Record<string, PlaybookManifest['settings']>> = Object.fromEntries(
  playbookList.map((p) => [p.manifest.id, p.manifest.settings]),
);
