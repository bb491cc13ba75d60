import { LagTrend } from '../../analysis/lag-trend';
import type { Evidence } from '../../core/decision';
import type { FlinkPipeline } from '../../config/schema';
import type { PlaybookContext, VerifyOutcome } from '../types';
import { interpretSeries } from './diagnose';
import type { ConsumerLagSettings } from './manifest';
import { discoverTopicSeries, lagQueries, readSeries } from './metrics';
import { gridEndingAt, PERIOD_MS } from './window';

const ON_ITS_WAY = new Set(['STARTING', 'UPDATING', 'AUTOSCALING']);

/**
 * Recovered when the application is RUNNING and, over the minutes since the fix, the lag is
 * caught up, draining, or below the alarm threshold; pending while it starts or updates (the new
 * parallelism restarts it) or the lag has not turned yet; failed when it stopped (READY).
 */
export async function verifyFlinkConsumerLag(ctx: PlaybookContext<ConsumerLagSettings, FlinkPipeline>, incident: { startedAtMs: number; fixedAtMs?: number }): Promise<VerifyOutcome> {
  const { pipeline, settings } = ctx;
  const job = pipeline.job;
  const b = settings.bounds;
  const fixedAtMs = incident.fixedAtMs ?? incident.startedAtMs;
  const nowMs = ctx.clock.now();
  const minutes = Math.max(1, Math.min(b.windowMinutes, Math.floor((nowMs - fixedAtMs) / PERIOD_MS)));
  const grid = gridEndingAt(nowMs, minutes);
  const src = pipeline.source;
  const [app, found] = await Promise.all([
    ctx.aws.flink.describeApplication(job.applicationName),
    src.kind === 'msk' ? discoverTopicSeries(ctx.aws.cloudwatch, src, b) : Promise.resolve(undefined),
  ]);
  const appEvidence: Evidence = { applicationStatus: app.status, applicationVersionId: app.versionId, parallelism: app.parallelism.parallelism ?? null };
  if (ON_ITS_WAY.has(app.status)) return { status: 'pending', summary: `${job.applicationName} is ${app.status}`, evidence: appEvidence };
  if (app.status !== 'RUNNING') return { status: 'failed', summary: `${job.applicationName} is ${app.status}`, evidence: appEvidence };
  const series = await readSeries(ctx.aws.cloudwatch, lagQueries(pipeline, found), grid.startMs, grid.startMs + grid.width * PERIOD_MS);
  const { lag } = interpretSeries(ctx, series, found, grid, nowMs);
  const ms = lag.unit === 'milliseconds';
  const watched = ms || b.lagMetric === 'MaxOffsetLag' ? lag.maxLag : lag.totalLag;
  const threshold = ms ? b.iteratorAgeAlarmSeconds * 1000 : b.lagAlarmRecords;
  const evidence: Evidence = { ...appEvidence, lagTrend: lag.trend, minutesSinceFix: minutes, [ms ? 'iteratorAgeMs' : 'lagRecords']: watched, [ms ? 'alarmThresholdMs' : 'alarmThresholdRecords']: threshold };
  if (lag.trend === LagTrend.CaughtUp || lag.trend === LagTrend.CatchingUp) return { status: 'recovered', summary: `${job.applicationName} is RUNNING and the lag is ${lag.trend}`, evidence };
  if (watched !== null && watched <= threshold) return { status: 'recovered', summary: `${job.applicationName} is RUNNING and the lag (${watched}) is below the alarm threshold (${threshold})`, evidence };
  return { status: 'pending', summary: `${job.applicationName} is RUNNING but the lag is ${lag.trend} since the fix`, evidence };
}
