import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { ConfigError } from '../../lambdas/config/errors';
import { flinkAtLeast, parseFlinkRuntime, restartsMetric } from '../../lambdas/config/flink-runtime';
import { byJobKind, isEmrPipeline, isFlinkPipeline, jobLabel, wrongRuntime } from '../../lambdas/config/job-kind';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';

const clicks = () => ({
  source: { kind: 'kinesis', streamName: 'clicks-events' },
  job: { kind: 'managed-flink', applicationName: 'clicks-enricher', runtimeEnvironment: 'FLINK-1_20' },
});

function issues(pipeline: unknown): { path: string; message: string }[] {
  try {
    parseConfig({ pipelines: { clicks: pipeline } });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('the config was accepted');
}

describe('Config: a managed-flink job and a kinesis source', () => {
  it('accepts them and fills the source retention', () => {
    // Act
    const c = parseConfig({ pipelines: { clicks: clicks() } });
    // Assess
    expect(c.pipelines.clicks!.job).toEqual({ kind: 'managed-flink', applicationName: 'clicks-enricher', runtimeEnvironment: 'FLINK-1_20' });
    expect(c.pipelines.clicks!.source).toEqual({ kind: 'kinesis', streamName: 'clicks-events', retentionHours: 24 });
  });

  it.each([
    ['no runtime environment', { job: { kind: 'managed-flink', applicationName: 'a' } }, 'pipelines.clicks.job.runtimeEnvironment', 'Required'],
    [
      'a runtime that is not Flink',
      { job: { kind: 'managed-flink', applicationName: 'a', runtimeEnvironment: 'SQL-1_0' } },
      'pipelines.clicks.job.runtimeEnvironment',
      'FLINK-1_20',
    ],
    [
      'an application name with a slash',
      { job: { kind: 'managed-flink', applicationName: 'a/b', runtimeEnvironment: 'FLINK-1_20' } },
      'pipelines.clicks.job.applicationName',
      'application name',
    ],
    [
      'an application name over 128 characters',
      { job: { kind: 'managed-flink', applicationName: 'a'.repeat(129), runtimeEnvironment: 'FLINK-1_20' } },
      'pipelines.clicks.job.applicationName',
      'at most 128',
    ],
    [
      'a bad log group',
      { job: { kind: 'managed-flink', applicationName: 'a', runtimeEnvironment: 'FLINK-1_20', logGroupName: 'has space' } },
      'pipelines.clicks.job.logGroupName',
      'log group',
    ],
    [
      'an EMR field on a Flink job',
      { job: { kind: 'managed-flink', applicationName: 'a', runtimeEnvironment: 'FLINK-1_20', jobName: 'x' } },
      'pipelines.clicks.job',
      'jobName',
    ],
    ['a stream without a name', { source: { kind: 'kinesis' } }, 'pipelines.clicks.source.streamName', 'Required'],
    ['a non-positive retention', { source: { kind: 'kinesis', streamName: 's', retentionHours: 0 } }, 'pipelines.clicks.source.retentionHours', ''],
  ])('rejects %s, naming the field', (_what, patch, path, message) => {
    // Act
    const found = issues({ ...clicks(), ...patch });
    // Assess
    expect(found).toContainEqual(expect.objectContaining({ path, message: expect.stringContaining(message) }));
  });
});

describe('Function: parseFlinkRuntime / flinkAtLeast / restartsMetric', () => {
  it('reads FLINK-major_minor and nothing else', () => {
    expect(parseFlinkRuntime('FLINK-1_20')).toEqual([1, 20]);
    expect(parseFlinkRuntime('FLINK-2_2')).toEqual([2, 2]);
    expect(parseFlinkRuntime('FLINK-1.20')).toBeUndefined();
    expect(parseFlinkRuntime('flink-1_20')).toBeUndefined();
  });

  it('compares by major, then minor', () => {
    expect(flinkAtLeast('FLINK-1_19', [1, 19])).toBe(true);
    expect(flinkAtLeast('FLINK-1_18', [1, 19])).toBe(false);
    expect(flinkAtLeast('FLINK-2_0', [1, 19])).toBe(true);
    expect(flinkAtLeast('FLINK-1_20', [2, 2])).toBe(false);
    expect(flinkAtLeast('nonsense', [1, 0])).toBe(false);
  });

  it('names fullRestarts up to Flink 2.1 and numRestarts from 2.2', () => {
    expect(restartsMetric('FLINK-1_20')).toBe('fullRestarts');
    expect(restartsMetric('FLINK-2_1')).toBe('fullRestarts');
    expect(restartsMetric('FLINK-2_2')).toBe('numRestarts');
    expect(restartsMetric('FLINK-3_0')).toBe('numRestarts');
  });
});

describe('Function: byJobKind and the job-kind helpers', () => {
  const c = parseConfig(emrAndFlink);

  it('hands each pipeline to the code of its runtime', () => {
    const kinds = Object.values(c.pipelines).map((pipeline) =>
      byJobKind(
        { pipeline },
        { 'emr-serverless': (x) => `emr ${x.pipeline.job.applicationId}`, 'managed-flink': (x) => `flink ${x.pipeline.job.runtimeEnvironment}` },
      ),
    );
    expect(kinds).toEqual(['emr 00ordersapp0001', 'flink FLINK-1_20', 'flink FLINK-2_2']);
  });

  it('labels a job by its job name or application name, and names the field a wrong runtime breaks', () => {
    expect(Object.values(c.pipelines).map(jobLabel)).toEqual(['orders-stream', 'clicks-enricher', 'ledger-aggregator']);
    expect(Object.values(c.pipelines).map((p) => [isEmrPipeline(p), isFlinkPipeline(p)])).toEqual([
      [true, false],
      [false, true],
      [false, true],
    ]);
    expect(wrongRuntime(c.pipelines.clicks!, 'emr-serverless')).toBe('job.kind managed-flink: this action is for emr-serverless jobs only');
  });
});
