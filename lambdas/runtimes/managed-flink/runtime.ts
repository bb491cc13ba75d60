import { CloudWatchAdapter } from '../../adapters/cloudwatch';
import { LogsAdapter } from '../../adapters/logs';
import { ManagedFlinkAdapter, type FlinkApplicationView } from '../../adapters/managed-flink';
import type { ManagedFlinkJob } from '../../config/schema';
import type { JobPhase, JobRuntime, JobState } from '../job-runtime';
import { flinkPermissions } from './permissions';
import { scaleFlinkApplicationAction } from './scale';
import { startFlinkApplicationAction } from './start';

/**
 * Managed Service for Apache Flink behind the job-runtime interface. The job is the application;
 * its state is `ApplicationStatus` (API_ApplicationDetail); it resumes from its newest READY
 * snapshot; it restarts with StartApplication from the latest snapshot and scales with
 * UpdateApplication of its parallelism.
 */

/** ApplicationStatus → phase. READY is a stopped application: whether it failed is in its operations. */
export const FLINK_PHASE: Readonly<Record<string, JobPhase>> = {
  RUNNING: 'running',
  STARTING: 'starting',
  UPDATING: 'changing',
  AUTOSCALING: 'changing',
  ROLLING_BACK: 'changing',
  ROLLED_BACK: 'changing',
  MAINTENANCE: 'changing',
  STOPPING: 'stopping',
  FORCE_STOPPING: 'stopping',
  READY: 'stopped',
  DELETING: 'gone',
};

/** The lock, cooldown and budget key of a Flink application. */
export const flinkResource = (job: ManagedFlinkJob): string => `kinesisanalytics:${job.applicationName}`;

export function flinkJobState(app: FlinkApplicationView): JobState {
  const current = app.parallelism.currentParallelism ?? app.parallelism.parallelism;
  return {
    phase: FLINK_PHASE[app.status] ?? 'gone',
    status: app.status,
    id: `version ${app.versionId}`,
    ...(app.status === 'RUNNING' && current !== undefined ? { parallelism: current } : {}),
  };
}

export const managedFlinkRuntime: JobRuntime<'managed-flink'> = {
  kind: 'managed-flink',
  title: 'Managed Service for Apache Flink',
  resource: flinkResource,
  readJob: async (aws, job) => flinkJobState(await aws.flink.describeApplication(job.applicationName)),
  async readRestorePoint(aws, job) {
    const newest = (await aws.flink.listSnapshots(job.applicationName, { maxItems: 20 })).find((s) => s.status === 'READY');
    return {
      kind: 'snapshot',
      exists: newest !== undefined,
      ...(newest ? { name: newest.name, ...(newest.createdMs !== undefined ? { atMs: newest.createdMs } : {}) } : {}),
    };
  },
  actions: { restart: startFlinkApplicationAction, scale: scaleFlinkApplicationAction },
  permissions: (p, needs) => flinkPermissions(p, needs),
  adapters: { flink: ManagedFlinkAdapter, cloudwatch: CloudWatchAdapter, logs: LogsAdapter },
};
