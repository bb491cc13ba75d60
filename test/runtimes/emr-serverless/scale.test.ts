import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetJobRunCommand,
  ListJobRunsCommand,
  StartJobRunCommand,
  type JobRun,
  type JobRunSummary,
} from '@aws-sdk/client-emr-serverless';
import { createAwsAdapters } from '../../../lambdas/adapters';
import { ManualClock } from '../../../lambdas/core/clock';
import { restartWithParametersAction as action, type RestartWithParametersParams } from '../../../lambdas/runtimes/emr-serverless/scale';
import type { ActionContext } from '../../../lambdas/core/playbook';
import type { ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import { config, evidence, INCIDENT, job, lag, NOW, pipeline, plan, run, settings, SUBMIT, withBounds } from '../../playbooks/consumer-lag/evidence';

const emr = mockClient(EMRServerlessClient);
afterAll(() => emr.restore());

const OLD = '00running0000001';
const scaled = (): RestartWithParametersParams => {
  const d = plan(evidence());
  if (d.kind !== 'fix') throw new Error(d.reason);
  return action.params.parse(d.actions[0]!.params);
};
const hung = (): RestartWithParametersParams => {
  const d = plan(evidence({ lag: lag({ status: 'STALL', groupStatus: 'ERR', trend: 'stalled' }) }));
  if (d.kind !== 'fix') throw new Error(d.reason);
  return action.params.parse(d.actions[0]!.params);
};

/** A GetJobRun/ListJobRuns run as the SDK returns it. */
const sdkRun = (over: Partial<JobRun> = {}): JobRun => ({ ...base, ...over });
const base: JobRun = {
  applicationId: job.applicationId,
  jobRunId: OLD,
  arn: 'arn',
  name: job.jobName,
  state: 'RUNNING',
  stateDetails: '',
  mode: 'STREAMING',
  createdAt: new Date(NOW - 7_200_000),
  updatedAt: new Date(NOW - 60_000),
  createdBy: 'arn:aws:iam::123456789012:role/deployer',
  executionRole: job.executionRoleArn,
  releaseLabel: 'emr-7.5.0',
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py', sparkSubmitParameters: SUBMIT } },
};
const listed = (r: JobRun): JobRunSummary => ({
  applicationId: r.applicationId!,
  id: r.jobRunId!,
  name: r.name!,
  arn: 'arn',
  createdBy: 'x',
  createdAt: r.createdAt!,
  updatedAt: r.updatedAt!,
  executionRole: r.executionRole!,
  state: r.state!,
  stateDetails: '',
  releaseLabel: 'emr-7.5.0',
  mode: 'STREAMING',
});

let clock: ManualClock;
const ctx = (): ActionContext<ConsumerLagSettings> => ({
  pipelineName: 'orders',
  pipeline,
  settings,
  config,
  clock,
  incidentId: INCIDENT,
  signal: new AbortController().signal,
  actionId: 'a0',
  aws: createAwsAdapters({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  history: { actionsInLastHour: async () => 0 },
});
const calls = () => emr.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace('Command', ''));

beforeEach(() => {
  emr.reset();
  clock = new ManualClock(NOW);
  emr.on(StartJobRunCommand).resolves({ applicationId: job.applicationId, jobRunId: '00newrun0000001', arn: 'arn' });
  emr.on(ListJobRunsCommand).resolves({ jobRuns: [] });
  emr.on(CancelJobRunCommand).resolves({ applicationId: job.applicationId, jobRunId: OLD });
});

describe('Action: emr-serverless:RestartJobRunWithParameters', () => {
  describe('Method: execute', () => {
    it('cancels with the grace period, waits for CANCELLED, then starts exactly one run with the new parameters', async () => {
      // Prepare: RUNNING, then CANCELLING twice, then CANCELLED.
      emr
        .on(GetJobRunCommand)
        .resolvesOnce({ jobRun: sdkRun() })
        .resolvesOnce({ jobRun: sdkRun({ state: 'CANCELLING' }) })
        .resolvesOnce({ jobRun: sdkRun({ state: 'CANCELLING' }) })
        .resolves({ jobRun: sdkRun({ state: 'CANCELLED' }) });
      const p = scaled();
      // Act
      const out = await action.execute(p, ctx());
      // Assess
      expect(calls()).toEqual(['GetJobRun', 'CancelJobRun', 'GetJobRun', 'GetJobRun', 'GetJobRun', 'ListJobRuns', 'StartJobRun']);
      expect(emr.commandCalls(CancelJobRunCommand)[0]!.args[0].input).toEqual({
        applicationId: job.applicationId,
        jobRunId: OLD,
        shutdownGracePeriodInSeconds: 60,
      });
      const start = emr.commandCalls(StartJobRunCommand)[0]!.args[0].input;
      expect(start).toMatchObject({ clientToken: p.start.clientToken, executionRoleArn: job.executionRoleArn, mode: 'STREAMING', name: job.jobName });
      expect(start.jobDriver?.sparkSubmit?.sparkSubmitParameters).toContain('spark.executor.instances=8');
      expect(start.tags).toMatchObject({ 'streamfix:incident': INCIDENT, 'streamfix:restart-of': OLD });
      expect(clock.now()).toBe(NOW + 30_000);
      expect(out).toMatchObject({
        before: { jobRunState: 'RUNNING', 'spark.executor.instances': 4 },
        after: { jobRunId: '00newrun0000001', 'spark.executor.instances': 8 },
      });
    });

    it('on resume, does nothing when the old run is CANCELLED and a run tagged with this incident exists', async () => {
      const mine = sdkRun({ jobRunId: '00newrun0000001', state: 'RUNNING', tags: { 'streamfix:incident': INCIDENT } });
      emr.on(GetJobRunCommand, { jobRunId: OLD }).resolves({ jobRun: sdkRun({ state: 'CANCELLED' }) });
      emr.on(GetJobRunCommand, { jobRunId: '00newrun0000001' }).resolves({ jobRun: mine });
      emr.on(ListJobRunsCommand).resolves({ jobRuns: [listed(mine)] });
      const out = await action.execute(scaled(), ctx());
      expect(emr.commandCalls(CancelJobRunCommand)).toHaveLength(0);
      expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
      expect(out.summary).toContain('already started by this incident');
    });

    it('on resume after the cancel, starts the run without cancelling again (same clientToken)', async () => {
      emr.on(GetJobRunCommand).resolves({ jobRun: sdkRun({ state: 'CANCELLED' }) });
      const p = hung();
      await action.execute(p, ctx());
      expect(calls()).toEqual(['GetJobRun', 'ListJobRuns', 'StartJobRun']);
      expect(emr.commandCalls(StartJobRunCommand)[0]!.args[0].input.clientToken).toBe(p.start.clientToken);
      expect(emr.commandCalls(StartJobRunCommand)[0]!.args[0].input.jobDriver).toEqual(run().jobDriver);
    });

    it('does not cancel a run already CANCELLING, and waits for it', async () => {
      emr
        .on(GetJobRunCommand)
        .resolvesOnce({ jobRun: sdkRun({ state: 'CANCELLING' }) })
        .resolves({ jobRun: sdkRun({ state: 'CANCELLED' }) });
      await action.execute(hung(), ctx());
      expect(calls()).toEqual(['GetJobRun', 'GetJobRun', 'ListJobRuns', 'StartJobRun']);
    });

    it('gives up without starting when the old run is not CANCELLED within cancelWaitSeconds', async () => {
      emr
        .on(GetJobRunCommand)
        .resolvesOnce({ jobRun: sdkRun() })
        .resolves({ jobRun: sdkRun({ state: 'CANCELLING' }) });
      const p = { ...hung(), cancelWaitSeconds: 60 };
      await expect(action.execute(p, ctx())).rejects.toThrow(/still CANCELLING 60 s after CancelJobRun: not starting a second run/);
      expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
      expect(clock.now()).toBe(NOW + 60_000);
    });

    it('refuses to start while another run of the job is active', async () => {
      const other = sdkRun({ jobRunId: '00someoneelse001', state: 'SUBMITTED', tags: { owner: 'person' } });
      emr.on(GetJobRunCommand, { jobRunId: OLD }).resolves({ jobRun: sdkRun({ state: 'CANCELLED' }) });
      emr.on(GetJobRunCommand, { jobRunId: '00someoneelse001' }).resolves({ jobRun: other });
      emr.on(ListJobRunsCommand).resolves({ jobRuns: [listed(other)] });
      await expect(action.execute(hung(), ctx())).rejects.toThrow(/00someoneelse001 .* is SUBMITTED: refusing to start a second run/);
      expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
    });

    it('does not touch a run whose parameters changed since the diagnosis', async () => {
      emr.on(GetJobRunCommand).resolves({
        jobRun: sdkRun({ jobDriver: { sparkSubmit: { entryPoint: 's3://x/y.py', sparkSubmitParameters: '--conf spark.executor.instances=6' } } }),
      });
      await expect(action.execute(scaled(), ctx())).rejects.toThrow(/changed since the diagnosis/);
      expect(emr.commandCalls(CancelJobRunCommand)).toHaveLength(0);
    });
  });

  describe('Method: checkBounds', () => {
    const bounds = (p: RestartWithParametersParams, s = settings) => action.checkBounds(p, { pipeline, settings: s });
    const withTo = (to: number) => {
      const p = scaled();
      return {
        ...p,
        executors: { ...p.executors!, to },
        start: {
          ...p.start,
          jobDriver: { sparkSubmit: { ...p.start.jobDriver.sparkSubmit, sparkSubmitParameters: SUBMIT.replace('instances=4', `instances=${to}`) } },
        },
      };
    };

    it("accepts the plan's own parameters and every count in [current, min(maxExecutors, current × factor)]", () => {
      expect(bounds(scaled())).toEqual([]);
      expect(bounds(hung())).toEqual([]);
      for (const to of [4, 5, 8]) expect(bounds(withTo(to))).toEqual([]);
    });

    it('refuses one executor above the factor, one below the current count, and above maxExecutors', () => {
      expect(bounds(withTo(9)).join()).toMatch(/executors.to 9 is outside \[4, 8\]/);
      expect(bounds(withTo(3)).join()).toMatch(/executors.to 3 is outside \[4, 8\]/);
      expect(bounds(withTo(8), withBounds({ maxExecutors: 7 })).join()).toMatch(/outside \[4, 7\]/);
    });

    it('refuses a "from" that is not the replaced run\'s, and a change to anything but the executor setting', () => {
      const p = scaled();
      expect(bounds({ ...p, executors: { ...p.executors!, from: 5 } }).join()).toMatch(
        /executors.from 5 is not the replaced run's spark.executor.instances \(4\)/,
      );
      const sneaky = {
        ...p,
        start: {
          ...p.start,
          jobDriver: {
            sparkSubmit: {
              ...p.start.jobDriver.sparkSubmit,
              sparkSubmitParameters: `${p.start.jobDriver.sparkSubmit.sparkSubmitParameters} --conf spark.executor.memory=64g`,
            },
          },
        },
      };
      expect(bounds(sneaky).join()).toMatch(/only spark.executor.instances=8 changed/);
      const h = hung();
      expect(bounds({ ...h, start: sneaky.start }).join()).toMatch(/differ from the replaced run's without an executors change/);
      expect(bounds({ ...p, executors: { ...p.executors!, setting: 'spark.dynamicAllocation.maxExecutors' } }).join()).toMatch(
        /not the setting that caps this job/,
      );
    });

    it("keeps job-failed's bounds: application, role, checkpoint; and the replaced run named in the tags", () => {
      const p = scaled();
      expect(bounds({ ...p, start: { ...p.start, executionRoleArn: 'arn:aws:iam::123456789012:role/Admin' } }).join()).toMatch(/executionRoleArn/);
      expect(bounds({ ...p, applicationId: '00other' }).join()).toMatch(/applicationId 00other/);
      expect(bounds({ ...p, start: { ...p.start, tags: { ...p.start.tags, 'streamfix:restart-of': 'x' } } }).join()).toMatch(/must name the replaced run/);
      const cp = { ...p, previousSparkSubmitParameters: `${SUBMIT} --conf spark.sql.streaming.checkpointLocation=s3://elsewhere/cp/` };
      const moved = {
        ...cp,
        start: {
          ...cp.start,
          jobDriver: {
            sparkSubmit: {
              ...cp.start.jobDriver.sparkSubmit,
              sparkSubmitParameters: `${SUBMIT.replace('instances=4', 'instances=8')} --conf spark.sql.streaming.checkpointLocation=s3://elsewhere/cp/`,
            },
          },
        },
      };
      expect(bounds(moved).join()).toMatch(/checkpointLocation s3:\/\/elsewhere\/cp\/ is not the configured/);
      expect(bounds({ ...p, shutdownGracePeriodSeconds: 200, cancelWaitSeconds: 100 }).join()).toMatch(/shorter than the grace period/);
    });
  });
});
