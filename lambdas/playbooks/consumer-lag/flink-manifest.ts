import type { FlinkPipeline } from '../../config/schema';
import { flinkApplicationArn, flinkPermissions } from '../../runtimes/managed-flink/permissions';
import type { PermissionSpec, PipelineContext } from '../../core/playbook';

/**
 * consumer-lag on Managed Service for Apache Flink (DATA ONLY): reading the application and its
 * metrics, raising its parallelism within bounds (UpdateApplication), and, when it is not
 * running, job-failed's restart from the latest snapshot.
 */
export function flinkLagPermissions(p: PipelineContext<unknown, FlinkPipeline>): PermissionSpec[] {
  return [
    ...flinkPermissions(p, ['read'], 'diagnose', 'read the application (status, parallelism, autoscaling, version), its snapshots and operations'),
    ...flinkPermissions(p, ['restart', 'scale']),
    {
      step: 'verify',
      actions: ['kinesisanalytics:DescribeApplication'],
      resources: [flinkApplicationArn(p)],
      why: 'check the application runs at the new parallelism',
    },
  ];
}
