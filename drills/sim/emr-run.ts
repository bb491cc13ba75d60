import type { Application, StartJobRunRequest } from '@aws-sdk/client-emr-serverless';
import type { SimContext } from './context';
import type { SimJobRun } from './emr-state';

/** An application as the simulator keeps it: the API's view plus its concurrency limit. */
export type SimApplication = Application & { id: string; maxConcurrentRuns?: number };

export const DEPLOYER = (account: string) => `arn:aws:sts::${account}:assumed-role/StreamingDeployRole/deploy-session`;

export const runArn = (ctx: SimContext, applicationId: string, jobRunId: string): string =>
  `arn:aws:emr-serverless:${ctx.region}:${ctx.account}:/applications/${applicationId}/jobruns/${jobRunId}`;

/** A STARTED Spark application created a month before the drill (API_Application). */
export function newApplication(
  ctx: SimContext,
  a: { applicationId: string; name?: string; releaseLabel?: string; state?: string; maxConcurrentRuns?: number },
): SimApplication {
  const at = new Date(ctx.clock.now() - 30 * 86_400_000);
  return {
    applicationId: a.applicationId,
    id: a.applicationId,
    name: a.name ?? `app-${a.applicationId}`,
    arn: `arn:aws:emr-serverless:${ctx.region}:${ctx.account}:/applications/${a.applicationId}`,
    releaseLabel: a.releaseLabel ?? 'emr-7.2.0',
    type: 'Spark',
    state: (a.state ?? 'STARTED') as Application['state'],
    createdAt: at,
    updatedAt: at,
    autoStartConfiguration: { enabled: true },
    autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
    architecture: 'X86_64',
    ...(a.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: a.maxConcurrentRuns } : {}),
  };
}

/** GetApplication's view: the concurrency limit as `schedulerConfiguration` (API_SchedulerConfiguration). */
export function applicationView(a: SimApplication): Application {
  const { maxConcurrentRuns, ...view } = a;
  return { ...view, ...(maxConcurrentRuns !== undefined ? { schedulerConfiguration: { maxConcurrentRuns, queueTimeoutMinutes: 360 } } : {}) };
}

/** The run StartJobRun creates (API_StartJobRun, API_JobRun): SUBMITTED, attempt 1, the release of its application. */
export function newJobRun(ctx: SimContext, app: SimApplication, input: StartJobRunRequest, jobRunId: string): SimJobRun {
  const now = new Date(ctx.clock.now());
  const frame = ctx.clock.currentFrame();
  const mode = input.mode ?? 'BATCH';
  return {
    applicationId: app.id,
    jobRunId,
    ...(input.name !== undefined ? { name: input.name } : {}),
    arn: runArn(ctx, app.id, jobRunId),
    createdBy: frame ? `arn:aws:sts::${ctx.account}:assumed-role/${frame.functionName}/${frame.functionName}` : DEPLOYER(ctx.account),
    createdAt: now,
    updatedAt: now,
    executionRole: input.executionRoleArn!,
    ...(input.executionIamPolicy ? { executionIamPolicy: structuredClone(input.executionIamPolicy) } : {}),
    state: 'SUBMITTED',
    stateDetails: '',
    releaseLabel: app.releaseLabel!,
    jobDriver: structuredClone(input.jobDriver!),
    ...(input.configurationOverrides ? { configurationOverrides: structuredClone(input.configurationOverrides) } : {}),
    tags: { ...(input.tags ?? {}) },
    mode,
    // API_RetryPolicy / "Job resiliency": streaming runs retry 5 failed attempts an hour unless told otherwise.
    ...(mode === 'STREAMING'
      ? { retryPolicy: { maxFailedAttemptsPerHour: 5, ...(input.retryPolicy ?? {}) } }
      : input.retryPolicy
        ? { retryPolicy: input.retryPolicy }
        : {}),
    executionTimeoutMinutes: input.executionTimeoutMinutes ?? (mode === 'STREAMING' ? 0 : 720),
    attempt: 1,
    attemptCreatedAt: now,
    attemptUpdatedAt: now,
  };
}
