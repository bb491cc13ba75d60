import {
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  KinesisAnalyticsV2Client,
  ListApplicationOperationsCommand,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  UpdateApplicationCommand,
  type ApplicationDetail,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { AwsRequestError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

/**
 * Amazon Managed Service for Apache Flink (`@aws-sdk/client-kinesis-analytics-v2`, API
 * reference docs.aws.amazon.com/managed-flink/latest/apiv2/): DescribeApplication,
 * ListApplicationSnapshots, ListApplicationOperations / DescribeApplicationOperation (every
 * customer and system operation, system rollbacks included), StartApplication and
 * UpdateApplication. Errors are mapped in errors.ts: ResourceNotFoundException → NotFoundError,
 * ConcurrentModificationException → ConflictError; ResourceInUseException ("the application is
 * not available for this operation") stays an AwsRequestError with that code.
 */

const SERVICE = 'kinesisanalytics';

export interface FlinkParallelismView {
  configurationType?: string;
  /** `Parallelism`: the configured (initial) parallelism; autoscaling never goes below it. */
  parallelism?: number;
  parallelismPerKPU?: number;
  /** `CurrentParallelism`: what runs now (autoscaling may have raised it). */
  currentParallelism?: number;
  autoScalingEnabled?: boolean;
}

export interface FlinkCheckpointConfigView {
  configurationType?: string;
  enabled?: boolean;
  intervalMs?: number;
  minPauseMs?: number;
}

export interface FlinkApplicationView {
  name: string;
  arn: string;
  /** STARTING, RUNNING, UPDATING, AUTOSCALING, STOPPING, READY, FORCE_STOPPING, ROLLING_BACK, ROLLED_BACK, MAINTENANCE, DELETING. */
  status: string;
  versionId: number;
  runtimeEnvironment: string;
  lastUpdateMs?: number;
  parallelism: FlinkParallelismView;
  checkpoint: FlinkCheckpointConfigView;
  snapshotsEnabled: boolean;
  rollbackEnabled?: boolean;
  /** The version this one was rolled back from, when the last change was a rollback. */
  rolledBackFromVersion?: number;
  logStreamArns: string[];
  /** Encryption at rest of its state (API_ApplicationEncryptionConfigurationDescription): AWS_OWNED_KEY or CUSTOMER_MANAGED_KEY. */
  encryption?: { keyType: string; keyId?: string };
}

export interface FlinkSnapshotView {
  name: string;
  /** CREATING, READY, DELETING, FAILED. */
  status: string;
  versionId: number;
  createdMs?: number;
}

export interface FlinkOperationView {
  id: string;
  /** e.g. StartApplication, StopApplication, UpdateApplication, Scaling, Maintenance, RollbackApplication. */
  operation: string;
  /** IN_PROGRESS, CANCELLED, SUCCESSFUL, FAILED. */
  status: string;
  startMs?: number;
  endMs?: number;
}

export interface FlinkOperationDetail extends FlinkOperationView {
  versionFrom?: number;
  versionTo?: number;
  /** The system-rollback operation this failure started. */
  rollbackOperationId?: string;
  error?: string;
}

/** Pages read at most: 50 items a page (the APIs' maximum), newest history first. */
const MAX_PAGES = 10;

const ms = (d: Date | undefined) => (d instanceof Date ? d.getTime() : undefined);

function applicationView(a: ApplicationDetail): FlinkApplicationView {
  if (!a.ApplicationName || !a.ApplicationStatus || a.ApplicationVersionId === undefined) {
    throw new AwsRequestError(SERVICE, 'DescribeApplication', 'MalformedResponse', {
      cause: new Error('ApplicationDetail lacks ApplicationName, ApplicationStatus or ApplicationVersionId'),
    });
  }
  const c = a.ApplicationConfigurationDescription;
  const f = c?.FlinkApplicationConfigurationDescription;
  const p = f?.ParallelismConfigurationDescription;
  const k = f?.CheckpointConfigurationDescription;
  const lastUpdateMs = ms(a.LastUpdateTimestamp);
  const rollback = c?.ApplicationSystemRollbackConfigurationDescription?.RollbackEnabled;
  return {
    name: a.ApplicationName,
    arn: a.ApplicationARN ?? '',
    status: a.ApplicationStatus,
    versionId: a.ApplicationVersionId,
    runtimeEnvironment: a.RuntimeEnvironment ?? '',
    ...(lastUpdateMs !== undefined ? { lastUpdateMs } : {}),
    parallelism: {
      ...(p?.ConfigurationType ? { configurationType: p.ConfigurationType } : {}),
      ...(p?.Parallelism !== undefined ? { parallelism: p.Parallelism } : {}),
      ...(p?.ParallelismPerKPU !== undefined ? { parallelismPerKPU: p.ParallelismPerKPU } : {}),
      ...(p?.CurrentParallelism !== undefined ? { currentParallelism: p.CurrentParallelism } : {}),
      ...(p?.AutoScalingEnabled !== undefined ? { autoScalingEnabled: p.AutoScalingEnabled } : {}),
    },
    checkpoint: {
      ...(k?.ConfigurationType ? { configurationType: k.ConfigurationType } : {}),
      ...(k?.CheckpointingEnabled !== undefined ? { enabled: k.CheckpointingEnabled } : {}),
      ...(k?.CheckpointInterval !== undefined ? { intervalMs: k.CheckpointInterval } : {}),
      ...(k?.MinPauseBetweenCheckpoints !== undefined ? { minPauseMs: k.MinPauseBetweenCheckpoints } : {}),
    },
    snapshotsEnabled: c?.ApplicationSnapshotConfigurationDescription?.SnapshotsEnabled === true,
    ...(rollback !== undefined ? { rollbackEnabled: rollback } : {}),
    ...(a.ApplicationVersionRolledBackFrom !== undefined ? { rolledBackFromVersion: a.ApplicationVersionRolledBackFrom } : {}),
    logStreamArns: (a.CloudWatchLoggingOptionDescriptions ?? []).map((o) => o.LogStreamARN ?? '').filter(Boolean),
    ...(c?.ApplicationEncryptionConfigurationDescription?.KeyType
      ? {
          encryption: {
            keyType: c.ApplicationEncryptionConfigurationDescription.KeyType,
            ...(c.ApplicationEncryptionConfigurationDescription.KeyId ? { keyId: c.ApplicationEncryptionConfigurationDescription.KeyId } : {}),
          },
        }
      : {}),
  };
}

export class ManagedFlinkAdapter {
  constructor(private readonly client: KinesisAnalyticsV2Client) {}

  static fromOptions(opts: AwsClientOptions): ManagedFlinkAdapter {
    return new ManagedFlinkAdapter(withPlugins(new KinesisAnalyticsV2Client(clientConfig(opts)), opts));
  }

  async describeApplication(applicationName: string): Promise<FlinkApplicationView> {
    let reply;
    try {
      reply = await this.client.send(new DescribeApplicationCommand({ ApplicationName: applicationName }));
    } catch (e) {
      mapAwsError(SERVICE, 'DescribeApplication', e);
    }
    if (!reply.ApplicationDetail)
      throw new AwsRequestError(SERVICE, 'DescribeApplication', 'MalformedResponse', {
        cause: new Error(`reply for ${applicationName} has no ApplicationDetail`),
      });
    return applicationView(reply.ApplicationDetail);
  }

  /** The application's snapshots (every page, up to `maxItems`), newest first. */
  async listSnapshots(applicationName: string, opts: { maxItems?: number } = {}): Promise<FlinkSnapshotView[]> {
    const max = opts.maxItems ?? 200;
    const out: FlinkSnapshotView[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      let reply;
      try {
        reply = await this.client.send(new ListApplicationSnapshotsCommand({ ApplicationName: applicationName, Limit: 50, NextToken: token }));
      } catch (e) {
        mapAwsError(SERVICE, 'ListApplicationSnapshots', e);
      }
      for (const s of reply.SnapshotSummaries ?? []) {
        if (!s.SnapshotName || !s.SnapshotStatus) continue;
        const createdMs = ms(s.SnapshotCreationTimestamp);
        out.push({ name: s.SnapshotName, status: s.SnapshotStatus, versionId: s.ApplicationVersionId ?? 0, ...(createdMs !== undefined ? { createdMs } : {}) });
      }
      token = reply.NextToken;
    } while (token && out.length < max && ++pages < MAX_PAGES);
    return out.sort((a, b) => (b.createdMs ?? 0) - (a.createdMs ?? 0)).slice(0, max);
  }

  /** The application's operations (every page, up to `maxItems`), newest first. */
  async listOperations(applicationName: string, opts: { maxItems?: number; operation?: string; status?: string } = {}): Promise<FlinkOperationView[]> {
    const max = opts.maxItems ?? 50;
    const out: FlinkOperationView[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      let reply;
      try {
        reply = await this.client.send(
          new ListApplicationOperationsCommand({
            ApplicationName: applicationName,
            Limit: 50,
            NextToken: token,
            ...(opts.operation ? { Operation: opts.operation } : {}),
            ...(opts.status ? { OperationStatus: opts.status as never } : {}),
          }),
        );
      } catch (e) {
        mapAwsError(SERVICE, 'ListApplicationOperations', e);
      }
      for (const o of reply.ApplicationOperationInfoList ?? []) {
        if (!o.OperationId || !o.Operation || !o.OperationStatus) continue;
        const startMs = ms(o.StartTime);
        const endMs = ms(o.EndTime);
        out.push({
          id: o.OperationId,
          operation: o.Operation,
          status: o.OperationStatus,
          ...(startMs !== undefined ? { startMs } : {}),
          ...(endMs !== undefined ? { endMs } : {}),
        });
      }
      token = reply.NextToken;
    } while (token && out.length < max && ++pages < MAX_PAGES);
    return out.sort((a, b) => (b.startMs ?? 0) - (a.startMs ?? 0)).slice(0, max);
  }

  async describeOperation(applicationName: string, operationId: string): Promise<FlinkOperationDetail> {
    let reply;
    try {
      reply = await this.client.send(new DescribeApplicationOperationCommand({ ApplicationName: applicationName, OperationId: operationId }));
    } catch (e) {
      mapAwsError(SERVICE, 'DescribeApplicationOperation', e);
    }
    const d = reply.ApplicationOperationInfoDetails;
    if (!d?.Operation || !d.OperationStatus) {
      throw new AwsRequestError(SERVICE, 'DescribeApplicationOperation', 'MalformedResponse', {
        cause: new Error(`reply for operation ${operationId} has no ApplicationOperationInfoDetails`),
      });
    }
    const startMs = ms(d.StartTime);
    const endMs = ms(d.EndTime);
    const v = d.ApplicationVersionChangeDetails;
    const f = d.OperationFailureDetails;
    return {
      id: operationId,
      operation: d.Operation,
      status: d.OperationStatus,
      ...(startMs !== undefined ? { startMs } : {}),
      ...(endMs !== undefined ? { endMs } : {}),
      ...(v?.ApplicationVersionUpdatedFrom !== undefined ? { versionFrom: v.ApplicationVersionUpdatedFrom } : {}),
      ...(v?.ApplicationVersionUpdatedTo !== undefined ? { versionTo: v.ApplicationVersionUpdatedTo } : {}),
      ...(f?.RollbackOperationId ? { rollbackOperationId: f.RollbackOperationId } : {}),
      ...(f?.ErrorInfo?.ErrorString ? { error: f.ErrorInfo.ErrorString } : {}),
    };
  }

  /**
   * StartApplication restoring the latest snapshot. The restore type is fixed here: the adapter
   * offers no way to skip the restore (SKIP_RESTORE_FROM_SNAPSHOT loses the application's state).
   */
  async startFromLatestSnapshot(applicationName: string): Promise<{ operationId?: string }> {
    let reply;
    try {
      reply = await this.client.send(
        new StartApplicationCommand({
          ApplicationName: applicationName,
          RunConfiguration: { ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' } },
        }),
      );
    } catch (e) {
      mapAwsError(SERVICE, 'StartApplication', e);
    }
    return reply.OperationId ? { operationId: reply.OperationId } : {};
  }

  /**
   * UpdateApplication of the parallelism alone, on the version read (`CurrentApplicationVersionId`:
   * a version changed since is refused with ConcurrentModificationException → ConflictError).
   * `ConfigurationTypeUpdate: CUSTOM` is what lets Parallelism be set (API_ParallelismConfigurationUpdate).
   */
  async updateParallelism(
    applicationName: string,
    currentVersionId: number,
    parallelism: number,
  ): Promise<{ versionId: number; status: string; operationId?: string }> {
    let reply;
    try {
      reply = await this.client.send(
        new UpdateApplicationCommand({
          ApplicationName: applicationName,
          CurrentApplicationVersionId: currentVersionId,
          ApplicationConfigurationUpdate: {
            FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ConfigurationTypeUpdate: 'CUSTOM', ParallelismUpdate: parallelism } },
          },
        }),
      );
    } catch (e) {
      mapAwsError(SERVICE, 'UpdateApplication', e);
    }
    const a = reply.ApplicationDetail;
    return {
      versionId: a?.ApplicationVersionId ?? currentVersionId + 1,
      status: a?.ApplicationStatus ?? 'UPDATING',
      ...(reply.OperationId ? { operationId: reply.OperationId } : {}),
    };
  }
}
