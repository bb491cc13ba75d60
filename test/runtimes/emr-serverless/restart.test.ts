import { emrPipeline } from '../../helpers/pipelines';
import { EMRServerlessClient, StartJobRunCommand, StartJobRunRequest$ } from '@aws-sdk/client-emr-serverless';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { EmrServerlessAdapter, type JobRunView, type StartJobRunParams } from '../../../lambdas/adapters/emr-serverless';
import { parseConfig } from '../../../lambdas/schema';
import { replaceRunAction } from '../../../lambdas/playbooks/consumer-lag/plan-support';
import type { ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import { restartParams, START_JOB_RUN_FIELDS_NOT_CARRIED, START_JOB_RUN_FIELDS_NOT_COPIED } from '../../../lambdas/runtimes/emr-serverless/restart';
import exampleConfig from '../../../streamfix.config';

/**
 * A restart carries every StartJobRun field the original run had (API_StartJobRun), the session
 * policy (executionIamPolicy) included. The members are the SDK's own (StartJobRunRequest's
 * schema), so a member added to the API fails here until it is carried or declared not carried.
 */

const config = parseConfig(exampleConfig);
const pipeline = emrPipeline(config.pipelines.orders);
const SDK_MEMBERS = (StartJobRunRequest$ as unknown as [number, string, string, number, string[]])[4];

/** A run with every StartJobRun-relevant field GetJobRun can return set. */
const full: JobRunView = {
  applicationId: pipeline.job.applicationId,
  jobRunId: '00frun0000000001',
  name: 'orders-stream',
  state: 'FAILED',
  mode: 'STREAMING',
  createdAtMs: 0,
  updatedAtMs: 0,
  executionRoleArn: pipeline.job.executionRoleArn,
  executionIamPolicy: { policy: '{"Version":"2012-10-17","Statement":[]}', policyArns: ['arn:aws:iam::123456789012:policy/orders-session'] },
  releaseLabel: 'emr-7.2.0',
  jobDriver: {
    sparkSubmit: {
      entryPoint: 's3://orders-data-lake/jobs/orders_stream.py',
      entryPointArguments: ['--topic', 'orders.raw'],
      sparkSubmitParameters: '--conf spark.executor.instances=4',
    },
  },
  configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://orders-data-lake/emr-logs/' } } },
  retryPolicy: { maxFailedAttemptsPerHour: 5 },
  tags: { team: 'streaming' },
  executionTimeoutMinutes: 0,
};

describe('Restarts carry every StartJobRun field', () => {
  it("reads the SDK's StartJobRunRequest members", () => {
    expect(SDK_MEMBERS).toEqual(expect.arrayContaining(['applicationId', 'executionRoleArn', 'executionIamPolicy', 'jobDriver', 'retryPolicy']));
  });

  it('sets every member (carried from the old run, or set from the incident and config), or declares why not', () => {
    const params = restartParams(pipeline.job, full, 'orders.job-failed.20261122T095900.abc123');
    const missing = SDK_MEMBERS.filter((m) => !(m in params) && !(m in START_JOB_RUN_FIELDS_NOT_CARRIED));
    expect(missing, `StartJobRunRequest members a restart drops without a reason: ${missing.join(', ')}`).toEqual([]);
    for (const m of Object.keys(START_JOB_RUN_FIELDS_NOT_COPIED)) expect(SDK_MEMBERS).toContain(m);
    expect(Object.keys(params).filter((k) => !SDK_MEMBERS.includes(k))).toEqual([]);
    expect(params).toMatchObject({
      executionIamPolicy: full.executionIamPolicy,
      executionTimeoutMinutes: 0,
      configurationOverrides: full.configurationOverrides,
    });
  });

  it('has the adapter send every field it is given', async () => {
    const mock = mockClient(EMRServerlessClient);
    mock.on(StartJobRunCommand).resolves({ applicationId: full.applicationId, jobRunId: '00fnew', arn: 'arn' });
    const params = restartParams(pipeline.job, full, 'incident') as unknown as StartJobRunParams;
    await new EmrServerlessAdapter(new EMRServerlessClient({ region: 'eu-west-1' })).startJobRun(params);
    const sent = mock.commandCalls(StartJobRunCommand)[0]!.args[0].input;
    expect(Object.keys(sent).sort()).toEqual(Object.keys(params).sort());
    mock.restore();
  });

  it("carries them in consumer-lag's replacement too", () => {
    const settings = pipeline.playbooks['consumer-lag'] as ConsumerLagSettings;
    const a = replaceRunAction(full, pipeline, 'orders.consumer-lag.20261122T095900.abc123', settings.bounds);
    const start = (a.params as { start: Record<string, unknown> }).start;
    const missing = SDK_MEMBERS.filter((m) => !(m in start) && !(m in START_JOB_RUN_FIELDS_NOT_CARRIED));
    expect(missing).toEqual([]);
  });
});
