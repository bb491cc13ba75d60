import { listBucketUnder } from '../../core/permissions';
import type { PermissionSpec } from '../../core/playbook';
import type { OperationManifest, OperationPipelineContext } from '../types';
import { s3LocationOf } from '../../util/s3-uri';

/**
 * checkpoint-ops: inspect, back up, roll back, reset and restore a pipeline's Spark checkpoint
 * by hand (the checkpoint reset procedure), with the same safety net as the playbook: the job
 * stopped, a verified backup before anything is deleted, `confirm`, and a ledger record.
 */

const location = s3LocationOf;

export const checkpointOpsManifest: OperationManifest = {
  id: 'checkpoint-ops',
  title: 'Inspect, back up, roll back, reset or restore a streaming checkpoint',
  summary:
    'Reads a Spark (or Flink) checkpoint and reports its batches, offsets and problems; copies it to a verified backup with ' +
    'progress; rolls it back to a batch, resets it (latest, earliest, a timestamp, the last good offsets) or restores a backup — ' +
    'each only with the job stopped, a verified backup and confirm: true.',
  timeoutSeconds: 900,
  memoryMb: 1024,
  appliesTo: (pipeline) => pipeline.job.kind === 'emr-serverless',
  permissions: (p: OperationPipelineContext): PermissionSpec[] => {
    const job = p.pipeline.job;
    // appliesTo keeps the others out: nothing to grant on a pipeline without a Spark checkpoint.
    if (job.kind !== 'emr-serverless') return [];
    const { bucket, prefix } = location(job.checkpoint);
    const s3 = `arn:${p.partition}:s3:::${bucket}`;
    const objects = `${s3}/${prefix}*`;
    const backupPrefix = `${prefix.replace(/\/+$/, '')}_backup_`;
    const backups = `${s3}/${backupPrefix}*`;
    const app = `arn:${p.partition}:emr-serverless:${p.region}:${p.account}:/applications/${job.applicationId}`;
    const out: PermissionSpec[] = [
      listBucketUnder(p.partition, bucket, [prefix, backupPrefix], 'diagnose', 'list the checkpoint and its backups (listing limited to their prefixes)'),
      {
        step: 'diagnose',
        actions: ['s3:GetObject'],
        resources: [objects, backups],
        why: 'read checkpoint log files and backup manifests, and copy from either',
      },
      { step: 'diagnose', actions: ['emr-serverless:ListJobRuns'], resources: [app], why: 'refuse to change a checkpoint while a run of the job is active' },
      {
        step: 'act',
        actions: ['s3:PutObject'],
        resources: [objects, backups],
        why: 'write backups (and their manifest) and restore a backup into the checkpoint',
      },
      { step: 'act', actions: ['s3:DeleteObject'], resources: [objects], why: 'roll back, reset or restore the checkpoint, only after a verified backup' },
    ];
    const key = (p.pipeline.playbooks as Record<string, { bounds?: { bucketKmsKeyArn?: string } }>)['checkpoint-failure']?.bounds?.bucketKmsKeyArn;
    if (key)
      out.push({
        step: 'act',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key],
        why: 'read and copy objects of a bucket encrypted with this customer-managed key',
      });
    return out;
  },
};
