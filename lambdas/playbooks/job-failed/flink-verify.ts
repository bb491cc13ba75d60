import { latest } from '../../analysis/flink-metrics';
import type { FlinkPipeline } from '../../config/schema';
import { readFlinkMetrics } from '../../runtimes/managed-flink/read';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import type { JobFailedSettings } from './manifest';

const STARTING = new Set(['STARTING', 'UPDATING', 'AUTOSCALING']);

/**
 * Recovered when the application is RUNNING and its newest downtime datapoint is 0 (the job
 * processes again); pending while it starts, or runs without a downtime datapoint yet, or with
 * downtime still above 0; failed when it is READY (or going there) again.
 */
export async function verifyFlinkJobFailed(ctx: PlaybookContext<JobFailedSettings, FlinkPipeline>): Promise<VerifyOutcome> {
  const job = ctx.pipeline.job;
  const now = ctx.clock.now();
  const [app, series] = await Promise.all([
    ctx.aws.flink.describeApplication(job.applicationName),
    readFlinkMetrics(ctx.aws.cloudwatch, job, [{ name: 'downtime', stat: 'Maximum' }], now - 5 * 60_000, now),
  ]);
  const downtime = latest(series.downtime ?? [])?.value;
  const evidence = { applicationStatus: app.status, applicationVersionId: app.versionId, downtimeMs: downtime ?? null };
  if (app.status === 'RUNNING' && downtime === 0) return { status: 'recovered', summary: `${job.applicationName} is RUNNING with downtime 0`, evidence };
  if (app.status === 'RUNNING' || STARTING.has(app.status)) {
    return {
      status: 'pending',
      summary: `${job.applicationName} is ${app.status}${downtime !== undefined ? ` (downtime ${downtime} ms)` : ', no downtime datapoint yet'}`,
      evidence,
    };
  }
  return { status: 'failed', summary: `${job.applicationName} is ${app.status}`, evidence };
}
