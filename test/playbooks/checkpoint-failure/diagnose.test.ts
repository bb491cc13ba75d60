import { emrPipeline } from '../../helpers/pipelines';
import type { EmrPipeline } from '../../../lambdas/config/schema';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsAdapters, type AwsAdapters } from '../../../lambdas/adapters';
import type { BucketEncryptionView } from '../../../lambdas/adapters/s3';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import type { Trigger } from '../../../lambdas/core/trigger';
import { diagnoseCheckpointFailure } from '../../../lambdas/playbooks/checkpoint-failure/diagnose';
import type { CheckpointFailureSettings } from '../../../lambdas/playbooks/checkpoint-failure/manifest';
import type { PlaybookContext } from '../../../lambdas/core/playbook';
import exampleConfig from '../../../streamfix.config';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { MemoryS3 } from '../../helpers/memory-s3';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const KEY_ID = '0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098';
const emrMock = mockClient(EMRServerlessClient);
const iamMock = mockClient(IAMClient);
const cwMock = mockClient(CloudWatchClient);
const logsMock = mockClient(CloudWatchLogsClient);

const config = parseConfig({
  ...exampleConfig,
  region: 'eu-west-1',
  pipelines: {
    orders: {
      ...emrPipeline(exampleConfig.pipelines.orders),
      playbooks: {
        'checkpoint-failure': {
          bounds: {
            durationMetric: { namespace: 'OrdersStream', metricName: 'checkpointDurationSeconds', unit: 'Seconds' },
            logGroupName: '/aws/emr-serverless/orders-stream',
          },
        },
      },
    },
  },
});
const pipeline = emrPipeline(config.pipelines.orders);
const settings = pipeline.playbooks['checkpoint-failure'] as CheckpointFailureSettings;
const ROLE = pipeline.job.executionRoleArn;

const jobRun = (over: Record<string, unknown> = {}) => ({
  applicationId: pipeline.job.applicationId,
  jobRunId: 'run-failed',
  arn: 'arn',
  name: 'orders-stream',
  state: 'FAILED',
  mode: 'STREAMING',
  stateDetails:
    'UnsupportedLogVersion: maximum supported log version is v1, but encountered v2 in s3://orders-data-lake/_checkpoints/streaming/orders/offsets/29',
  createdAt: new Date(T0 - 3_600_000),
  updatedAt: new Date(T0 - 60_000),
  createdBy: 'x',
  executionRole: ROLE,
  releaseLabel: 'emr-7.1.0',
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py' } },
  ...over,
});

function context(encryption?: BucketEncryptionView, edit?: (s3: MemoryS3) => void): PlaybookContext<CheckpointFailureSettings, EmrPipeline> {
  const s3 = new MemoryS3();
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 30, startMs: T0 - 600_000, lastCommitted: false })) s3.seed(BUCKET, o.key, o.body, o.atMs);
  s3.seed(BUCKET, `${PREFIX}offsets/29`, 'v2\n{"batchWatermarkMs":0,"batchTimestampMs":1,"conf":{}}\n0:{"orders.raw":{"0":9}}', T0 - 90_000);
  edit?.(s3);
  const real = createAwsAdapters({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const aws = {
    emr: real.emr,
    iam: real.iam,
    cloudwatch: real.cloudwatch,
    logs: real.logs,
    s3: Object.assign(s3, { getBucketEncryption: async () => encryption }),
  } as unknown as AwsAdapters;
  return {
    pipelineName: 'orders',
    pipeline,
    settings,
    config,
    clock: new ManualClock(T0),
    aws,
    incidentId: 'i',
    signal: new AbortController().signal,
    history: { actionsInLastHour: async (r: string) => (r.startsWith('s3:') ? 1 : 2) },
  };
}

const simulated = (decision: (action: string) => string) => (input: { ActionNames?: string[]; ResourceArns?: string[] }) => ({
  EvaluationResults: (input.ActionNames ?? []).map((a) => ({ EvalActionName: a, EvalResourceName: input.ResourceArns?.[0], EvalDecision: decision(a) })),
});

beforeEach(() => {
  for (const m of [emrMock, iamMock, cwMock, logsMock]) m.reset();
  emrMock.on(GetJobRunCommand).resolves({ jobRun: jobRun() as never });
  emrMock.on(ListJobRunsCommand).resolves({ jobRuns: [] });
  iamMock.on(SimulatePrincipalPolicyCommand).callsFake(simulated((a) => (a === 's3:PutObject' ? 'implicitDeny' : 'allowed')));
  cwMock
    .on(GetMetricDataCommand)
    .resolves({ MetricDataResults: [{ Id: 'duration', Timestamps: [new Date(T0 - 120_000), new Date(T0 - 60_000)], Values: [12, 41.5] }] });
  logsMock.on(FilterLogEventsCommand).resolves({ events: [] });
});
afterAll(() => {
  for (const m of [emrMock, iamMock, cwMock, logsMock]) m.restore();
});

const event: Trigger = {
  kind: 'job-run',
  eventId: 'e',
  dedupeKey: 'k',
  applicationId: pipeline.job.applicationId,
  jobRunId: 'run-failed',
  state: 'FAILED',
  atMs: T0,
  stateDetails: jobRun().stateDetails,
};

describe('Function: diagnoseCheckpointFailure', () => {
  it('reads the run, the checkpoint (with the log version the job accepts), the role simulation, the metric and the history', async () => {
    // Act
    const e = await diagnoseCheckpointFailure(context(), event);
    // Assess
    expect(e).toMatchObject({
      runSource: 'event',
      failureTextSource: 'stateDetails',
      durationMaxMs: 41_500,
      jobActionsLastHour: 2,
      checkpointActionsLastHour: 1,
    });
    expect(e.checkpoint?.problems).toEqual([expect.objectContaining({ kind: 'offsets-unsupported-version', batchId: 29 })]);
    const sims = iamMock.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    expect(sims).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          PolicySourceArn: ROLE,
          ActionNames: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          ResourceArns: [`arn:aws:s3:::${BUCKET}/${PREFIX}*`],
        }),
        expect.objectContaining({ PolicySourceArn: ROLE, ActionNames: ['s3:ListBucket'], ResourceArns: [`arn:aws:s3:::${BUCKET}`] }),
      ]),
    );
    expect(e.access.s3.filter((c) => c.decision !== 'allowed')).toEqual([
      { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/${PREFIX}*`, decision: 'implicitDeny' },
    ]);
    expect(e.access.kms).toEqual([]);
  });

  it('simulates kms:GenerateDataKey and kms:Decrypt on the bucket key, completing a bare key id into an ARN', async () => {
    await diagnoseCheckpointFailure(context({ sseAlgorithm: 'aws:kms', kmsKeyId: KEY_ID, bucketKeyEnabled: false }), event);
    const kms = iamMock
      .commandCalls(SimulatePrincipalPolicyCommand)
      .map((c) => c.args[0].input)
      .find((i) => i.ActionNames?.[0]?.startsWith('kms:'));
    expect(kms).toMatchObject({ ActionNames: ['kms:GenerateDataKey', 'kms:Decrypt'], ResourceArns: [`arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`] });
  });

  it('for an alarm, takes the newest run of the job and, when it is running, the failure text from the driver log', async () => {
    // Prepare
    emrMock.on(ListJobRunsCommand).resolves({ jobRuns: [{ ...jobRun({ jobRunId: undefined }), id: 'run-live', state: 'RUNNING' } as never] });
    emrMock.on(GetJobRunCommand).resolves({ jobRun: jobRun({ jobRunId: 'run-live', state: 'RUNNING', stateDetails: undefined }) as never });
    logsMock.on(FilterLogEventsCommand).resolves({
      events: [
        { timestamp: T0 - 50_000, message: 'older' },
        { timestamp: T0 - 10_000, message: 'java.nio.file.AccessDeniedException: s3://orders-data-lake/_checkpoints/streaming/orders/commits/30: PutObject' },
      ],
    });
    const alarm: Trigger = {
      kind: 'alarm',
      eventId: 'a',
      dedupeKey: 'a',
      alarmName: 'x',
      state: 'ALARM',
      stateAtMs: T0,
      reason: 'r',
      reasonData: { recentDatapoints: [3] },
      composite: false,
      triggeringAlarms: [],
      metrics: [],
    };
    // Act
    const e = await diagnoseCheckpointFailure(context(), alarm);
    // Assess
    expect(e).toMatchObject({ runSource: 'newest-run', failureTextSource: 'logs', failuresInWindow: 3, activeRuns: [] });
    expect(e.failureText).toContain('AccessDeniedException');
    expect(logsMock.commandCalls(FilterLogEventsCommand)[0]!.args[0].input).toMatchObject({
      logGroupName: '/aws/emr-serverless/orders-stream',
      startTime: T0 - 900_000,
      endTime: T0,
    });
  });

  it('goes on without the simulation when it fails, and records why', async () => {
    iamMock.on(SimulatePrincipalPolicyCommand).rejects(
      Object.assign(new Error('not authorized to perform iam:SimulatePrincipalPolicy'), {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const e = await diagnoseCheckpointFailure(context(), event);
    expect(e.access.s3).toEqual([]);
    expect(e.access.errors.join()).toContain('simulate S3 object actions');
    expect(e.checkpoint).toBeDefined();
  });

  it('records a checkpoint it could not read instead of failing the diagnosis', async () => {
    const ctx = context();
    // biome-ignore lint/correctness/useYield: a listing that fails before its first page yields nothing
    (ctx.aws.s3 as unknown as MemoryS3).listPrefix = async function* () {
      throw new Error('s3.ListObjectsV2 failed: AccessDenied');
    };
    const e = await diagnoseCheckpointFailure(ctx, event);
    expect(e.checkpoint).toBeUndefined();
    expect(e.checkpointError).toContain('AccessDenied');
  });
});
