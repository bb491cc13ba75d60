import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { describe, expect, it } from 'vitest';
import { EmrServerlessAdapter } from '../../lambdas/adapters/emr-serverless';
import { LogsAdapter } from '../../lambdas/adapters/logs';
import { S3Adapter } from '../../lambdas/adapters/s3';
import type { EmrServerlessJob } from '../../lambdas/config/schema';
import { readAttemptHistory } from '../../lambdas/runtimes/emr-serverless/attempts';
import { driverLogLocations, failureFromLog, jobLogPath, readFailureText } from '../../lambdas/runtimes/emr-serverless/failure-text';
import { APP, JOB, NO_RETRY, ROLE, newWorld, simClient, startInput } from '../drills/helpers';

const LOG_URI = 's3://orders-data-lake/emr-logs/orders-stream/';
const KMS_FAILURE = `Job failed, please check complete logs in configured logging destination. ExitCode: 1. Last few exceptions: java.nio.file.AccessDeniedException: s3://orders-data-lake/_checkpoints/streaming/orders/commits/121: PutObject: User: ${ROLE} is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:123456789012:key/0f3c (Service: AWSKMS; Status Code: 400; Error Code: KMS.AccessDeniedException)`;

const job = (driverLogs?: EmrServerlessJob['driverLogs']): EmrServerlessJob => ({
  kind: 'emr-serverless',
  applicationId: APP,
  jobName: JOB.jobName,
  executionRoleArn: ROLE,
  checkpoint: JOB.checkpoint,
  ...(driverLogs ? { driverLogs } : {}),
});

function setup(release = 'emr-7.2.0') {
  const world = newWorld();
  world.emr.addApplication({ applicationId: APP, releaseLabel: release });
  const opts = { region: 'eu-west-1', plugins: [world.plugin], credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } };
  const aws = { emr: EmrServerlessAdapter.fromOptions(opts), s3: S3Adapter.fromOptions(opts), logs: LogsAdapter.fromOptions(opts) };
  return { world, aws, sdk: simClient(world, EMRServerlessClient) };
}

const monitoring = (extra: Record<string, unknown> = {}) => ({
  configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: LOG_URI }, ...extra } },
});

describe('Module: runtimes/emr-serverless', () => {
  describe('Function: driverLogLocations', () => {
    const view = (over: Record<string, unknown> = {}) => ({
      applicationId: APP,
      jobRunId: '00frun',
      state: 'FAILED',
      createdAtMs: 0,
      updatedAtMs: 0,
      executionRoleArn: ROLE,
      jobDriver: { sparkSubmit: { entryPoint: 's3://b/x.py' } },
      mode: 'STREAMING',
      releaseLabel: 'emr-7.2.0',
      ...monitoring(),
      ...over,
    });

    it('puts attempts/<n>/ in the path from 7.1.0 for streaming runs, not before', () => {
      expect(jobLogPath(view() as never, 3)).toBe(`applications/${APP}/jobs/00frun/attempts/3`);
      expect(jobLogPath(view({ releaseLabel: 'emr-7.0.0' }) as never, 1)).toBe(`applications/${APP}/jobs/00frun`);
      expect(jobLogPath(view({ mode: 'BATCH' }) as never, 1)).toBe(`applications/${APP}/jobs/00frun`);
    });

    it('reads only where job.driverLogs allows, and says why not', () => {
      expect(driverLogLocations(view() as never, 2, { s3: LOG_URI }).s3).toEqual({
        bucket: 'orders-data-lake',
        key: `emr-logs/orders-stream/applications/${APP}/jobs/00frun/attempts/2/SPARK_DRIVER/stderr.gz`,
      });
      const other = driverLogLocations(view() as never, 2, { s3: 's3://elsewhere/logs/' });
      expect(other.s3).toBeUndefined();
      expect(other.notes[0]).toContain('job.driverLogs.s3 does not name');
      const cw = driverLogLocations(view(monitoring({ cloudWatchLoggingConfiguration: { enabled: true, logStreamNamePrefix: 'orders' } })) as never, 1, {
        cloudWatchLogGroup: '/aws/emr-serverless',
      });
      expect(cw.cloudWatch).toEqual({ group: '/aws/emr-serverless', streamPrefix: `orders/applications/${APP}/jobs/00frun/attempts/1/SPARK_DRIVER` });
    });
  });

  describe('Function: failureFromLog', () => {
    it('takes the text from the last ERROR line on', () => {
      expect(failureFromLog('INFO a\nERROR first\nx\nINFO b\nERROR second\ncaused by y\nINFO shutdown\n')).toBe('ERROR second\ncaused by y\nINFO shutdown');
      expect(failureFromLog('   ')).toBeUndefined();
    });
  });

  describe('Function: readFailureText', () => {
    it('reads the full failure from the S3 driver log the simulator wrote, where stateDetails has 256 characters', async () => {
      const { world, aws, sdk } = setup();
      const { jobRunId } = await sdk.send(new StartJobRunCommand(startInput({ ...monitoring(), ...NO_RETRY })));
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, KMS_FAILURE);
      const run = await aws.emr.getJobRun(APP, jobRunId!);
      expect(run.stateDetails).toHaveLength(256);
      expect(run.stateDetails).not.toContain('kms:GenerateDataKey');
      const t = await readFailureText(aws, job({ s3: LOG_URI }), run, { attempt: 1, stateDetails: run.stateDetails!, endedAtMs: run.updatedAtMs });
      expect(t.source).toBe('driver-log:s3');
      expect(t.text).toContain('KMS.AccessDeniedException');
    });

    it('reads CloudWatch Logs when the run logs there, and falls back to stateDetails with a note when not allowed', async () => {
      const { world, aws, sdk } = setup();
      const { jobRunId } = await sdk.send(
        new StartJobRunCommand(
          startInput({ configurationOverrides: { monitoringConfiguration: { cloudWatchLoggingConfiguration: { enabled: true } } }, ...NO_RETRY }),
        ),
      );
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, KMS_FAILURE);
      const run = await aws.emr.getJobRun(APP, jobRunId!);
      const a = { attempt: 1, stateDetails: run.stateDetails!, endedAtMs: run.updatedAtMs };
      expect(await readFailureText(aws, job({ cloudWatchLogGroup: '/aws/emr-serverless' }), run, a)).toMatchObject({
        source: 'driver-log:cloudwatch',
        text: expect.stringContaining('kms:GenerateDataKey'),
      });
      const none = await readFailureText(aws, job(), run, a);
      expect(none).toMatchObject({ source: 'stateDetails', text: run.stateDetails });
      expect(none.note).toContain('does not name');
    });
  });

  describe('Function: readAttemptHistory', () => {
    it('lists the attempts and reads each failure of the last hour, newest first', async () => {
      const { world, aws, sdk } = setup();
      const { jobRunId } = await sdk.send(new StartJobRunCommand(startInput(monitoring())));
      for (const k of [1, 2]) {
        await world.clock.advance(10_000);
        world.emr.failRun(jobRunId!, `java.lang.OutOfMemoryError: Java heap space (attempt ${k}) ${'.'.repeat(300)} the end`);
      }
      const run = await aws.emr.getJobRun(APP, jobRunId!);
      const h = await readAttemptHistory(aws, job({ s3: LOG_URI }), run, world.clock.now());
      expect(h.attempts.map((a) => [a.attempt, a.state])).toEqual([
        [1, 'FAILED'],
        [2, 'FAILED'],
        [3, 'SUBMITTED'],
      ]);
      expect(h.failures.map((f) => [f.attempt, f.source])).toEqual([
        [2, 'driver-log:s3'],
        [1, 'driver-log:s3'],
      ]);
      expect(h.failures[0]!.text).toContain('(attempt 2)');
      expect(h.failures[0]!.text).toContain('the end');
    });
  });
});
