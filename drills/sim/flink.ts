import {
  ConcurrentModificationException,
  InvalidArgumentException,
  InvalidRequestException,
  KinesisAnalyticsV2ServiceException,
  ResourceInUseException,
  ResourceNotFoundException,
  type DescribeApplicationOperationRequest,
  type DescribeApplicationRequest,
  type ListApplicationOperationsRequest,
  type ListApplicationSnapshotsRequest,
  type StartApplicationRequest,
  type UpdateApplicationRequest,
} from '@aws-sdk/client-kinesis-analytics-v2';
import type { SimContext, SimService } from './context';
import { type FlinkApps, START_MS, STOP_MS, UPDATE_MS, type SimFlinkApp } from './flink-app';

/**
 * The Managed Service for Apache Flink API (`kinesisanalyticsv2`) over the simulated
 * applications (flink-app.ts), with its documented answers (API reference, "Errors" of each
 * operation): DescribeApplication; ListApplicationSnapshots and ListApplicationOperations (`Limit`
 * 1–50, `NextToken`); DescribeApplicationOperation; StartApplication (only READY, else
 * ResourceInUseException; `ApplicationRestoreType` as given); UpdateApplication (only READY or
 * RUNNING; `CurrentApplicationVersionId` must be the current one, else
 * ConcurrentModificationException; `Parallelism` changes only with `ConfigurationTypeUpdate:
 * CUSTOM`, at most ParallelismPerKPU × 64 KPUs). The referee records what streamfix must never
 * do: start without the state (SKIP_RESTORE_FROM_SNAPSHOT), raise the parallelism above the
 * source's shards, change more than the parallelism.
 */

const MAX_KPUS = 64;

export class SimManagedFlink implements SimService {
  readonly clientName = 'KinesisAnalyticsV2Client';
  readonly service = 'kinesisanalytics';
  readonly baseException = KinesisAnalyticsV2ServiceException;
  readonly operations = {
    DescribeApplication: (i: DescribeApplicationRequest) => ({ ApplicationDetail: this.detail(this.find(i.ApplicationName)) }),
    ListApplicationSnapshots: (i: ListApplicationSnapshotsRequest) => this.listSnapshots(i),
    ListApplicationOperations: (i: ListApplicationOperationsRequest) => this.listOperations(i),
    DescribeApplicationOperation: (i: DescribeApplicationOperationRequest) => this.describeOperation(i),
    StartApplication: (i: StartApplicationRequest) => this.start(i),
    UpdateApplication: (i: UpdateApplicationRequest) => this.update(i),
  };
  /** StartApplication and UpdateApplication calls that took effect, by application. */
  readonly accepted = new Map<string, { starts: number; updates: number }>();

  constructor(
    private readonly ctx: SimContext,
    readonly apps: FlinkApps,
  ) {}

  private find(name: string | undefined): SimFlinkApp {
    const a = name ? this.apps.apps.get(name) : undefined;
    if (!a) throw this.ctx.err(ResourceNotFoundException, 400, `Application ${name ?? ''} not found`);
    return a;
  }

  private count(a: SimFlinkApp, what: 'starts' | 'updates'): void {
    const c = this.accepted.get(a.name) ?? { starts: 0, updates: 0 };
    c[what]++;
    this.accepted.set(a.name, c);
  }

  private detail(a: SimFlinkApp) {
    const p = a.parallelism;
    return {
      ApplicationARN: a.arn,
      ApplicationName: a.name,
      RuntimeEnvironment: a.runtimeEnvironment,
      ServiceExecutionRole: `arn:aws:iam::${this.ctx.account}:role/${a.name}-service-role`,
      ApplicationStatus: a.status,
      ApplicationVersionId: a.versionId,
      CreateTimestamp: new Date(a.createMs),
      LastUpdateTimestamp: new Date(a.lastUpdateMs),
      ApplicationMode: 'STREAMING',
      ...(a.rolledBackFrom !== undefined ? { ApplicationVersionRolledBackFrom: a.rolledBackFrom } : {}),
      ApplicationConfigurationDescription: {
        FlinkApplicationConfigurationDescription: {
          CheckpointConfigurationDescription: {
            ConfigurationType: a.checkpoint.configurationType,
            CheckpointingEnabled: a.checkpoint.enabled,
            CheckpointInterval: a.checkpoint.intervalMs,
            MinPauseBetweenCheckpoints: a.checkpoint.minPauseMs,
          },
          MonitoringConfigurationDescription: { ConfigurationType: 'CUSTOM', MetricsLevel: 'APPLICATION', LogLevel: 'INFO' },
          ParallelismConfigurationDescription: {
            ConfigurationType: p.configurationType,
            Parallelism: p.parallelism,
            ParallelismPerKPU: p.parallelismPerKPU,
            CurrentParallelism: p.parallelism,
            AutoScalingEnabled: p.autoScalingEnabled,
          },
        },
        ApplicationSnapshotConfigurationDescription: { SnapshotsEnabled: a.snapshotsEnabled },
        ApplicationSystemRollbackConfigurationDescription: { RollbackEnabled: a.rollbackEnabled },
        ...(a.encryption
          ? { ApplicationEncryptionConfigurationDescription: { KeyType: a.encryption.keyType, ...(a.encryption.keyId ? { KeyId: a.encryption.keyId } : {}) } }
          : {}),
      },
      ...(a.logGroup
        ? {
            CloudWatchLoggingOptionDescriptions: [
              {
                CloudWatchLoggingOptionId: '1.1',
                LogStreamARN: `arn:aws:logs:${this.ctx.region}:${this.ctx.account}:log-group:${a.logGroup}:log-stream:kinesis-analytics-log-stream`,
              },
            ],
          }
        : {}),
    };
  }

  private page<T>(items: T[], limit: number | undefined, token: string | undefined): { page: T[]; next?: string } {
    const max = limit ?? 50;
    if (max < 1 || max > 50)
      throw this.ctx.err(
        InvalidArgumentException,
        400,
        `1 validation error detected: Value '${max}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50`,
      );
    const from = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(from) || from < 0) throw this.ctx.err(InvalidArgumentException, 400, 'Invalid NextToken');
    return { page: items.slice(from, from + max), ...(from + max < items.length ? { next: String(from + max) } : {}) };
  }

  private listSnapshots(i: ListApplicationSnapshotsRequest) {
    const a = this.find(i.ApplicationName);
    const { page, next } = this.page(a.snapshots, i.Limit, i.NextToken);
    return {
      SnapshotSummaries: page.map((s) => ({
        SnapshotName: s.name,
        SnapshotStatus: s.status,
        ApplicationVersionId: s.versionId,
        SnapshotCreationTimestamp: new Date(s.createdMs),
        RuntimeEnvironment: a.runtimeEnvironment,
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private listOperations(i: ListApplicationOperationsRequest) {
    const a = this.find(i.ApplicationName);
    const ops = a.operations.filter((o) => (!i.Operation || o.operation === i.Operation) && (!i.OperationStatus || o.status === i.OperationStatus));
    const { page, next } = this.page(ops, i.Limit, i.NextToken);
    return {
      ApplicationOperationInfoList: page.map((o) => ({
        OperationId: o.id,
        Operation: o.operation,
        OperationStatus: o.status,
        StartTime: new Date(o.startMs),
        ...(o.endMs !== undefined ? { EndTime: new Date(o.endMs) } : {}),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private describeOperation(i: DescribeApplicationOperationRequest) {
    const a = this.find(i.ApplicationName);
    const o = a.operations.find((x) => x.id === i.OperationId);
    if (!o) throw this.ctx.err(ResourceNotFoundException, 400, `Operation ${i.OperationId ?? ''} not found for application ${a.name}`);
    return {
      ApplicationOperationInfoDetails: {
        Operation: o.operation,
        StartTime: new Date(o.startMs),
        EndTime: new Date(o.endMs ?? o.startMs),
        OperationStatus: o.status,
        ...(o.versionFrom !== undefined && o.versionTo !== undefined
          ? { ApplicationVersionChangeDetails: { ApplicationVersionUpdatedFrom: o.versionFrom, ApplicationVersionUpdatedTo: o.versionTo } }
          : {}),
        ...(o.error || o.rollbackOperationId
          ? {
              OperationFailureDetails: {
                ...(o.rollbackOperationId ? { RollbackOperationId: o.rollbackOperationId } : {}),
                ...(o.error ? { ErrorInfo: { ErrorString: o.error } } : {}),
              },
            }
          : {}),
      },
    };
  }

  private violation(a: SimFlinkApp, kind: 'flink-state-dropped' | 'parallelism-above-shards' | 'flink-config-changed', detail: string): void {
    this.ctx.record.violation({ atMs: this.ctx.clock.now(), kind, applicationId: a.name, jobName: a.name, jobRunIds: [], detail });
  }

  private start(i: StartApplicationRequest) {
    const a = this.find(i.ApplicationName);
    if (a.status !== 'READY')
      throw this.ctx.err(ResourceInUseException, 400, `Application ${a.name} is in ${a.status} status. It must be in READY status to be started.`);
    const restore = i.RunConfiguration?.ApplicationRestoreConfiguration;
    const type = restore?.ApplicationRestoreType ?? 'RESTORE_FROM_LATEST_SNAPSHOT';
    if (type === 'RESTORE_FROM_CUSTOM_SNAPSHOT' && !a.snapshots.some((s) => s.name === restore?.SnapshotName && s.status === 'READY')) {
      throw this.ctx.err(ResourceNotFoundException, 400, `Snapshot ${restore?.SnapshotName ?? ''} not found for application ${a.name}`);
    }
    if (type === 'SKIP_RESTORE_FROM_SNAPSHOT')
      this.violation(a, 'flink-state-dropped', `StartApplication ${a.name} with SKIP_RESTORE_FROM_SNAPSHOT: the application's state is dropped`);
    const op = this.apps.operation(a, 'StartApplication');
    this.kinesisChanged(() => void (a.status = 'STARTING'));
    this.count(a, 'starts');
    this.ctx.record.event(this.ctx.clock.now(), 'note', `${a.name}: StartApplication (${type}) → STARTING`);
    this.ctx.clock.after(START_MS, `flink ${a.name} started`, () => {
      if (a.status !== 'STARTING') return;
      this.kinesisChanged(() => void (a.status = 'RUNNING'));
      this.apps.finish(op, 'SUCCESSFUL');
      this.apps.startJob(a);
      this.ctx.record.event(this.ctx.clock.now(), 'note', `${a.name}: RUNNING (version ${a.versionId})`);
    });
    return { OperationId: op.id };
  }

  private update(i: UpdateApplicationRequest) {
    const a = this.find(i.ApplicationName);
    if (i.CurrentApplicationVersionId === undefined && i.ConditionalToken === undefined) {
      throw this.ctx.err(InvalidRequestException, 400, 'Either CurrentApplicationVersionId or ConditionalToken must be provided');
    }
    if (i.CurrentApplicationVersionId !== undefined && i.CurrentApplicationVersionId !== a.versionId) {
      throw this.ctx.err(
        ConcurrentModificationException,
        400,
        `Provided application version id (${i.CurrentApplicationVersionId}) does not match the current application version id (${a.versionId}).`,
      );
    }
    if (a.status !== 'RUNNING' && a.status !== 'READY') throw this.ctx.err(ResourceInUseException, 400, `Application ${a.name} is in ${a.status} status.`);
    const u = i.ApplicationConfigurationUpdate;
    const pu = u?.FlinkApplicationConfigurationUpdate?.ParallelismConfigurationUpdate;
    const others = Object.keys(i).filter(
      (k) => !['ApplicationName', 'CurrentApplicationVersionId', 'ConditionalToken', 'ApplicationConfigurationUpdate'].includes(k),
    );
    const otherConfig = Object.keys(u ?? {}).filter((k) => k !== 'FlinkApplicationConfigurationUpdate');
    const otherFlink = Object.keys(u?.FlinkApplicationConfigurationUpdate ?? {}).filter((k) => k !== 'ParallelismConfigurationUpdate');
    if (others.length + otherConfig.length + otherFlink.length > 0)
      this.violation(
        a,
        'flink-config-changed',
        `UpdateApplication ${a.name} changes ${[...others, ...otherConfig, ...otherFlink].join(', ')}, not only the parallelism`,
      );
    if (pu?.ParallelismUpdate !== undefined) {
      if ((pu.ConfigurationTypeUpdate ?? a.parallelism.configurationType) !== 'CUSTOM') {
        throw this.ctx.err(InvalidArgumentException, 400, 'ConfigurationType must be CUSTOM to set Parallelism, ParallelismPerKPU or AutoScalingEnabled');
      }
      const max = (pu.ParallelismPerKPUUpdate ?? a.parallelism.parallelismPerKPU) * MAX_KPUS;
      if (pu.ParallelismUpdate < 1 || pu.ParallelismUpdate > max)
        throw this.ctx.err(InvalidArgumentException, 400, `Parallelism ${pu.ParallelismUpdate} must be between 1 and ${max}`);
      const shards = this.shardCount(a);
      if (shards !== undefined && pu.ParallelismUpdate > shards)
        this.violation(
          a,
          'parallelism-above-shards',
          `UpdateApplication ${a.name} sets parallelism ${pu.ParallelismUpdate}, above the ${shards} shards of ${a.streamName}`,
        );
    }
    const from = a.versionId;
    const apply = () => {
      if (pu) {
        a.parallelism = {
          configurationType: pu.ConfigurationTypeUpdate ?? a.parallelism.configurationType,
          parallelism: pu.ParallelismUpdate ?? a.parallelism.parallelism,
          parallelismPerKPU: pu.ParallelismPerKPUUpdate ?? a.parallelism.parallelismPerKPU,
          autoScalingEnabled: pu.AutoScalingEnabledUpdate ?? a.parallelism.autoScalingEnabled,
        };
      }
    };
    a.versionId++;
    a.lastUpdateMs = this.ctx.clock.now();
    this.count(a, 'updates');
    const op = this.apps.operation(a, 'UpdateApplication', { versionFrom: from, versionTo: a.versionId });
    if (a.status === 'READY') {
      apply();
      this.apps.finish(op, 'SUCCESSFUL');
    } else {
      // A running application stops (with a snapshot when they are on), is updated, and starts again from it.
      if (a.snapshotsEnabled) this.apps.snapshot(a);
      this.kinesisChanged(() => void (a.status = 'UPDATING'));
      this.apps.stopJob(a);
      this.ctx.record.event(this.ctx.clock.now(), 'note', `${a.name}: UpdateApplication → UPDATING (version ${a.versionId})`);
      this.ctx.clock.after(UPDATE_MS, `flink ${a.name} updated`, () => {
        if (a.status !== 'UPDATING') return;
        this.kinesisChanged(() => {
          apply();
          a.status = 'RUNNING';
        });
        this.apps.finish(op, 'SUCCESSFUL');
        this.apps.startJob(a);
        this.ctx.record.event(this.ctx.clock.now(), 'note', `${a.name}: RUNNING at parallelism ${a.parallelism.parallelism} (version ${a.versionId})`);
      });
    }
    return { ApplicationDetail: this.detail(a), OperationId: op.id };
  }

  private shardCount(a: SimFlinkApp): number | undefined {
    return a.streamName ? this.apps.streamShards(a.streamName) : undefined;
  }

  private kinesisChanged(change: () => void): void {
    this.apps.changedNow(change);
  }

  /** A person stops the application (StopApplication, with a snapshot when they are on). */
  stopByPerson(a: SimFlinkApp): void {
    const op = this.apps.operation(a, 'StopApplication');
    if (a.snapshotsEnabled) this.apps.snapshot(a);
    this.kinesisChanged(() => void (a.status = 'STOPPING'));
    this.apps.stopJob(a);
    this.ctx.clock.after(STOP_MS, `flink ${a.name} stopped`, () => {
      this.kinesisChanged(() => void (a.status = 'READY'));
      this.apps.finish(op, 'SUCCESSFUL');
    });
  }
}
