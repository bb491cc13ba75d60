import * as z from 'zod';
import { backupCheckpoint, rollbackCheckpoint } from '../../checkpoint';
import { isBackupOf, readBackupManifest } from '../../analysis/checkpoint';
import { wrongRuntime } from '../../config/job-kind';
import { s3UriSchema } from '../../config/s3-uri';
import { AwsRequestError } from '../../core/errors';
import { listActiveRuns } from '../../runtimes/emr-serverless/job';
import type { ActionDefinition, ActionOutcome } from '../../core/playbook';
import type { CheckpointFailureSettings } from './manifest';
import { BACKUP_CHECKPOINT, ENSURE_JOB_STOPPED, ROLLBACK_CHECKPOINT } from './plan';

const backupParams = z
  .object({
    checkpoint: s3UriSchema,
    backup: s3UriSchema,
    /** The incident that made it (written in the manifest). */
    by: z.string().min(1),
    maxObjects: z.number().int().positive(),
    maxBytes: z.number().int().positive(),
  })
  .strict();

const stopParams = z
  .object({
    applicationId: z.string().min(1),
    jobName: z.string().min(1),
    gracePeriodSeconds: z.number().int().min(0),
    waitSeconds: z.number().int().min(1),
  })
  .strict();

const rollbackParams = z
  .object({
    checkpoint: s3UriSchema,
    backup: s3UriSchema,
    batchId: z.number().int().min(0),
    rerun: z.boolean(),
    /** The latest batch the plan judged: a checkpoint that moved on since is not touched. */
    expectLatestBatch: z.number().int().min(0),
  })
  .strict();

export type BackupParams = z.infer<typeof backupParams>;
export type StopParams = z.infer<typeof stopParams>;
export type RollbackParams = z.infer<typeof rollbackParams>;

const GiB = 1024 ** 3;
const POLL_MS = 5_000;

function checkpointBounds(p: { checkpoint: string; backup: string }, configured: string): string[] {
  const v: string[] = [];
  if (p.checkpoint !== configured) v.push(`checkpoint ${p.checkpoint} is not the configured ${configured}`);
  if (!isBackupOf(p.backup, configured)) v.push(`backup ${p.backup} is not a <checkpoint>_backup_<UTC timestamp>[-<tag>]/ prefix of ${configured}`);
  return v;
}

/**
 * Copy the checkpoint prefix to its backup prefix and seal it (each object verified by SHA-256,
 * then a manifest written once). Idempotent: a backup this incident sealed is kept; a prefix
 * sealed by anyone else is never copied over.
 */
export const backupCheckpointAction: ActionDefinition<BackupParams, CheckpointFailureSettings> = {
  type: BACKUP_CHECKPOINT,
  runtime: 'emr-serverless',
  iamActions: ['s3:ListBucket', 's3:GetObject', 's3:PutObject'],
  params: backupParams,
  checkBounds(p, { pipeline, settings }) {
    if (pipeline.job.kind !== 'emr-serverless') return [wrongRuntime(pipeline, 'emr-serverless')];
    const b = settings.bounds;
    const v = checkpointBounds(p, pipeline.job.checkpoint);
    if (p.maxObjects > b.maxBackupObjects) v.push(`maxObjects ${p.maxObjects} is over the bound ${b.maxBackupObjects}`);
    if (p.maxBytes > b.maxBackupGiB * GiB) v.push(`maxBytes ${p.maxBytes} is over the bound ${b.maxBackupGiB} GiB`);
    return v;
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const s3 = ctx.aws.s3;
    const sealed = await readBackupManifest(s3, p.backup);
    if (sealed?.source === p.checkpoint && sealed.by === p.by && sealed.version === 2) {
      return {
        summary: `${p.backup} already holds a verified copy (${sealed.objects} objects, ${sealed.bytes} bytes)`,
        before: {},
        after: { backupObjects: sealed.objects, backupBytes: sealed.bytes, verified: true },
      };
    }
    if (sealed) throw new Error(`${p.backup} is already sealed by ${sealed.by}: a sealed backup is never copied over`);
    const r = await backupCheckpoint(s3, p.checkpoint, p.backup, p.by, ctx.clock.now(), { maxObjects: p.maxObjects, maxBytes: p.maxBytes, signal: ctx.signal });
    return {
      summary: `backed up ${r.objects} objects (${r.bytes} bytes) to ${p.backup}, verified`,
      before: { checkpointObjects: r.objects, checkpointBytes: r.bytes },
      after: { backupObjects: r.objects, backupBytes: r.bytes, verified: true },
    };
  },
};

/** No run of the job may be active: cancel each (with a grace period) and wait for CANCELLED. Idempotent. */
export const ensureJobStoppedAction: ActionDefinition<StopParams, CheckpointFailureSettings> = {
  type: ENSURE_JOB_STOPPED,
  runtime: 'emr-serverless',
  iamActions: ['emr-serverless:ListJobRuns', 'emr-serverless:GetJobRun', 'emr-serverless:CancelJobRun'],
  params: stopParams,
  checkBounds(p, { pipeline, settings }) {
    if (pipeline.job.kind !== 'emr-serverless') return [wrongRuntime(pipeline, 'emr-serverless')];
    const job = pipeline.job;
    const v: string[] = [];
    if (p.applicationId !== job.applicationId) v.push(`applicationId ${p.applicationId} is not the configured ${job.applicationId}`);
    if (p.jobName !== job.jobName) v.push(`jobName "${p.jobName}" is not the configured job "${job.jobName}"`);
    if (p.gracePeriodSeconds > settings.bounds.stopGracePeriodSeconds)
      v.push(`gracePeriodSeconds ${p.gracePeriodSeconds} is over the bound ${settings.bounds.stopGracePeriodSeconds}`);
    if (p.waitSeconds > settings.bounds.stopWaitSeconds) v.push(`waitSeconds ${p.waitSeconds} is over the bound ${settings.bounds.stopWaitSeconds}`);
    return v;
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const emr = ctx.aws.emr;
    const activeRuns = () => listActiveRuns(emr, p.applicationId, p.jobName);
    const first = await activeRuns();
    if (first.length === 0) return { summary: `no run of ${p.jobName} is active`, before: { activeRuns: 0 }, after: { activeRuns: 0 } };
    for (const r of first.filter((x) => x.state !== 'CANCELLING')) {
      try {
        await emr.cancelJobRun(p.applicationId, r.jobRunId, p.gracePeriodSeconds);
      } catch (e) {
        // The run ended between the listing and the cancel: nothing to stop.
        if (!(e instanceof AwsRequestError && e.code === 'ValidationException')) throw e;
      }
    }
    const start = ctx.clock.now();
    for (;;) {
      const left = await activeRuns();
      if (left.length === 0) {
        return {
          summary: `cancelled ${first.map((r) => r.jobRunId).join(', ')}; no run of ${p.jobName} is active`,
          before: { activeRuns: first.length },
          after: { activeRuns: 0, waitedSeconds: Math.round((ctx.clock.now() - start) / 1000) },
        };
      }
      if (ctx.clock.now() - start >= p.waitSeconds * 1000) {
        throw new Error(`run(s) ${left.map((r) => `${r.jobRunId} ${r.state}`).join(', ')} still active after ${p.waitSeconds} s`);
      }
      await ctx.clock.sleep(POLL_MS, ctx.signal);
    }
  },
};

/** Remove the corrupt batch's files, each checked against the sealed backup first. Idempotent. */
export const rollbackCheckpointAction: ActionDefinition<RollbackParams, CheckpointFailureSettings> = {
  type: ROLLBACK_CHECKPOINT,
  runtime: 'emr-serverless',
  iamActions: ['s3:ListBucket', 's3:GetObject', 's3:DeleteObject'],
  params: rollbackParams,
  checkBounds(p, { pipeline, settings }) {
    if (pipeline.job.kind !== 'emr-serverless') return [wrongRuntime(pipeline, 'emr-serverless')];
    const v = checkpointBounds(p, pipeline.job.checkpoint);
    const removed = p.expectLatestBatch - p.batchId + (p.rerun ? 1 : 0);
    if (removed < 1) v.push(`batchId ${p.batchId}${p.rerun ? ' (re-run)' : ''} removes no batch of the latest ${p.expectLatestBatch}`);
    if (removed > settings.bounds.maxRollbackBatches)
      v.push(`rolling back to ${p.batchId} removes ${removed} batches, over the bound ${settings.bounds.maxRollbackBatches}`);
    return v;
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const r = await rollbackCheckpoint(ctx.aws.s3, p.checkpoint, p.backup, { batchId: p.batchId, rerun: p.rerun }, { expectLatestBatch: p.expectLatestBatch });
    return {
      summary: `deleted ${r.deleted} object(s) (offsets ${r.offsetsRemoved.join(',') || '-'}, commits ${r.commitsRemoved.join(',') || '-'}, ${r.stateFilesRemoved} state files); Spark resumes at batch ${r.resumeBatch}`,
      before: { latestPlannedBatch: p.expectLatestBatch },
      after: {
        latestPlannedBatch: r.latestPlannedAfter ?? null,
        latestCommittedBatch: r.latestCommittedAfter ?? null,
        resumeBatch: r.resumeBatch,
        deletedObjects: r.deleted,
      },
    };
  },
};
