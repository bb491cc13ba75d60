import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetJobRunCommand,
  ListJobRunsCommand,
  StartJobRunCommand,
  type GetJobRunCommandOutput,
} from '@aws-sdk/client-emr-serverless';
import { SchedulerClient, CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SSMClient, GetParametersCommand } from '@aws-sdk/client-ssm';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { createPlaybookHandler } from '../../../lambdas/handlers/factory';
import { dynamoLedger } from '../../../lambdas/engine/dynamo-ledger';
import exampleConfig from '../../../streamfix.config';
import { startDynalite } from '../../helpers/dynalite';
import { reply } from '../../adapters/aws-fixtures';

const CW = 'consumer-lag/cloudwatch';
const EMR = 'consumer-lag/emr-serverless';
const T0 = Date.parse('2026-11-22T10:00:30.000Z');
const config = parseConfig({ ...exampleConfig, escalation: { emails: [] } });
const cw = mockClient(CloudWatchClient);
const emr = mockClient(EMRServerlessClient);
const scheduler = mockClient(SchedulerClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);
afterAll(() => [cw, emr, scheduler, ssm, sns].forEach((m) => m.restore()));

const alarmEvent = {
  version: '0',
  id: 'lag-alarm-1',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-22T10:00:30Z',
  region: 'eu-west-1',
  resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:streamfix-orders-consumer-lag-offset-lag'],
  detail: {
    alarmName: 'streamfix-orders-consumer-lag-offset-lag',
    state: { value: 'ALARM', reason: 'Threshold Crossed: 5 datapoints were greater than the threshold (100000.0).', timestamp: '2026-11-22T10:00:30.000+0000' },
    previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: '2026-11-22T09:10:00.000+0000' },
    configuration: {
      metrics: [
        {
          id: 'm1',
          metricStat: {
            metric: {
              namespace: 'AWS/Kafka',
              name: 'MaxOffsetLag',
              dimensions: { 'Cluster Name': 'order-processing', 'Consumer Group': 'order-processor', Topic: 'orders.raw' },
            },
            period: 60,
            stat: 'Maximum',
          },
          returnData: true,
        },
      ],
    },
  },
};

describe('Engine with consumer-lag (ledger on dynalite, AWS replies recorded)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let clock: ManualClock;
  let cancelled = false;
  const running = reply<GetJobRunCommandOutput>(EMR, 'GetJobRun.running');
  const handler = () =>
    createPlaybookHandler('consumer-lag', {
      config,
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
      fetch: (async () => new Response('{}', { status: 202 })) as unknown as typeof fetch,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'streamfix', serviceName: 'test' }),
    });
  const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-consumer-lag' };

  beforeEach(async () => {
    db = await startDynalite();
    clock = new ManualClock(T0);
    cancelled = false;
    for (const m of [cw, emr, scheduler, ssm, sns]) m.reset();
    cw.on(ListMetricsCommand, { MetricName: 'OffsetLag' }).resolves(reply(CW, 'ListMetrics.OffsetLag'));
    cw.on(ListMetricsCommand, { MetricName: 'SumOffsetLag' }).resolves(reply(CW, 'ListMetrics.SumOffsetLag'));
    cw.on(ListMetricsCommand, { MetricName: 'MessagesInPerSec' }).resolves(reply(CW, 'ListMetrics.MessagesInPerSec'));
    cw.on(GetMetricDataCommand).resolves(reply(CW, 'GetMetricData'));
    emr.on(ListJobRunsCommand, { states: ['FAILED', 'CANCELLED', 'SUCCESS'] }).resolves(reply(EMR, 'ListJobRuns.ended'));
    emr
      .on(ListJobRunsCommand, { states: ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED', 'CANCELLING'] })
      .callsFake(() => (cancelled ? { jobRuns: [] } : reply(EMR, 'ListJobRuns.active')));
    emr.on(GetJobRunCommand).callsFake(() => (cancelled ? { jobRun: { ...running.jobRun!, state: 'CANCELLED' } } : running));
    emr.on(CancelJobRunCommand).callsFake(() => {
      cancelled = true;
      return { applicationId: '00fabcd1234efg5h', jobRunId: '00fs1run0000a001' };
    });
    emr.on(StartJobRunCommand).resolves({ applicationId: '00fabcd1234efg5h', jobRunId: '00fs2new0000d004', arn: 'arn' });
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: '/streamfix/pause', Value: 'off' }], InvalidParameters: ['/streamfix/pause/orders'] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });
  afterEach(async () => db.close());

  it('scales a job falling behind: one cancel, one start with twice the executors, then verifies the drain', async () => {
    // Act: the alarm, delivered twice.
    const h = handler();
    const [first, again] = [await h(alarmEvent, { ...ctx, awsRequestId: 'r1' }), await h(alarmEvent, { ...ctx, awsRequestId: 'r2' })];
    // Assess
    expect(first.decision).toMatchObject({ kind: 'fix', reason: 'LAG_SCALE_OUT' });
    expect(again.outcome).toBe('duplicate');
    expect(emr.commandCalls(CancelJobRunCommand)).toHaveLength(1);
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
    const start = emr.commandCalls(StartJobRunCommand)[0]!.args[0].input;
    expect(start.jobDriver!.sparkSubmit!.sparkSubmitParameters).toContain('spark.executor.instances=8');
    expect(start.tags).toMatchObject({ 'streamfix:restart-of': '00fs1run0000a001', team: 'streaming' });
    const ledger = dynamoLedger(db.aws, db.tableName);
    expect(await ledger.getIncident(first.incidentId!)).toMatchObject({ status: 'verifying' });
    // Verify 5 minutes later: the new run is RUNNING and the lag drains.
    const followUp = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Input!);
    clock.advance(300_000);
    const fixedAt = T0;
    emr.on(ListJobRunsCommand).resolves({
      jobRuns: [
        {
          applicationId: '00fabcd1234efg5h',
          id: '00fs2new0000d004',
          name: 'orders-stream',
          arn: 'arn',
          createdBy: 'x',
          releaseLabel: 'emr-7.5.0',
          createdAt: new Date(fixedAt + 1_000),
          updatedAt: new Date(fixedAt + 90_000),
          executionRole: 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole',
          state: 'RUNNING',
          stateDetails: '',
          mode: 'STREAMING',
        },
      ],
    });
    const minutes = [0, 1, 2, 3, 4].map((i) => new Date(Math.floor(fixedAt / 60_000) * 60_000 + i * 60_000));
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'lagSum', Timestamps: minutes, Values: [740_000, 760_000, 600_000, 420_000, 250_000] }] });
    const verified = await h(followUp, { ...ctx, awsRequestId: 'r3' });
    expect(verified.decision).toMatchObject({ reason: 'VERIFIED' });
    expect(await ledger.getIncident(first.incidentId!)).toMatchObject({ status: 'resolved' });
  });

  it('in recommend mode escalates the scaling it would do and touches nothing', async () => {
    const recommend = parseConfig({
      ...exampleConfig,
      escalation: { emails: [] },
      pipelines: { orders: { ...exampleConfig.pipelines.orders, playbooks: { 'consumer-lag': { mode: 'recommend' } } } },
    });
    const h = createPlaybookHandler('consumer-lag', {
      config: recommend,
      clock,
      env: {
        tableName: db.tableName,
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
        schedulerGroup: 'streamfix',
        schedulerRoleArn: 'r',
        pauseParameter: '/streamfix/pause',
        pipelinePauseParameterPrefix: '/streamfix/pause/',
        metricsNamespace: 'streamfix',
      },
      aws: db.aws,
      fetch: globalThis.fetch,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'streamfix' }),
    });
    const r = await h(alarmEvent, { ...ctx, awsRequestId: 'x' });
    expect(r.decision).toMatchObject({ kind: 'escalate', reason: 'MODE_RECOMMEND' });
    expect(emr.commandCalls(CancelJobRunCommand)).toHaveLength(0);
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
  });
});
