import { mulberry32 } from '../drills/proof/rng';
import type { Trigger } from '../lambdas/core/trigger';
/**
 * Consumer-lag figures: Burrow classification speed (10,000 partitions × 15-sample windows) and
 * the sequential AWS round trips from a lag alarm to the first corrective call.
 *
 *   npx tsx bench/lag.ts          prints JSON
 *   import { benchLag } from './bench/lag'   for a wider bench run
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { AwsAdapters } from '../lambdas/adapters';
import type { MetricQuery } from '../lambdas/adapters/cloudwatch';
import type { JobRunView } from '../lambdas/adapters/emr-serverless';
import { evaluateMatrix, Status, type LagRules } from '../lambdas/analysis/lag';
import { readTrend } from '../lambdas/analysis/lag-trend';
import { findSkew } from '../lambdas/analysis/skew';
import { parseConfig } from '../lambdas/schema';
import { ManualClock } from '../lambdas/core/clock';
import type { PlannedAction } from '../lambdas/core/decision';
import { consumerLagPlaybook } from '../lambdas/playbooks/consumer-lag';
import type { ConsumerLagSettings } from '../lambdas/playbooks/consumer-lag/manifest';
import { readLagWindow } from '../lambdas/playbooks/consumer-lag/window';
import type { ActionDefinition, PlaybookContext } from '../lambdas/core/playbook';
import exampleConfig from '../streamfix.config';

const PARTITIONS = 10_000;
const WIDTH = 15;
const MIN = 60_000;
const T0 = Date.parse('2026-11-22T10:00:30Z');
const RULES: LagRules = { intervals: WIDTH, minCompleteness: 0.6, allowedLag: 0, offsetTolerance: 0 };

/**
 * A group of `width` one-minute slots where partitions catch up (60%), fall behind (20%),
 * stall (10%), stop (5%: no samples in the newest third) and rewind (5%).
 */
function group(width: number): { ts: Float64Array; lags: Float64Array; offsets: Float64Array; ids: string[]; startMs: number } {
  const r = mulberry32(42);
  const startMs = Math.floor(T0 / MIN) * MIN - width * MIN;
  const ts = Float64Array.from({ length: width }, (_, i) => startMs + i * MIN);
  const lags = new Float64Array(PARTITIONS * width);
  const offsets = new Float64Array(PARTITIONS * width);
  for (let p = 0; p < PARTITIONS; p++) {
    const kind = r();
    let lag = 1_000 + Math.floor(r() * 50_000);
    let off = Math.floor(r() * 1e9);
    for (let i = 0; i < width; i++) {
      const k = p * width + i;
      const produced = 500 + Math.floor(r() * 500);
      const consumed = kind < 0.6 ? produced + 200 : kind < 0.8 ? produced - 100 : kind < 0.9 ? 0 : produced;
      off += consumed;
      lag = Math.max(1, lag + produced - consumed);
      lags[k] = kind >= 0.9 && kind < 0.95 && i >= (2 * width) / 3 ? NaN : lag;
      offsets[k] = kind >= 0.95 && i >= width - 3 ? off - 100_000 : off;
    }
  }
  return { ts, lags, offsets, ids: Array.from({ length: PARTITIONS }, (_, i) => String(i)), startMs };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function time(runs: number, f: () => void): { p50: number; p99: number; max: number } {
  for (let i = 0; i < 20; i++) f();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  return { p50: percentile(out, 0.5), p99: percentile(out, 0.99), max: out[out.length - 1]! };
}

const round = (v: number) => Number(v.toFixed(3));

/** Classification alone, and the diagnosis path that lays 10,000 CloudWatch series on the grid first. */
function classification(): Record<string, number> {
  const g = group(WIDTH);
  const nowMs = T0;
  const m = { timestampsMs: g.ts, partitions: g.ids, lags: g.lags, offsets: g.offsets };
  const classify = time(200, () => {
    const e = evaluateMatrix(m, nowMs, RULES);
    findSkew(g.ids, e.currentLags, e.statuses);
    readTrend({ timestampsMs: g.ts, lags: g.lags.subarray(0, WIDTH) }, e.worst, true, RULES);
  });
  // The diagnosis path: 10,000 CloudWatch series of a 45-minute lookback laid on the grid, each
  // partition judged on its newest 15 samples.
  const l = group(3 * WIDTH);
  const series = l.ids.map((_, p) => {
    const timestampsMs: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < 3 * WIDTH; i++) {
      const v = l.lags[p * 3 * WIDTH + i]!;
      if (v === v) {
        timestampsMs.push(l.ts[i]!);
        values.push(v);
      }
    }
    return { timestampsMs, values };
  });
  const fromSeries = time(50, () => {
    readLagWindow({
      grid: { startMs: l.startMs, width: 3 * WIDTH },
      nowMs,
      unit: 'records',
      partitions: { ids: l.ids, series, truncated: false },
      rules: RULES,
      skew: { lagShare: 0.8, maxHotPartitions: 3 },
    });
  });
  const e = evaluateMatrix({ timestampsMs: l.ts, partitions: l.ids, lags: l.lags, offsets: l.offsets }, nowMs, RULES);
  return {
    partitions: PARTITIONS,
    windowSamples: WIDTH,
    classifyP50Ms: round(classify.p50),
    classifyP99Ms: round(classify.p99),
    classifyMaxMs: round(classify.max),
    lookbackSamples: 3 * WIDTH,
    fromCloudWatchSeriesP50Ms: round(fromSeries.p50),
    fromCloudWatchSeriesP99Ms: round(fromSeries.p99),
    partitionsOk: e.counts[Status.OK],
    partitionsWarn: e.counts[Status.WARN],
    partitionsStall: e.counts[Status.STALL],
    partitionsStop: e.counts[Status.STOP],
    partitionsRewind: e.counts[Status.REWIND],
  };
}

// ------------------------------------------------------------------ round trips

class Corrective extends Error {}

/**
 * Fake adapters that record, for every call, its round-trip depth: one more than the deepest
 * call that had completed when it started. Parallel calls started together share a depth.
 */
function trackedWorld(jobRunning: boolean) {
  let settled = 0;
  const calls: { op: string; depth: number }[] = [];
  const track =
    <A extends unknown[], R>(op: string, f: (...a: A) => R | Promise<R>) =>
    async (...a: A): Promise<R> => {
      const depth = settled + 1;
      calls.push({ op, depth });
      if (/^(CancelJobRun|StartJobRun)$/.test(op)) throw new Corrective(op);
      await new Promise((resolve) => setImmediate(resolve));
      const out = await f(...a);
      settled = Math.max(settled, depth);
      return out;
    };
  const series = (q: MetricQuery) => {
    const n = q.id.startsWith('p') ? 12 : 1;
    const base = q.id === 'processed' ? 75_000 : q.id.startsWith('in') ? 2_000 / 3 : q.id.startsWith('sink') ? 0 : 1_000 * n;
    return {
      timestampsMs: Array.from({ length: WIDTH }, (_, i) => T0 - (WIDTH - i) * MIN),
      values: Array.from({ length: WIDTH }, (_, i) => (q.id.startsWith('p') || q.id.startsWith('lag') ? base + 3_750 * i : base)),
    };
  };
  const running: JobRunView = {
    applicationId: '00fabcd1234efg5h',
    jobRunId: '00run',
    name: 'orders-stream',
    state: jobRunning ? 'RUNNING' : 'FAILED',
    stateDetails: 'ExecutorLostFailure',
    mode: 'STREAMING',
    createdAtMs: T0 - 3_600_000,
    updatedAtMs: T0 - 120_000,
    executionRoleArn: 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole',
    jobDriver: {
      sparkSubmit: {
        entryPoint: 's3://b/j.py',
        sparkSubmitParameters: '--conf spark.dynamicAllocation.enabled=false --conf spark.executor.instances=4 --conf spark.executor.cores=1',
      },
    },
  };
  const summary = { ...running, jobRunId: '00run' };
  const aws = {
    cloudwatch: {
      listMetrics: track('ListMetrics', (_ns: string, name: string) =>
        name === 'OffsetLag'
          ? Array.from({ length: 12 }, (_, p) => ({
              namespace: 'AWS/Kafka',
              metricName: name,
              dimensions: { 'Cluster Name': 'order-processing', 'Consumer Group': 'order-processor', Topic: 'orders.raw', Partition: String(p) },
            }))
          : [],
      ),
      getMetricData: track('GetMetricData', (qs: MetricQuery[]) => Object.fromEntries(qs.map((q) => [q.id, series(q)]))),
    },
    emr: {
      listJobRuns: track('ListJobRuns', (_app: string, o: { states?: string[] }) => (o.states?.includes('RUNNING') === jobRunning ? [summary] : [])),
      getJobRun: track('GetJobRun', () => running),
      cancelJobRun: track('CancelJobRun', () => undefined),
      startJobRun: track('StartJobRun', () => ({ jobRunId: 'x' })),
    },
    s3: {
      headObject: track('HeadObject', () => ({ key: 'metadata', size: 45, lastModifiedMs: T0 - 120_000 })),
      listPrefix: async function* listPrefix() {
        await track('ListObjectsV2', () => undefined)();
        yield { key: 'commits/9', size: 29, lastModifiedMs: T0 - 60_000 };
      },
    },
  } as unknown as AwsAdapters;
  return { aws, calls, history: track('ledger:Query', () => 0) };
}

async function roundTrips(jobRunning: boolean): Promise<{ depth: number; path: string }> {
  const config = parseConfig(exampleConfig);
  const pipeline = config.pipelines.orders!;
  const settings = pipeline.playbooks['consumer-lag'] as ConsumerLagSettings;
  const w = trackedWorld(jobRunning);
  const ctx: PlaybookContext<ConsumerLagSettings> = {
    pipelineName: 'orders',
    pipeline,
    settings,
    config,
    clock: new ManualClock(T0),
    aws: w.aws,
    incidentId: 'orders.consumer-lag.bench',
    signal: new AbortController().signal,
    history: { actionsInLastHour: w.history },
  };
  const trigger: Trigger = {
    kind: 'alarm',
    eventId: 'e',
    dedupeKey: 'd',
    alarmName: 'a',
    state: 'ALARM',
    stateAtMs: T0,
    reason: '',
    composite: false,
    triggeringAlarms: [],
    metrics: [],
  };
  const evidence = await consumerLagPlaybook.diagnose(ctx, trigger);
  const d = consumerLagPlaybook.plan({ pipelineName: 'orders', pipeline, settings, trigger, evidence, nowMs: T0, incidentId: ctx.incidentId });
  if (d.kind !== 'fix') throw new Error(`bench world did not lead to a fix: ${d.kind} ${d.reason}`);
  const a: PlannedAction = d.actions[0]!;
  const def = consumerLagPlaybook.actions.find((x) => x.type === a.type) as ActionDefinition<unknown, ConsumerLagSettings>;
  await def.execute(def.params.parse(a.params), { ...ctx, actionId: 'a0' }).catch((e: unknown) => {
    if (!(e instanceof Corrective)) throw e;
  });
  const first = w.calls.find((c) => /^(CancelJobRun|StartJobRun)$/.test(c.op))!;
  const byDepth = new Map<number, Set<string>>();
  for (const c of w.calls.filter((x) => x.depth <= first.depth)) byDepth.set(c.depth, (byDepth.get(c.depth) ?? new Set()).add(c.op));
  return {
    depth: first.depth,
    path: [...byDepth.entries()]
      .sort(([x], [y]) => x - y)
      .map(([, ops]) => [...ops].join(' ∥ '))
      .join('  →  '),
  };
}

export async function benchLag(): Promise<Record<string, number>> {
  const scale = await roundTrips(true);
  const restart = await roundTrips(false);
  benchLag.paths = { scaleOrHungRestart: scale.path, jobNotRunning: restart.path };
  return {
    ...classification(),
    roundTripsToCancelJobRun: scale.depth,
    roundTripsToStartJobRun: restart.depth,
  };
}
/** The calls on the critical path of the last run, round trip by round trip. */
benchLag.paths = {} as Record<string, string>;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchLag();
  console.log(JSON.stringify({ ...figures, criticalPaths: benchLag.paths }, null, 2));
}
