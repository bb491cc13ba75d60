import { emrPipeline } from '../../helpers/pipelines';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import { ConfigError } from '../../../lambdas/config/errors';
import { jobAlarms, jobFailedManifest } from '../../../lambdas/playbooks/job-failed/manifest';
import { pipelineContext } from '../../../lambdas/core/wire';
import exampleConfig from '../../../streamfix.config';

/** The job alarms follow the configured release's metric dimensions (app-job-metrics.html). */

const withJob = (job: Record<string, unknown>) => {
  const raw = structuredClone(exampleConfig) as unknown as { pipelines: { orders: { job: Record<string, unknown> } } };
  Object.assign(raw.pipelines.orders.job, job);
  return parseConfig(raw);
};
const alarms = (job: Record<string, unknown>) => jobAlarms(emrPipeline(withJob(job).pipelines.orders).job);
const APP = '00fabcd1234efg5h';

describe('Function: jobAlarms', () => {
  it('uses ApplicationId alone and never treats missing data as a failure when the release is not configured', () => {
    const [failed, notRunning] = alarms({});
    expect(failed!.metric.dimensions).toEqual({ ApplicationId: APP });
    expect(notRunning!.treatMissingData).toBe('missing');
  });

  it('uses ApplicationId alone below 7.10, and treats missing data as breaching (the metric is known to be published)', () => {
    const [failed, notRunning] = alarms({ releaseLabel: 'emr-7.9.0' });
    expect(failed!.metric.dimensions).toEqual({ ApplicationId: APP });
    expect(notRunning!.metric.dimensions).toEqual({ ApplicationId: APP });
    expect(notRunning!.treatMissingData).toBe('breaching');
  });

  it('adds ApplicationName from 7.10 ("[Unspecified]" for a name that is not ASCII)', () => {
    for (const a of alarms({ releaseLabel: 'emr-7.10.0', applicationName: 'orders-app' }))
      expect(a.metric.dimensions).toEqual({ ApplicationId: APP, ApplicationName: 'orders-app' });
    expect(alarms({ releaseLabel: 'emr-7.12.0', applicationName: 'commandes-été' })[0]!.metric.dimensions).toEqual({
      ApplicationId: APP,
      ApplicationName: '[Unspecified]',
    });
  });

  it('refuses a 7.10+ release without the application name, naming the field', () => {
    const err = (() => {
      try {
        withJob({ releaseLabel: 'emr-7.10.0' });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.issues[0]!.path).toBe('pipelines.orders.job.applicationName');
    expect(() => withJob({ releaseLabel: '7.10' })).toThrow(/releaseLabel: must be an EMR release label/);
  });

  it("listens to EMR's retry events as well as to ended runs", () => {
    const config = withJob({ releaseLabel: 'emr-7.2.0' });
    const ctx = pipelineContext(config, 'orders', emrPipeline(config.pipelines.orders), jobFailedManifest, {
      account: '123456789012',
      region: 'eu-west-1',
      partition: 'aws',
    }) as Parameters<typeof jobFailedManifest.eventRules>[0];
    expect(jobFailedManifest.eventRules(ctx).map((r) => r.pattern['detail-type'])).toEqual([
      ['EMR Serverless Job Run State Change'],
      ['EMR Serverless Job Run Retry'],
    ]);
  });
});
