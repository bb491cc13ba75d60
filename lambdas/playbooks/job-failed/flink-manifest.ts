import type { FlinkPipeline } from '../../config/schema';
import { flinkFailureAlarms } from '../../runtimes/managed-flink/alarms';
import { flinkPermissions } from '../../runtimes/managed-flink/permissions';
import type { AlarmSpec, PermissionSpec, PipelineContext } from '../../core/playbook';

/**
 * job-failed on Managed Service for Apache Flink (DATA ONLY): the guide's downtime and restart
 * alarms and an application-not-running alarm; reading the application, its snapshots, operations,
 * metrics and logs; StartApplication from the latest snapshot.
 */

type Ctx = PipelineContext<unknown, FlinkPipeline>;

export const flinkJobFailedAlarms = (p: Ctx): AlarmSpec[] => flinkFailureAlarms(p.pipeline.job);

export function flinkJobFailedPermissions(p: Ctx): PermissionSpec[] {
  return [
    ...flinkPermissions(
      p,
      ['read'],
      'diagnose',
      'read the application (status, version), its snapshots and its operations (a failed update or scaling, a system rollback)',
    ),
    ...flinkPermissions(p, ['restart']),
    {
      step: 'verify',
      actions: ['kinesisanalytics:DescribeApplication'],
      resources: flinkPermissions(p, ['restart'])[0]!.resources,
      why: 'check the application is RUNNING again',
    },
    { step: 'verify', actions: ['cloudwatch:GetMetricData'], resources: ['*'], why: 'check its downtime is back to 0' },
  ];
}
