import type { EmrPipeline } from '../../config/schema';
import type { PermissionSpec, PipelineContext } from '../../core/playbook';
import { s3LocationOf } from '../../util/s3-uri';

/**
 * The IAM a playbook needs to read a failed attempt's driver log where the config says the job
 * logs (`job.driverLogs`), laid out as the EMR Serverless User Guide's "Storing logs" page gives
 * it: S3 objects under `<logUri>applications/<applicationId>/jobs/`, or the events of one
 * CloudWatch Logs group. Nothing when the config names no log destination. Shared by every
 * playbook that judges a job's failure (job-failed, consumer-lag, checkpoint-failure) without
 * bundling another playbook's manifest.
 */
export function driverLogPermissions(p: PipelineContext<unknown, EmrPipeline>): PermissionSpec[] {
  const logs = p.pipeline.job.driverLogs;
  const out: PermissionSpec[] = [];
  if (logs?.s3) {
    const { bucket, prefix } = s3LocationOf(logs.s3);
    out.push({
      step: 'diagnose',
      actions: ['s3:GetObject'],
      resources: [`arn:${p.partition}:s3:::${bucket}/${prefix}applications/${p.pipeline.job.applicationId}/jobs/*`],
      why: "read a failed attempt's driver log (SPARK_DRIVER/stderr.gz) for the failure text beyond stateDetails' 256 characters",
    });
  }
  if (logs?.cloudWatchLogGroup) {
    out.push({
      step: 'diagnose',
      actions: ['logs:FilterLogEvents'],
      resources: [`arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${logs.cloudWatchLogGroup}:*`],
      why: "read a failed attempt's driver log events for the failure text beyond stateDetails' 256 characters",
    });
  }
  return out;
}
