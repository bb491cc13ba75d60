import { backupUriFor } from '../../analysis/checkpoint';
import { escalate, fix, ignore, type Decision, type Evidence } from '../../core/decision';
import { ACTIVE_STATES, jobResource } from '../../runtimes/emr-serverless/job';
import { restartAction } from '../../runtimes/emr-serverless/restart';
import type { EmrPipeline } from '../../config/schema';
import type { PlanInput } from '../../core/playbook';
import { missing } from './access';
import { classifyText, isCheckpointFailure, type TextClass } from '../../analysis/checkpoint/classify';
import { describeProblems, judgeCorruption, type CorruptionVerdict } from '../../analysis/checkpoint/corruption';
import { checkpointResource, type CheckpointFailureEvidence } from './diagnose';
import type { CheckpointFailureSettings } from './manifest';
import { resetOptions } from '../../analysis/checkpoint/reset-options';
import { accessRecommendation, configRecommendation, describeMissing, kmsRecommendation } from './recommend';

export const CheckpointReason = {
  NOT_A_CHECKPOINT_FAILURE: 'NOT_A_CHECKPOINT_FAILURE',
  LAST_BATCH_CORRUPT: 'CHECKPOINT_LAST_BATCH_CORRUPT',
  CORRUPTION_DEEP: 'CHECKPOINT_CORRUPTION_DEEP',
  STATE_STORE_CORRUPT: 'CHECKPOINT_STATE_STORE_CORRUPT',
  CORRUPTION_NOT_FOUND: 'CHECKPOINT_CORRUPTION_NOT_FOUND',
  MISSING: 'CHECKPOINT_MISSING',
  UNASSESSABLE: 'CHECKPOINT_UNASSESSABLE',
  BEYOND_RETENTION: 'CHECKPOINT_BEYOND_SOURCE_RETENTION',
  ACCESS_DENIED: 'CHECKPOINT_ACCESS_DENIED',
  KMS_DENIED: 'CHECKPOINT_KMS_DENIED',
  TIMEOUT: 'CHECKPOINT_TIMEOUT',
  DISK_FULL: 'CHECKPOINT_DISK_FULL',
  UNCLASSIFIED: 'CHECKPOINT_FAILURE_UNCLASSIFIED',
  NO_RUN: 'CHECKPOINT_NO_RUN_TO_RESTART',
  BUDGET_EXHAUSTED: 'CHECKPOINT_FIX_BUDGET_EXHAUSTED',
} as const;

export const BACKUP_CHECKPOINT = 'checkpoint:Backup';
export const ENSURE_JOB_STOPPED = 'emr-serverless:EnsureJobStopped';
export const ROLLBACK_CHECKPOINT = 'checkpoint:Rollback';

export type FailureKind = TextClass | 'unknown';

/** Which failure this is: the failure text first, then the simulation, then the reader's findings, then the duration. */
export function failureKind(e: CheckpointFailureEvidence, s: CheckpointFailureSettings, verdict: CorruptionVerdict): FailureKind {
  const b = s.bounds;
  const named = classifyText(e.failureText, b).map((k) => k.kind);
  const kmsMissing = missing(e.access.kms).length > 0;
  const s3Missing = missing(e.access.s3).length > 0;
  if (named.includes('kms') || (named.includes('access-denied') && kmsMissing)) return 'kms';
  if (named.includes('access-denied')) return 'access-denied';
  // The reader points at corruption only with a problem Spark cannot restart past; warnings
  // alone (a gap far back, a missing metadata file) do not explain a failure.
  const fatal = e.checkpoint?.problems.some((p) => p.severity === 'fatal') ?? false;
  if (named.includes('corruption') || (fatal && (verdict.kind === 'latest-batch' || verdict.kind === 'deep'))) return 'corruption';
  if (named.includes('state-store')) return 'state-store';
  if (named.includes('disk-full')) return 'disk-full';
  if (named.includes('timeout') || (e.durationMaxMs !== undefined && e.durationMaxMs > b.slowCheckpointMs)) return 'timeout';
  if (kmsMissing) return 'kms';
  if (s3Missing) return 'access-denied';
  return 'unknown';
}

/** `<pipeline>.<playbook>.20261122T100000.abc123` → the incident's opening time, so every plan of one incident names one backup. */
export function incidentStartMs(incidentId: string, fallbackMs: number): number {
  const m = /\.(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\./.exec(incidentId);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : fallbackMs;
}

function evidenceOf(
  input: PlanInput<CheckpointFailureSettings, CheckpointFailureEvidence, EmrPipeline>,
  kind: FailureKind,
  verdict: CorruptionVerdict,
): Evidence {
  const { evidence: e, nowMs, pipeline } = input;
  const cp = e.checkpoint;
  const ageS = cp?.lastGoodBatchCommittedAtMs !== undefined ? Math.round((nowMs - cp.lastGoodBatchCommittedAtMs) / 1000) : null;
  const retentionS = pipeline.source.retentionHours * 3600;
  return {
    failureKind: kind,
    failureText: e.failureText?.slice(0, 500) ?? null,
    failureTextSource: e.failureTextSource,
    jobRunId: e.run?.jobRunId ?? null,
    jobRunState: e.run?.state ?? null,
    activeRuns: e.activeRuns.length,
    checkpointUri: pipeline.job.checkpoint,
    checkpointExists: cp?.exists ?? null,
    corruption: verdict.kind,
    problems: cp ? describeProblems(cp.problems) : null,
    latestPlannedBatch: cp?.latestPlannedBatch ?? null,
    latestCommittedBatch: cp?.latestCommittedBatch ?? null,
    lastGoodBatch: cp?.lastGoodBatch ?? null,
    lastGoodBatchAgeSeconds: ageS,
    sourceRetentionHours: pipeline.source.retentionHours,
    // Data-loss assessment: until this runs out, the source still holds everything after the last good batch.
    secondsUntilSourceDropsUnprocessed: ageS === null ? null : retentionS - ageS,
    sourceRetainsDataAfterLastGood: ageS === null ? null : ageS < retentionS,
    missingS3Permissions: describeMissing(e.access.s3) || null,
    missingKmsPermissions: describeMissing(e.access.kms) || null,
    kmsKeyArn: e.access.kmsKeyArn ?? null,
    checkpointDurationMaxMs: e.durationMaxMs ?? null,
    failuresInWindow: e.failuresInWindow ?? null,
    checkpointFilesRead: cp?.filesRead ?? null,
  };
}

/**
 * Pure. A job failure that is not about the checkpoint is ignored (job-failed has it). Access
 * denied and KMS escalate with the exact missing permission and a minimal statement; a corrupt
 * latest batch alone is fixed (back up, stop, roll back past it, restart) while the source
 * still holds the data after the last good batch; deeper damage escalates with the reset
 * options and what each loses; timeouts and a full disk escalate with the configuration change.
 */
export function planCheckpointFailure(input: PlanInput<CheckpointFailureSettings, CheckpointFailureEvidence, EmrPipeline>): Decision {
  const { evidence: e, settings, pipeline, pipelineName, nowMs, incidentId, trigger } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const verdict = judgeCorruption(e.checkpoint);
  const kind = failureKind(e, settings, verdict);
  const ev = evidenceOf(input, kind, verdict);
  const options = resetOptions(pipelineName, e.checkpoint, nowMs, pipeline.source.retentionHours);
  const inspect = `streamfix checkpoint inspect --pipeline ${pipelineName}`;

  // A run failure is this playbook's when its text is about the checkpoint, or when it is a
  // denial and the simulation finds the job role lacking a permission on the checkpoint or its key.
  const deniedOnCheckpoint = (kind === 'kms' || kind === 'access-denied') && (missing(e.access.s3).length > 0 || missing(e.access.kms).length > 0);
  if (trigger.kind === 'job-run' && !isCheckpointFailure(e.failureText, job.checkpoint, b) && !deniedOnCheckpoint) {
    return ignore(
      CheckpointReason.NOT_A_CHECKPOINT_FAILURE,
      `run ${e.run?.jobRunId ?? trigger.jobRunId} did not fail on its checkpoint${e.failureText ? ` (${e.failureText.slice(0, 120)})` : ''}: left to job-failed`,
      ev,
    );
  }
  switch (kind) {
    case 'kms': {
      const r = kmsRecommendation(e.access);
      return escalate(
        CheckpointReason.KMS_DENIED,
        `the job cannot use the checkpoint bucket's KMS key ${e.access.kmsKeyArn ?? e.access.encryption?.kmsKeyId ?? '(unknown)'}: ${r.summary}`,
        ev,
        'critical',
        r,
      );
    }
    case 'access-denied': {
      const r = accessRecommendation(e.access, job.checkpoint);
      const gone = describeMissing(e.access.s3);
      return escalate(
        CheckpointReason.ACCESS_DENIED,
        gone ? `the job role lacks ${gone}` : `access to ${job.checkpoint} is denied, though the role's IAM policies allow it`,
        ev,
        'critical',
        r,
      );
    }
    case 'timeout':
      return escalate(
        CheckpointReason.TIMEOUT,
        `checkpoint writes time out or are slow${e.durationMaxMs !== undefined ? ` (slowest ${e.durationMaxMs} ms)` : ''}`,
        ev,
        'error',
        configRecommendation('timeout', e.durationMaxMs, b.slowCheckpointMs),
      );
    case 'disk-full':
      return escalate(
        CheckpointReason.DISK_FULL,
        'the job ran out of local disk while checkpointing',
        ev,
        'error',
        configRecommendation('disk-full', undefined, b.slowCheckpointMs),
      );
    case 'state-store':
      return escalate(
        CheckpointReason.STATE_STORE_CORRUPT,
        `the state store cannot be loaded${e.failureText ? `: ${e.failureText.slice(0, 200)}` : ''}`,
        ev,
        'critical',
        {
          summary:
            'state store files are missing or unreadable: roll back to an earlier batch whose state exists, or reset (the state is lost); see the options',
          command: inspect,
          detail: { options },
        },
      );
    case 'unknown':
      return escalate(
        CheckpointReason.UNCLASSIFIED,
        `checkpoint failure not classified${e.failureText ? `: ${e.failureText.slice(0, 200)}` : ' (no failure text found)'}`,
        ev,
        'error',
        {
          summary: 'read the job driver log around the failure; the checkpoint reads clean and the role may use it',
          command: inspect,
        },
      );
    case 'corruption':
      break;
  }

  // Corruption.
  const deep = (reason: string, summary: string) =>
    escalate(reason, summary, ev, 'critical', {
      summary: `choose one of the options (each says what it loses or re-reads); every one backs up first`,
      command: options[0]!.command,
      detail: { options },
    });
  switch (verdict.kind) {
    case 'unassessable':
      return escalate(CheckpointReason.UNASSESSABLE, `${verdict.why}${e.checkpointError ? `: ${e.checkpointError}` : ''}`, ev, 'critical', {
        summary: 'inspect the checkpoint by hand',
        command: inspect,
        detail: { options },
      });
    case 'missing':
      return deep(CheckpointReason.MISSING, `no checkpoint at ${job.checkpoint}: a start reads from startingOffsets`);
    case 'clean':
      return escalate(
        CheckpointReason.CORRUPTION_NOT_FOUND,
        `the failure names a corrupt checkpoint but ${job.checkpoint} reads clean (someone may have repaired it)`,
        ev,
        'error',
        {
          summary: 'confirm the checkpoint, then restart the job from it',
          command: inspect,
        },
      );
    case 'deep':
      return deep(CheckpointReason.CORRUPTION_DEEP, `the checkpoint is damaged beyond its latest batch: ${verdict.why}`);
    case 'latest-batch':
      break;
  }

  const cp = e.checkpoint!;
  if (ev.sourceRetainsDataAfterLastGood === false) {
    return deep(
      CheckpointReason.BEYOND_RETENTION,
      `the last good batch ${cp.lastGoodBatch} is ${ev.lastGoodBatchAgeSeconds} s old, beyond the source's ${pipeline.source.retentionHours} h retention: data after it is gone`,
    );
  }
  const r = e.run;
  if (!r || r.name !== job.jobName || r.mode !== 'STREAMING') {
    return deep(
      CheckpointReason.NO_RUN,
      `only batch ${verdict.badBatch} is corrupt, but no streaming run of ${job.jobName} was found to restart with its configuration`,
    );
  }
  if (e.jobActionsLastHour + 2 > settings.maxActionsPerHour || e.checkpointActionsLastHour + 2 > settings.maxActionsPerHour) {
    return deep(
      CheckpointReason.BUDGET_EXHAUSTED,
      `a fix needs 2 actions on the job and 2 on the checkpoint; ${e.jobActionsLastHour} and ${e.checkpointActionsLastHour} were used in the last hour (budget ${settings.maxActionsPerHour})`,
    );
  }
  const backup = backupUriFor(job.checkpoint, incidentStartMs(incidentId, nowMs), incidentId);
  const t = verdict.target;
  const resumeBatch = t.rerun ? t.batchId : t.batchId + 1;
  const runActive = ACTIVE_STATES.includes(r.state) || e.activeRuns.length > 0;
  return fix(
    CheckpointReason.LAST_BATCH_CORRUPT,
    `batch ${verdict.badBatch} of ${job.checkpoint} is corrupt (${describeProblems(verdict.problems)}); back up, ${runActive ? 'stop the job, ' : ''}roll back to ${t.rerun ? `batch ${t.batchId}` : `after batch ${t.batchId}`}, restart`,
    { ...ev, backupUri: backup, resumeBatch, rollbackToBatch: t.batchId, rollbackRerun: t.rerun },
    [
      {
        type: BACKUP_CHECKPOINT,
        resource: checkpointResource(job.checkpoint),
        description: `copy ${job.checkpoint} to ${backup} and verify every object by SHA-256`,
        params: { checkpoint: job.checkpoint, backup, by: incidentId, maxObjects: b.maxBackupObjects, maxBytes: Math.round(b.maxBackupGiB * 1024 ** 3) },
      },
      {
        type: ENSURE_JOB_STOPPED,
        resource: jobResource(job.applicationId, job.jobName),
        description: `make sure no run of ${job.jobName} is active (cancel and wait for CANCELLED)`,
        params: { applicationId: job.applicationId, jobName: job.jobName, gracePeriodSeconds: b.stopGracePeriodSeconds, waitSeconds: b.stopWaitSeconds },
      },
      {
        type: ROLLBACK_CHECKPOINT,
        resource: checkpointResource(job.checkpoint),
        description: `roll ${job.checkpoint} back ${t.rerun ? `to batch ${t.batchId} (re-run it)` : `to after batch ${t.batchId}`}: remove batch ${verdict.badBatch}'s files, each checked against the backup`,
        params: { checkpoint: job.checkpoint, backup, batchId: t.batchId, rerun: t.rerun, expectLatestBatch: verdict.badBatch },
      },
      restartAction(job, r, incidentId, `StartJobRun ${job.jobName} from the rolled-back checkpoint with the configuration of ${r.jobRunId}`),
    ],
  );
}
