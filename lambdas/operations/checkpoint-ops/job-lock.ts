import type { EmrPipeline } from '../../config/schema';
import { iso } from '../../core/clock';
import { ItemGuardrailStore, type ResourceGuard } from '../../guardrails';
import { jobResource, listActiveRuns } from '../../runtimes/emr-serverless/job';
import type { OperationContext } from '../types';
import { refuse } from './safety';

/**
 * Checkpoint operations and playbooks share one lock: the job's (`GUARD#<job resource>`, the
 * lock the playbooks' restart and scale actions take through the gate). A command that changes
 * the checkpoint holds it, as `operation:<id>`, from right before its first change until the
 * checkpoint is whole again, across its invocations and its crashes: the lock is held until
 * released (guardrails/store.ts `holdLock`), so no fix starts the job on a checkpoint left half
 * changed. While it is held the pipeline is paused for the playbooks that act on the job (their
 * gate answers LOCKED and looks again later); the operation's result says so (`pipelinePaused`).
 * The command is refused while a fix holds the lock, and while another operation left the
 * checkpoint half changed (resume that one, or undo it).
 */

export const operationLockOwner = (operationId: string): string => `operation:${operationId}`;

/** What a result shows about the pause (the job's lock held by this operation). */
export interface PipelinePause {
  lock: string;
  owner: string;
  sinceMs: number;
  since: string;
  reason: string;
}

export interface JobLock {
  resource: string;
  owner: string;
  /** Taken by this invocation (the operation did not hold it before): nothing was changed under it yet. */
  fresh: boolean;
  pause: PipelinePause;
}

const store = (ctx: OperationContext) => new ItemGuardrailStore(ctx.ledger.store);
const resourceOf = (pipeline: EmrPipeline) => jobResource(pipeline.job.applicationId, pipeline.job.jobName);

function holderText(g: ResourceGuard, pipeline: EmrPipeline): string | undefined {
  const l = g.lock;
  if (!l) return undefined;
  if (l.owner.startsWith('operation:')) {
    const id = l.owner.slice('operation:'.length);
    return (
      `${pipeline.job.checkpoint} is left half changed by operation ${id}${l.sinceMs !== undefined ? ` since ${iso(l.sinceMs)}` : ''}` +
      `${l.reason ? ` (${l.reason})` : ''}: the job stays locked until it finishes — invoke that operation again to resume it, or undo it, before anything else changes the checkpoint`
    );
  }
  return `a fix holds the job ${g.resource} (incident ${l.owner}) until ${iso(l.untilMs)}: the checkpoint is not changed while a playbook acts on the job; try again once its fix has ended`;
}

/** Refuses (naming `pipeline`) while anyone but this operation holds the job's lock. */
export async function refuseIfJobHeld(ctx: OperationContext, pipeline: EmrPipeline): Promise<void> {
  const g = await store(ctx).readResource(resourceOf(pipeline));
  const now = ctx.clock.now();
  if (g.lock && g.lock.owner !== operationLockOwner(ctx.operationId) && g.lock.untilMs > now) await refuse(ctx, 'pipeline', holderText(g, pipeline)!);
}

/** Whether this operation holds the job's lock now (it left the checkpoint half changed). */
export async function holdsJob(ctx: OperationContext, pipeline: EmrPipeline): Promise<boolean> {
  return (await store(ctx).readResource(resourceOf(pipeline))).lock?.owner === operationLockOwner(ctx.operationId);
}

/** Takes (or keeps) the job's lock right before the first change; refused, naming the holder, when someone else holds it. */
export async function takeJobLock(ctx: OperationContext, pipeline: EmrPipeline, reason: string): Promise<JobLock> {
  const resource = resourceOf(pipeline);
  const owner = operationLockOwner(ctx.operationId);
  const now = ctx.clock.now();
  const before = await store(ctx).readResource(resource);
  const r = await store(ctx).holdLock(resource, owner, reason, now);
  if (!r.ok) await refuse(ctx, 'pipeline', holderText(r.guard, pipeline)!);
  const sinceMs = r.ok && r.guard.lock?.sinceMs !== undefined ? r.guard.lock.sinceMs : now;
  ctx.logger.info('holding the job lock', { resource, owner, reason });
  return { resource, owner, fresh: before.lock?.owner !== owner, pause: { lock: `GUARD#${resource}`, owner, sinceMs, since: iso(sinceMs), reason } };
}

export async function releaseJobLock(ctx: OperationContext, lock: Pick<JobLock, 'resource' | 'owner'>): Promise<void> {
  await store(ctx).releaseHold(lock.resource, lock.owner, ctx.clock.now());
  ctx.logger.info('released the job lock', { resource: lock.resource });
}

/** The job's active run, if any (a run started by anyone: a person, EMR's own retry). */
export async function activeRun(ctx: OperationContext, pipeline: EmrPipeline): Promise<{ jobRunId: string; state: string } | undefined> {
  const job = pipeline.job;
  const active = await listActiveRuns(ctx.aws.emr, job.applicationId, job.jobName);
  return active[0] ? { jobRunId: active[0].jobRunId, state: active[0].state } : undefined;
}
