import * as z from 'zod';
import type { ConfigurationOverrides } from '../../adapters/emr-serverless';
import { replaceRun } from './replace-run';
import { startJobRunAction, type StartJobRunActionParams } from './start-run';
import type { ActionContext, ActionDefinition, ActionOutcome } from '../../core/playbook';
import { EXECUTOR_INSTANCES, MAX_EXECUTORS, readExecutorSettings, withSubmitConf } from './spark-conf';

export const RESTART_WITH_PARAMETERS = 'emr-serverless:RestartJobRunWithParameters';

const restartParams = z
  .object({
    applicationId: z.string().min(1),
    /** The run to replace. */
    jobRunId: z.string().min(1),
    /** Its sparkSubmitParameters as diagnosed: the new run differs from it only in `executors`. */
    previousSparkSubmitParameters: z.string(),
    shutdownGracePeriodSeconds: z.number().int().min(0).max(600),
    cancelWaitSeconds: z.number().int().min(10).max(270),
    /** Present when the restart rescales: the capping setting, its value now, its new value. */
    executors: z
      .object({ setting: z.enum([EXECUTOR_INSTANCES, MAX_EXECUTORS]), from: z.number().int().positive(), to: z.number().int().positive() })
      .strict()
      .optional(),
    /** Exactly what StartJobRun is called with (restart.ts: the old run's fields). */
    start: startJobRunAction.params,
  })
  .strict();

export type RestartWithParametersParams = z.infer<typeof restartParams>;

/** The bounds the action reads from its playbook's settings (consumer-lag's). */
export interface EmrScaleSettings {
  bounds: { maxExecutors: number; maxScaleFactor: number };
}

/**
 * Every bound the actual parameters break. The start half is start-run.ts's (configured
 * application, job, role and checkpoint only); on top: the old run is the one the new run
 * replaces, and the new Spark parameters equal the old ones except the executor setting,
 * whose new value lies in [current, min(maxExecutors, current × maxScaleFactor)].
 */
function checkRestartBounds(p: RestartWithParametersParams, ctx: { pipeline: ActionContext['pipeline']; settings: EmrScaleSettings }): string[] {
  const v = startJobRunAction.checkBounds(p.start, ctx);
  const b = ctx.settings.bounds;
  const next = p.start.jobDriver.sparkSubmit.sparkSubmitParameters ?? '';
  if (p.applicationId !== p.start.applicationId)
    v.push(`applicationId ${p.applicationId} is not the application the new run starts on (${p.start.applicationId})`);
  if (p.start.tags?.['streamfix:restart-of'] !== p.jobRunId) v.push(`start.tags["streamfix:restart-of"] must name the replaced run ${p.jobRunId}`);
  if (p.cancelWaitSeconds < p.shutdownGracePeriodSeconds)
    v.push(`cancelWaitSeconds ${p.cancelWaitSeconds} is shorter than the grace period ${p.shutdownGracePeriodSeconds}`);
  if (!p.executors) {
    if (next !== p.previousSparkSubmitParameters) v.push("sparkSubmitParameters differ from the replaced run's without an executors change");
    return v;
  }
  const { setting, from, to } = p.executors;
  const now = readExecutorSettings(
    { sparkSubmit: { entryPoint: '', sparkSubmitParameters: p.previousSparkSubmitParameters } },
    p.start.configurationOverrides as ConfigurationOverrides | undefined,
  );
  if (now.setting !== setting) v.push(`executors.setting ${setting} is not the setting that caps this job (${now.setting})`);
  if (now.executors !== from) v.push(`executors.from ${from} is not the replaced run's ${setting} (${now.executors ?? 'unset'})`);
  const cap = Math.min(b.maxExecutors, Math.floor(from * b.maxScaleFactor));
  if (to < from || to > cap) v.push(`executors.to ${to} is outside [${from}, ${cap}] (maxExecutors ${b.maxExecutors}, maxScaleFactor ${b.maxScaleFactor})`);
  if (next !== withSubmitConf(p.previousSparkSubmitParameters, setting, String(to)))
    v.push(`sparkSubmitParameters must be the replaced run's with only ${setting}=${to} changed`);
  return v;
}

/**
 * Replace one run of the streaming job by exactly one new run on the same checkpoint, with the
 * new executor setting (runtimes/emr-serverless/replace-run.ts: cancel, wait until ended, start;
 * idempotent on resume).
 */
export const restartWithParametersAction: ActionDefinition<RestartWithParametersParams, EmrScaleSettings> = {
  type: RESTART_WITH_PARAMETERS,
  runtime: 'emr-serverless',
  iamActions: [
    'emr-serverless:GetJobRun',
    'emr-serverless:CancelJobRun',
    'emr-serverless:ListJobRuns',
    'emr-serverless:StartJobRun',
    'emr-serverless:TagResource',
    'iam:PassRole',
  ],
  params: restartParams,
  checkBounds: checkRestartBounds,
  async execute(p, ctx): Promise<ActionOutcome> {
    const out = await replaceRun(ctx, { ...p, start: p.start as StartJobRunActionParams });
    const before = { jobRunId: p.jobRunId, jobRunState: out.old.state, ...(p.executors ? { [p.executors.setting]: p.executors.from } : {}) };
    if (out.alreadyStarted) {
      return {
        summary: `run ${out.jobRunId} already started by this incident (${out.jobRunState}); ${p.jobRunId} is ${out.ended.state}`,
        before,
        after: { jobRunId: out.jobRunId, jobRunState: out.jobRunState },
      };
    }
    const what = p.executors ? `with ${p.executors.setting}=${p.executors.to} (was ${p.executors.from})` : 'with the same parameters';
    return {
      summary: `replaced run ${p.jobRunId} (${out.ended.state}) by run ${out.jobRunId} ${what}`,
      before,
      after: { jobRunId: out.jobRunId, jobRunState: 'SUBMITTED', ...(p.executors ? { [p.executors.setting]: p.executors.to } : {}) },
    };
  },
};
