import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmrPipeline } from '../../../lambdas/config/schema';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { EMRServerlessClient, ListJobRunsCommand, type JobRunSummary } from '@aws-sdk/client-emr-serverless';
import { createAwsAdapters } from '../../../lambdas/adapters';
import { ManualClock } from '../../../lambdas/core/clock';
import { verifyConsumerLag } from '../../../lambdas/playbooks/consumer-lag/verify';
import type { PlaybookContext } from '../../../lambdas/core/playbook';
import type { ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import { config, job, pipeline, settings } from './evidence';

const cw = mockClient(CloudWatchClient);
const emr = mockClient(EMRServerlessClient);
afterAll(() => [cw, emr].forEach((m) => m.restore()));

const FIXED = Date.parse('2026-11-22T10:00:00.000Z');
const NOW = FIXED + 5 * 60_000 + 20_000;
const ctx = (s: ConsumerLagSettings = settings): PlaybookContext<ConsumerLagSettings, EmrPipeline> => ({
  pipelineName: 'orders',
  pipeline,
  settings: s,
  config,
  clock: new ManualClock(NOW),
  incidentId: 'i',
  signal: new AbortController().signal,
  aws: createAwsAdapters({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  history: { actionsInLastHour: async () => 0 },
});
const newRun = (state: string, stateDetails = ''): JobRunSummary => ({
  applicationId: job.applicationId,
  id: '00newrun0000001',
  name: job.jobName,
  arn: 'arn',
  createdBy: 'x',
  releaseLabel: 'emr-7.5.0',
  mode: 'STREAMING',
  createdAt: new Date(FIXED + 1_000),
  updatedAt: new Date(FIXED + 60_000),
  executionRole: job.executionRoleArn,
  state: state as never,
  stateDetails,
});
/** The 5 minutes since the fix, 10:00 … 10:04. */
const lagSince = (sum: number[], max = sum.map((v) => v / 4)): MetricDataResult[] => [
  { Id: 'lagSum', Timestamps: sum.map((_, i) => new Date(FIXED + i * 60_000)), Values: sum },
  { Id: 'lagMax', Timestamps: max.map((_, i) => new Date(FIXED + i * 60_000)), Values: max },
];

beforeEach(() => {
  cw.reset();
  emr.reset();
  cw.on(ListMetricsCommand).resolves({ Metrics: [] });
  emr.on(ListJobRunsCommand).resolves({ jobRuns: [newRun('RUNNING')] });
});

describe('Function: verifyConsumerLag', () => {
  it('is recovered when the new run is RUNNING and the lag drains since the fix', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: lagSince([900_000, 1_000_000, 800_000, 600_000, 400_000]) });
    const out = await verifyConsumerLag(ctx(), { startedAtMs: FIXED - 600_000, fixedAtMs: FIXED });
    expect(out).toMatchObject({ status: 'recovered', evidence: { lagTrend: 'catching-up', jobRunId: '00newrun0000001', minutesSinceFix: 5 } });
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect([input.StartTime, input.EndTime]).toEqual([new Date(FIXED), new Date(FIXED + 5 * 60_000)]);
    expect(cw.commandCalls(ListMetricsCommand).map((c) => c.args[0].input.MetricName)).toEqual(['SumOffsetLag']);
  });

  it('is recovered when the watched lag is at the alarm threshold, and pending one record above it while growing', async () => {
    const t = settings.bounds.lagAlarmRecords;
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: lagSince(
        [1, 2, 3, 4, 5].map((k) => (k * 4 * t) / 5),
        [1, 2, 3, 4, 5].map((k) => (k * t) / 5),
      ),
    });
    expect(await verifyConsumerLag(ctx(), { startedAtMs: 0, fixedAtMs: FIXED })).toMatchObject({
      status: 'recovered',
      evidence: { maxLagRecords: t, alarmThresholdRecords: t },
    });
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: lagSince(
        [1, 2, 3, 4, 5].map((k) => (k * 4 * t) / 5),
        [1, 2, 3, 4, 5].map((k) => (k * t) / 5 + (k === 5 ? 1 : 0)),
      ),
    });
    expect(await verifyConsumerLag(ctx(), { startedAtMs: 0, fixedAtMs: FIXED })).toMatchObject({ status: 'pending', evidence: { lagTrend: 'falling-behind' } });
  });

  it('fails at once when the new run ended or no run was started, and waits while it starts', async () => {
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [newRun('FAILED', 'OutOfMemoryError')] });
    expect(await verifyConsumerLag(ctx(), { startedAtMs: 0, fixedAtMs: FIXED })).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining('OutOfMemoryError'),
    });
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [] });
    expect(await verifyConsumerLag(ctx(), { startedAtMs: 0, fixedAtMs: FIXED })).toMatchObject({ status: 'failed', evidence: { runsSinceFix: 0 } });
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [newRun('SCHEDULED')] });
    expect(await verifyConsumerLag(ctx(), { startedAtMs: 0, fixedAtMs: FIXED })).toMatchObject({ status: 'pending' });
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it('looks for runs created since a minute before the fix', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await verifyConsumerLag(ctx(), { startedAtMs: 0, fixedAtMs: FIXED });
    expect(emr.commandCalls(ListJobRunsCommand)[0]!.args[0].input.createdAtAfter).toEqual(new Date(FIXED - 60_000));
  });
});
