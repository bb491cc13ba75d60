import { createHash } from 'node:crypto';
import { escalate, fix, ignore, recheck, type Decision, type Evidence, type PlannedAction } from '../../core/decision';
import type { JobRunView } from '../../adapters/emr-serverless';
import type { PipelineConfig } from '../../config/schema';
import { isCheckpointFailure } from '../checkpoint-failure/classify';
import type { PlanInput } from '../types';
import { ACTIVE_STATES, jobResource, type JobFailedEvidence } from './diagnose';
import type { JobFailedSettings } from './manifest';

export const JobFailedReason = {
  RESTARTABLE: 'JOB_FAILED_RESTARTABLE',
  NOT_RESTARTABLE: 'JOB_FAILURE_NOT_RESTARTABLE',
  CANCELLED_BY_PERSON: 'JOB_CANCELLED_BY_PERSON',
  RUNNING: 'JOB_RUNNING',
  ANOTHER_RUN_ACTIVE: 'ANOTHER_RUN_ACTIVE',
  CANCELLING: 'JOB_CANCELLING',
  NOT_THIS_JOB: 'NOT_THIS_JOB',
  NOT_STREAMING: 'NOT_STREAMING',
  NO_RUN_FOUND: 'JOB_RUN_NOT_FOUND',
  ENDED: 'STREAMING_JOB_ENDED',
  STALE_FAILURE: 'FAILURE_TOO_OLD',
  CHECKPOINT_MISSING: 'CHECKPOINT_MISSING',
  CHECKPOINT_TOO_OLD: 'CHECKPOINT_TOO_OLD',
  BEYOND_RETENTION: 'CHECKPOINT_BEYOND_SOURCE_RETENTION',
  BUDGET_EXHAUSTED: 'BUDGET_EXHAUSTED',
  HANDLED_BY_CHECKPOINT_FAILURE: 'HANDLED_BY_CHECKPOINT_FAILURE',
} as const;

export const START_JOB_RUN = 'emr-serverless:StartJobRun';

const matches = (patterns: string[], text: string | undefined): string | undefined =>
  text === undefined ? undefined : patterns.find((p) => new RegExp(p, 'i').test(text));

/** Idempotency token: the same incident restarting the same failed run always sends the same token. */
export const restartToken = (incidentId: string, failedRunId: string) =>
  createHash('sha256').update(`${incidentId}:${failedRunId}`).digest('hex').slice(0, 40);

/** The CLI command a person would run to restart the job by hand. */
export function startCommand(e: JobFailedEvidence, appId: string): string {
  const r = e.run;
  if (!r) return `aws emr-serverless list-job-runs --application-id ${appId}`;
  return [
    'aws emr-serverless start-job-run',
    `--application-id ${appId}`,
    `--execution-role-arn ${r.executionRoleArn}`,
    r.name ? `--name '${r.name}'` : '',
    '--mode STREAMING',
    `--job-driver '${JSON.stringify(r.jobDriver)}'`,
    r.configurationOverrides ? `--configuration-overrides '${JSON.stringify(r.configurationOverrides)}'` : '',
    r.retryPolicy ? `--retry-policy '${JSON.stringify(r.retryPolicy)}'` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Pure: restart only a STREAMING run of the configured job that FAILED (or was cancelled by
 * the system, not a person), when no other run is active, the checkpoint exists and is young
 * enough for the source to still hold the data after it, and the budget allows; escalate
 * failures a restart cannot fix.
 */
export function planJobFailed(input: PlanInput<JobFailedSettings, JobFailedEvidence>): Decision {
  const { evidence: e, settings, pipeline, nowMs, incidentId } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const r = e.run;
  const ev: Evidence = {
    jobRunId: r?.jobRunId ?? null,
    jobRunState: r?.state ?? null,
    stateDetails: r?.stateDetails ?? null,
    activeRuns: e.activeRuns.length,
    checkpointExists: e.checkpoint.exists,
    checkpointAgeSeconds: e.checkpoint.lastWriteMs !== undefined ? Math.round((nowMs - e.checkpoint.lastWriteMs) / 1000) : null,
    restartsLastHour: e.restartsLastHour,
    restartBudgetPerHour: settings.maxActionsPerHour,
  };
  const command = startCommand(e, job.applicationId);

  if (!r) {
    return escalate(JobFailedReason.NO_RUN_FOUND, `no ended run of job ${job.jobName} found on application ${job.applicationId}`, ev, 'warning', {
      summary: 'find out why the streaming job is not running; start it by hand if it should run',
      command: `aws emr-serverless list-job-runs --application-id ${job.applicationId}`,
    });
  }
  if (r.name !== job.jobName) return ignore(JobFailedReason.NOT_THIS_JOB, `run ${r.jobRunId} is "${r.name ?? '(no name)'}", not job ${job.jobName}`, ev);
  if (r.mode !== 'STREAMING') return ignore(JobFailedReason.NOT_STREAMING, `run ${r.jobRunId} is a ${r.mode ?? 'BATCH'} run; only streaming runs are restarted`, ev);
  if (e.activeRuns.length > 0) {
    const a = e.activeRuns[0]!;
    return ignore(JobFailedReason.ANOTHER_RUN_ACTIVE, `run ${a.jobRunId} of ${job.jobName} is ${a.state}: never two runs on one checkpoint`, ev);
  }
  if (r.state === 'CANCELLING') return recheck(JobFailedReason.CANCELLING, `run ${r.jobRunId} is still CANCELLING`, ev, 60);
  if (ACTIVE_STATES.includes(r.state)) return ignore(JobFailedReason.RUNNING, `run ${r.jobRunId} is ${r.state}`, ev);
  if (r.state === 'SUCCESS') {
    return escalate(JobFailedReason.ENDED, `streaming run ${r.jobRunId} ended with SUCCESS: it no longer consumes`, ev, 'warning', {
      summary: 'a streaming job should not end; find out why, then start it again',
      command,
    });
  }
  if (r.state === 'CANCELLED' && !matches(b.systemCancelPatterns, r.stateDetails)) {
    return ignore(JobFailedReason.CANCELLED_BY_PERSON, `run ${r.jobRunId} was cancelled by a person${r.stateDetails ? ` (${r.stateDetails})` : ''}: not restarted`, ev);
  }
  // A checkpoint failure (corrupt log, state store, or a failure naming the checkpoint) is the
  // checkpoint-failure playbook's while it is not off: it backs up and repairs before restarting.
  const checkpointPlaybook = pipeline.playbooks['checkpoint-failure'];
  if (r.state === 'FAILED' && checkpointPlaybook.mode !== 'off' && isCheckpointFailure(r.stateDetails, job.checkpoint, checkpointPlaybook.bounds)) {
    return ignore(JobFailedReason.HANDLED_BY_CHECKPOINT_FAILURE, `run ${r.jobRunId} failed on its checkpoint: left to the checkpoint-failure playbook (${r.stateDetails})`, ev);
  }
  const fatal = r.state === 'FAILED' ? matches(b.nonRestartablePatterns, r.stateDetails) : undefined;
  if (fatal) {
    return escalate(JobFailedReason.NOT_RESTARTABLE, `run ${r.jobRunId} failed in a way a restart cannot fix (matches /${fatal}/i): ${r.stateDetails}`, ev, 'error', {
      summary: 'fix the cause named in stateDetails (entry point, permissions or configuration), then restart from the checkpoint',
      command,
    });
  }
  const failedAgeMs = nowMs - r.updatedAtMs;
  if (failedAgeMs > b.maxFailureAgeMinutes * 60_000) {
    return escalate(JobFailedReason.STALE_FAILURE, `run ${r.jobRunId} ended ${Math.round(failedAgeMs / 60_000)} min ago, beyond the ${b.maxFailureAgeMinutes} min window for automatic restarts`, ev, 'warning', {
      summary: 'check whether the job should still run, then restart it by hand',
      command,
    });
  }
  if (!e.checkpoint.exists) {
    return escalate(JobFailedReason.CHECKPOINT_MISSING, `no checkpoint at ${job.checkpoint}: a restart would start from startingOffsets and skip or re-read data`, ev, 'error', {
      summary: 'restore the checkpoint from its backup, or choose startingOffsets deliberately, then restart',
      command: `aws s3 ls ${job.checkpoint}`,
    });
  }
  const ageH = e.checkpoint.lastWriteMs !== undefined ? (nowMs - e.checkpoint.lastWriteMs) / 3_600_000 : Infinity;
  if (ageH > pipeline.source.retentionHours) {
    return escalate(JobFailedReason.BEYOND_RETENTION, `the checkpoint is ${ageH.toFixed(1)} h old, beyond the source's ${pipeline.source.retentionHours} h retention: data after it is gone`, ev, 'critical', {
      summary: 'data was lost; decide on a checkpoint reset (see docs/operations.md) and the replay of what can be recovered',
      command: `streamfix checkpoint inspect --pipeline ${input.pipelineName}`,
    });
  }
  if (ageH > b.maxCheckpointAgeHours) {
    return escalate(JobFailedReason.CHECKPOINT_TOO_OLD, `the checkpoint was last written ${ageH.toFixed(1)} h ago (bound ${b.maxCheckpointAgeHours} h)`, ev, 'error', {
      summary: 'a restart would re-read a long backlog; confirm the checkpoint is the one to resume from, then restart',
      command,
    });
  }
  if (e.restartsLastHour >= settings.maxActionsPerHour) {
    return escalate(JobFailedReason.BUDGET_EXHAUSTED, `${e.restartsLastHour} restart(s) in the last hour, budget ${settings.maxActionsPerHour}: the job keeps failing`, ev, 'error', {
      summary: 'the job fails again after each restart; find the cause in its logs before restarting',
      command,
    });
  }
  return fix(JobFailedReason.RESTARTABLE, `restart ${job.jobName} from its checkpoint (run ${r.jobRunId} ${r.state}${r.stateDetails ? `: ${r.stateDetails}` : ''})`, ev, [
    restartAction(job, r, incidentId, `StartJobRun ${job.jobName} on ${job.applicationId} with the driver and configuration of ${r.jobRunId}`),
  ]);
}

/**
 * The restart every playbook uses: one StartJobRun of the configured job with the old run's
 * driver, configuration and role, tagged with the incident, and a clientToken derived from the
 * incident and the old run (a retry cannot start a second run).
 */
export function restartAction(job: PipelineConfig['job'], r: JobRunView, incidentId: string, description: string): PlannedAction {
  const tags = { ...(r.tags ?? {}), 'streamfix:incident': incidentId.slice(0, 256), 'streamfix:restart-of': r.jobRunId };
  return {
    type: START_JOB_RUN,
    resource: jobResource(job.applicationId, job.jobName),
    description,
    params: {
      applicationId: job.applicationId,
      clientToken: restartToken(incidentId, r.jobRunId),
      executionRoleArn: r.executionRoleArn,
      name: r.name,
      mode: 'STREAMING',
      jobDriver: r.jobDriver,
      ...(r.configurationOverrides ? { configurationOverrides: r.configurationOverrides } : {}),
      ...(r.retryPolicy ? { retryPolicy: r.retryPolicy } : {}),
      ...(r.executionTimeoutMinutes !== undefined ? { executionTimeoutMinutes: r.executionTimeoutMinutes } : {}),
      tags,
    },
  };
}
