import * as z from 'zod';
import { wrongRuntime } from '../../config/job-kind';
import type { ActionDefinition, ActionOutcome } from '../../core/playbook';
import { listActiveRuns } from './job';
import { START_JOB_RUN } from './restart';

const startJobRunParams = z
  .object({
    applicationId: z.string().min(1),
    clientToken: z.string().min(1).max(64),
    executionRoleArn: z.string().min(20),
    /** The old run's session policy: carried, or the new run gets the role's full permissions. */
    executionIamPolicy: z
      .object({ policy: z.string().min(1).optional(), policyArns: z.array(z.string().min(1)).optional() })
      .strict()
      .optional(),
    name: z.string().min(1),
    mode: z.literal('STREAMING'),
    jobDriver: z
      .object({
        sparkSubmit: z.object({
          entryPoint: z.string().min(1),
          entryPointArguments: z.array(z.string()).optional(),
          sparkSubmitParameters: z.string().optional(),
        }),
      })
      .loose(),
    configurationOverrides: z.record(z.string(), z.unknown()).optional(),
    retryPolicy: z.object({ maxAttempts: z.number().optional(), maxFailedAttemptsPerHour: z.number().optional() }).optional(),
    executionTimeoutMinutes: z.number().int().min(0).optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type StartJobRunActionParams = z.infer<typeof startJobRunParams>;

const CHECKPOINT_CONF = /spark\.sql\.streaming\.checkpointLocation=(\S+)/;

/**
 * Start one run of the pipeline's streaming job from its checkpoint. Bounds: the configured
 * application, job name and execution role only; a checkpoint location in the Spark
 * parameters must be the configured one. Idempotent: the clientToken makes a retry return
 * the same run, and a run of this job already active (not started by this incident) stops it.
 */
export const startJobRunAction: ActionDefinition<StartJobRunActionParams, unknown> = {
  type: START_JOB_RUN,
  runtime: 'emr-serverless',
  iamActions: ['emr-serverless:ListJobRuns', 'emr-serverless:GetJobRun', 'emr-serverless:StartJobRun', 'emr-serverless:TagResource', 'iam:PassRole'],
  params: startJobRunParams,
  checkBounds(p, { pipeline }) {
    if (pipeline.job.kind !== 'emr-serverless') return [wrongRuntime(pipeline, 'emr-serverless')];
    const job = pipeline.job;
    const v: string[] = [];
    if (p.applicationId !== job.applicationId) v.push(`applicationId ${p.applicationId} is not the configured ${job.applicationId}`);
    if (p.name !== job.jobName) v.push(`name "${p.name}" is not the configured job "${job.jobName}"`);
    if (p.executionRoleArn !== job.executionRoleArn) v.push(`executionRoleArn ${p.executionRoleArn} is not the configured ${job.executionRoleArn}`);
    const cp = CHECKPOINT_CONF.exec(p.jobDriver.sparkSubmit.sparkSubmitParameters ?? '')?.[1];
    if (cp !== undefined && cp.replace(/\/?$/, '/') !== job.checkpoint) v.push(`checkpointLocation ${cp} is not the configured ${job.checkpoint}`);
    return v;
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const emr = ctx.aws.emr;
    const active = await listActiveRuns(emr, p.applicationId, p.name);
    for (const a of active) {
      const run = await emr.getJobRun(p.applicationId, a.jobRunId);
      if (run.tags?.['streamfix:incident'] === p.tags?.['streamfix:incident']) {
        // Started by this incident before a crash: the restart already happened.
        return {
          summary: `run ${a.jobRunId} already started by this incident (${a.state})`,
          before: { activeRuns: active.length },
          after: { jobRunId: a.jobRunId, state: a.state },
        };
      }
      throw new Error(`run ${a.jobRunId} of ${p.name} is ${a.state}: refusing to start a second run on the same checkpoint`);
    }
    const { jobRunId } = await emr.startJobRun(p);
    return { summary: `started run ${jobRunId} of ${p.name}`, before: { activeRuns: 0 }, after: { jobRunId, state: 'SUBMITTED' } };
  },
};
