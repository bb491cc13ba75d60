import type { ManagedFlinkJob } from '../../config/schema';

/**
 * The exact AWS CLI commands pages recommend for a Managed Flink application
 * (`aws kinesisanalyticsv2 …`, AWS CLI Command Reference). None is ever run automatically unless
 * it is also an action of a playbook (start from the latest snapshot, raise parallelism).
 */

const q = (o: unknown) => `'${JSON.stringify(o)}'`;
const app = (job: ManagedFlinkJob) => `--application-name ${job.applicationName}`;

export const flinkCommands = {
  describe: (job: ManagedFlinkJob) => `aws kinesisanalyticsv2 describe-application ${app(job)}`,
  operations: (job: ManagedFlinkJob) => `aws kinesisanalyticsv2 list-application-operations ${app(job)}`,
  snapshots: (job: ManagedFlinkJob) => `aws kinesisanalyticsv2 list-application-snapshots ${app(job)}`,
  /** Start restoring the latest snapshot: the only restore streamfix recommends or does. */
  startFromLatestSnapshot: (job: ManagedFlinkJob) =>
    `aws kinesisanalyticsv2 start-application ${app(job)} --run-configuration ${q({ ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' } })}`,
  /** A graceful stop takes a snapshot first (API_StopApplication: Force skips it). */
  stop: (job: ManagedFlinkJob) => `aws kinesisanalyticsv2 stop-application ${app(job)}`,
  snapshot: (job: ManagedFlinkJob, name: string) => `aws kinesisanalyticsv2 create-application-snapshot ${app(job)} --snapshot-name ${name}`,
  rollback: (job: ManagedFlinkJob, versionId: number) =>
    `aws kinesisanalyticsv2 rollback-application ${app(job)} --current-application-version-id ${versionId}`,
  parallelism: (job: ManagedFlinkJob, versionId: number, parallelism: number) =>
    `aws kinesisanalyticsv2 update-application ${app(job)} --current-application-version-id ${versionId} --application-configuration-update ` +
    q({ FlinkApplicationConfigurationUpdate: { ParallelismConfigurationUpdate: { ConfigurationTypeUpdate: 'CUSTOM', ParallelismUpdate: parallelism } } }),
  /** Checkpoint interval and pause between checkpoints: the checkpoint settings the API changes. */
  checkpointing: (job: ManagedFlinkJob, versionId: number, intervalMs: number, minPauseMs: number) =>
    `aws kinesisanalyticsv2 update-application ${app(job)} --current-application-version-id ${versionId} --application-configuration-update ` +
    q({
      FlinkApplicationConfigurationUpdate: {
        CheckpointConfigurationUpdate: {
          ConfigurationTypeUpdate: 'CUSTOM',
          CheckpointingEnabledUpdate: true,
          CheckpointIntervalUpdate: intervalMs,
          MinPauseBetweenCheckpointsUpdate: minPauseMs,
        },
      },
    }),
  errors: (job: ManagedFlinkJob, sinceMs: number) =>
    job.logGroupName
      ? `aws logs filter-log-events --log-group-name ${job.logGroupName} --filter-pattern ERROR --start-time ${sinceMs}`
      : `aws kinesisanalyticsv2 describe-application ${app(job)} --query ApplicationDetail.CloudWatchLoggingOptionDescriptions`,
};
