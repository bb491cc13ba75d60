import {
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  KinesisAnalyticsV2Client,
  KinesisAnalyticsV2ServiceException,
  ListApplicationOperationsCommand,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  UpdateApplicationCommand,
  type DescribeApplicationCommandOutput,
  type DescribeApplicationOperationCommandOutput,
  type ListApplicationOperationsCommandOutput,
  type ListApplicationSnapshotsCommandOutput,
  type UpdateApplicationCommandOutput,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ManagedFlinkAdapter } from '../../lambdas/adapters/managed-flink';
import { AwsRequestError, ConflictError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'kinesisanalytics';
const APP = 'clicks-enricher';
const flink = mockClient(KinesisAnalyticsV2Client);
const adapter = new ManagedFlinkAdapter(new KinesisAnalyticsV2Client({ region: 'eu-west-1' }));
const err = (name: string) => recordedError(KinesisAnalyticsV2ServiceException, SVC, name);

beforeEach(() => flink.reset());
afterAll(() => flink.restore());

describe('Class: ManagedFlinkAdapter', () => {
  describe('Method: describeApplication', () => {
    it('maps status, version, parallelism (configured and current), checkpointing, snapshots, rollbacks, encryption and log streams', async () => {
      // Prepare
      flink.on(DescribeApplicationCommand).resolves(reply<DescribeApplicationCommandOutput>(SVC, 'DescribeApplication'));
      // Act
      const a = await adapter.describeApplication(APP);
      // Assess
      expect(a).toEqual({
        name: APP,
        arn: 'arn:aws:kinesisanalytics:eu-west-1:111122223333:application/clicks-enricher',
        status: 'RUNNING',
        versionId: 7,
        runtimeEnvironment: 'FLINK-1_20',
        lastUpdateMs: Date.parse('2026-11-22T09:10:00.000Z'),
        parallelism: { configurationType: 'CUSTOM', parallelism: 4, parallelismPerKPU: 1, currentParallelism: 6, autoScalingEnabled: true },
        checkpoint: { configurationType: 'CUSTOM', enabled: true, intervalMs: 60_000, minPauseMs: 5_000 },
        snapshotsEnabled: true,
        rollbackEnabled: true,
        rolledBackFromVersion: 8,
        logStreamArns: ['arn:aws:logs:eu-west-1:111122223333:log-group:/aws/kinesis-analytics/clicks-enricher:log-stream:kinesis-analytics-log-stream'],
        encryption: { keyType: 'CUSTOMER_MANAGED_KEY', keyId: 'arn:aws:kms:eu-west-1:111122223333:key/5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' },
      });
    });

    it('throws NotFoundError for an unknown application and a transient error for a 5xx', async () => {
      flink.on(DescribeApplicationCommand).rejects(err('ResourceNotFoundException'));
      await expect(adapter.describeApplication(APP)).rejects.toBeInstanceOf(NotFoundError);
      flink.on(DescribeApplicationCommand).rejects(err('ServiceUnavailableException'));
      await expect(adapter.describeApplication(APP)).rejects.toBeInstanceOf(TransientAwsError);
    });

    it('refuses a reply without the status it needs', async () => {
      flink.on(DescribeApplicationCommand).resolves({ ApplicationDetail: { ApplicationName: APP } as never });
      await expect(adapter.describeApplication(APP)).rejects.toThrow(/MalformedResponse/);
    });
  });

  describe('Method: listSnapshots', () => {
    it('reads every page and returns the snapshots newest first', async () => {
      const [a, b] = pages<ListApplicationSnapshotsCommandOutput>(SVC, 'ListApplicationSnapshots');
      flink.on(ListApplicationSnapshotsCommand).resolvesOnce(a!).resolvesOnce(b!);
      const snaps = await adapter.listSnapshots(APP);
      expect(snaps.map((s) => [s.name, s.status])).toEqual([
        ['update-v7', 'CREATING'],
        ['update-v6', 'READY'],
        ['nightly-20261121', 'READY'],
      ]);
      expect(flink.commandCalls(ListApplicationSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
        { ApplicationName: APP, Limit: 50, NextToken: undefined },
        { ApplicationName: APP, Limit: 50, NextToken: a!.NextToken },
      ]);
    });
  });

  describe('Methods: listOperations, describeOperation', () => {
    it('lists operations newest first, and describes one with its error, version change and system rollback', async () => {
      const [a, b] = pages<ListApplicationOperationsCommandOutput>(SVC, 'ListApplicationOperations');
      flink.on(ListApplicationOperationsCommand).resolvesOnce(a!).resolvesOnce(b!);
      flink.on(DescribeApplicationOperationCommand).resolves(reply<DescribeApplicationOperationCommandOutput>(SVC, 'DescribeApplicationOperation'));
      const ops = await adapter.listOperations(APP);
      expect(ops.map((o) => `${o.operation} ${o.status}`)).toEqual([
        'RollbackApplication SUCCESSFUL',
        'UpdateApplication FAILED',
        'StartApplication SUCCESSFUL',
      ]);
      const d = await adapter.describeOperation(APP, 'Hq2Lr9WcwcQQHfNI');
      expect(d).toEqual({
        id: 'Hq2Lr9WcwcQQHfNI',
        operation: 'UpdateApplication',
        status: 'FAILED',
        startMs: Date.parse('2026-11-22T09:10:00.000Z'),
        endMs: Date.parse('2026-11-22T09:14:00.000Z'),
        versionFrom: 7,
        versionTo: 8,
        rollbackOperationId: 'Pr3Ms0XdxdRRIgOJ',
        error: 'Job failed to start: java.lang.ClassNotFoundException: com.example.clicks.EnrichJob',
      });
    });
  });

  describe('Method: startFromLatestSnapshot', () => {
    it('always restores the latest snapshot, and keeps ResourceInUseException as a refusal with its code', async () => {
      flink.on(StartApplicationCommand).resolves({ OperationId: 'op1' });
      expect(await adapter.startFromLatestSnapshot(APP)).toEqual({ operationId: 'op1' });
      expect(flink.commandCalls(StartApplicationCommand)[0]!.args[0].input).toEqual({
        ApplicationName: APP,
        RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' } },
      });
      flink.on(StartApplicationCommand).rejects(err('ResourceInUseException'));
      await expect(adapter.startFromLatestSnapshot(APP)).rejects.toMatchObject({ constructor: AwsRequestError, code: 'ResourceInUseException' });
    });
  });

  describe('Method: updateParallelism', () => {
    it('sends only the parallelism (CUSTOM) on the version read, and maps a version conflict to ConflictError', async () => {
      flink.on(UpdateApplicationCommand).resolves(reply<UpdateApplicationCommandOutput>(SVC, 'UpdateApplication'));
      expect(await adapter.updateParallelism(APP, 7, 8)).toEqual({ versionId: 8, status: 'UPDATING', operationId: 'Ts4Nt1YeyeSSJhPK' });
      expect(flink.commandCalls(UpdateApplicationCommand)[0]!.args[0].input).toEqual({
        ApplicationName: APP,
        CurrentApplicationVersionId: 7,
        ApplicationConfigurationUpdate: {
          FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ConfigurationTypeUpdate: 'CUSTOM', ParallelismUpdate: 8 } },
        },
      });
      flink.on(UpdateApplicationCommand).rejects(err('ConcurrentModificationException'));
      await expect(adapter.updateParallelism(APP, 7, 8)).rejects.toBeInstanceOf(ConflictError);
    });
  });
});
