import { gunzipSync } from 'node:zlib';
import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetJobRunCommand,
  ListJobRunAttemptsCommand,
  StartJobRunCommand,
  ValidationException,
} from '@aws-sdk/client-emr-serverless';
import { describe, expect, it } from 'vitest';
import { APP, NO_RETRY, T0, newWorld, simClient, startInput } from '../helpers';

const LOG_URI = 's3://orders-data-lake/emr-logs/orders-stream/';

function setup(release = 'emr-7.2.0', app: { maxConcurrentRuns?: number; name?: string } = {}) {
  const world = newWorld();
  world.emr.addApplication({ applicationId: APP, releaseLabel: release, ...app });
  const emr = simClient(world, EMRServerlessClient);
  const events: Record<string, unknown>[] = [];
  world.emr.publish = (e) => events.push(e);
  return { world, emr, events };
}

const logged = { configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: LOG_URI } } } };
const get = async (emr: EMRServerlessClient, jobRunId: string, attempt?: number) =>
  (await emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId, ...(attempt !== undefined ? { attempt } : {}) }))).jobRun!;
const retries = (events: Record<string, unknown>[]) => events.filter((e) => e['detail-type'] === 'EMR Serverless Job Run Retry');

describe('Class: SimEmrServerless (job resiliency)', () => {
  describe('Method: failRun', () => {
    it('retries a failed attempt of a streaming run on 7.1.0+: a Retry event, attempt 2, RUNNING again, no FAILED event', async () => {
      const { world, emr, events } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, 'ExecutorLostFailure (executor 3 exited): Container from a bad node exited with code 137');
      const run = await get(emr, jobRunId!);
      expect(run).toMatchObject({ state: 'SUBMITTED', attempt: 2 });
      expect(retries(events)).toHaveLength(1);
      expect(retries(events)[0]!.detail).toMatchObject({ jobRunId, previousAttempt: 1, previousAttemptState: 'FAILED', newAttempt: 2 });
      await world.clock.advance(10_000);
      expect((await get(emr, jobRunId!)).state).toBe('RUNNING');
      expect(events.some((e) => (e.detail as { state?: string }).state === 'FAILED')).toBe(false);
      const first = await get(emr, jobRunId!, 1);
      expect(first).toMatchObject({ attempt: 1, state: 'FAILED' });
      expect(first.stateDetails).toContain('exited with code 137');
    });

    it('fails the run at the thrash limit: the Nth failed attempt within an hour, N = maxFailedAttemptsPerHour', async () => {
      const { world, emr, events } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput({ retryPolicy: { maxFailedAttemptsPerHour: 3 } })));
      for (let k = 1; k <= 2; k++) {
        await world.clock.advance(10_000);
        world.emr.failRun(jobRunId!, `crash ${k}`);
        expect((await get(emr, jobRunId!)).state).toBe('SUBMITTED');
      }
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, 'crash 3');
      expect(await get(emr, jobRunId!)).toMatchObject({ state: 'FAILED', attempt: 3, stateDetails: 'crash 3' });
      expect(retries(events)).toHaveLength(2);
      const listed = await emr.send(new ListJobRunAttemptsCommand({ applicationId: APP, jobRunId }));
      expect(listed.jobRunAttempts?.map((a) => [a.attempt, a.state, a.stateDetails])).toEqual([
        [1, 'FAILED', 'crash 1'],
        [2, 'FAILED', 'crash 2'],
        [3, 'FAILED', 'crash 3'],
      ]);
    });

    it('counts only failures of the last hour: failures an hour apart are retried for ever', async () => {
      const { world, emr } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput({ retryPolicy: { maxFailedAttemptsPerHour: 2 } })));
      for (let k = 1; k <= 4; k++) {
        await world.clock.advance(3_600_000);
        world.emr.failRun(jobRunId!, `crash ${k}`);
      }
      expect(await get(emr, jobRunId!)).toMatchObject({ state: 'SUBMITTED', attempt: 5 });
    });

    it.each([
      ['below 7.1.0', 'emr-6.15.0', {}],
      ['maxFailedAttemptsPerHour 1', 'emr-7.2.0', NO_RETRY],
    ])('does not retry %s: one failure ends the run', async (_what, release, policy) => {
      const { world, emr, events } = setup(release);
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput(policy)));
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, 'boom');
      expect((await get(emr, jobRunId!)).state).toBe('FAILED');
      expect(retries(events)).toHaveLength(0);
    });

    it('crashes new attempts of a crash-looping job too, until the thrash limit fails the run', async () => {
      const { world, emr } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      world.emr.crashNewRuns(APP, 'orders-stream', 40_000, 'java.lang.OutOfMemoryError: Java heap space');
      await world.clock.advance(60_000);
      expect((await get(emr, jobRunId!)).state).toBe('RUNNING'); // attempt 1 started before the fault
      world.emr.failRun(jobRunId!, 'first');
      await world.clock.advance(5 * 50_000);
      expect(await get(emr, jobRunId!)).toMatchObject({ state: 'FAILED', attempt: 5 });
    });

    it('ends a crash loop after `forMs`: attempts created later run on', async () => {
      const { world, emr } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      await world.clock.advance(10_000);
      world.emr.crashNewRuns(APP, 'orders-stream', 20_000, 'ExecutorLostFailure: Container from a bad node', { forMs: 25_000 });
      world.emr.failRun(jobRunId!, 'first');
      // Attempt 2 is created inside the window: it crashes 20 s after RUNNING; attempt 3 is created after it.
      await world.clock.advance(40_000);
      expect(await get(emr, jobRunId!)).toMatchObject({ attempt: 3 });
      await world.clock.advance(120_000);
      expect(await get(emr, jobRunId!)).toMatchObject({ state: 'RUNNING', attempt: 3 });
    });

    it.each([
      ['24g', 'RUNNING'],
      ['24576m', 'RUNNING'],
      ['23g', 'FAILED'],
      ['', 'FAILED'],
    ])('spares a run whose spark.executor.memory is %s when the loop needs 24 GiB: %s', async (memory, state) => {
      const { world, emr } = setup();
      world.emr.crashNewRuns(APP, 'orders-stream', 20_000, 'java.lang.OutOfMemoryError: Java heap space', { untilExecutorMemoryGiB: 24 });
      const params = memory ? { sparkSubmitParameters: `--conf spark.executor.instances=4 --conf spark.executor.memory=${memory}` } : {};
      const input = startInput({ ...NO_RETRY, jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/code/orders-stream/main.py', ...params } } });
      const { jobRunId } = await emr.send(new StartJobRunCommand(input));
      await world.clock.advance(60_000);
      expect((await get(emr, jobRunId!)).state).toBe(state);
    });

    it("keeps 256 characters of stateDetails and writes the whole failure to the attempt's driver log", async () => {
      const { world, emr } = setup();
      const failure = `Job failed. ${'x'.repeat(300)} KMS.AccessDeniedException: not authorized to perform kms:GenerateDataKey`;
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput({ ...logged, ...NO_RETRY })));
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, failure);
      const run = await get(emr, jobRunId!);
      expect(run.stateDetails).toHaveLength(256);
      expect(run.stateDetails).toBe(failure.slice(0, 256));
      const o = world.s3.object('orders-data-lake', `emr-logs/orders-stream/applications/${APP}/jobs/${jobRunId}/attempts/1/SPARK_DRIVER/stderr.gz`);
      expect(gunzipSync(o!.body).toString('utf8')).toContain('kms:GenerateDataKey');
    });

    it('logs without the attempts/ part below 7.1.0, and to CloudWatch Logs when enabled', async () => {
      const { world, emr } = setup('emr-6.15.0');
      const cw = {
        configurationOverrides: {
          monitoringConfiguration: { ...logged.configurationOverrides.monitoringConfiguration, cloudWatchLoggingConfiguration: { enabled: true } },
        },
      };
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput(cw)));
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, 'the whole story');
      expect(world.s3.object('orders-data-lake', `emr-logs/orders-stream/applications/${APP}/jobs/${jobRunId}/SPARK_DRIVER/stderr.gz`)).toBeDefined();
      expect(world.logs.count('/aws/emr-serverless')).toBeGreaterThan(0);
    });
  });

  describe('Method: GetJobRun', () => {
    it('throws ValidationException for an attempt the run does not have', async () => {
      const { emr } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      const err = await emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId, attempt: 2 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
    });
  });

  describe('Queueing', () => {
    it('holds a run QUEUED while the application runs maxConcurrentRuns, and starts it when a slot frees', async () => {
      const { world, emr } = setup('emr-7.2.0', { maxConcurrentRuns: 1 });
      const a = await emr.send(new StartJobRunCommand(startInput({ clientToken: 'a', ...NO_RETRY })));
      const b = await emr.send(new StartJobRunCommand(startInput({ clientToken: 'b', name: 'other-job' })));
      await world.clock.advance(10_000);
      expect((await get(emr, a.jobRunId!)).state).toBe('RUNNING');
      expect((await get(emr, b.jobRunId!)).state).toBe('QUEUED');
      world.emr.failRun(a.jobRunId!, 'boom');
      expect((await get(emr, b.jobRunId!)).state).toBe('PENDING');
      await world.clock.advance(9_000);
      expect((await get(emr, b.jobRunId!)).state).toBe('RUNNING');
    });
  });

  describe('Method: CancelJobRun', () => {
    const cancelledAfter = async (release: string, input: Record<string, unknown>) => {
      const { world, emr } = setup(release);
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      await world.clock.advance(10_000);
      await emr.send(new CancelJobRunCommand({ applicationId: APP, jobRunId, ...input }));
      const start = world.clock.now();
      while ((await get(emr, jobRunId!)).state === 'CANCELLING') await world.clock.advance(1_000);
      return world.clock.now() - start;
    };

    it('waits the shutdown grace period on 7.9.0+: 120 s by default for a streaming run, then releases it', async () => {
      expect(await cancelledAfter('emr-7.9.0', {})).toBe(130_000);
      expect(await cancelledAfter('emr-7.9.0', { shutdownGracePeriodInSeconds: 15 })).toBe(25_000);
      expect(await cancelledAfter('emr-7.9.0', { shutdownGracePeriodInSeconds: 0 })).toBe(10_000);
    });

    it('stops at once before 7.9.0, whatever the grace period asked', async () => {
      expect(await cancelledAfter('emr-7.2.0', { shutdownGracePeriodInSeconds: 300 })).toBe(10_000);
    });

    it('throws ValidationException naming shutdownGracePeriodInSeconds outside 0 and 15–1800', async () => {
      const { world, emr } = setup('emr-7.9.0');
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      await world.clock.advance(10_000);
      const err = await emr.send(new CancelJobRunCommand({ applicationId: APP, jobRunId, shutdownGracePeriodInSeconds: 5 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect((err as Error).message).toContain("'shutdownGracePeriodInSeconds'");
    });
  });

  describe('Metrics', () => {
    const dims = (world: ReturnType<typeof setup>['world']) =>
      world.cloudwatch.store
        .metrics()
        .filter((m) => m.namespace === 'AWS/EMRServerless' && m.metricName === 'FailedJobs')
        .map((m) => m.dimensions);

    it('publishes the job metrics on ApplicationId alone below 7.10', async () => {
      const { world } = setup('emr-7.9.0', { name: 'orders-app' });
      await world.runUntil(T0 + 120_000);
      expect(dims(world)).toEqual([{ ApplicationId: APP }]);
    });

    it('publishes them on ApplicationId and ApplicationName from 7.10 ("[Unspecified]" for a non-ASCII name), never the older set', async () => {
      const named = setup('emr-7.10.0', { name: 'orders-app' });
      await named.world.runUntil(T0 + 120_000);
      expect(dims(named.world)).toEqual([{ ApplicationId: APP, ApplicationName: 'orders-app' }]);
      const unnamed = setup('emr-7.10.0', { name: 'commandes-été' });
      await unnamed.world.runUntil(T0 + 120_000);
      expect(dims(unnamed.world)).toEqual([{ ApplicationId: APP, ApplicationName: '[Unspecified]' }]);
    });
  });
});
