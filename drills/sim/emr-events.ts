import type { JobRunState } from '@aws-sdk/client-emr-serverless';
import { eventTime, type SimContext } from './context';
import type { SimAttempt } from './emr-attempts';
import type { SimJobRun } from './emr-state';

/**
 * The events EMR Serverless sends to EventBridge, with exactly the keys of AWS's own samples
 * (EMR Serverless User Guide, "Automating EMR Serverless with Amazon EventBridge",
 * docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/using-eventbridge.html, "Job run state
 * change event" and "Job run retry event"): the run's name (`jobRunName`) and `stateDetails` are
 * not in them, so a consumer has to ask GetJobRun. test/fixtures/aws-samples holds the samples,
 * and a test keeps these builders to their keys and types.
 */

function envelope(detailType: string, ctx: SimContext, detail: Record<string, unknown>): Record<string, unknown> {
  return {
    version: '0',
    id: ctx.ids.uuid(),
    'detail-type': detailType,
    source: 'aws.emr-serverless',
    account: ctx.account,
    time: eventTime(ctx.clock.now()),
    region: ctx.region,
    resources: [],
    detail,
  };
}

/** "EMR Serverless Job Run State Change". */
export function jobRunStateChangeEvent(run: SimJobRun, previous: JobRunState | undefined, ctx: SimContext): Record<string, unknown> {
  return envelope('EMR Serverless Job Run State Change', ctx, {
    jobRunId: run.jobRunId,
    applicationId: run.applicationId,
    arn: run.arn,
    releaseLabel: run.releaseLabel,
    state: run.state,
    ...(previous !== undefined ? { previousState: previous } : {}),
    createdBy: run.createdBy,
    updatedAt: run.updatedAt.toISOString(),
    createdAt: run.createdAt.toISOString(),
  });
}

/** "EMR Serverless Job Run Retry": one attempt failed, EMR starts the next (releases 7.1.0+). */
export function jobRunRetryEvent(run: SimJobRun, previous: SimAttempt, next: SimAttempt, ctx: SimContext): Record<string, unknown> {
  return envelope('EMR Serverless Job Run Retry', ctx, {
    jobRunId: run.jobRunId,
    applicationId: run.applicationId,
    arn: run.arn,
    releaseLabel: run.releaseLabel,
    createdBy: run.createdBy,
    updatedAt: run.updatedAt.toISOString(),
    createdAt: run.createdAt.toISOString(),
    previousAttempt: previous.attempt,
    previousAttemptState: previous.state,
    previousAttemptCreatedAt: previous.createdAt.toISOString(),
    previousAttemptEndedAt: (previous.endedAt ?? previous.updatedAt).toISOString(),
    newAttempt: next.attempt,
    newAttemptCreatedAt: next.createdAt.toISOString(),
  });
}
