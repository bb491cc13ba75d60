/**
 * Alarm storm: 10,000 CloudWatch alarm state changes for 100 pipelines, each delivered three
 * times (EventBridge delivers at least once), through the real playbook handlers with up to
 * `concurrency` invocations in flight, the ledger on dynalite (then in memory, so its cost
 * shows) and every other service simulated.
 *
 *   npx tsx bench/storm.ts                  prints JSON
 *   BENCH_STORM_CONCURRENCY=1000 npx tsx bench/storm.ts
 *   import { benchStorm } from './bench/storm'   for a wider bench run
 *
 * The platform: the example pipeline of streamfix.config.ts replicated 100 times
 * (orders-000 … orders-099), each reading a 12-partition MSK topic at 1,500 records/s.
 *   - 30 pipelines' jobs crashed 3 minutes before the storm (transient, exit code 137): their
 *     job-failed and consumer-lag alarms flap (ALARM ↔ OK); one restart each is right;
 *   - 20 pipelines' runs hang (RUNNING, reading nothing) for 13 minutes: their consumer-lag
 *     alarms flap; one cancel and one restart each is right;
 *   - 20 pipelines catch up on an old backlog (lag shrinking): consumer-lag alarms flap; the
 *     right answer is to look again later, never to act;
 *   - 30 pipelines are healthy with noisy alarms (OK ↔ INSUFFICIENT_DATA, a lag alarm that
 *     flaps while the group is caught up): nothing to do.
 * Each pipeline gets 100 state changes (25 or 50 per alarm, one a minute, the newest just
 * before the storm): the backlog a throttled function receives at once when EventBridge
 * retries. Deliveries go out in time order; the two extra copies of each event follow within
 * a window of 3 × concurrency deliveries, so most duplicates run concurrently with their
 * original and some after it finished.
 *
 * Duplicate actions are counted from what the simulated platform recorded: a StartJobRun for
 * an incident that already started a run (by its streamfix:incident tag), a second
 * CancelJobRun of the same run, a job started more than once, and the referee's violations
 * (two runs of one job active, a start while a run is active).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { StreamfixConfig } from '../lambdas/config';
import { buildWiring, type WiredAlarm } from '../lambdas/wiring';
import { mulberry32 } from '../drills/proof/rng';
import { scenarioSchema, type Scenario } from '../drills/scenario/schema';
import exampleConfig from '../streamfix.config';
import { EngineHarness, type DeliveryRequest, type InvocationOutcome } from './engine-harness';
import { alarmStateChange } from './harness/alarm-event';
import { histogram, percentile, round3 } from './harness/figures';
import { BENCH_ACCOUNT, BENCH_REGION, buildBenchWorld, pipelineName, replicateConfig, type BenchWorld } from './harness/world';
import { MemorySampler, toMiB } from './memory-sampler';

const MIN = 60_000;
const START = '2026-01-01T00:00:00Z';
/** The storm arrives 15 min 5 s into the world's life (not on a minute boundary). */
const STORM_AT_MS = 15 * MIN + 5_000;
const TRANSIENT_FAILURE =
  'Job failed, please check complete logs in configured logging destination. ExitCode: 137. Last few exceptions: ' +
  'org.apache.spark.SparkException: Job aborted due to stage failure: ExecutorLostFailure (executor 7 exited caused by one of the running tasks) ' +
  'Reason: Container from a bad node exited with code 137';

type Group = 'crashed' | 'hung' | 'catching-up' | 'healthy';
type State = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export function groupOf(k: number): Group {
  const d = k % 10;
  return d < 3 ? 'crashed' : d < 5 ? 'hung' : d < 7 ? 'catching-up' : 'healthy';
}

export interface StormOptions {
  pipelines?: number;
  eventsPerPipeline?: number;
  copies?: number;
  concurrency?: number;
  /** Where the ledger lives, one run each (default: dynalite, then memory). */
  ledgers?: ('dynalite' | 'memory')[];
  seed?: number;
}

export interface StormRun {
  ledger: 'dynalite' | 'memory';
  concurrency: number;
  events: number;
  deliveries: number;
  invocations: number;
  invocationErrors: number;
  /** Deliveries whose three attempts all failed (the event would be left to the dead-letter queue). */
  deliveriesFailed: number;
  wallSeconds: number;
  cpuSeconds: number;
  eventsPerSecond: number;
  invocationsPerSecond: number;
  invocationLatencyMs: { p50: number; p99: number; max: number };
  outcomes: Record<string, number>;
  /** Where the failed invocations failed (the engine's frames), with counts. */
  errorSites: Record<string, number>;
  decisions: Record<string, number>;
  correctiveCalls: Record<string, number>;
  correctiveActions: number;
  expectedCorrectiveActions: number;
  fixIncidents: number;
  duplicateActions: number;
  duplicates: { sameIncidentStarts: number; repeatedCancels: number; jobsStartedTwice: number; refereeViolations: number };
  pages: { pagerDutyIncidents: number; pagerDutyTriggers: number; snsPublishes: number };
  ledgerOps: number;
  ledgerOpsByType: Record<string, number>;
  ledgerConditionFailures: number;
  awsCallsBySimulatedService: number;
  logLines: number;
  simulatedSecondsElapsed: number;
  /** Lambda containers built during the storm (one per concurrent invocation of a function), and their build time. */
  containers: number;
  containerBuildSeconds: number;
  peakRssMiB: number;
  /** RSS when the storm began (the process keeps memory an earlier run grew it to). */
  rssAtStartMiB: number;
  setupSeconds: number;
}

export interface StormResult {
  /** 1-minute load average before and after: above the core count, wall times include waiting for a CPU. */
  loadAverage: [number, number];
  cores: number;
  pipelines: number;
  events: number;
  copies: number;
  concurrency: number;
  goalWallSeconds: number;
  dynalite?: StormRun;
  memory?: StormRun;
}

// ------------------------------------------------------------------ the platform

function stormConfig(pipelines: number): StreamfixConfig {
  return replicateConfig(exampleConfig, pipelines);
}

function stormScenario(config: StreamfixConfig, pipelines: number): Scenario {
  const names = Array.from({ length: pipelines }, (_, k) => pipelineName(k));
  const timeline: unknown[] = [];
  names.forEach((pipeline, k) => {
    const g = groupOf(k);
    if (g === 'crashed') timeline.push({ at: `${(STORM_AT_MS - 3 * MIN) / 1000}s`, 'fail-job-run': { pipeline, stateDetails: TRANSIENT_FAILURE } });
    if (g === 'hung') timeline.push({ at: `${(STORM_AT_MS - 13 * MIN) / 1000}s`, 'stall-consumer': { pipeline } });
  });
  return scenarioSchema.parse({
    version: 1,
    name: 'alarm-storm',
    description: 'alarm storm bench platform',
    // The world is built with `config` itself; the scenario format only needs a placeholder.
    config: { name: config.name },
    start: START,
    world: {
      secrets: { 'streamfix/pagerduty-routing-key': '{"routingKey":"R0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"}' },
      msk: {
        topics: names.map((pipeline, k) => ({
          pipeline,
          partitions: 12,
          recordsPerSecond: 1_500,
          recordsPerSecondPerCore: 500,
          lagRecords: groupOf(k) === 'catching-up' ? 600_000 : 0,
        })),
      },
    },
    timeline,
    runFor: '1h',
    expect: {},
  });
}

// ------------------------------------------------------------------ the storm

export interface StormEvent {
  playbook: string;
  atMs: number;
  event: Record<string, unknown>;
}

const PLAN: Record<Group, { signal: string; states: [State, State] }[]> = {
  crashed: [
    { signal: 'job-failed-failed-runs', states: ['ALARM', 'OK'] },
    { signal: 'job-failed-not-running', states: ['ALARM', 'OK'] },
    { signal: 'consumer-lag-offset-lag', states: ['ALARM', 'OK'] },
    { signal: 'consumer-lag-time-lag', states: ['ALARM', 'OK'] },
  ],
  hung: [
    { signal: 'consumer-lag-offset-lag', states: ['ALARM', 'OK'] },
    { signal: 'consumer-lag-time-lag', states: ['ALARM', 'OK'] },
  ],
  'catching-up': [
    { signal: 'consumer-lag-offset-lag', states: ['ALARM', 'OK'] },
    { signal: 'consumer-lag-time-lag', states: ['ALARM', 'OK'] },
  ],
  healthy: [
    { signal: 'job-failed-failed-runs', states: ['INSUFFICIENT_DATA', 'OK'] },
    { signal: 'job-failed-not-running', states: ['INSUFFICIENT_DATA', 'OK'] },
    { signal: 'consumer-lag-offset-lag', states: ['ALARM', 'OK'] },
    { signal: 'consumer-lag-time-lag', states: ['INSUFFICIENT_DATA', 'OK'] },
  ],
};

/** `perPipeline` state changes per pipeline, spread evenly over the alarms its group flaps. */
function stormEvents(config: StreamfixConfig, bench: BenchWorld, perPipeline: number, random: () => number): StormEvent[] {
  const alarms = new Map<string, WiredAlarm>();
  for (const w of buildWiring(config, { account: BENCH_ACCOUNT, region: BENCH_REGION, partition: 'aws' })) for (const a of w.alarms) alarms.set(a.name, a);
  const stormAt = bench.startMs + STORM_AT_MS;
  const out: StormEvent[] = [];
  Object.keys(config.pipelines).forEach((pipeline, k) => {
    const plan = PLAN[groupOf(k)];
    plan.forEach((p, j) => {
      const n = Math.floor(perPipeline / plan.length) + (j < perPipeline % plan.length ? 1 : 0);
      const a = alarms.get(`${config.name}-${pipeline}-${p.signal}`);
      if (!a) throw new Error(`no alarm ${config.name}-${pipeline}-${p.signal}`);
      for (let m = 0; m < n; m++) {
        const atMs = stormAt - (n - m) * MIN + j * 1_000 - 5_000;
        const state = p.states[m % 2]!;
        const previous = p.states[(m + 1) % 2]!;
        out.push({
          playbook: a.playbook,
          atMs,
          event: alarmStateChange({
            id: bench.world.ids.uuid(),
            alarmName: a.name,
            description: a.spec.description,
            metric: a.spec.metric,
            threshold: a.spec.threshold,
            comparison: a.spec.comparison,
            state,
            previous,
            atMs,
            previousAtMs: atMs - MIN,
            metricId: `m${Math.floor(random() * 1e9).toString(36)}`,
          }),
        });
      }
    });
  });
  return out.sort((x, y) => x.atMs - y.atMs);
}

/** Every event `copies` times: the first copy in time order, the others within `window` deliveries after it. */
function deliveries(events: StormEvent[], copies: number, window: number, random: () => number): DeliveryRequest[] {
  const slots: { pos: number; d: DeliveryRequest }[] = [];
  events.forEach((e, j) => {
    for (let c = 0; c < copies; c++) slots.push({ pos: copies * j + (c === 0 ? 0 : random() * window), d: { playbook: e.playbook, event: e.event } });
  });
  return slots.sort((a, b) => a.pos - b.pos).map((s) => s.d);
}

// ------------------------------------------------------------------ one run

interface StartInput {
  tags?: Record<string, string>;
  applicationId?: string;
  jobRunId?: string;
}

function duplicatesIn(bench: BenchWorld) {
  const calls = bench.world.record.calls.filter((c) => !c.error);
  const starts = calls.filter((c) => c.operation === 'StartJobRun');
  const cancels = calls.filter((c) => c.operation === 'CancelJobRun');
  const extra = (keys: string[]) => {
    const m = histogram(keys, (k) => k);
    return Object.values(m).reduce((a, n) => a + Math.max(0, n - 1), 0);
  };
  const sameIncidentStarts = extra(starts.map((c) => (c.input as StartInput).tags?.['streamfix:incident'] ?? '(untagged)'));
  const repeatedCancels = extra(cancels.map((c) => `${(c.input as StartInput).applicationId}/${(c.input as StartInput).jobRunId}`));
  const jobsStartedTwice = extra(starts.map((c) => String((c.input as StartInput).applicationId)));
  return {
    starts: starts.length,
    cancels: cancels.length,
    sameIncidentStarts,
    repeatedCancels,
    jobsStartedTwice,
    refereeViolations: bench.world.record.violations.length,
  };
}

/** The platform, run up to the storm, and the storm's deliveries in order. */
export async function prepareStorm(
  o: Required<StormOptions>,
): Promise<{ config: StreamfixConfig; bench: BenchWorld; events: StormEvent[]; requests: DeliveryRequest[] }> {
  const config = stormConfig(o.pipelines);
  const bench = buildBenchWorld(stormScenario(config, o.pipelines), config);
  await bench.world.runUntil(bench.startMs + STORM_AT_MS);
  bench.stopCapture();
  bench.captured.length = 0;
  const random = mulberry32(o.seed);
  const events = stormEvents(config, bench, o.eventsPerPipeline, random);
  return { config, bench, events, requests: deliveries(events, o.copies, 3 * o.concurrency, random) };
}

async function runStorm(ledger: 'dynalite' | 'memory', o: Required<StormOptions>): Promise<StormRun> {
  const setup0 = performance.now();
  const { config, bench, events, requests } = await prepareStorm(o);
  const harness = await EngineHarness.create({ ledger, playbooks: ['job-failed', 'consumer-lag'], config });
  try {
    harness.use(bench);
    const callsBefore = bench.world.record.calls.length;
    const simBefore = bench.world.clock.now();
    const setupSeconds = (performance.now() - setup0) / 1000;
    if (global.gc) global.gc();
    const mem = new MemorySampler().start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const outcomes = await harness.deliver(requests, { concurrency: o.concurrency });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const peakRssMiB = toMiB(mem.stop().peakRss);

    const processed = outcomes.filter((x) => x.result?.outcome === 'processed');
    const fixIncidents = new Set(processed.filter((x) => x.result?.decision?.kind === 'fix').map((x) => x.result?.incidentId)).size;
    const dup = duplicatesIn(bench);
    const corrective = histogram(
      bench.world.record.calls.slice(callsBefore).filter((c) => !c.error && ['StartJobRun', 'CancelJobRun'].includes(c.operation)),
      (c) => c.operation,
    );
    const groups = Object.keys(config.pipelines).map((_, k) => groupOf(k));
    const expected = groups.filter((g) => g === 'crashed').length + 2 * groups.filter((g) => g === 'hung').length;
    const stats = harness.ledgerStats();
    const latencies = outcomes.map((x) => x.wallMs).sort((a, b) => a - b);
    const pd = [...bench.world.pagerDuty.incidents.values()];
    return {
      ledger,
      concurrency: o.concurrency,
      events: events.length,
      deliveries: requests.length,
      invocations: outcomes.length,
      invocationErrors: outcomes.filter((x) => x.error).length,
      deliveriesFailed: outcomes.filter((x) => x.error && x.attempt >= 3).length,
      wallSeconds: round3(wall),
      cpuSeconds: round3((cpu.user + cpu.system) / 1e6),
      eventsPerSecond: Math.round(events.length / wall),
      invocationsPerSecond: Math.round(outcomes.length / wall),
      invocationLatencyMs: {
        p50: round3(percentile(latencies, 0.5)),
        p99: round3(percentile(latencies, 0.99)),
        max: round3(latencies[latencies.length - 1] ?? NaN),
      },
      outcomes: histogram(outcomes, (x: InvocationOutcome) =>
        x.error ? `error ${x.error.name}: ${x.error.message.replace(/orders-\d{3}[^ ]*/g, '…')}` : String(x.result?.outcome),
      ),
      errorSites: Object.fromEntries(harness.errorSites),
      decisions: histogram(processed, (x) => `${x.playbook} ${x.result?.decision?.kind} ${x.result?.decision?.reason}`),
      correctiveCalls: corrective,
      correctiveActions: Object.values(corrective).reduce((a, b) => a + b, 0),
      expectedCorrectiveActions: expected,
      fixIncidents,
      duplicateActions: dup.sameIncidentStarts + dup.repeatedCancels + dup.jobsStartedTwice + dup.refereeViolations,
      duplicates: {
        sameIncidentStarts: dup.sameIncidentStarts,
        repeatedCancels: dup.repeatedCancels,
        jobsStartedTwice: dup.jobsStartedTwice,
        refereeViolations: dup.refereeViolations,
      },
      pages: {
        pagerDutyIncidents: pd.length,
        pagerDutyTriggers: pd.reduce((a, i) => a + i.triggers, 0),
        snsPublishes: harness.meter.counts['SNS:Publish'] ?? 0,
      },
      ledgerOps: Object.values(stats.ops).reduce((a, b) => a + b, 0),
      ledgerOpsByType: stats.ops,
      ledgerConditionFailures: stats.conditionFailures,
      awsCallsBySimulatedService: Object.entries(harness.meter.counts)
        .filter(([k]) => !k.startsWith('DynamoDB:'))
        .reduce((a, [, v]) => a + v, 0),
      logLines: harness.logLines,
      simulatedSecondsElapsed: (bench.world.clock.now() - simBefore) / 1000,
      containers: harness.containers.coldStarts,
      containerBuildSeconds: round3(harness.containers.coldStartMs / 1000),
      peakRssMiB,
      rssAtStartMiB: toMiB(mem.startRss),
      setupSeconds: round3(setupSeconds),
    };
  } finally {
    await harness.close();
  }
}

export function stormOptions(opts: StormOptions = {}): Required<StormOptions> {
  return {
    pipelines: opts.pipelines ?? 100,
    eventsPerPipeline: opts.eventsPerPipeline ?? 100,
    copies: opts.copies ?? 3,
    concurrency: opts.concurrency ?? Number(process.env.BENCH_STORM_CONCURRENCY ?? 500),
    ledgers: opts.ledgers ?? ['dynalite', 'memory'],
    seed: opts.seed ?? 7,
  };
}

export async function benchStorm(opts: StormOptions = {}): Promise<StormResult> {
  const o = stormOptions(opts);
  // A small storm first, so that both measured runs find the code compiled.
  await runStorm('memory', { ...o, pipelines: 10, eventsPerPipeline: 20 });
  const load0 = loadavg()[0]!;
  const result: StormResult = {
    loadAverage: [round3(load0), 0],
    cores: cpus().length,
    pipelines: o.pipelines,
    events: o.pipelines * o.eventsPerPipeline,
    copies: o.copies,
    concurrency: o.concurrency,
    goalWallSeconds: 2,
  };
  for (const ledger of o.ledgers) result[ledger] = await runStorm(ledger, o);
  result.loadAverage[1] = round3(loadavg()[0]!);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchStorm(), null, 2));
}
