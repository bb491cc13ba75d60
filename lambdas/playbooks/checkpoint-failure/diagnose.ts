import type { JobRunSummaryView, JobRunView } from '../../adapters/emr-serverless';
import { readSparkCheckpoint, type SparkCheckpointReport } from '../../analysis/checkpoint';
import type { Trigger } from '../../core/trigger';
import { jobResource, listActiveRuns } from '../../runtimes/emr-serverless/job';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext } from '../../core/playbook';
import { readAttemptHistory } from '../../runtimes/emr-serverless/attempts';
import type { FailureTextSource } from '../../runtimes/emr-serverless/failure-text';
import { diagnoseAccess, type AccessDiagnosis } from './access';
import { unsupportedVersionOf } from '../../analysis/checkpoint/classify';
import type { CheckpointFailureSettings } from './manifest';

export interface CheckpointFailureEvidence {
  /** The run the failure is about (the event's), else the job's newest run: the one a restart copies. */
  run?: JobRunView;
  runSource: 'event' | 'newest-run' | 'none';
  /** Runs of the job active now (other than `run`). */
  activeRuns: JobRunSummaryView[];
  failureText?: string;
  /** The failed attempt's driver log (S3 or CloudWatch Logs), its stateDetails, the configured log group, or none. */
  failureTextSource: FailureTextSource | 'logs';
  checkpoint?: SparkCheckpointReport;
  /** Why the checkpoint could not be read (then `checkpoint` is absent). */
  checkpointError?: string;
  access: AccessDiagnosis;
  /** Highest checkpoint duration over the last 30 minutes, when the duration metric is configured. */
  durationMaxMs?: number;
  /** From the alarm's datapoints, when an alarm triggered. */
  failuresInWindow?: number;
  jobActionsLastHour: number;
  checkpointActionsLastHour: number;
}

/** The lock, cooldown and budget key of a checkpoint (backup and rollback act on it). */
export const checkpointResource = (uri: string) => `s3:${uri}`;

const LOG_FILTER =
  '?"Log file was malformed" ?UnsupportedLogVersion ?"Incomplete log file" ?CANNOT_LOAD_STATE_STORE ?AccessDenied ?"Access Denied" ?KMS ?"No space left" ?"timed out" ?Timeout';

function alarmFailures(t: Trigger): number | undefined {
  if (t.kind !== 'alarm' || typeof t.reasonData !== 'object' || t.reasonData === null) return undefined;
  const points = (t.reasonData as { recentDatapoints?: unknown }).recentDatapoints;
  return Array.isArray(points) && points.every((p) => typeof p === 'number') ? Math.max(0, ...(points as number[])) : undefined;
}

async function findRun(
  ctx: PlaybookContext<CheckpointFailureSettings, EmrPipeline>,
  t: Trigger,
): Promise<{ run?: JobRunView; source: CheckpointFailureEvidence['runSource'] }> {
  const job = ctx.pipeline.job;
  if (t.kind === 'job-run') return { run: await ctx.aws.emr.getJobRun(job.applicationId, t.jobRunId), source: 'event' };
  const newest = (await ctx.aws.emr.listJobRuns(job.applicationId, { maxItems: 50 }))
    .filter((r) => r.name === job.jobName)
    .sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
  if (!newest) return { source: 'none' };
  return { run: await ctx.aws.emr.getJobRun(job.applicationId, newest.jobRunId), source: 'newest-run' };
}

async function durationMax(ctx: PlaybookContext<CheckpointFailureSettings, EmrPipeline>): Promise<number | undefined> {
  const m = ctx.settings.bounds.durationMetric;
  if (!m) return undefined;
  const now = ctx.clock.now();
  const series = await ctx.aws.cloudwatch.getMetricData(
    [{ id: 'duration', namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.statistic, periodSeconds: m.periodSeconds }],
    now - 30 * 60_000,
    now,
  );
  const values = series.duration?.values ?? [];
  if (values.length === 0) return undefined;
  return Math.max(...values) * (m.unit === 'Seconds' ? 1000 : 1);
}

async function logText(ctx: PlaybookContext<CheckpointFailureSettings, EmrPipeline>): Promise<string | undefined> {
  const group = ctx.settings.bounds.logGroupName;
  if (!group) return undefined;
  const now = ctx.clock.now();
  const events = await ctx.aws.logs.filterLogEvents(group, { startMs: now - 15 * 60_000, endMs: now, filterPattern: LOG_FILTER, limit: 20 });
  return events.sort((a, b) => b.timestampMs - a.timestampMs)[0]?.message;
}

async function readCheckpoint(
  ctx: PlaybookContext<CheckpointFailureSettings, EmrPipeline>,
  failureText: string | undefined,
): Promise<{ checkpoint?: SparkCheckpointReport; checkpointError?: string }> {
  const version = unsupportedVersionOf(failureText);
  try {
    return { checkpoint: await readSparkCheckpoint(ctx.aws.s3, ctx.pipeline.job.checkpoint, version ? { maxOffsetsVersion: version.maxSupported } : {}) };
  } catch (e) {
    return { checkpointError: (e as Error).message };
  }
}

/**
 * Read-only, in parallel: the run (GetJobRun of the event's run, or the job's newest run), the
 * active runs, the role simulation with the bucket's encryption (then the KMS simulation when a
 * customer key encrypts it), the duration metric, the driver log, the action history, and the
 * checkpoint. The checkpoint is read knowing which offsets log version the job's Spark accepts
 * (an UnsupportedLogVersion message): for a job-run event the event's stateDetails say it, so
 * it is read in the same round; for an alarm, once the run or the log has given the text.
 */
export async function diagnoseCheckpointFailure(
  ctx: PlaybookContext<CheckpointFailureSettings, EmrPipeline>,
  trigger: Trigger,
): Promise<CheckpointFailureEvidence> {
  const job = ctx.pipeline.job;
  const b = ctx.settings.bounds;
  const early = trigger.kind === 'job-run' ? readCheckpoint(ctx, trigger.stateDetails) : undefined;
  const [found, active, access, durationMaxMs, fromLogs, jobActionsLastHour, checkpointActionsLastHour] = await Promise.all([
    findRun(ctx, trigger),
    listActiveRuns(ctx.aws.emr, job.applicationId, job.jobName),
    diagnoseAccess(ctx),
    durationMax(ctx),
    logText(ctx),
    ctx.history.actionsInLastHour(jobResource(job.applicationId, job.jobName)),
    ctx.history.actionsInLastHour(checkpointResource(job.checkpoint)),
  ]);
  const run = found.run;
  // The newest failed attempt of the run (the run itself when it never retried; EMR 7.1.0+ may be
  // retrying it now): its driver log has the whole failure, stateDetails only 256 characters.
  const history =
    run && run.name === job.jobName && (run.state === 'FAILED' || (run.attempt ?? 1) > 1)
      ? await readAttemptHistory(ctx.aws, job, run, ctx.clock.now())
      : undefined;
  const latest = history?.failures[0];
  const recentFailure = latest !== undefined && latest.text !== undefined && ctx.clock.now() - latest.endedAtMs <= b.maxFailureAgeMinutes * 60_000;
  const failureText = recentFailure ? latest.text : fromLogs;
  const failureTextSource: CheckpointFailureEvidence['failureTextSource'] = recentFailure ? latest.source : fromLogs ? 'logs' : 'none';
  const { checkpoint, checkpointError } = await (early ?? readCheckpoint(ctx, failureText));
  const failuresInWindow = alarmFailures(trigger);
  return {
    ...(run ? { run } : {}),
    runSource: found.source,
    activeRuns: active.filter((r) => r.jobRunId !== run?.jobRunId),
    ...(failureText ? { failureText } : {}),
    failureTextSource,
    ...(checkpoint ? { checkpoint } : {}),
    ...(checkpointError ? { checkpointError } : {}),
    access,
    ...(durationMaxMs !== undefined ? { durationMaxMs } : {}),
    ...(failuresInWindow !== undefined ? { failuresInWindow } : {}),
    jobActionsLastHour,
    checkpointActionsLastHour,
  };
}
