import { EmrServerlessAdapter } from '../../adapters/emr-serverless';
import { S3Adapter } from '../../adapters/s3';
import { isEmrPipeline } from '../../config/job-kind';
import type { Operation, OperationContext, OperationResult } from '../types';
import { inspectCheckpoint } from './inspect';
import { checkpointOpsManifest } from './manifest';
import { backupCommand, resetCommand, rollbackCommand, type MutateHooks } from './mutate';
import { restoreCommand } from './restore';
import { authorizeCheckpointOps, checkpointOperationId, checkpointOpsPayload, checkpointTarget, type CheckpointOpsPayload } from './payload';

export { checkpointOpsManifest } from './manifest';
export { checkpointOpsPayload, checkpointOperationId, type CheckpointOpsPayload, type CheckpointOpsPayloadInput } from './payload';
export type { BackupProgress } from './safety';

/**
 * The `checkpoint-ops` operation: `inspect` (read-only), `backup` (a verified copy, with
 * progress), and `rollback`, `reset`, `restore` — each of these only with the job stopped, a
 * verified backup of what it changes, and `confirm: true`. The same `requestId` continues an
 * operation stopped early and returns the result of one already done.
 */
export function createCheckpointOpsOperation(hooks: MutateHooks = {}): Operation<CheckpointOpsPayload> {
  return {
    manifest: checkpointOpsManifest,
    // The checkpoint and its backups; the job's runs (never change a checkpoint in use).
    adapters: { emr: EmrServerlessAdapter, s3: S3Adapter },
    payload: checkpointOpsPayload,
    authorize: authorizeCheckpointOps,
    operationId: checkpointOperationId,
    target: checkpointTarget,
    async run(p: CheckpointOpsPayload, ctx: OperationContext): Promise<OperationResult> {
      const pipeline = ctx.config.pipelines[p.pipeline]!;
      // authorize refused any other: checkpoint-ops works on the Spark checkpoints of EMR Serverless jobs.
      if (!isEmrPipeline(pipeline)) throw new Error(`pipeline ${p.pipeline} runs on ${pipeline.job.kind}`);
      // Done before: its result again. An undo of a finished restore is work still to do.
      const undoPending = p.command === 'restore' && p.undo && ctx.record.result?.undone !== true;
      if (p.command !== 'inspect' && ctx.record.status === 'done' && !undoPending) {
        return { status: 'done', summary: `${ctx.record.summary ?? 'done'} (already done: operation ${ctx.operationId})`, result: ctx.record.result ?? {} };
      }
      switch (p.command) {
        case 'inspect':
          return inspectCheckpoint(p, pipeline, ctx);
        case 'backup':
          return backupCommand(p, pipeline, ctx, hooks);
        case 'rollback':
          return rollbackCommand(p, pipeline, ctx, hooks);
        case 'reset':
          return resetCommand(p, pipeline, ctx, hooks);
        case 'restore':
          return restoreCommand(p, pipeline, ctx, hooks);
      }
    },
  };
}

export const checkpointOpsOperation = createCheckpointOpsOperation();
