import { emrPipeline } from '../../helpers/pipelines';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { pipelineContext } from '../../../lambdas/wiring';
import { dlqSpikeManifest, dlqSpikeSettings, sharedDlqMetricError, sharedDlqMetrics } from '../../../lambdas/playbooks/dlq-spike/manifest';
import { verifyDlqSpike } from '../../../lambdas/playbooks/dlq-spike/verify';
import { hourPrefix } from '../../../lambdas/analysis/dlq';
import type { PipelineContext, PlaybookContext } from '../../../lambdas/core/playbook';
import type { DlqSpikeSettings } from '../../../lambdas/playbooks/dlq-spike/manifest';
import exampleConfig from '../../../streamfix.config';
import { config, pipeline, settings, T0 } from './fixtures';

const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
const pctx = (c = config, p = pipeline) => pipelineContext(c, 'orders', p, dlqSpikeManifest, env) as PipelineContext<DlqSpikeSettings>;

describe('Manifest: dlq-spike', () => {
  it('alarms on the configured DLQ metric above N records per minute, OK only after the quiet minutes', () => {
    const [alarm] = dlqSpikeManifest.alarms(pctx());
    expect(alarm).toMatchObject({
      signal: 'records',
      metric: { namespace: 'ecommerce-streaming', metricName: 'DLQRecordCount', dimensions: { Pipeline: 'orders' }, statistic: 'Sum', periodSeconds: 60 },
      comparison: 'GreaterThanThreshold',
      threshold: 100,
      evaluationPeriods: 5,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      okMeansRecovered: true,
    });
  });

  it('reads exactly the DLQ, the reference prefix and the job runs; writes nothing', () => {
    const perms = dlqSpikeManifest.permissions(pctx());
    expect(perms.filter((p) => p.step === 'act')).toEqual([]);
    expect(perms.filter((p) => p.actions.includes('s3:GetObject')).flatMap((p) => p.resources)).toEqual([
      'arn:aws:s3:::orders-data-lake/dlq/orders/*',
      'arn:aws:s3:::orders-data-lake/orders/*',
    ]);
    expect([...new Set(perms.flatMap((p) => p.actions))].sort()).toEqual([
      'emr-serverless:GetJobRun',
      'emr-serverless:ListJobRuns',
      's3:GetObject',
      's3:ListBucket',
    ]);
  });

  it('reads no reference when neither the sink nor the settings name one', () => {
    const plain = parseConfig(exampleConfig);
    const perms = dlqSpikeManifest.permissions(pctx(plain, emrPipeline(plain.pipelines.orders)));
    expect(perms.filter((p) => p.actions.includes('s3:GetObject')).flatMap((p) => p.resources)).toEqual(['arn:aws:s3:::orders-data-lake/dlq/orders/*']);
  });

  it('gives each pipeline its own DLQ metric by default, and names the pipelines that would share a configured one', () => {
    const raw = structuredClone(exampleConfig) as unknown as { pipelines: Record<string, Record<string, unknown>> };
    raw.pipelines.payments = { ...structuredClone(raw.pipelines.orders!), dlq: { s3: 's3://orders-data-lake/dlq/payments/' } };
    const two = parseConfig(raw);
    expect(sharedDlqMetrics(two)).toEqual([]);
    const metric = { namespace: 'shop', metricName: 'DLQRecordCount' };
    for (const p of ['orders', 'payments']) (raw.pipelines[p] as { playbooks: Record<string, unknown> }).playbooks['dlq-spike'] = { bounds: { metric } };
    const shared = parseConfig(raw);
    expect(sharedDlqMetrics(shared)).toEqual([{ metric: { ...metric, dimensions: {} }, pipelines: ['orders', 'payments'] }]);
    expect(sharedDlqMetricError(shared)).toContain('pipelines orders, payments share the DLQ metric shop/DLQRecordCount (no dimensions)');
    (raw.pipelines.payments as { playbooks: Record<string, unknown> }).playbooks['dlq-spike'] = { mode: 'off', bounds: { metric } };
    expect(sharedDlqMetrics(parseConfig(raw))).toEqual([]);
  });

  it('applies only to pipelines with a DLQ, and checks its bounds', () => {
    const { dlq: _d, ...noDlq } = pipeline;
    expect(dlqSpikeManifest.appliesTo(noDlq as typeof pipeline)).toBe(false);
    const bad = dlqSpikeSettings.safeParse({ bounds: { thresholdRecordsPerMinute: 500, criticalRecordsPerMinute: 100 } });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues[0]!.path).toEqual(['bounds', 'criticalRecordsPerMinute']);
  });
});

describe('Function: verifyDlqSpike', () => {
  const ctx = (lastModifiedMs: number | undefined): PlaybookContext<DlqSpikeSettings> => ({
    pipelineName: 'orders',
    pipeline,
    settings,
    config,
    clock: new ManualClock(T0),
    incidentId: 'i',
    signal: new AbortController().signal,
    history: { actionsInLastHour: async () => 0 },
    aws: {
      s3: {
        async *listPrefix(_b: string, prefix: string) {
          if (lastModifiedMs !== undefined && prefix === hourPrefix('dlq/orders/', T0)) yield { key: `${prefix}x.jsonl`, size: 10, lastModifiedMs };
        },
      },
    } as never,
  });

  it.each([
    [T0 - 300_000, 'recovered'],
    [T0 - 299_999, 'pending'],
    [undefined, 'recovered'],
  ] as const)('newest DLQ object written at %s → %s (5 quiet minutes)', async (at, status) => {
    expect((await verifyDlqSpike(ctx(at))).status).toBe(status);
  });
});
