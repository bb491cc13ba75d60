import { createHash } from 'node:crypto';
import type { PlannedAction } from '../../core/decision';
import type { JobRunView } from '../../adapters/emr-serverless';
import type { EmrServerlessJob } from '../../config/schema';
import { jobResource } from './job';

/**
 * The restart every playbook uses: one StartJobRun of the configured job that carries every
 * StartJobRun field the old run had (API_StartJobRun, docs.aws.amazon.com/emr-serverless/latest/
 * APIReference/API_StartJobRun.html), in particular its session policy (`executionIamPolicy`):
 * without it the new run would get the role's full permissions. A test lists the SDK's
 * StartJobRunRequest members and fails on one that is neither carried nor declared here.
 */

export const START_JOB_RUN = 'emr-serverless:StartJobRun';

/**
 * StartJobRunRequest members a restart does not carry from the old run, and why. Empty: every
 * member is carried. A new member of the SDK must be carried or declared here.
 */
export const START_JOB_RUN_FIELDS_NOT_CARRIED: Readonly<Record<string, string>> = {};

/** StartJobRunRequest members a restart sets other than by copying the old run's, and why. */
export const START_JOB_RUN_FIELDS_NOT_COPIED: Readonly<Record<string, string>> = {
  applicationId: 'the configured application (bounds: the restart never goes elsewhere)',
  clientToken: 'derived from the incident and the old run: a retried action returns the same new run, never the old one',
  executionRoleArn: "the old run's executionRole (GetJobRun names it differently)",
};

/** Idempotency token: the same incident restarting the same failed run always sends the same token. */
export const restartToken = (incidentId: string, failedRunId: string) => createHash('sha256').update(`${incidentId}:${failedRunId}`).digest('hex').slice(0, 40);

/** The StartJobRun parameters that start `r` again (the old run's fields, a new token and tags). */
export function restartParams(job: EmrServerlessJob, r: JobRunView, incidentId: string, sparkSubmitParameters?: string) {
  const tags = { ...(r.tags ?? {}), 'streamfix:incident': incidentId.slice(0, 256), 'streamfix:restart-of': r.jobRunId };
  const jobDriver =
    sparkSubmitParameters !== undefined && r.jobDriver.sparkSubmit
      ? { ...r.jobDriver, sparkSubmit: { ...r.jobDriver.sparkSubmit, sparkSubmitParameters } }
      : r.jobDriver;
  return {
    applicationId: job.applicationId,
    clientToken: restartToken(incidentId, r.jobRunId),
    executionRoleArn: r.executionRoleArn,
    ...(r.executionIamPolicy ? { executionIamPolicy: r.executionIamPolicy } : {}),
    name: r.name,
    mode: 'STREAMING',
    jobDriver,
    ...(r.configurationOverrides ? { configurationOverrides: r.configurationOverrides } : {}),
    ...(r.retryPolicy ? { retryPolicy: r.retryPolicy } : {}),
    ...(r.executionTimeoutMinutes !== undefined ? { executionTimeoutMinutes: r.executionTimeoutMinutes } : {}),
    tags,
  };
}

/**
 * One StartJobRun of the configured job with the old run's driver, configuration, role and
 * session policy, tagged with the incident, and a clientToken derived from the incident and the
 * old run (a retry cannot start a second run).
 */
export function restartAction(job: EmrServerlessJob, r: JobRunView, incidentId: string, description: string): PlannedAction {
  return { type: START_JOB_RUN, resource: jobResource(job.applicationId, job.jobName), description, params: restartParams(job, r, incidentId) };
}

const q = (o: unknown) => `'${JSON.stringify(o)}'`;

/** The CLI command a person would run to start `r` again by hand (with `sparkSubmitParameters` when given). */
export function startCommand(r: JobRunView | undefined, appId: string, sparkSubmitParameters?: string): string {
  if (!r) return `aws emr-serverless list-job-runs --application-id ${appId}`;
  const p = restartParams({ applicationId: appId } as EmrServerlessJob, r, 'by-hand', sparkSubmitParameters);
  return [
    'aws emr-serverless start-job-run',
    `--application-id ${appId}`,
    `--execution-role-arn ${r.executionRoleArn}`,
    p.executionIamPolicy ? `--execution-iam-policy ${q(p.executionIamPolicy)}` : '',
    r.name ? `--name '${r.name}'` : '',
    '--mode STREAMING',
    `--job-driver ${q(p.jobDriver)}`,
    r.configurationOverrides ? `--configuration-overrides ${q(r.configurationOverrides)}` : '',
    r.retryPolicy ? `--retry-policy ${q(r.retryPolicy)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
