import type { JobRunState } from '@aws-sdk/client-emr-serverless';
import { eventTime, type SimContext } from './context';
import type { SimJobRun } from './emr';

/** "EMR Serverless Job Run State Change", as EventBridge receives it from the service. */
export function jobRunStateChangeEvent(run: SimJobRun, previous: JobRunState | undefined, ctx: SimContext): Record<string, unknown> {
  return {
    version: '0',
    id: ctx.ids.uuid(),
    'detail-type': 'EMR Serverless Job Run State Change',
    source: 'aws.emr-serverless',
    account: ctx.account,
    time: eventTime(ctx.clock.now()),
    region: ctx.region,
    resources: [],
    detail: {
      jobRunId: run.jobRunId,
      ...(run.name !== undefined ? { jobRunName: run.name } : {}),
      applicationId: run.applicationId,
      arn: run.arn,
      releaseLabel: run.releaseLabel,
      state: run.state,
      ...(previous !== undefined ? { previousState: previous } : {}),
      ...(run.stateDetails ? { stateDetails: run.stateDetails } : {}),
      createdBy: run.createdBy,
      updatedAt: run.updatedAt.toISOString(),
      createdAt: run.createdAt.toISOString(),
    },
  };
}
