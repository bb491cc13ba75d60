import { isTransient } from '../../adapters/errors';
import type { S3Store } from '../../checkpoint';
import type { EmrPipeline } from '../../config/schema';
import { AwsRequestError } from '../../core/errors';
import type { OperationContext, OperationResult } from '../types';
import { activeRun, releaseJobLock, takeJobLock, type JobLock, type PipelinePause } from './job-lock';
import { refuse } from './safety';

/**
 * One change of a checkpoint (a rollback's or a reset's deletions) under the job's lock: the
 * lock taken right before it, the job re-checked under the lock (so no fix can start it in
 * between), the change made (again while S3 answers a few keys "try again"), the lock released
 * once the checkpoint is whole. A change that broke off keeps the lock: the checkpoint may be
 * half changed, and the operation, invoked again, finishes it.
 */

/** S3 DeleteObjects per-key errors that mean "try again" (Amazon S3 API Reference, "Error responses": InternalError, SlowDown, ServiceUnavailable). */
const RETRY_KEY_CODES = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable']);
const ATTEMPTS = 5;

export function isRetriableChange(e: unknown): boolean {
  if (isTransient(e)) return true;
  if (!(e instanceof AwsRequestError) || e.operation !== 'DeleteObjects') return false;
  const errors = (e.cause as { errors?: { Code?: string }[] } | undefined)?.errors ?? [];
  return errors.length > 0 && errors.every((x) => RETRY_KEY_CODES.has(x.Code ?? ''));
}

/** The S3 store the change uses, noting whether it changed anything (a write, a copy or a deletion reached S3). */
export function tracked(s3: S3Store): { s3: S3Store; changed(): boolean } {
  let changed = false;
  const mark =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    (...a: A) => {
      changed = true;
      return f(...a);
    };
  return {
    s3: {
      listPrefix: s3.listPrefix.bind(s3),
      getObjectText: s3.getObjectText.bind(s3),
      headObject: s3.headObject.bind(s3),
      digestObject: s3.digestObject.bind(s3),
      copyObject: mark(s3.copyObject.bind(s3)),
      deleteObjects: mark(s3.deleteObjects.bind(s3)),
      putObject: mark(s3.putObject.bind(s3)),
    },
    changed: () => changed,
  };
}

/** A result for a checkpoint left half changed: failed, the pipeline still paused, the same payload continues it. */
export function halfChanged(p: object, pause: PipelinePause, summary: string): OperationResult {
  return { status: 'failed', summary, result: { pipelinePaused: { ...pause } }, continueWith: { ...p } };
}

export type Changed<T> = { ok: true; value: T; pause: PipelinePause } | { ok: false; result: OperationResult };

export async function underJobLock<T>(
  ctx: OperationContext,
  pipeline: EmrPipeline,
  p: object,
  reason: string,
  change: (s3: S3Store) => Promise<T>,
): Promise<Changed<T>> {
  const lock: JobLock = await takeJobLock(ctx, pipeline, reason);
  const run = await activeRun(ctx, pipeline);
  if (run) {
    const job = pipeline.job;
    const stop = `aws emr-serverless cancel-job-run --application-id ${job.applicationId} --job-run-id ${run.jobRunId}`;
    if (lock.fresh) {
      await releaseJobLock(ctx, lock);
      return refuse(
        ctx,
        'pipeline',
        `run ${run.jobRunId} of ${job.jobName} is ${run.state}: stop the job first (${stop}) — never change a checkpoint a run is using`,
      );
    }
    return {
      ok: false,
      result: halfChanged(
        p,
        lock.pause,
        `run ${run.jobRunId} of ${job.jobName} is ${run.state} on ${job.checkpoint}, which this operation left half changed: stop it now (${stop}), then invoke this operation again to finish`,
      ),
    };
  }
  const t = tracked(ctx.aws.s3);
  for (let attempt = 1; ; attempt++) {
    await ctx.lease?.ensure();
    try {
      const value = await change(t.s3);
      await releaseJobLock(ctx, lock);
      return { ok: true, value, pause: lock.pause };
    } catch (e) {
      if (isRetriableChange(e) && attempt < ATTEMPTS) {
        ctx.logger.warn('checkpoint change: S3 said try again', { error: e as Error, attempt });
      } else {
        // Nothing changed under a lock this invocation took: nothing to keep paused.
        if (lock.fresh && !t.changed()) {
          await releaseJobLock(ctx, lock);
          throw e;
        }
        ctx.logger.error('checkpoint change broke off; the job stays locked', { error: e as Error });
        return {
          ok: false,
          result: halfChanged(
            p,
            lock.pause,
            `${pipeline.job.checkpoint} may be half changed: ${(e as Error).message}; the job stays locked — invoke this operation again to finish`,
          ),
        };
      }
      await ctx.clock.sleep(Math.min(8_000, 500 * 2 ** (attempt - 1)), ctx.signal).catch(() => undefined);
    }
  }
}
