import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EMRServerlessClient, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../../lambdas/adapters';
import { hourPrefix } from '../../../lambdas/analysis/dlq';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { createPlaybookHandler } from '../../../lambdas/handlers/factory';
import { dynamoLedger } from '../../../lambdas/engine/dynamo-ledger';
import alarmEvent from '../../fixtures/events/alarm-metric-alarm.json';
import { startDynalite } from '../../helpers/dynalite';
import { startS3rver } from '../../helpers/s3rver-process';
import { config as baseConfig, T0 } from './fixtures';

/**
 * Issue 13, point 8: personal data in dead-letter records must not reach a page, the SNS
 * message or the ledger. A DLQ full of it goes through the dlq-spike playbook (engine, ledger on
 * dynalite, S3 on s3rver); everything that left (SNS, PagerDuty) or was kept (the incident and
 * its timeline) is searched for each value.
 */
const PII = {
  name: 'Jane Doe',
  email: 'jane.doe@example.com',
  phone: '+49 30 1234567',
  iban: 'DE89370400440532013000',
  dob: '1984-02-29',
  pin: '4921',
  card: '4111111111111111',
  password: 'hunter2',
};

const envelope = (i: number) =>
  JSON.stringify({
    error_type: 'validation_error',
    // The writer's message quotes the bad record: value rules apply to it too.
    error_message: `rejected ${PII.email}: pass=${PII.password}, iban ${PII.iban}`,
    failed_at: new Date(T0 - 600_000 + i * 1_000).toISOString(),
    source: { topic: 'orders.raw', partition: 0, offset: 1_000 + i },
    payload: JSON.stringify({
      order_id: `o${i}`,
      customer: { name: PII.name, email: PII.email, phone: PII.phone, iban: PII.iban, dob: PII.dob },
      pin: PII.pin,
      note: `card ${PII.card}`,
    }),
  });

describe('Masking of personal data: pages, SNS and the ledger (dlq-spike through the engine)', () => {
  const sns = mockClient(SNSClient);
  const ssm = mockClient(SSMClient);
  const secrets = mockClient(SecretsManagerClient);
  const emr = mockClient(EMRServerlessClient);
  mockClient(SchedulerClient);
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let db: Awaited<ReturnType<typeof startDynalite>>;

  beforeAll(async () => {
    [s3, db] = await Promise.all([startS3rver(['orders-data-lake']), startDynalite()]);
    const raw = new S3Client(clientConfig(s3.aws, 's3'));
    await raw.send(
      new PutObjectCommand({
        Bucket: 'orders-data-lake',
        Key: `${hourPrefix('dlq/orders/', T0)}part-0001.jsonl`,
        Body: Array.from({ length: 20 }, (_, i) => envelope(i)).join('\n'),
      }),
    );
    raw.destroy();
  });
  afterAll(async () => {
    await Promise.all([s3?.close(), db?.close()]);
  });

  let alarms = 0;
  async function escalate(masking: Record<string, unknown> | undefined, eventId: string) {
    alarms++;
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [] });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'R0UTINGKEY0000000000000000000001' });
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [] });
    const pages: string[] = [];
    const fetch = (async (_url: unknown, init?: { body?: unknown }) => {
      pages.push(String(init?.body ?? ''));
      return new Response(JSON.stringify({ status: 'success', dedup_key: 'd' }), { status: 202 });
    }) as typeof globalThis.fetch;
    const orders = baseConfig.pipelines.orders!;
    const config = parseConfig({ ...baseConfig, pipelines: { orders: { ...orders, ...(masking ? { masking } : {}) } } });
    const h = createPlaybookHandler('dlq-spike', {
      config,
      clock: new ManualClock(T0),
      env: {
        tableName: db.tableName,
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
        pagerDutySecretId: 'streamfix/pagerduty-routing-key',
        schedulerGroup: 'streamfix',
        schedulerRoleArn: 'arn:aws:iam::123456789012:role/s',
        pauseParameter: '/streamfix/pause',
        pipelinePauseParameterPrefix: '/streamfix/pause/',
        metricsNamespace: 'streamfix',
      },
      aws: { ...s3.aws, endpoints: { ...s3.aws.endpoints, ...db.aws.endpoints } },
      fetch,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'streamfix' }),
    });
    const name = 'streamfix-orders-dlq-spike-records';
    const event = {
      ...alarmEvent,
      id: eventId,
      resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`],
      detail: {
        ...alarmEvent.detail,
        alarmName: name,
        state: {
          ...alarmEvent.detail.state,
          timestamp: new Date(T0 - 120_000 + alarms * 1_000).toISOString().replace('Z', '+0000'),
          reasonData: JSON.stringify({ recentDatapoints: [450.0] }),
        },
      },
    };
    const r = await h(event, { awsRequestId: eventId, invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-dlq-spike' });
    const ledger = dynamoLedger(db.aws, db.tableName);
    const incident = await ledger.getIncident(r.incidentId!);
    const kept = JSON.stringify([incident, await ledger.listTimeline(r.incidentId!), await ledger.listActions(r.incidentId!)]);
    const sent = sns
      .commandCalls(PublishCommand)
      .map((c) => `${c.args[0].input.Subject ?? ''}\n${c.args[0].input.Message ?? ''}`)
      .join('\n');
    return { r, kept, sent, pages: pages.join('\n') };
  }

  it('masks every value of the issue by default: none reaches SNS, PagerDuty or the ledger; the samples are still there', async () => {
    const { r, kept, sent, pages } = await escalate(undefined, 'pii-1');
    expect(r.decision?.kind).toBe('escalate');
    expect(sent.length).toBeGreaterThan(0);
    expect(pages.length).toBeGreaterThan(0);
    for (const [what, value] of Object.entries(PII)) {
      expect(sent, `SNS shows ${what}`).not.toContain(value);
      expect(pages, `the page shows ${what}`).not.toContain(value);
      expect(kept, `the ledger keeps ${what}`).not.toContain(value);
    }
    // The samples are there, masked: a person still sees the shape of the failing records.
    expect(kept).toContain('order_id');
    expect(kept).toContain('***');
  });

  it('shows what a pipeline chose not to mask (keepFields), and nothing else', async () => {
    const { kept } = await escalate({ keepFields: ['name'] }, 'pii-2');
    expect(kept).toContain(PII.name);
    for (const v of [PII.email, PII.iban, PII.pin, PII.card, PII.password, PII.dob, PII.phone]) expect(kept).not.toContain(v);
  });
});
