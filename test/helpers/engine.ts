import { emrPipeline } from './pipelines';
import { mockClient } from 'aws-sdk-client-mock';
import { EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { S3Client, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SchedulerClient, CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SSMClient, GetParametersCommand } from '@aws-sdk/client-ssm';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { expect } from 'vitest';
import type { StreamfixConfig } from '../../lambdas/config';
import { parseConfig } from '../../lambdas/schema';
import { ManualClock } from '../../lambdas/core/clock';
import type { PlaybookHandler } from '../../lambdas/engine/runtime';
import { createPlaybookHandler } from '../../lambdas/handlers/factory';
import exampleConfig from '../../streamfix.config';
import failedEvent from '../fixtures/events/emr-job-run-failed.json';
import type { startDynalite } from './dynalite';

/**
 * The job-failed playbook's real handler, the ledger on dynalite, every other AWS service mocked
 * with aws-sdk-client-mock: the engine as Lambda runs it, under a clock the test moves.
 */
export const T0 = Date.parse('2026-11-22T10:00:00Z');
export const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed';
export const config: StreamfixConfig = parseConfig({ ...exampleConfig, escalation: { emails: [] } });
export const job = emrPipeline(config.pipelines.orders).job;
export { failedEvent };

export const mocks = {
  emr: mockClient(EMRServerlessClient),
  s3: mockClient(S3Client),
  scheduler: mockClient(SchedulerClient),
  ssm: mockClient(SSMClient),
  sns: mockClient(SNSClient),
};

export const failedRun = {
  applicationId: job.applicationId,
  jobRunId: (failedEvent as { detail: { jobRunId: string } }).detail.jobRunId,
  arn: 'arn',
  name: job.jobName,
  state: 'FAILED',
  stateDetails: 'ExecutorLostFailure: exit code 137',
  mode: 'STREAMING',
  createdAt: new Date(T0 - 3_600_000),
  updatedAt: new Date(T0 - 60_000),
  createdBy: 'arn:aws:iam::123456789012:role/deployer',
  executionRole: job.executionRoleArn,
  releaseLabel: 'emr-7.1.0',
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py' } },
};

/** Every mock answering a healthy platform around one failed run. */
export function resetMocks(): void {
  const { emr, s3, scheduler, ssm, sns } = mocks;
  for (const m of Object.values(mocks)) m.reset();
  emr.on(GetJobRunCommand).resolves({ jobRun: failedRun as never });
  emr.on(ListJobRunsCommand).resolves({ jobRuns: [] });
  emr.on(StartJobRunCommand).resolves({ applicationId: job.applicationId, jobRunId: 'newrun0001', arn: 'arn' });
  s3.on(HeadObjectCommand).resolves({ ContentLength: 45, LastModified: new Date(T0 - 120_000) });
  s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'x/commits/7', LastModified: new Date(T0 - 60_000), Size: 29 }], IsTruncated: false });
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
  ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: '/streamfix/pause', Value: 'off' }], InvalidParameters: ['/streamfix/pause/orders'] });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
}

export function jobFailedHandler(
  db: Awaited<ReturnType<typeof startDynalite>>,
  clock: ManualClock,
  cfg: StreamfixConfig = config,
  pagerDuty: unknown[] = [],
): PlaybookHandler {
  return createPlaybookHandler('job-failed', {
    config: cfg,
    clock,
    env: {
      tableName: db.tableName,
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
      schedulerGroup: 'streamfix',
      schedulerRoleArn: 'arn:aws:iam::123456789012:role/sched',
      pauseParameter: '/streamfix/pause',
      pipelinePauseParameterPrefix: '/streamfix/pause/',
      metricsNamespace: 'streamfix',
    },
    aws: db.aws,
    fetch: (async (_u: unknown, init?: { body?: string }) => {
      pagerDuty.push(JSON.parse(init?.body ?? '{}'));
      return new Response('{"status":"success"}', { status: 202 });
    }) as typeof fetch,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'streamfix', serviceName: 'test' }),
  });
}

/** Waits (bounded) until the condition holds: lets a worker run up to the point where it "dies". */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(cond()).toBe(true);
}

export { ManualClock };
