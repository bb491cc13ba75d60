import { jobFailedSettings } from './job-failed/manifest';

/** The settings schema of every playbook, by id: the config schema is built from this. */
export const playbookSettingsSchemas = {
  'job-failed': jobFailedSettings,
};

export type PlaybookId = keyof typeof playbookSettingsSchemas;
