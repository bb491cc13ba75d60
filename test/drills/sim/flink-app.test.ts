import {
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  KinesisAnalyticsV2Client,
  ListApplicationOperationsCommand,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  UpdateApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { describe, expect, it } from 'vitest';
import type { SimFlinkApp } from '../../../drills/sim/flink-app';
import { T0, newWorld, simClient } from '../helpers';

const MIN = 60_000;
const NAME = 'clicks-enricher';
const STREAM = 'clicks-events';

function setup(over: Partial<SimFlinkApp> = {}, shards = 4) {
  const w = newWorld();
  w.logs.createGroup('/aws/kinesis-analytics/clicks-enricher');
  w.kinesis.addStream({
    streamName: STREAM,
    shards,
    recordsPerSecond: 400,
    retentionHours: 24,
    enhancedMonitoring: [],
    readLimitRecordsPerSecond: 10_000,
    lagRecords: 0,
    historyMinutes: 5,
  });
  const a: SimFlinkApp = {
    name: NAME,
    arn: `arn:aws:kinesisanalytics:eu-west-1:123456789012:application/${NAME}`,
    pipeline: 'clicks',
    runtimeEnvironment: 'FLINK-1_20',
    status: 'RUNNING',
    versionId: 7,
    createMs: T0 - 86_400_000,
    lastUpdateMs: T0 - 3_600_000,
    parallelism: { configurationType: 'CUSTOM', parallelism: 2, parallelismPerKPU: 1, autoScalingEnabled: false },
    checkpoint: { configurationType: 'CUSTOM', enabled: true, intervalMs: 60_000, minPauseMs: 5_000, timeoutMs: 600_000 },
    snapshotsEnabled: true,
    rollbackEnabled: true,
    logGroup: '/aws/kinesis-analytics/clicks-enricher',
    operations: [],
    snapshots: [{ name: 'snapshot-seed-0', status: 'READY', versionId: 7, createdMs: T0 - 3_600_000 }],
    streamName: STREAM,
    recordsPerSecondPerSubtask: 1_000,
    stateSizeBytes: 50_000_000,
    minute: { maxDowntimeMs: 0 },
    ...over,
  };
  w.flink.apps.add(a);
  if (a.status === 'RUNNING') w.flink.apps.startJob(a);
  return { w, a, flink: simClient(w, KinesisAnalyticsV2Client) };
}

const metric = (w: ReturnType<typeof newWorld>, metricName: string) =>
  w.cloudwatch.store
    .datapoints({ namespace: 'AWS/KinesisAnalytics', metricName, dimensions: { Application: NAME } }, 'Maximum', 60, T0 - 60 * MIN, T0 + 600 * MIN)
    .map((d) => d.value);

const parallelismUpdate = (n: number, version: number) =>
  new UpdateApplicationCommand({
    ApplicationName: NAME,
    CurrentApplicationVersionId: version,
    ApplicationConfigurationUpdate: {
      FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ConfigurationTypeUpdate: 'CUSTOM', ParallelismUpdate: n } },
    },
  });

describe('Class: SimManagedFlink', () => {
  describe('Method: DescribeApplication', () => {
    it('answers the application as the API reference shapes it, or ResourceNotFoundException', async () => {
      // Prepare
      const { flink } = setup();
      // Act
      const d = (await flink.send(new DescribeApplicationCommand({ ApplicationName: NAME }))).ApplicationDetail!;
      // Assess
      expect(d).toMatchObject({ ApplicationName: NAME, ApplicationStatus: 'RUNNING', ApplicationVersionId: 7, RuntimeEnvironment: 'FLINK-1_20' });
      expect(d.ApplicationConfigurationDescription?.FlinkApplicationConfigurationDescription?.ParallelismConfigurationDescription).toMatchObject({
        Parallelism: 2,
        CurrentParallelism: 2,
        ParallelismPerKPU: 1,
      });
      expect(d.CloudWatchLoggingOptionDescriptions?.[0]?.LogStreamARN).toContain(':log-group:/aws/kinesis-analytics/clicks-enricher:');
      await expect(flink.send(new DescribeApplicationCommand({ ApplicationName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  describe('Method: StartApplication', () => {
    it('refuses an application that is not READY with ResourceInUseException', async () => {
      // Prepare
      const { flink } = setup();
      // Act / Assess
      await expect(flink.send(new StartApplicationCommand({ ApplicationName: NAME }))).rejects.toMatchObject({ name: 'ResourceInUseException' });
    });

    it('starts a READY application from the latest snapshot: STARTING, then RUNNING with its job', async () => {
      // Prepare
      const { w, a, flink } = setup({ status: 'READY' });
      // Act
      const out = await flink.send(
        new StartApplicationCommand({
          ApplicationName: NAME,
          RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' } },
        }),
      );
      // Assess
      expect(a.status).toBe('STARTING');
      await w.clock.advance(MIN);
      expect(a.status).toBe('RUNNING');
      expect(a.job).toBeDefined();
      const op = await flink.send(new DescribeApplicationOperationCommand({ ApplicationName: NAME, OperationId: out.OperationId! }));
      expect(op.ApplicationOperationInfoDetails).toMatchObject({ Operation: 'StartApplication', OperationStatus: 'SUCCESSFUL' });
      expect(w.record.violations).toEqual([]);
    });

    it('records a violation when the state is skipped (SKIP_RESTORE_FROM_SNAPSHOT)', async () => {
      // Prepare
      const { w, flink } = setup({ status: 'READY' });
      // Act
      await flink.send(
        new StartApplicationCommand({
          ApplicationName: NAME,
          RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' } },
        }),
      );
      // Assess
      expect(w.record.violations).toMatchObject([{ kind: 'flink-state-dropped', applicationId: NAME }]);
    });

    it('refuses a custom snapshot that does not exist', async () => {
      // Prepare
      const { flink } = setup({ status: 'READY' });
      // Act / Assess
      await expect(
        flink.send(
          new StartApplicationCommand({
            ApplicationName: NAME,
            RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_CUSTOM_SNAPSHOT', SnapshotName: 'gone' } },
          }),
        ),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  describe('Method: UpdateApplication', () => {
    it('refuses a stale CurrentApplicationVersionId with ConcurrentModificationException, and a missing one with InvalidRequestException', async () => {
      // Prepare
      const { a, flink } = setup();
      // Act / Assess
      await expect(flink.send(parallelismUpdate(3, 6))).rejects.toMatchObject({ name: 'ConcurrentModificationException' });
      await expect(flink.send(new UpdateApplicationCommand({ ApplicationName: NAME }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
      expect(a.versionId).toBe(7);
    });

    it('updates a running application: a snapshot, UPDATING, then RUNNING at the new parallelism on the next version', async () => {
      // Prepare
      const { w, a, flink } = setup();
      // Act
      const out = await flink.send(parallelismUpdate(4, 7));
      // Assess
      expect(out.ApplicationDetail?.ApplicationVersionId).toBe(8);
      expect(a.status).toBe('UPDATING');
      expect(a.snapshots).toHaveLength(2);
      expect(a.parallelism.parallelism).toBe(2);
      await w.clock.advance(MIN);
      expect(a.status).toBe('RUNNING');
      expect(a.parallelism.parallelism).toBe(4);
      await expect(flink.send(parallelismUpdate(3, 7))).rejects.toMatchObject({ name: 'ConcurrentModificationException' });
      expect(w.record.violations).toEqual([]);
    });

    it('refuses an update while the application is UPDATING with ResourceInUseException', async () => {
      // Prepare
      const { flink } = setup();
      await flink.send(parallelismUpdate(3, 7));
      // Act / Assess
      await expect(flink.send(parallelismUpdate(4, 8))).rejects.toMatchObject({ name: 'ResourceInUseException' });
    });

    it('records parallelism above the shards and any change besides the parallelism as violations', async () => {
      // Prepare
      const { w, flink } = setup({}, 4);
      // Act
      await flink.send(parallelismUpdate(6, 7));
      await w.clock.advance(MIN);
      await flink.send(
        new UpdateApplicationCommand({
          ApplicationName: NAME,
          CurrentApplicationVersionId: 8,
          ApplicationConfigurationUpdate: { FlinkApplicationConfigurationUpdate: { CheckpointConfigurationUpdate: { ConfigurationTypeUpdate: 'DEFAULT' } } },
        }),
      );
      // Assess
      expect(w.record.violations.map((v) => v.kind)).toEqual(['parallelism-above-shards', 'flink-config-changed']);
    });

    it('refuses a parallelism without CUSTOM, or above ParallelismPerKPU × 64', async () => {
      // Prepare
      const { flink } = setup({ parallelism: { configurationType: 'DEFAULT', parallelism: 1, parallelismPerKPU: 1, autoScalingEnabled: true } });
      const update = (type: 'CUSTOM' | undefined, n: number) =>
        new UpdateApplicationCommand({
          ApplicationName: NAME,
          CurrentApplicationVersionId: 7,
          ApplicationConfigurationUpdate: {
            FlinkApplicationConfigurationUpdate: {
              ParallelismConfigurationUpdate: { ...(type ? { ConfigurationTypeUpdate: type } : {}), ParallelismUpdate: n },
            },
          },
        });
      // Act / Assess
      await expect(flink.send(update(undefined, 2))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
      await expect(flink.send(update('CUSTOM', 65))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    });
  });

  describe('Method: ListApplicationSnapshots and ListApplicationOperations', () => {
    it('pages by Limit and refuses a Limit above 50', async () => {
      // Prepare
      const { w, a, flink } = setup();
      for (let i = 0; i < 4; i++) w.flink.apps.snapshot(a);
      // Act
      const first = await flink.send(new ListApplicationSnapshotsCommand({ ApplicationName: NAME, Limit: 3 }));
      const second = await flink.send(new ListApplicationSnapshotsCommand({ ApplicationName: NAME, Limit: 3, NextToken: first.NextToken! }));
      // Assess
      expect(first.SnapshotSummaries).toHaveLength(3);
      expect(second.SnapshotSummaries).toHaveLength(2);
      expect(second.NextToken).toBeUndefined();
      expect(first.SnapshotSummaries![0]!.SnapshotStatus).toBe('CREATING');
      await expect(flink.send(new ListApplicationSnapshotsCommand({ ApplicationName: NAME, Limit: 51 }))).rejects.toMatchObject({
        name: 'InvalidArgumentException',
      });
      await expect(flink.send(new ListApplicationOperationsCommand({ ApplicationName: NAME, Limit: 51 }))).rejects.toMatchObject({
        name: 'InvalidArgumentException',
      });
    });
  });

  describe('Failed operations', () => {
    it('rolls back a failed update when system rollbacks are on: ROLLING_BACK, then RUNNING on the previous version', async () => {
      // Prepare
      const { w, a, flink } = setup();
      // Act
      w.flink.apps.failOperation(a, 'UpdateApplication', 'java.lang.ClassNotFoundException: com.example.Enricher', { afterMs: 30_000, rollback: 'succeeds' });
      await w.clock.advance(30_000);
      // Assess
      expect(a.status).toBe('ROLLING_BACK');
      await w.clock.advance(MIN);
      expect(a.status).toBe('RUNNING');
      expect(a.rolledBackFrom).toBe(8);
      const ops = await flink.send(new ListApplicationOperationsCommand({ ApplicationName: NAME }));
      expect(ops.ApplicationOperationInfoList!.map((o) => [o.Operation, o.OperationStatus])).toEqual([
        ['RollbackApplication', 'SUCCESSFUL'],
        ['UpdateApplication', 'FAILED'],
      ]);
      const failed = await flink.send(
        new DescribeApplicationOperationCommand({ ApplicationName: NAME, OperationId: ops.ApplicationOperationInfoList![1]!.OperationId! }),
      );
      expect(failed.ApplicationOperationInfoDetails?.OperationFailureDetails).toMatchObject({
        RollbackOperationId: ops.ApplicationOperationInfoList![0]!.OperationId,
        ErrorInfo: { ErrorString: expect.stringContaining('ClassNotFoundException') },
      });
    });

    it('leaves the application READY when system rollbacks are off', async () => {
      // Prepare
      const { w, a } = setup({ rollbackEnabled: false });
      // Act
      w.flink.apps.failOperation(a, 'Maintenance', 'maintenance failed', { afterMs: 30_000, rollback: 'succeeds' });
      expect(a.status).toBe('MAINTENANCE');
      await w.clock.advance(30_000);
      // Assess
      expect(a.status).toBe('READY');
      expect(a.job).toBeUndefined();
    });
  });

  describe('The job', () => {
    it('restarts after a fixed 10 s before Flink 1.19, and counts fullRestarts', async () => {
      // Prepare
      const { w, a } = setup({ runtimeEnvironment: 'FLINK-1_18' });
      w.start();
      a.jobFault = { error: 'java.lang.NullPointerException', remaining: 1, afterMs: 5_000 };
      // Act
      w.flink.apps.failJob(a);
      await w.clock.advance(9_999);
      expect(a.job!.downSinceMs).toBeDefined();
      await w.clock.advance(1);
      // Assess
      expect(a.job!.downSinceMs).toBeUndefined();
      expect(a.job!.restarts).toBe(1);
      await w.clock.advance(2 * MIN);
      expect(metric(w, 'fullRestarts').at(-1)).toBe(1);
      expect(metric(w, 'numRestarts')).toEqual([]);
    });

    it('backs off exponentially from Flink 1.19, and publishes numRestarts from Flink 2.2', async () => {
      // Prepare
      const { w, a } = setup({ runtimeEnvironment: 'FLINK-2_2' });
      w.start();
      a.jobFault = { error: 'java.lang.NullPointerException', remaining: Infinity, afterMs: 1 };
      // Act
      w.flink.apps.failJob(a);
      await w.clock.advance(1_000);
      // Assess: 1 s, then 1.5 s.
      expect(a.job!.restarts).toBe(1);
      await w.clock.advance(1_001);
      expect(a.job!.restarts).toBe(1);
      await w.clock.advance(500);
      expect(a.job!.restarts).toBe(2);
      await w.clock.advance(3 * MIN);
      expect(metric(w, 'numRestarts').at(-1)!).toBeGreaterThan(5);
      expect(metric(w, 'fullRestarts')).toEqual([]);
      expect(metric(w, 'downtime').at(-1)!).toBeGreaterThan(0);
    });

    it('fails its checkpoints while the key is denied: numberOfFailedCheckpoints grows and the log names the KMS error', async () => {
      // Prepare
      const { w, a } = setup({ encryption: { keyType: 'CUSTOMER_MANAGED_KEY', keyId: 'arn:aws:kms:eu-west-1:123456789012:key/k-1' } });
      w.start();
      a.checkpointFault = { cause: 'kms-denied', untilMs: Infinity };
      // Act
      await w.clock.advance(3 * MIN + 1);
      // Assess
      expect(a.job!.failedCheckpoints).toBe(3);
      expect(metric(w, 'numberOfFailedCheckpoints').at(-1)).toBeGreaterThanOrEqual(2);
      expect(w.logs.count('/aws/kinesis-analytics/clicks-enricher')).toBeGreaterThanOrEqual(4);
    });

    it('publishes KPUs but no job metrics while the application is READY', async () => {
      // Prepare
      const { w } = setup({ status: 'READY' });
      // Act
      w.start();
      await w.clock.advance(2 * MIN);
      // Assess
      expect(metric(w, 'KPUs')).toEqual([]);
      expect(metric(w, 'uptime')).toEqual([]);
    });

    it('reads the stream at parallelism × its rate: millisBehindLatest grows when the producers write more', async () => {
      // Prepare: 2 subtasks at 1,000 records/s each.
      const { w, a } = setup();
      w.start();
      await w.clock.advance(2 * MIN);
      const before = metric(w, 'millisBehindLatest').at(-1)!;
      // Act
      w.kinesis.changed(() => void (w.kinesis.stream(STREAM).recordsPerSecond = 4_000));
      await w.clock.advance(5 * MIN);
      // Assess
      expect(before).toBeLessThan(1_000);
      expect(metric(w, 'millisBehindLatest').at(-1)!).toBeGreaterThan(60_000);
      expect(metric(w, 'KPUs').at(-1)).toBe(2);
      expect(a.parallelism.parallelism).toBe(2);
    });
  });
});
