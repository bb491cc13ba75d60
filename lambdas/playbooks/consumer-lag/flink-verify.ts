import type { Evidence } from '../../core/decision';
import type { FlinkPipeline } from '../../config/schema';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import type { ConsumerLagSettings } from './manifest';
import { discoverTopicSeries } from './metrics';
import { lagSinceFix, sinceFix } from './verify';

const ON_ITS_WAY = new Set(['STARTING', 'UPDATING', 'AUTOSCALING']);

/**
 * Recovered when the application is RUNNING and, over the minutes since the fix, the lag is
 * caught up, draining, or below the alarm threshold; pending while it starts or updates (the new
 * parallelism restarts it) or the lag has not turned yet; failed when it stopped (READY).
 */
export async function verifyFlinkConsumerLag(
  ctx: PlaybookContext<ConsumerLagSettings, FlinkPipeline>,
  incident: { startedAtMs: number; fixedAtMs?: number },
): Promise<VerifyOutcome> {
  const { pipeline, settings } = ctx;
  const job = pipeline.job;
  const w = sinceFix(ctx, incident);
  const src = pipeline.source;
  const [app, found] = await Promise.all([
    ctx.aws.flink.describeApplication(job.applicationName),
    src.kind === 'msk' ? discoverTopicSeries(ctx.aws.cloudwatch, src, settings.bounds) : Promise.resolve(undefined),
  ]);
  const appEvidence: Evidence = { applicationStatus: app.status, applicationVersionId: app.versionId, parallelism: app.parallelism.parallelism ?? null };
  if (ON_ITS_WAY.has(app.status)) return { status: 'pending', summary: `${job.applicationName} is ${app.status}`, evidence: appEvidence };
  if (app.status !== 'RUNNING') return { status: 'failed', summary: `${job.applicationName} is ${app.status}`, evidence: appEvidence };
  const { lag, ms, watched, threshold, recovered } = await lagSinceFix(ctx, found, w);
  const evidence: Evidence = {
    ...appEvidence,
    lagTrend: lag.trend,
    minutesSinceFix: w.minutes,
    [ms ? 'iteratorAgeMs' : 'lagRecords']: watched,
    [ms ? 'alarmThresholdMs' : 'alarmThresholdRecords']: threshold,
  };
  if (recovered) return { status: 'recovered', summary: `${job.applicationName} is RUNNING and ${recovered}`, evidence };
  return { status: 'pending', summary: `${job.applicationName} is RUNNING but the lag is ${lag.trend} since the fix`, evidence };
}
