import { jobFailedPlaybook } from './job-failed';
import type { Playbook } from './types';

/** Every playbook by id (drills and CLI; a Lambda entry imports only its own playbook). */
export const playbooks: Readonly<Record<string, Playbook>> = {
  [jobFailedPlaybook.manifest.id]: jobFailedPlaybook,
};
