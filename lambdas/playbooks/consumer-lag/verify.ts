import { LagTrend } from '../../analysis/lag-trend';
import type { Evidence } from '../../core/decision';
import type { EmrPipeline } from '../../config/schema';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import { interpretSeries } from './diagnose';
import type { ConsumerLagSettings } from './manifest';
import { discoverTopicSeries, lagQueries, readSeries } from './metrics';
import { gridEndingAt, PERIOD_MS } from './window';

const STARTING = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'QUEUED'];

/**
 * Recovered when the run started by the fix is RUNNING and, over the minutes since the fix,
 * the lag is caught up, draining, or below the alarm threshold. A replacement run that ended
 * (or none at all) fails at once; anything else stays pending, and the engine fails it at
 * `verifyDeadlineSeconds` (then the breaker stops further restarts and scaling).
 */
/** The minutes since the fix (at least 1, at most one window), as the grid the lag is read on. */
export function sinceFix(ctx: PlaybookContext<ConsumerLagSettings>, incident: { startedAtMs: number; fixedAtMs?: number }) {
  const fixedAtMs = incident.fixedAtMs ?? incident.startedAtMs;
  const nowMs = ctx.clock.now();
  const minutes = Math.max(1, Math.min(ctx.settings.bounds.windowMinutes, Math.floor((nowMs - fixedAtMs) / PERIOD_MS)));
  return { fixedAtMs, nowMs, minutes, grid: gridEndingAt(nowMs, minutes) };
}

/**
 * The lag since the fix, the value the alarm watches and its threshold, and why it counts as
 * recovered (caught up, draining, or at or below the threshold), or undefined.
 */
export async function lagSinceFix(
  ctx: PlaybookContext<ConsumerLagSettings>,
  found: Awaited<ReturnType<typeof discoverTopicSeries>> | undefined,
  w: ReturnType<typeof sinceFix>,
) {
  const b = ctx.settings.bounds;
  const series = await readSeries(ctx.aws.cloudwatch, lagQueries(ctx.pipeline, found), w.grid.startMs, w.grid.startMs + w.grid.width * PERIOD_MS);
  const { lag } = interpretSeries(ctx, series, found, w.grid, w.nowMs);
  const ms = lag.unit === 'milliseconds';
  const watched = ms || b.lagMetric === 'MaxOffsetLag' ? lag.maxLag : lag.totalLag;
  const threshold = ms ? b.iteratorAgeAlarmSeconds * 1000 : b.lagAlarmRecords;
  const recovered =
    lag.trend === LagTrend.CaughtUp || lag.trend === LagTrend.CatchingUp
      ? `the lag is ${lag.trend}`
      : watched !== null && watched <= threshold
        ? `the lag (${watched}) is below the alarm threshold (${threshold})`
        : undefined;
  return { lag, ms, watched, threshold, recovered };
}

export async function verifyConsumerLag(
  ctx: PlaybookContext<ConsumerLagSettings, EmrPipeline>,
  incident: { startedAtMs: number; fixedAtMs?: number },
): Promise<VerifyOutcome> {
  const { pipeline, settings } = ctx;
  const job = pipeline.job;
  const b = settings.bounds;
  const w = sinceFix(ctx, incident);
  const { fixedAtMs, minutes } = w;
  const src = pipeline.source;
  const [runs, found] = await Promise.all([
    ctx.aws.emr.listJobRuns(job.applicationId, { createdAfterMs: fixedAtMs - PERIOD_MS, maxItems: 50 }),
    src.kind === 'msk' ? discoverTopicSeries(ctx.aws.cloudwatch, src, b) : Promise.resolve(undefined),
  ]);
  const r = runs.filter((x) => x.name === job.jobName).sort((x, y) => y.createdAtMs - x.createdAtMs)[0];
  if (!r) return { status: 'failed', summary: `no run of ${job.jobName} was created after the fix`, evidence: { runsSinceFix: 0 } };
  const runEvidence: Evidence = { jobRunId: r.jobRunId, jobRunState: r.state };
  if (STARTING.includes(r.state)) return { status: 'pending', summary: `run ${r.jobRunId} is ${r.state}`, evidence: runEvidence };
  if (r.state !== 'RUNNING') {
    return { status: 'failed', summary: `run ${r.jobRunId} is ${r.state}${r.stateDetails ? `: ${r.stateDetails}` : ''}`, evidence: runEvidence };
  }
  const { lag, ms: kinesis, watched, threshold, recovered } = await lagSinceFix(ctx, found, w);
  const evidence: Evidence = {
    ...runEvidence,
    lagTrend: lag.trend,
    lagStatus: lag.status,
    minutesSinceFix: minutes,
    [kinesis ? 'iteratorAgeMs' : b.lagMetric === 'MaxOffsetLag' ? 'maxLagRecords' : 'totalLagRecords']: watched,
    [kinesis ? 'alarmThresholdMs' : 'alarmThresholdRecords']: threshold,
    drainSeconds: lag.drainSeconds,
  };
  if (recovered) return { status: 'recovered', summary: `run ${r.jobRunId} is RUNNING and ${recovered}`, evidence };
  return { status: 'pending', summary: `run ${r.jobRunId} is RUNNING but the lag is ${lag.trend} since the fix`, evidence };
}
