import * as z from 'zod';
import { withSubmitConf } from '../../analysis/spark-conf';
import { replaceRun } from './replace-run';
import type { ActionDefinition, ActionOutcome } from '../../core/playbook';
import { startJobRunAction, type StartJobRunActionParams } from './start-run';

export const REPLACE_WITH_MEMORY = 'emr-serverless:ReplaceJobRunWithMoreMemory';

const replaceWithMemoryParams = z
  .object({
    applicationId: z.string().min(1),
    /** The crash-looping run to replace. */
    jobRunId: z.string().min(1),
    /** Its sparkSubmitParameters as diagnosed: the new run differs from them only in `memory.setting`. */
    previousSparkSubmitParameters: z.string(),
    memory: z
      .object({ setting: z.enum(['spark.executor.memory', 'spark.driver.memory']), fromGiB: z.number().positive(), toGiB: z.number().int().positive() })
      .strict(),
    shutdownGracePeriodSeconds: z.number().int().min(0).max(1_800),
    cancelWaitSeconds: z.number().int().min(10).max(240),
    /** Exactly what StartJobRun is called with: the old run's fields, the new memory. */
    start: startJobRunAction.params,
  })
  .strict();

export type ReplaceWithMemoryParams = z.infer<typeof replaceWithMemoryParams>;

/** The bound the action reads from its playbook's settings (job-failed's `bounds.memory`). */
export interface EmrMemorySettings {
  bounds: { memory?: { maxExecutorGiB: number; maxDriverGiB: number } };
}

/**
 * Replace a run whose attempts keep running out of memory by one with more (cancel, wait until
 * ended, start: replace-run.ts). Bounds: the start bounds (start-run.ts), and
 * the new memory above the old, at most the configured `memory` bound (none configured: refused),
 * the Spark parameters unchanged but for that one setting.
 */
export const replaceWithMemoryAction: ActionDefinition<ReplaceWithMemoryParams, EmrMemorySettings> = {
  type: REPLACE_WITH_MEMORY,
  runtime: 'emr-serverless',
  iamActions: [
    'emr-serverless:GetJobRun',
    'emr-serverless:CancelJobRun',
    'emr-serverless:ListJobRuns',
    'emr-serverless:StartJobRun',
    'emr-serverless:TagResource',
    'iam:PassRole',
  ],
  params: replaceWithMemoryParams,
  checkBounds(p, ctx) {
    const v = startJobRunAction.checkBounds(p.start, ctx);
    const bound = ctx.settings.bounds.memory;
    const { setting, fromGiB, toGiB } = p.memory;
    if (!bound) v.push('no memory bound is configured (bounds.memory): memory is never raised automatically');
    else {
      const max = setting === 'spark.driver.memory' ? bound.maxDriverGiB : bound.maxExecutorGiB;
      if (toGiB > max) v.push(`${setting} ${toGiB} GiB is over the bound of ${max} GiB`);
    }
    if (toGiB <= fromGiB) v.push(`${setting} ${toGiB} GiB is not more than the current ${fromGiB} GiB`);
    if (p.start.tags?.['streamfix:restart-of'] !== p.jobRunId) v.push(`start.tags["streamfix:restart-of"] must name the replaced run ${p.jobRunId}`);
    if (p.cancelWaitSeconds < p.shutdownGracePeriodSeconds)
      v.push(`cancelWaitSeconds ${p.cancelWaitSeconds} is shorter than the grace period ${p.shutdownGracePeriodSeconds}`);
    const next = p.start.jobDriver.sparkSubmit.sparkSubmitParameters ?? '';
    if (next !== withSubmitConf(p.previousSparkSubmitParameters, setting, `${toGiB}g`))
      v.push(`sparkSubmitParameters must be the replaced run's with only ${setting}=${toGiB}g changed`);
    return v;
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const out = await replaceRun(ctx, { ...p, start: p.start as StartJobRunActionParams });
    const before = { jobRunId: p.jobRunId, jobRunState: out.old.state, [p.memory.setting]: `${p.memory.fromGiB}g` };
    if (out.alreadyStarted) {
      return {
        summary: `run ${out.jobRunId} already started by this incident (${out.jobRunState}); ${p.jobRunId} is ${out.ended.state}`,
        before,
        after: { jobRunId: out.jobRunId, jobRunState: out.jobRunState },
      };
    }
    return {
      summary: `replaced run ${p.jobRunId} (${out.ended.state}) by run ${out.jobRunId} with ${p.memory.setting}=${p.memory.toGiB}g (was ${p.memory.fromGiB}g)`,
      before,
      after: { jobRunId: out.jobRunId, jobRunState: 'SUBMITTED', [p.memory.setting]: `${p.memory.toGiB}g` },
    };
  },
};
