import type { FlinkPipeline } from '../../config/schema';
import type { PermissionSpec, PipelineContext } from '../../core/playbook';

/**
 * The IAM of a Managed Service for Apache Flink application, scoped to the configured one:
 * what reading it, restarting it and scaling it take ("Actions, resources, and condition keys for
 * Amazon Managed Service for Apache Flink", Service Authorization Reference: every action used
 * here takes the `application` resource type). DATA ONLY: manifests and lib/ read it.
 */

type Ctx = PipelineContext<unknown, FlinkPipeline>;

/** `arn:aws:kinesisanalytics:<region>:<account>:application/<name>`. */
export const flinkApplicationArn = (p: Ctx): string =>
  `arn:${p.partition}:kinesisanalytics:${p.region}:${p.account}:application/${p.pipeline.job.applicationName}`;

/** The application's log group, when the config names it (its log streams, for FilterLogEvents). */
export const flinkLogGroupArn = (p: Ctx): string | undefined =>
  p.pipeline.job.logGroupName === undefined ? undefined : `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${p.pipeline.job.logGroupName}:*`;

export type FlinkCapability = 'read' | 'restart' | 'scale';

const READ_ACTIONS = [
  'kinesisanalytics:DescribeApplication',
  'kinesisanalytics:ListApplicationSnapshots',
  'kinesisanalytics:ListApplicationOperations',
  'kinesisanalytics:DescribeApplicationOperation',
];

/**
 * What each capability needs. `read`: the application (status, version, parallelism, checkpoint
 * and snapshot settings), its snapshots and operations, its metrics, and its log group when
 * configured. `restart`: StartApplication (the restore type is a parameter; the action's bounds
 * allow only RESTORE_FROM_LATEST_SNAPSHOT). `scale`: UpdateApplication (parallelism only, by the
 * action's bounds). Neither passes a role: the service execution role is set when the
 * application is created and streamfix never changes it.
 */
export function flinkPermissions(p: Ctx, needs: readonly FlinkCapability[], step: PermissionSpec['step'] = 'diagnose', why?: string): PermissionSpec[] {
  const app = flinkApplicationArn(p);
  const out: PermissionSpec[] = [];
  if (needs.includes('read')) {
    out.push({
      step,
      actions: READ_ACTIONS,
      resources: [app],
      why: why ?? 'read the application (status, version, parallelism, checkpointing), its snapshots and its recent operations',
    });
    // GetMetricData has no resource-level permissions: IAM only accepts "*" for it.
    out.push({
      step,
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
      why: "read the application's AWS/KinesisAnalytics metrics (downtime, restarts, checkpoints, lag)",
    });
    const logs = flinkLogGroupArn(p);
    if (logs) out.push({ step, actions: ['logs:FilterLogEvents'], resources: [logs], why: "read the job's exceptions in the application's log group" });
  }
  if (needs.includes('restart')) {
    out.push({
      step: 'act',
      actions: ['kinesisanalytics:StartApplication', 'kinesisanalytics:DescribeApplication'],
      resources: [app],
      why: 'start the application from its latest snapshot (never skipping the restore)',
    });
  }
  if (needs.includes('scale')) {
    out.push({
      step: 'act',
      actions: ['kinesisanalytics:UpdateApplication', 'kinesisanalytics:DescribeApplication'],
      resources: [app],
      why: "raise the application's parallelism within bounds, on the version it was read at",
    });
  }
  return out;
}
