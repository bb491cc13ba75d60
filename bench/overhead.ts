/**
 * The engine's own time per alarm, every I/O answered at once in memory, and the sequential
 * AWS round trips from the event to the first corrective call (or, for a playbook that only
 * escalates, to the escalation).
 *
 *   npx tsx bench/overhead.ts          prints JSON
 *   import { benchOverhead } from './bench/overhead'   for a wider bench run
 *
 * Per playbook, a built-in drill scenario where that playbook acts is replicated 100 times
 * (pipelines orders-000 … orders-099) and its world run until each pipeline's trigger fires:
 * the alarm that drill answers (checkpoint-failure: the job run's FAILED event, which comes
 * first). The trigger events are the simulated CloudWatch's and EMR Serverless's own. Each is
 * then delivered, one invocation at a time, to the real handler (createPlaybookHandler) with
 * the ledger in memory and the simulated platform answering without latency. Round 0 warms
 * the code up and counts round trips; rounds 1…N (fresh worlds and an empty ledger, the same
 * handler, as a warm Lambda environment) are timed.
 *
 * Per invocation: `wall` is the handler's time end to end in this process; `engine` is that
 * minus the time inside the simulated services' answers, the in-memory table's answers and
 * waits on the simulated clock (a cancelled run's end); `engineWithoutGc` leaves out the
 * garbage-collection pauses, which the simulated world's large heap lengthens beyond what a
 * container's would be; `engineCpu` is the process's CPU time during the invocation minus
 * those answers: other processes on a shared machine do not inflate it (compare `loadAverage`
 * with `cores`), the garbage collector's helper threads do. What `engine` keeps: parsing, routing,
 * diagnosis and planning code, guardrails, ledger bookkeeping, the adapters and the AWS SDK's
 * own per-call work, logging and metrics.
 *
 * Round trips: every call (SDK and PagerDuty) answers after one macrotask; a call's depth is
 * one more than the deepest call already answered when it started, so calls started together
 * share a depth. `all` counts every call, the ledger's DynamoDB calls included; `platform`
 * leaves the ledger out (what the playbook itself waits for).
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { BUILTIN_SCENARIOS_DIR } from '../drills/cli';
import { loadScenario } from '../drills/scenario/load';
import { EngineHarness, type InvocationOutcome } from './engine-harness';
import { histogram, percentile, round3 } from './harness/figures';
import { CORRECTIVE, ESCALATING } from './harness/meter';
import { buildBenchWorld, replicateConfig, replicateScenario, type CapturedEvent } from './harness/world';

const MIN = 60_000;

interface Target {
  playbook: string;
  scenario: string;
  /** Which of the pipeline's events is the trigger: its first ALARM, or its first event of any kind. */
  trigger: 'alarm' | 'first';
}

export const TARGETS: Target[] = [
  { playbook: 'job-failed', scenario: 'job-crashed.yaml', trigger: 'alarm' },
  { playbook: 'consumer-lag', scenario: 'lag-traffic-spike.yaml', trigger: 'alarm' },
  { playbook: 'dlq-spike', scenario: 'dlq-enrichment-timeouts.yaml', trigger: 'alarm' },
  { playbook: 'firehose-delivery', scenario: 'firehose-buffer-too-small.yaml', trigger: 'alarm' },
  { playbook: 'checkpoint-failure', scenario: 'checkpoint-corrupt-last-batch.yaml', trigger: 'first' },
];

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export interface PlaybookOverhead {
  playbook: string;
  scenario: string;
  trigger: string;
  invocations: number;
  decisions: Record<string, number>;
  wallMs: Spread;
  engineMs: Spread;
  /** The same from this process's CPU time (helper threads included): what other processes on the machine do not inflate. */
  engineCpuMs: Spread;
  /** `engine` without garbage-collection pauses (which the simulated world's large heap lengthens). */
  engineMsWithoutGc: Spread;
  /** Share of the engine's time spent in garbage-collection pauses. */
  gcShare: number;
  /** Mean per invocation. */
  awsCalls: number;
  ledgerCalls: number;
  /** Building and running the simulated worlds (not timed). */
  setupSeconds: number;
  roundTrips: {
    /** The first corrective call, or the escalation for a playbook that only escalates. */
    to: string;
    all: number;
    platform: number;
    path: string;
  } | null;
}

export interface OverheadResult {
  /** 1-minute load average before and after: above the core count, wall times include waiting for a CPU. */
  loadAverage: [number, number];
  cores: number;
  pipelinesPerRound: number;
  rounds: number;
  goalP99Ms: number;
  goalRoundTrips: number;
  playbooks: PlaybookOverhead[];
}

/** An invocation's time minus the simulated platform's answers and waits on its clock. */
const engine = (x: InvocationOutcome) => x.wallMs - (x.stats?.answerMs ?? 0) - (x.stats?.sleepMs ?? 0);

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round3(percentile(s, 0.5)), p99: round3(percentile(s, 0.99)), max: round3(s[s.length - 1] ?? NaN) };
}

const isAlarm = (e: CapturedEvent) => (e.event.detail as { state?: { value?: string } } | undefined)?.state?.value === 'ALARM';

/** The world of one round, run until every pipeline's trigger for the playbook has fired; the triggers. */
async function roundWorld(t: Target, scenario: Parameters<typeof buildBenchWorld>[0], config: Parameters<typeof buildBenchWorld>[1]) {
  const bench = buildBenchWorld(scenario, config);
  const pipelines = Object.keys(config.pipelines);
  const triggers = new Map<string, CapturedEvent>();
  const end = bench.startMs + scenario.runFor;
  while (triggers.size < pipelines.length && bench.world.clock.now() < end) {
    await bench.world.runUntil(bench.world.clock.now() + MIN);
    for (const e of bench.captured) {
      if (e.playbook !== t.playbook || triggers.has(e.pipeline)) continue;
      if (t.trigger === 'first' || isAlarm(e)) triggers.set(e.pipeline, e);
    }
  }
  bench.stopCapture();
  if (triggers.size < pipelines.length)
    throw new Error(`${t.scenario}: only ${triggers.size} of ${pipelines.length} pipelines fired a trigger for ${t.playbook}`);
  return { bench, triggers: pipelines.map((p) => triggers.get(p)!) };
}

function roundTrips(outcomes: InvocationOutcome[]): PlaybookOverhead['roundTrips'] {
  const o = outcomes.find((x) => x.stats && !x.error);
  const calls = o?.stats?.calls ?? [];
  const corrective = calls.find((c) => c.service !== 'DynamoDB' && CORRECTIVE.has(c.operation));
  const first = corrective ?? calls.find((c) => ESCALATING.has(`${c.service}:${c.operation}`));
  if (!first) return null;
  const byDepth = new Map<number, Set<string>>();
  for (const c of calls.filter((x) => x.depth <= first.depth)) byDepth.set(c.depth, (byDepth.get(c.depth) ?? new Set()).add(`${c.service}:${c.operation}`));
  return {
    to: `${first.service}:${first.operation}`,
    all: first.depth,
    platform: first.platformDepth,
    path: [...byDepth.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, ops]) => [...ops].join(' ∥ '))
      .join('  →  '),
  };
}

async function benchPlaybook(t: Target, pipelines: number, rounds: number): Promise<PlaybookOverhead> {
  const loaded = await loadScenario(join(BUILTIN_SCENARIOS_DIR, t.scenario));
  const config = replicateConfig(loaded.config, pipelines);
  const scenario = replicateScenario(loaded.scenario, pipelines);
  const harness = await EngineHarness.create({ ledger: 'memory', playbooks: [t.playbook], config });
  const timed: InvocationOutcome[] = [];
  let trips: PlaybookOverhead['roundTrips'] = null;
  let trigger = '';
  let setupMs = 0;
  try {
    for (let r = 0; r <= rounds; r++) {
      const s0 = performance.now();
      const { bench, triggers } = await roundWorld(t, scenario, config);
      setupMs += performance.now() - s0;
      trigger = String(triggers[0]!.event['detail-type']);
      harness.use(bench);
      harness.meter.latency = r === 0;
      const outcomes = await harness.deliver(
        triggers.map((e) => ({ playbook: t.playbook, event: e.event })),
        { concurrency: 1 },
      );
      if (r === 0) trips = roundTrips(outcomes);
      else timed.push(...outcomes);
    }
  } finally {
    await harness.close();
  }
  const ok = timed.filter((x) => !x.error);
  const calls = ok.map((x) => x.stats?.calls ?? []);
  return {
    playbook: t.playbook,
    scenario: t.scenario,
    trigger,
    invocations: timed.length,
    decisions: histogram(timed, (x) => (x.error ? `error ${x.error.name}` : `${x.result?.decision?.kind} ${x.result?.decision?.reason}`)),
    wallMs: spread(ok.map((x) => x.wallMs)),
    engineMs: spread(ok.map(engine)),
    engineCpuMs: spread(ok.map((x) => Math.max(0, (x.stats?.cpuMs ?? 0) - (x.stats?.answerMs ?? 0) - (x.stats?.sleepCpuMs ?? 0)))),
    engineMsWithoutGc: spread(ok.map((x) => engine(x) - (x.stats?.gcMs ?? 0))),
    gcShare: round3(
      ok.reduce((a, x) => a + (x.stats?.gcMs ?? 0), 0) /
        Math.max(
          1e-9,
          ok.reduce((a, x) => a + engine(x), 0),
        ),
    ),
    awsCalls: round3(calls.reduce((a, c) => a + c.filter((x) => x.service !== 'DynamoDB').length, 0) / Math.max(1, calls.length)),
    ledgerCalls: round3(calls.reduce((a, c) => a + c.filter((x) => x.service === 'DynamoDB').length, 0) / Math.max(1, calls.length)),
    setupSeconds: round3(setupMs / 1000),
    roundTrips: trips,
  };
}

export async function benchOverhead(opts: { pipelines?: number; rounds?: number; playbooks?: string[] } = {}): Promise<OverheadResult> {
  const pipelines = opts.pipelines ?? 100;
  const rounds = opts.rounds ?? 10;
  const load0 = loadavg()[0]!;
  const out: PlaybookOverhead[] = [];
  for (const t of TARGETS.filter((x) => !opts.playbooks || opts.playbooks.includes(x.playbook))) {
    process.stderr.write(`overhead: ${t.playbook} (${t.scenario})…\n`);
    out.push(await benchPlaybook(t, pipelines, rounds));
  }
  return {
    loadAverage: [round3(load0), round3(loadavg()[0]!)],
    cores: cpus().length,
    pipelinesPerRound: pipelines,
    rounds,
    goalP99Ms: 5,
    goalRoundTrips: 4,
    playbooks: out,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchOverhead(), null, 2));
}
