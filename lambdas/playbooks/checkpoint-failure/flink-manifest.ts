import type { FlinkPipeline } from '../../config/schema';
import { flinkPermissions } from '../../runtimes/managed-flink/permissions';
import type { PermissionSpec, PipelineContext } from '../../core/playbook';

/**
 * checkpoint-failure on Managed Service for Apache Flink (DATA ONLY): read the application
 * (checkpoint configuration, its encryption key), its checkpoint metrics and its log. MSF keeps
 * checkpoints and snapshots in storage it manages; with a customer managed key it uses that key
 * through the key policy's grant to its service principals ("Managing CMK using APIs", MSF
 * Developer Guide), so a denied checkpoint names a key-policy statement, not an IAM role's.
 * Nothing is changed: the fix is a configuration or policy change a person makes, and state and
 * snapshots are never deleted.
 */
export function flinkCheckpointPermissions(p: PipelineContext<unknown, FlinkPipeline>): PermissionSpec[] {
  return [
    ...flinkPermissions(p, ['read'], 'diagnose', "read the application's checkpoint configuration and encryption, its snapshots and its operations"),
    { step: 'verify', actions: ['cloudwatch:GetMetricData'], resources: ['*'], why: 'check checkpoints complete again' },
  ];
}
