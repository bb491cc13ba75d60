import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { KinesisAnalyticsV2Client } from '@aws-sdk/client-kinesis-analytics-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { EmrServerlessAdapter } from '../../lambdas/adapters/emr-serverless';
import { ManagedFlinkAdapter } from '../../lambdas/adapters/managed-flink';
import { S3Adapter } from '../../lambdas/adapters/s3';
import type { AwsAdapters } from '../../lambdas/adapters/select';
import { parseConfig } from '../../lambdas/schema';
import { pipelineContext } from '../../lambdas/wiring';
import { manifests } from '../../lambdas/playbooks/registry';
import { jobResourceOf, jobRuntimes, runtimeOf } from '../../lambdas/runtimes';
import { seedCheckpoint } from '../../drills/sim/checkpoint';
import type { SimFlinkApp } from '../../drills/sim/flink-app';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';
import { emrPipeline, flinkPipeline } from '../helpers/pipelines';
import { APP, JOB, T0, newWorld, simClient, startInput } from '../drills/helpers';

/**
 * The job-runtime interface, both implementations, against the simulated platform: the job's
 * state as a phase, where it resumes from, its lock key and the IAM of each capability.
 */

const emrJob = {
  kind: 'emr-serverless' as const,
  applicationId: APP,
  jobName: JOB.jobName,
  executionRoleArn: JOB.executionRoleArn,
  checkpoint: JOB.checkpoint,
};
const flinkJob = { kind: 'managed-flink' as const, applicationName: 'clicks-enricher', runtimeEnvironment: 'FLINK-1_20' };

function world(flink: Partial<SimFlinkApp> = {}) {
  const w = newWorld();
  const app: SimFlinkApp = {
    name: 'clicks-enricher',
    arn: 'arn:aws:kinesisanalytics:eu-west-1:123456789012:application/clicks-enricher',
    pipeline: 'clicks',
    runtimeEnvironment: 'FLINK-1_20',
    status: 'RUNNING',
    versionId: 4,
    createMs: T0 - 86_400_000,
    lastUpdateMs: T0 - 3_600_000,
    parallelism: { configurationType: 'CUSTOM', parallelism: 3, parallelismPerKPU: 1, autoScalingEnabled: false },
    checkpoint: { configurationType: 'CUSTOM', enabled: true, intervalMs: 60_000, minPauseMs: 5_000, timeoutMs: 600_000 },
    snapshotsEnabled: true,
    rollbackEnabled: false,
    operations: [],
    snapshots: [
      { name: 'newer-but-creating', status: 'CREATING', versionId: 4, createdMs: T0 - 1_000 },
      { name: 'nightly', status: 'READY', versionId: 4, createdMs: T0 - 3_600_000 },
    ],
    recordsPerSecondPerSubtask: 1_000,
    stateSizeBytes: 1_000,
    minute: { maxDowntimeMs: 0 },
    ...flink,
  };
  w.flink.apps.add(app);
  const aws = {
    emr: new EmrServerlessAdapter(simClient(w, EMRServerlessClient)),
    s3: new S3Adapter(simClient(w, S3Client)),
    flink: new ManagedFlinkAdapter(simClient(w, KinesisAnalyticsV2Client)),
  } as unknown as AwsAdapters;
  return { w, app, aws };
}

describe('Interface: JobRuntime', () => {
  describe('managed-flink', () => {
    const rt = jobRuntimes['managed-flink'];

    it('reads the application as the job: RUNNING is running at its current parallelism, READY is stopped, UPDATING is changing', async () => {
      // Prepare
      const running = world();
      const ready = world({ status: 'READY' });
      const updating = world({ status: 'UPDATING' });
      // Act / Assess
      expect(await rt.readJob(running.aws, flinkJob)).toEqual({ phase: 'running', status: 'RUNNING', id: 'version 4', parallelism: 3 });
      expect(await rt.readJob(ready.aws, flinkJob)).toEqual({ phase: 'stopped', status: 'READY', id: 'version 4' });
      expect((await rt.readJob(updating.aws, flinkJob)).phase).toBe('changing');
    });

    it('resumes from the newest READY snapshot, never one still CREATING', async () => {
      // Prepare
      const { aws } = world();
      const none = world({ snapshots: [] });
      // Act / Assess
      expect(await rt.readRestorePoint(aws, flinkJob)).toEqual({ kind: 'snapshot', exists: true, name: 'nightly', atMs: T0 - 3_600_000 });
      expect(await rt.readRestorePoint(none.aws, flinkJob)).toEqual({ kind: 'snapshot', exists: false });
    });
  });

  describe('emr-serverless', () => {
    const rt = jobRuntimes['emr-serverless'];

    it('reads the newest run of the job name as the job, and the Spark checkpoint as its restore point', async () => {
      // Prepare
      const { w, aws } = world();
      w.s3.createBucket('orders-data-lake');
      expect(await rt.readJob(aws, emrJob)).toMatchObject({ phase: 'gone', status: 'NONE' });
      expect(await rt.readRestorePoint(aws, emrJob)).toEqual({ kind: 'checkpoint', exists: false, name: JOB.checkpoint });
      await simClient(w, EMRServerlessClient).send(new StartJobRunCommand(startInput()));
      seedCheckpoint(w.s3, w.ctx, {
        uri: JOB.checkpoint,
        topic: 'orders.raw',
        partitions: 3,
        batches: 5,
        lastBatchAgeSeconds: 30,
        batchIntervalSeconds: 60,
        lastBatchCommitted: true,
        recordsPerBatch: 300,
      });
      // Act
      const job = await rt.readJob(aws, emrJob);
      const restore = await rt.readRestorePoint(aws, emrJob);
      // Assess
      expect(job).toMatchObject({ phase: 'starting', status: 'SUBMITTED' });
      // The newest write: the last batch's commit, written seconds after its offsets (30 s ago).
      expect(restore).toMatchObject({ kind: 'checkpoint', exists: true, name: JOB.checkpoint });
      expect(restore.atMs).toBeGreaterThanOrEqual(T0 - 30_000);
      expect(restore.atMs).toBeLessThan(T0);
    });
  });

  it('keys each job by its own resource, and hands each job kind to its runtime', () => {
    expect(jobResourceOf(emrJob)).toBe(`emr-serverless:${APP}:${JOB.jobName}`);
    expect(jobResourceOf(flinkJob)).toBe('kinesisanalytics:clicks-enricher');
    expect(runtimeOf(flinkJob).runtime.kind).toBe('managed-flink');
    expect(runtimeOf(emrJob).runtime.actions.restart.type).toBe(jobRuntimes['emr-serverless'].actions.restart.type);
    expect(jobRuntimes['managed-flink'].actions.restart.runtime).toBe('managed-flink');
    expect(jobRuntimes['managed-flink'].actions.scale.runtime).toBe('managed-flink');
  });

  it('declares the IAM of each capability on the configured job only: reads diagnose, restart and scale act', () => {
    const config = parseConfig(emrAndFlink);
    const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
    const m = manifests.find((x) => x.id === 'job-failed')!;
    const flink = { ...pipelineContext(config, 'clicks', config.pipelines.clicks!, m, env), pipeline: flinkPipeline(config.pipelines.clicks) };
    const emr = { ...pipelineContext(config, 'orders', config.pipelines.orders!, m, env), pipeline: emrPipeline(config.pipelines.orders) };
    const steps = (specs: { step: string; actions: readonly string[] }[]) => specs.map((s) => `${s.step} ${s.actions.join(',')}`);
    expect(steps(jobRuntimes['managed-flink'].permissions(flink, ['scale']))).toEqual([
      'act kinesisanalytics:UpdateApplication,kinesisanalytics:DescribeApplication',
    ]);
    expect(steps(jobRuntimes['managed-flink'].permissions(flink, ['restart']))).toEqual([
      'act kinesisanalytics:StartApplication,kinesisanalytics:DescribeApplication',
    ]);
    expect(jobRuntimes['managed-flink'].permissions(flink, ['read']).every((s) => s.step === 'diagnose')).toBe(true);
    const emrScale = jobRuntimes['emr-serverless'].permissions(emr, ['scale']);
    expect(emrScale.flatMap((s) => s.actions)).toEqual(expect.arrayContaining(['emr-serverless:StartJobRun', 'emr-serverless:CancelJobRun', 'iam:PassRole']));
    for (const s of emrScale) for (const r of s.resources) expect(r).toMatch(/00ordersapp0001|OrdersJobRole/);
  });
});
