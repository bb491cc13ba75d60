import { escalate, fix, ignore, recheck, type Decision, type Evidence, type PlannedAction } from '../../core/decision';
import type { JobRunSummaryView, JobRunView } from '../../adapters/emr-serverless';
import { emrRetries } from '../../config/release';
import { checkpointPatternsOf, isCheckpointFailure } from '../../analysis/checkpoint/classify';
import type { EmrPipeline } from '../../config/schema';
import type { JobRunRetry } from '../../core/trigger';
import type { AttemptHistory } from './attempts';
import type { CheckpointSummary } from './checkpoint';
import type { PlanInput } from '../../core/playbook';
import { REPLACE_WITH_MEMORY, type ReplaceWithMemoryParams } from './replace-with-memory';
import { attemptEvidence, attemptHistoryText, judgeAttempts, memoryAdvice, type AttemptJudgment } from './attempt-judgment';
import { ACTIVE_STATES, jobResource } from './job';
import { JobFailedReason, type JobRestartSettings } from '../restart-judgment';
import { restartAction, restartParams, startCommand } from './restart';

/** What the judgment of a failed run reads: job-failed's diagnosis, or consumer-lag's of a job not running. */
export interface JobFailedEvidence {
  /** The run the trigger is about: the event's run, or the job's newest run for an alarm. */
  run?: JobRunView;
  runSource: 'event' | 'newest-run' | 'none';
  /** Other runs of the same job that are active now. */
  activeRuns: JobRunSummaryView[];
  checkpoint: CheckpointSummary;
  restartsLastHour: number;
  /**
   * The run's attempts and each attempt that failed in the last hour, with its failure text (the
   * driver log where the config lets streamfix read it, else stateDetails). Absent when the run
   * neither failed nor retried.
   */
  history?: AttemptHistory;
  /** The trigger was EMR's "Job Run Retry" event. */
  retry?: JobRunRetry;
}

const matches = (patterns: string[], text: string | undefined): string | undefined =>
  text === undefined ? undefined : patterns.find((p) => new RegExp(p, 'i').test(text));

type Input = PlanInput<JobRestartSettings, JobFailedEvidence, EmrPipeline>;

/**
 * Pure. On a release with job resiliency (7.1.0+, a STREAMING run whose policy retries) EMR
 * retries a failed attempt by itself: streamfix watches, escalates attempts that keep failing
 * the same non-transient way before EMR gives up (for out-of-memory, with the memory to give it;
 * with a memory bound in auto mode, replaces the run by one with that memory), and once EMR gave
 * up restarts only a run whose attempts all failed for transient reasons. Runs without retries
 * are judged as they always were: restart a STREAMING run of the configured job that FAILED (or
 * was cancelled by the system, not a person), when no other run is active, the checkpoint exists
 * and is young enough for the source to still hold the data after it, and the budget allows;
 * escalate failures a restart cannot fix.
 */
export function planJobFailed(input: Input): Decision {
  const { evidence: e, settings, pipeline, nowMs, incidentId } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const r = e.run;
  const j = judgeAttempts(e.history, settings);
  const ev: Evidence = {
    jobRunId: r?.jobRunId ?? null,
    jobRunState: r?.state ?? null,
    stateDetails: r?.stateDetails ?? null,
    activeRuns: e.activeRuns.length,
    checkpointExists: e.checkpoint.exists,
    checkpointAgeSeconds: e.checkpoint.lastWriteMs !== undefined ? Math.round((nowMs - e.checkpoint.lastWriteMs) / 1000) : null,
    restartsLastHour: e.restartsLastHour,
    restartBudgetPerHour: settings.maxActionsPerHour,
    ...(r && e.history ? attemptEvidence(r, j) : {}),
  };
  const command = startCommand(r, job.applicationId);

  if (!r && e.activeRuns.length > 0) {
    // An alarm on the application's job metrics (they carry no job dimension): a failure of
    // another job on a shared application, while this job's own run is fine.
    const a = e.activeRuns[0]!;
    return ignore(
      JobFailedReason.RUNNING,
      `no ended run of job ${job.jobName}; its run ${a.jobRunId} is ${a.state} (the alarm's metric counts every job of application ${job.applicationId})`,
      ev,
    );
  }
  if (!r) {
    return escalate(JobFailedReason.NO_RUN_FOUND, `no ended run of job ${job.jobName} found on application ${job.applicationId}`, ev, 'warning', {
      summary: 'find out why the streaming job is not running; start it by hand if it should run',
      command: `aws emr-serverless list-job-runs --application-id ${job.applicationId}`,
    });
  }
  if (r.name !== job.jobName) return ignore(JobFailedReason.NOT_THIS_JOB, `run ${r.jobRunId} is "${r.name ?? '(no name)'}", not job ${job.jobName}`, ev);
  if (r.mode !== 'STREAMING')
    return ignore(JobFailedReason.NOT_STREAMING, `run ${r.jobRunId} is a ${r.mode ?? 'BATCH'} run; only streaming runs are restarted`, ev);
  const resilient = emrRetries(r);
  if (resilient && ACTIVE_STATES.includes(r.state) && r.state !== 'CANCELLING' && (e.retry !== undefined || j.failures.length > 0)) {
    return planRetrying(input, r, j, ev);
  }
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
    return ignore(
      JobFailedReason.CANCELLED_BY_PERSON,
      `run ${r.jobRunId} was cancelled by a person${r.stateDetails ? ` (${r.stateDetails})` : ''}: not restarted`,
      ev,
    );
  }
  // The failure as a whole: the latest attempt's driver log when readable, else stateDetails.
  const failureText = r.state === 'FAILED' ? (j.latest?.text ?? r.stateDetails) : r.stateDetails;
  // A checkpoint failure (corrupt log, state store, or a failure naming the checkpoint) is the
  // checkpoint-failure playbook's while it is not off: it backs up and repairs before restarting.
  const checkpointPatterns = checkpointPatternsOf(pipeline);
  if (r.state === 'FAILED' && checkpointPatterns !== undefined && isCheckpointFailure(failureText, job.checkpoint, checkpointPatterns)) {
    return ignore(
      JobFailedReason.HANDLED_BY_CHECKPOINT_FAILURE,
      `run ${r.jobRunId} failed on its checkpoint: left to the checkpoint-failure playbook (${oneLine(failureText)})`,
      ev,
    );
  }
  const afterRetries = r.state === 'FAILED' && resilient && (r.attempt ?? 1) > 1;
  if (afterRetries && !j.allTransient) {
    const advice = memoryAdvice(r, j, settings);
    return escalate(
      JobFailedReason.RETRIES_EXHAUSTED,
      `EMR gave up on run ${r.jobRunId} after ${r.attempt} attempts, not all for transient reasons: ${attemptHistoryText(j) || oneLine(failureText)}`,
      ev,
      'error',
      advice
        ? {
            summary: `give the job more memory (${describeMemory(advice.rec)}), then start it from its checkpoint`,
            command: startCommand(r, job.applicationId, advice.rec.sparkSubmitParameters),
          }
        : { summary: 'fix the cause the attempts name, then start the job from its checkpoint', command },
    );
  }
  const fatal = r.state === 'FAILED' && !afterRetries ? matches(b.nonRestartablePatterns, failureText) : undefined;
  if (fatal) {
    return escalate(
      JobFailedReason.NOT_RESTARTABLE,
      `run ${r.jobRunId} failed in a way a restart cannot fix (matches /${fatal}/i): ${oneLine(failureText, 300)}`,
      ev,
      'error',
      {
        summary: 'fix the cause named in the failure (entry point, permissions or configuration), then restart from the checkpoint',
        command,
      },
    );
  }
  const refused = restartRefused(input, r, ev, command);
  if (refused) return refused;
  const reason = afterRetries ? JobFailedReason.RETRIES_EXHAUSTED_TRANSIENT : JobFailedReason.RESTARTABLE;
  const why = afterRetries
    ? `EMR gave up after ${r.attempt} attempts, each failing for a transient reason (${[...new Set(j.failures.map((f) => f.class.label))].join(', ')})`
    : `run ${r.jobRunId} ${r.state}${r.stateDetails ? `: ${r.stateDetails}` : ''}`;
  return fix(reason, `restart ${job.jobName} from its checkpoint (${why})`, ev, [
    restartAction(job, r, incidentId, `StartJobRun ${job.jobName} on ${job.applicationId} with the driver and configuration of ${r.jobRunId}`),
  ]);
}

const oneLine = (t: string | undefined, max = 200) => {
  const flat = (t ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Why a restart must not happen now (stale failure, checkpoint, retention, budget), or undefined. */
function restartRefused(input: Input, r: JobRunView, ev: Evidence, command: string): Decision | undefined {
  const { evidence: e, settings, pipeline, nowMs } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const failedAgeMs = nowMs - r.updatedAtMs;
  if (failedAgeMs > b.maxFailureAgeMinutes * 60_000) {
    return escalate(
      JobFailedReason.STALE_FAILURE,
      `run ${r.jobRunId} ended ${Math.round(failedAgeMs / 60_000)} min ago, beyond the ${b.maxFailureAgeMinutes} min window for automatic restarts`,
      ev,
      'warning',
      {
        summary: 'check whether the job should still run, then restart it by hand',
        command,
      },
    );
  }
  if (!e.checkpoint.exists) {
    return escalate(
      JobFailedReason.CHECKPOINT_MISSING,
      `no checkpoint at ${job.checkpoint}: a restart would start from startingOffsets and skip or re-read data`,
      ev,
      'error',
      {
        summary: 'restore the checkpoint from its backup, or choose startingOffsets deliberately, then restart',
        command: `aws s3 ls ${job.checkpoint}`,
      },
    );
  }
  const ageH = e.checkpoint.lastWriteMs !== undefined ? (nowMs - e.checkpoint.lastWriteMs) / 3_600_000 : Infinity;
  if (ageH > pipeline.source.retentionHours) {
    return escalate(
      JobFailedReason.BEYOND_RETENTION,
      `the checkpoint is ${ageH.toFixed(1)} h old, beyond the source's ${pipeline.source.retentionHours} h retention: data after it is gone`,
      ev,
      'critical',
      {
        summary: 'data was lost; decide on a checkpoint reset (see docs/operations.md) and the replay of what can be recovered',
        command: `streamfix checkpoint inspect --pipeline ${input.pipelineName}`,
      },
    );
  }
  if (ageH > b.maxCheckpointAgeHours) {
    return escalate(
      JobFailedReason.CHECKPOINT_TOO_OLD,
      `the checkpoint was last written ${ageH.toFixed(1)} h ago (bound ${b.maxCheckpointAgeHours} h)`,
      ev,
      'error',
      {
        summary: 'a restart would re-read a long backlog; confirm the checkpoint is the one to resume from, then restart',
        command,
      },
    );
  }
  if (e.restartsLastHour >= settings.maxActionsPerHour) {
    return escalate(
      JobFailedReason.BUDGET_EXHAUSTED,
      `${e.restartsLastHour} restart(s) in the last hour, budget ${settings.maxActionsPerHour}: the job keeps failing`,
      ev,
      'error',
      {
        summary: 'the job fails again after each restart; find the cause in its logs before restarting',
        command,
      },
    );
  }
  return undefined;
}

const describeMemory = (rec: { setting: string; currentGiB?: number; recommendedGiB?: number; blocked?: string }) =>
  rec.recommendedGiB !== undefined && rec.currentGiB !== undefined
    ? `${rec.setting} ${rec.currentGiB} → ${rec.recommendedGiB} GiB`
    : (rec.blocked ?? rec.setting);

/**
 * EMR is retrying the run: watch, unless the attempts of the last hour keep failing the same
 * non-transient way (crashLoopAttempts): then escalate now, before EMR's own limit, with every
 * attempt's failure, or (out of memory, a memory bound, mode auto) replace the run by one with
 * more memory.
 */
function planRetrying(input: Input, r: JobRunView, j: AttemptJudgment, ev: Evidence): Decision {
  const { settings, pipeline, incidentId } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const limit = r.retryPolicy?.maxFailedAttemptsPerHour ?? 5;
  const latest = j.latest;
  // Attempts failing on the checkpoint: checkpoint-failure backs it up and repairs it once EMR
  // gives up (its FAILED event); a crash-loop page now would be a second, wrong answer.
  const checkpointPatterns = checkpointPatternsOf(pipeline);
  if (latest && checkpointPatterns !== undefined && isCheckpointFailure(latest.text, job.checkpoint, checkpointPatterns)) {
    return ignore(
      JobFailedReason.HANDLED_BY_CHECKPOINT_FAILURE,
      `attempt ${latest.attempt} of run ${r.jobRunId} failed on its checkpoint; EMR retries it, and checkpoint-failure repairs the checkpoint if EMR gives up (${oneLine(latest.text)})`,
      ev,
    );
  }
  const watching = `EMR retries run ${r.jobRunId} itself (attempt ${r.attempt ?? 1}; ${j.failures.length} of ${limit} failed attempts allowed per hour${latest ? `, latest: ${latest.class.label}` : ''})`;
  if (!latest || latest.class.category === 'transient' || j.sameAsLatest < b.crashLoopAttempts) {
    return ignore(JobFailedReason.EMR_RETRYING, `${watching}: streamfix watches`, ev);
  }
  const loop = `${j.sameAsLatest} attempts of run ${r.jobRunId} failed the same way (${latest.class.label}) within the hour; EMR gives up at ${limit}`;
  const advice = memoryAdvice(r, j, settings);
  if (advice) {
    const { rec } = advice;
    if (b.memory && rec.sparkSubmitParameters && rec.currentGiB !== undefined && rec.recommendedGiB !== undefined && budgetLeft(input)) {
      const params: ReplaceWithMemoryParams = {
        applicationId: job.applicationId,
        jobRunId: r.jobRunId,
        previousSparkSubmitParameters: r.jobDriver.sparkSubmit?.sparkSubmitParameters ?? '',
        memory: { setting: rec.setting, fromGiB: rec.currentGiB, toGiB: rec.recommendedGiB },
        shutdownGracePeriodSeconds: b.stopGracePeriodSeconds,
        cancelWaitSeconds: b.stopWaitSeconds,
        start: restartParams(job, r, incidentId, rec.sparkSubmitParameters) as unknown as ReplaceWithMemoryParams['start'],
      };
      const action: PlannedAction = {
        type: REPLACE_WITH_MEMORY,
        resource: jobResource(job.applicationId, job.jobName),
        description: `CancelJobRun ${r.jobRunId}, wait until it ended, then StartJobRun ${job.jobName} from its checkpoint with ${rec.setting}=${rec.recommendedGiB}g (was ${rec.currentGiB}g)`,
        params: params as unknown as Record<string, unknown>,
      };
      return {
        ...fix(
          JobFailedReason.CRASH_LOOP_MEMORY,
          `${loop}: replace it by a run with more memory (${describeMemory(rec)})`,
          { ...ev, memorySetting: rec.setting, memoryFromGiB: rec.currentGiB, memoryToGiB: rec.recommendedGiB },
          [action],
        ),
        recommendation: { summary: `give the job more memory: ${describeMemory(rec)}`, command: advice.command },
      };
    }
    return escalate(
      JobFailedReason.CRASH_LOOP,
      `${loop}: out of memory`,
      { ...ev, memorySetting: rec.setting, memoryFromGiB: rec.currentGiB ?? null, memoryToGiB: rec.recommendedGiB ?? null },
      'error',
      {
        summary: `give the job more memory (${describeMemory(rec)}): stop the run EMR keeps retrying and start it again with it${b.memory ? '' : '; set bounds.memory to let streamfix do it'}`,
        command: advice.command,
        detail: { attempts: j.failures.map((f) => ({ attempt: f.attempt, class: f.class.label, source: f.source, text: f.text?.slice(0, 1000) ?? null })) },
      },
    );
  }
  return escalate(JobFailedReason.CRASH_LOOP, `${loop}: ${oneLine(latest.text, 300)}`, ev, 'error', {
    summary: 'the attempts fail the same way and a retry will not fix it: fix the cause they name; stop the run if it should not keep retrying',
    command: `aws emr-serverless cancel-job-run --application-id ${job.applicationId} --job-run-id ${r.jobRunId}`,
    detail: { attempts: j.failures.map((f) => ({ attempt: f.attempt, class: f.class.label, source: f.source, text: f.text?.slice(0, 1000) ?? null })) },
  });
}

const budgetLeft = (input: Input) => input.evidence.restartsLastHour < input.settings.maxActionsPerHour;
