import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { SSMClient, GetParametersCommand } from '@aws-sdk/client-ssm';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientConfig, createAwsAdapters } from '../../../lambdas/adapters';
import { hourPrefix } from '../../../lambdas/analysis/dlq';
import { ManualClock } from '../../../lambdas/core/clock';
import type { Trigger } from '../../../lambdas/core/trigger';
import { createPlaybookHandler } from '../../../lambdas/handlers/factory';
import { diagnoseDlqSpike } from '../../../lambdas/playbooks/dlq-spike/diagnose';
import type { PlaybookContext } from '../../../lambdas/core/playbook';
import type { DlqSpikeSettings } from '../../../lambdas/playbooks/dlq-spike/manifest';
import alarmEvent from '../../fixtures/events/alarm-metric-alarm.json';
import { startDynalite } from '../../helpers/dynalite';
import { startS3rver } from '../../helpers/s3rver-process';
import { config, pipeline, settings, T0 } from './fixtures';

const emr = mockClient(EMRServerlessClient);
const job = pipeline.job;
const run = (id: string, createdAtMs: number, entryPoint: string) => ({
  applicationId: job.applicationId,
  jobRunId: id,
  id,
  arn: 'arn',
  name: job.jobName,
  state: 'RUNNING',
  mode: 'STREAMING',
  createdAt: new Date(createdAtMs),
  updatedAt: new Date(createdAtMs),
  executionRole: job.executionRoleArn,
  releaseLabel: 'emr-7.1.0',
  jobDriver: { sparkSubmit: { entryPoint } },
});
const NEW = run('00fnewrun0000001', T0 - 12 * 60_000, 's3://orders-data-lake/jobs/orders_stream_v42.py');
const OLD = run('00foldrun0000001', T0 - 86_400_000, 's3://orders-data-lake/jobs/orders_stream_v41.py');

const envelope = (i: number, payload: Record<string, unknown>, type = 'validation_error') =>
  JSON.stringify({
    error_type: type,
    error_message: 'missing required field customer_id',
    failed_at: new Date(T0 - 600_000 + i * 1_000).toISOString(),
    source: { topic: 'orders.raw', partition: i % 4, offset: 1_000 + i },
    job_run_id: NEW.jobRunId,
    payload: JSON.stringify(payload),
  });

describe('Function: diagnoseDlqSpike (S3 on s3rver, EMR recorded)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  const trigger = { kind: 'alarm', stateAtMs: T0 - 120_000, reasonData: { recentDatapoints: [80, 450.0] } } as unknown as Trigger;
  const ctx = (s: DlqSpikeSettings = settings): PlaybookContext<DlqSpikeSettings> => ({
    pipelineName: 'orders',
    pipeline,
    settings: s,
    config,
    clock: new ManualClock(T0),
    aws: createAwsAdapters(s3.aws),
    incidentId: 'i',
    signal: new AbortController().signal,
    history: { actionsInLastHour: async () => 0 },
  });

  beforeAll(async () => {
    s3 = await startS3rver(['orders-data-lake']);
    const raw = new S3Client(clientConfig(s3.aws, 's3'));
    const dlqKey = `${hourPrefix('dlq/orders/', T0)}part-0001.jsonl`;
    await raw.send(
      new PutObjectCommand({
        Bucket: 'orders-data-lake',
        Key: dlqKey,
        Body: Array.from({ length: 40 }, (_, i) => envelope(i, { order_id: `o${i}`, cust_id: `C-${i}`, total: i, password: 'pw' })).join('\n'),
      }),
    );
    const good = Array.from({ length: 30 }, (_, i) => JSON.stringify({ order_id: `g${i}`, customer_id: `C-${i}`, total: i, password: 'x' })).join('');
    await raw.send(new PutObjectCommand({ Bucket: 'orders-data-lake', Key: `${hourPrefix('orders/', T0 - 3_600_000)}order-firehose-1`, Body: good }));
    raw.destroy();
  });
  afterAll(async () => s3?.close());
  beforeEach(() => {
    emr.reset();
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [NEW, OLD] as never });
    emr.on(GetJobRunCommand, { jobRunId: NEW.jobRunId }).resolves({ jobRun: NEW as never });
    emr.on(GetJobRunCommand, { jobRunId: OLD.jobRunId }).resolves({ jobRun: OLD as never });
  });

  it("finds the new field against the sink's good records, and the run that changed the entry point", async () => {
    // Act
    const e = await diagnoseDlqSpike(ctx(), trigger);
    // Assess
    expect(e.alarm).toEqual({ recordsPerMinute: 450, stateAtMs: T0 - 120_000 });
    expect(e.breakdown).toMatchObject({ records: 40, byType: { validation_error: 40 }, byJobRun: { [NEW.jobRunId]: 40 } });
    expect(e.breakdown.samples[0]!.payload).toContain('"password":"***"');
    expect(e.drift).toMatchObject({
      referenceSource: 'sink',
      referenceRecords: 30,
      newFields: [{ field: 'cust_id', failingSharePercent: 100 }],
      renames: [{ from: 'customer_id', to: 'cust_id' }],
    });
    expect(e.change).toMatchObject({
      jobRunId: NEW.jobRunId,
      previousJobRunId: OLD.jobRunId,
      differences: [{ field: 'entryPoint', before: OLD.jobDriver.sparkSubmit.entryPoint, after: NEW.jobDriver.sparkSubmit.entryPoint }],
    });
    expect(e.recentRuns).toBe(1);
    expect(e.partial).toEqual([]);
  });

  it('treats a recent run equal to the one before as a restart, not a change', async () => {
    emr.on(GetJobRunCommand, { jobRunId: NEW.jobRunId }).resolves({ jobRun: { ...NEW, jobDriver: OLD.jobDriver } as never });
    const e = await diagnoseDlqSpike(ctx(), trigger);
    expect(e.change).toBeUndefined();
    expect(e.recentRuns).toBe(1);
  });

  it('decides without the parts it could not read, and says which', async () => {
    emr.on(ListJobRunsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const e = await diagnoseDlqSpike(ctx({ ...settings, bounds: { ...settings.bounds, referenceS3: 's3://no-such-bucket-here/good/' } }), trigger);
    expect(e.partial.map((p) => p.part)).toEqual(expect.arrayContaining(['reference s3://no-such-bucket-here/good/', `job runs of ${job.jobName}`]));
    expect(e.drift.referenceSource).toBe('none');
    expect(e.breakdown.records).toBe(40);
  });

  describe('through the engine (ledger on dynalite)', () => {
    const sns = mockClient(SNSClient);
    const ssm = mockClient(SSMClient);
    mockClient(SchedulerClient);
    let db: Awaited<ReturnType<typeof startDynalite>>;
    beforeAll(async () => {
      db = await startDynalite();
    });
    afterAll(async () => db?.close());

    it('pages once with the suspected cause, the samples and the replay command', async () => {
      // Prepare
      sns.on(PublishCommand).resolves({ MessageId: 'm' });
      ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: ['/streamfix/pause', '/streamfix/pause/orders'] });
      const h = createPlaybookHandler('dlq-spike', {
        config,
        clock: new ManualClock(T0),
        env: {
          tableName: db.tableName,
          topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
          schedulerGroup: 'streamfix',
          schedulerRoleArn: 'arn:aws:iam::123456789012:role/s',
          pauseParameter: '/streamfix/pause',
          pipelinePauseParameterPrefix: '/streamfix/pause/',
          metricsNamespace: 'streamfix',
        },
        aws: { ...s3.aws, endpoints: { ...s3.aws.endpoints, ...db.aws.endpoints } },
        fetch: globalThis.fetch,
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: new Metrics({ namespace: 'streamfix' }),
      });
      const name = 'streamfix-orders-dlq-spike-records';
      const event = {
        ...alarmEvent,
        id: 'dlq-1',
        resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`],
        detail: {
          ...alarmEvent.detail,
          alarmName: name,
          state: {
            ...alarmEvent.detail.state,
            timestamp: new Date(T0 - 120_000).toISOString().replace('Z', '+0000'),
            reasonData: JSON.stringify({ recentDatapoints: [450.0] }),
          },
        },
      };
      // Act
      const r = await h(event, { awsRequestId: 'a', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-dlq-spike' });
      // Assess
      expect(r.decision).toMatchObject({ kind: 'escalate', reason: 'DLQ_SCHEMA_CHANGE_AFTER_DEPLOYMENT' });
      expect(r.decision!.summary).toContain('`cust_id`');
      expect(r.decision!.summary).toContain(NEW.jobRunId);
      const message = sns
        .commandCalls(PublishCommand)
        .map((c) => c.args[0].input.Message ?? '')
        .join('\n');
      expect(message).toContain('streamfix replay --pipeline orders --source dlq --from');
      expect(message).not.toContain('"password":"pw"');
    });
  });
});
