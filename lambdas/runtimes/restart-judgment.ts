import type { PipelineConfig } from '../config/schema';
import { isRecord } from '../util/is-record';

/**
 * The judgment of a failed streaming job, shared by the runtimes' restart plans
 * (emr-serverless/restart-plan.ts, managed-flink/restart-plan.ts): its decision codes, and the
 * settings it reads. The job-failed playbook judges with its own settings; consumer-lag judges a
 * job that is not running with job-failed's settings and its own budget.
 */

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
  /** EMR retries the run (job resiliency): streamfix watches. */
  EMR_RETRYING: 'JOB_EMR_RETRYING',
  /** The run's attempts keep failing the same non-transient way: escalated before EMR gives up. */
  CRASH_LOOP: 'JOB_CRASH_LOOP',
  /** The same, out of memory, with a memory bound: replaced by a run with more memory. */
  CRASH_LOOP_MEMORY: 'JOB_CRASH_LOOP_MORE_MEMORY',
  /** EMR gave up after its attempts, all of which failed for transient reasons: restarted. */
  RETRIES_EXHAUSTED_TRANSIENT: 'JOB_FAILED_AFTER_RETRIES_TRANSIENT',
  /** EMR gave up after its attempts, not all transient: escalated with the attempt history. */
  RETRIES_EXHAUSTED: 'JOB_FAILED_AFTER_RETRIES',
} as const;

/** The settings the judgment reads: the job-failed playbook's (its manifest's schema gives them). */
export interface JobRestartSettings {
  maxActionsPerHour: number;
  bounds: {
    nonRestartablePatterns: string[];
    systemCancelPatterns: string[];
    maxCheckpointAgeHours: number;
    maxFailureAgeMinutes: number;
    crashLoopAttempts: number;
    memory?: { maxExecutorGiB: number; maxDriverGiB: number; factor: number };
    stopGracePeriodSeconds: number;
    stopWaitSeconds: number;
    restartLoopRestarts: number;
    restartLoopMinutes: number;
    stuckOperationMinutes: number;
  };
}

/**
 * The job-failed playbook's settings of a pipeline, which consumer-lag judges a job that is not
 * running with. The full config schema validated and defaulted the block (every playbook has one);
 * this checks its outline once, in one place, instead of a cast at each reader.
 */
export function jobRestartSettingsOf(pipeline: PipelineConfig): JobRestartSettings {
  const block: unknown = pipeline.playbooks['job-failed'];
  if (!isRecord(block) || typeof block.maxActionsPerHour !== 'number' || !isRecord(block.bounds)) {
    throw new Error("the pipeline's playbooks.job-failed settings are missing or not validated (parse the config with lambdas/schema.ts)");
  }
  return block as unknown as JobRestartSettings;
}
