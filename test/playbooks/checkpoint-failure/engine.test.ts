import { emrPipeline } from '../../helpers/pipelines';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CancelJobRunCommand, EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClientOptions } from '../../../lambdas/adapters/clients';
import { S3Adapter } from '../../../lambdas/adapters/s3';
import { listAll, mapLimit, readSparkCheckpoint } from '../../../lambdas/analysis/checkpoint';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { createPlaybookHandler } from '../../../lambdas/handlers/factory';
import { dynamoLedger } from '../../../lambdas/engine/dynamo-ledger';
import exampleConfig from '../../../streamfix.config';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { startDynalite } from '../../helpers/dynalite';
import { startSerialS3rver } from '../../helpers/s3rver-serial';

/**
 * The playbook through the engine: a job run FAILED on an empty offsets file. The ledger is on
 * dynalite, the checkpoint on s3rver (laid out as Spark writes it); EMR, IAM, Scheduler, SSM
 * and SNS are mocked.
 */
// s3rver stamps objects with the real time: the engine's clock starts an hour before it, so the
// commit written during the test is after the fix, as it would be.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const config = parseConfig({ ...exampleConfig, escalation: { emails: [] } });
const job = emrPipeline(config.pipelines.orders).job;
const emr = mockClient(EMRServerlessClient);
const iam = mockClient(IAMClient);
const scheduler = mockClient(SchedulerClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);
const DETAILS = `java.lang.IllegalStateException: Incomplete log file in s3://${BUCKET}/${PREFIX}offsets/29`;
const failedRun = {
  applicationId: job.applicationId,
  jobRunId: 'run-failed',
  arn: 'arn',
  name: job.jobName,
  state: 'FAILED',
  stateDetails: DETAILS,
  mode: 'STREAMING',
  createdAt: new Date(T0 - 3_600_000),
  updatedAt: new Date(T0 - 60_000),
  createdBy: 'c',
  executionRole: job.executionRoleArn,
  releaseLabel: 'emr-7.1.0',
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py' } },
};
const event = {
  version: '0',
  id: 'evt-1',
  'detail-type': 'EMR Serverless Job Run State Change',
  source: 'aws.emr-serverless',
  account: '123456789012',
  time: '2026-11-22T09:59:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    jobRunId: 'run-failed',
    jobRunName: job.jobName,
    applicationId: job.applicationId,
    state: 'FAILED',
    previousState: 'RUNNING',
    stateDetails: DETAILS,
  },
};

describe('Playbook checkpoint-failure through the engine (dynalite + s3rver)', () => {
  let s3rver: Awaited<ReturnType<typeof startSerialS3rver>>;
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let aws: AwsClientOptions;
  let s3: S3Adapter;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    [s3rver, db] = await Promise.all([startSerialS3rver([BUCKET]), startDynalite()]);
    aws = { ...db.aws, ...s3rver.aws, endpoints: { ...db.aws.endpoints, ...s3rver.aws.endpoints } };
    s3 = S3Adapter.fromOptions(s3rver.aws);
    await mapLimit(sparkCheckpoint({ prefix: PREFIX, batches: 30, startMs: T0 - 600_000, statePartitions: 2, lastCommitted: false }), 16, (o) =>
      s3.putObject(BUCKET, o.key, o.body),
    );
    await s3.putObject(BUCKET, `${PREFIX}offsets/29`, '');
    emr.on(GetJobRunCommand).resolves({ jobRun: failedRun as never });
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [] });
    emr.on(StartJobRunCommand).resolves({ applicationId: job.applicationId, jobRunId: 'run-new', arn: 'arn' });
    iam.on(SimulatePrincipalPolicyCommand).callsFake((i: { ActionNames: string[]; ResourceArns: string[] }) => ({
      EvaluationResults: i.ActionNames.map((a) => ({ EvalActionName: a, EvalResourceName: i.ResourceArns[0], EvalDecision: 'allowed' })),
    }));
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: '/streamfix/pause', Value: 'off' }], InvalidParameters: ['/streamfix/pause/orders'] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });
  afterAll(async () => {
    for (const m of [emr, iam, scheduler, ssm, sns]) m.restore();
    await Promise.all([s3rver?.close(), db?.close()]);
  });

  const handler = () =>
    createPlaybookHandler('checkpoint-failure', {
      config,
      clock,
      aws,
      env: {
        tableName: db.tableName,
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
        schedulerGroup: 'streamfix',
        schedulerRoleArn: 'arn:aws:iam::123456789012:role/sched',
        pauseParameter: '/streamfix/pause',
        pipelinePauseParameterPrefix: '/streamfix/pause/',
        metricsNamespace: 'streamfix',
      },
      fetch: (async () => new Response('{"status":"success"}', { status: 202 })) as typeof fetch,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'streamfix' }),
    });
  const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-checkpoint-failure' };

  it('backs up, rolls back past the empty offsets file, restarts, and verifies once the batch commits', async () => {
    // Act
    const r = await handler()(event, { ...ctx, awsRequestId: 'r1' });
    // Assess: the decision and its four actions
    expect(r.decision).toMatchObject({ kind: 'fix', reason: 'CHECKPOINT_LAST_BATCH_CORRUPT' });
    const ledger = dynamoLedger(db.aws, db.tableName);
    const actions = await ledger.listActions(r.incidentId!);
    expect(actions.map((a) => [a.action.type, a.status])).toEqual([
      ['checkpoint:Backup', 'done'],
      ['emr-serverless:EnsureJobStopped', 'done'],
      ['checkpoint:Rollback', 'done'],
      ['emr-serverless:StartJobRun', 'done'],
    ]);
    expect(emr.commandCalls(CancelJobRunCommand)).toHaveLength(0);
    expect(emr.commandCalls(StartJobRunCommand)[0]!.args[0].input).toMatchObject({
      name: job.jobName,
      executionRoleArn: job.executionRoleArn,
      mode: 'STREAMING',
    });
    // The backup holds the checkpoint as it was; the checkpoint reads clean.
    const backupPrefix = String(actions[0]!.action.params.backup).slice(`s3://${BUCKET}/`.length);
    expect((await listAll(s3, BUCKET, backupPrefix)).objects.map((o) => o.key)).toContain(`${backupPrefix}offsets/29`);
    expect(await readSparkCheckpoint(s3, job.checkpoint)).toMatchObject({ latestPlannedBatch: 28, lastGoodBatch: 28, problems: [] });

    // Act: the follow-up finds the new run RUNNING and batch 29 committed
    const followUp = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Input!);
    clock.advance(180_000);
    emr
      .on(ListJobRunsCommand)
      .resolves({ jobRuns: [{ ...failedRun, id: 'run-new', state: 'RUNNING', createdAt: new Date(T0 + 1_000), updatedAt: new Date(T0 + 1_000) } as never] });
    await s3.putObject(BUCKET, `${PREFIX}offsets/29`, 'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1,"conf":{}}\n{"orders.raw":{"0":1}}');
    await s3.putObject(BUCKET, `${PREFIX}commits/29`, 'v1\n{"nextBatchWatermarkMs":0}');
    const verified = await handler()(followUp, { ...ctx, awsRequestId: 'r2' });
    // Assess
    expect(verified.decision).toMatchObject({ reason: 'VERIFIED' });
    expect(await ledger.getIncident(r.incidentId!)).toMatchObject({ status: 'resolved' });
  });
});
