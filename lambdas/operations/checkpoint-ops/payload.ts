import { createHash } from 'node:crypto';
import * as z from 'zod';
import { isBackupOf } from '../../analysis/checkpoint/manifest';
import type { StreamfixConfig } from '../../config/schema';
import { isEmrPipeline } from '../../config/job-kind';
import { s3UriSchema } from '../../config/s3-uri';
import { callerIdentitySchema } from '../caller';
import type { OperationTarget } from '../types';

/**
 * The manual payload of `checkpoint-ops`, one shape per command. Every mutating command
 * (rollback, reset, restore) needs `confirm: true`; paths must belong to the pipeline's
 * configured checkpoint (the checkpoint itself, a prefix under it, or one of its
 * `<checkpoint>_backup_<UTC timestamp>/` backups).
 */

const requestId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash and underscore (max 64)');
const base = {
  /** A configured pipeline name (at most 40 characters, as the config allows). */
  pipeline: z.string().min(1).max(40, 'at most 40 characters (a configured pipeline name)'),
  /** Names the operation: the same id continues (or returns) the same operation. */
  requestId: requestId.optional(),
  /** Who asks (the CLI: STS GetCallerIdentity of its credentials); kept in the operation record. */
  requestedBy: callerIdentitySchema.optional(),
};
const mutating = {
  /** Must be true: the command changes the checkpoint. */
  confirm: z.boolean().default(false),
  /** A sealed backup to rely on instead of taking a new one (it must cover every object to change). */
  backupUri: s3UriSchema.optional(),
};

export const checkpointOpsPayload = z.discriminatedUnion('command', [
  z
    .object({
      command: z.literal('inspect'),
      ...base,
      /** Inspect this prefix (the checkpoint or a prefix under it, e.g. a Flink job directory) instead of the configured checkpoint. */
      checkpoint: s3UriSchema.optional(),
      format: z.enum(['auto', 'spark', 'flink']).default('auto'),
      /** Flink savepoints directory to list with a Flink checkpoint. */
      savepoints: s3UriSchema.optional(),
      maxFileReads: z.number().int().min(3).max(200).default(24),
    })
    .strict(),
  z.object({ command: z.literal('backup'), ...base }).strict(),
  z
    .object({
      command: z.literal('rollback'),
      ...base,
      ...mutating,
      /** Roll back to batch K: delete offsets/N for N > K and commits/N for N ≥ K (Spark re-runs K). */
      toBatch: z.number().int().min(0),
      /** Keep commits/K: Spark resumes after K instead of re-running it. */
      keepCommit: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      command: z.literal('reset'),
      ...base,
      ...mutating,
      /** Where the job starts once the checkpoint is gone (reset procedure A / B / C, or the last good offsets). */
      to: z.enum(['latest', 'earliest', 'timestamp', 'last-good']),
      /** ISO-8601, with `to: timestamp`. */
      timestamp: z.iso.datetime({ offset: true }).optional(),
    })
    .strict(),
  z
    .object({
      command: z.literal('restore'),
      ...base,
      ...mutating,
      /** The backup to put back: `<checkpoint>_backup_<UTC timestamp>/`. */
      fromBackup: s3UriSchema,
      /**
       * Undo this operation's restore (the same `requestId`), finished or half done: the checkpoint
       * is put back as it was before it (its safety backup, or nothing when it was empty).
       */
      undo: z.boolean().default(false),
    })
    .strict(),
]);

export type CheckpointOpsPayload = z.output<typeof checkpointOpsPayload>;
export type CheckpointOpsPayloadInput = z.input<typeof checkpointOpsPayload>;
export type CheckpointCommand = CheckpointOpsPayload['command'];

export const MUTATING: ReadonlySet<CheckpointCommand> = new Set(['rollback', 'reset', 'restore']);

/** Pure refusals, each naming its field. */
export function authorizeCheckpointOps(p: CheckpointOpsPayload, config: StreamfixConfig): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const pipeline = config.pipelines[p.pipeline];
  if (!pipeline) return [{ field: 'pipeline', message: `unknown pipeline "${p.pipeline}" (configured: ${Object.keys(config.pipelines).join(', ')})` }];
  if (pipeline.job.kind !== 'emr-serverless') {
    return [
      {
        field: 'pipeline',
        message: `pipeline "${p.pipeline}" runs on ${pipeline.job.kind}: checkpoint-ops works on the Spark checkpoints of EMR Serverless jobs (a Flink application's state is its snapshots)`,
      },
    ];
  }
  const checkpoint = pipeline.job.checkpoint;
  if (p.command !== 'inspect' && p.requestId === undefined) {
    out.push({ field: 'requestId', message: `Required for ${p.command}: any id; the same id continues the same operation` });
  }
  if (p.command === 'inspect') {
    if (p.checkpoint !== undefined && !p.checkpoint.startsWith(checkpoint)) {
      out.push({ field: 'checkpoint', message: `${p.checkpoint} is outside the configured checkpoint ${checkpoint} of pipeline ${p.pipeline}` });
    }
    if (p.savepoints !== undefined && !p.savepoints.startsWith(checkpoint)) {
      out.push({ field: 'savepoints', message: `${p.savepoints} is outside the configured checkpoint ${checkpoint} of pipeline ${p.pipeline}` });
    }
    return out;
  }
  if (p.command === 'backup') return out;
  if (!p.confirm) out.push({ field: 'confirm', message: `${p.command} changes ${checkpoint}: set confirm to true (--confirm)` });
  if (p.backupUri !== undefined && !isBackupOf(p.backupUri, checkpoint)) {
    out.push({
      field: 'backupUri',
      message: `${p.backupUri} is not a backup of the configured checkpoint ${checkpoint} (<checkpoint>_backup_<UTC timestamp>/)`,
    });
  }
  if (p.command === 'restore' && !isBackupOf(p.fromBackup, checkpoint)) {
    out.push({
      field: 'fromBackup',
      message: `${p.fromBackup} is not a backup of the configured checkpoint ${checkpoint} (<checkpoint>_backup_<UTC timestamp>/)`,
    });
  }
  if (p.command === 'reset' && p.to === 'timestamp' && p.timestamp === undefined) {
    out.push({ field: 'timestamp', message: 'Required with to: timestamp (ISO-8601)' });
  }
  return out;
}

/**
 * What a checkpoint operation holds while it runs: the pipeline's checkpoint (backups are made
 * from it, the others change it). `inspect` reads only and holds nothing.
 */
export function checkpointTarget(p: CheckpointOpsPayload, config: StreamfixConfig): OperationTarget | undefined {
  const pipeline = config.pipelines[p.pipeline];
  if (p.command === 'inspect' || !pipeline || !isEmrPipeline(pipeline)) return undefined;
  return { key: `checkpoint:${pipeline.job.checkpoint}`, field: 'pipeline' };
}

export function checkpointOperationId(p: CheckpointOpsPayload): string {
  if (p.requestId !== undefined) return `checkpoint-ops.${p.pipeline}.${p.command}.${p.requestId}`;
  // inspect without an id: one id per distinct request (inspect never resumes anything).
  const { requestedBy: _who, ...request } = p;
  return `checkpoint-ops.${p.pipeline}.${p.command}.${createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16)}`;
}
