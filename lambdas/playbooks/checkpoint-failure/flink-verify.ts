import { counterIncrease } from '../../analysis/flink-metrics';
import type { FlinkPipeline } from '../../config/schema';
import { readFlinkMetrics } from '../../runtimes/managed-flink/read';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import type { CheckpointFailureSettings } from './manifest';

/** Recovered when the application is RUNNING and no checkpoint failed in the last 5 minutes. */
export async function verifyFlinkCheckpointFailure(ctx: PlaybookContext<CheckpointFailureSettings, FlinkPipeline>): Promise<VerifyOutcome> {
  const job = ctx.pipeline.job;
  const now = ctx.clock.now();
  const [app, m] = await Promise.all([
    ctx.aws.flink.describeApplication(job.applicationName),
    readFlinkMetrics(ctx.aws.cloudwatch, job, [{ name: 'numberOfFailedCheckpoints', stat: 'Maximum' }], now - 5 * 60_000, now),
  ]);
  const failed = counterIncrease(m.numberOfFailedCheckpoints ?? []);
  const evidence = { applicationStatus: app.status, failedCheckpointsLast5Minutes: failed };
  if (app.status !== 'RUNNING') return { status: 'failed', summary: `${job.applicationName} is ${app.status}`, evidence };
  if (failed === 0) return { status: 'recovered', summary: `${job.applicationName} completes its checkpoints`, evidence };
  return { status: 'pending', summary: `${failed} checkpoint(s) of ${job.applicationName} failed in the last 5 minutes`, evidence };
}
