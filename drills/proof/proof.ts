import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createPlaybookHandler } from '../../lambdas/handlers/factory';
import { runScenario } from '../runner';
import { loadScenario, type LoadedScenario } from '../scenario/load';
import type { SimWorld } from '../sim/world';
import { Chaos, DEFAULT_CHAOS, type ChaosOptions, type ChaosStats, type DeliveryKind, type FaultKind } from './chaos';
import { checkRun, type RunFigures } from './invariants';
import { emptyKafkaFaultStats, faultyProducer, type KafkaFaultStats } from './kafka-faults';
import { checkOperations, DestructionWatch, type OperationFigures } from './operations';
import { KeyedRandom, runSeed } from './rng';

/**
 * The fault-injection proof: every scenario file of a directory (the built-in drills by
 * default, so a new playbook's drills are proven with no new proof code), run `runs` times
 * each under seeded faults, each run checked against the invariants. A scenario's own
 * expectations are not checked: under faults only the invariants must hold.
 */

export const DEFAULT_SCENARIO_DIR = resolve(import.meta.dirname, '..', 'scenarios');
/** Whether Lambda's retries of a killed invocation (same request id, later attempts) got through. */
function retriedOk(world: SimWorld, invocationId: string): boolean {
  const killed = world.record.invocations.find((i) => i.invocationId === invocationId);
  if (!killed) return false;
  return world.record.invocations.some((i) => i.requestId === killed.requestId && i.attempt > killed.attempt && i.endedAtMs !== undefined && !i.error);
}

/** Simulated time added after a scenario's `runFor`, so pending verifications and Lambda's retries finish. */
export const DRAIN_MS = 30 * 60_000;

export const GOALS = [
  'duplicateActions',
  'boundViolations',
  'unended',
  'resumedActedTwice',
  'actedWithoutOwnership',
  'unresumedKills',
  'breakerWhileFixInFlight',
  'errors',
  'replayedTwice',
  'unbackedDeletions',
  'besideOnTarget',
] as const;
export type Goal = (typeof GOALS)[number];

export interface ProofOptions {
  runs: number;
  seed: number;
  /** Scenario names to run (all when empty). */
  scenarios?: string[];
  dir?: string;
  /** Only this run index of each scenario (to reproduce one run of a report). */
  onlyRun?: number;
  chaos?: Partial<ChaosOptions>;
  /** Called after each run (progress). */
  onRun?: (r: RunOutcome) => void;
}

export interface RunOutcome {
  scenario: string;
  playbook: string;
  run: number;
  seed: number;
  figures: Omit<RunFigures, 'details'> & { errors: number } & Pick<OperationFigures, 'replayedTwice' | 'unbackedDeletions' | 'besideOnTarget'>;
  details: string[];
  /** What the manual operations' replays sent (not goals: shown). */
  replays: ReplayTotals;
  faults: Record<FaultKind, number>;
  deliveries: Record<DeliveryKind, number>;
  attempts: number;
  retries: number;
  kills: { invocationId: string; at: string; mode: string; phase: string; resumed: boolean }[];
  /** Invocations the scenario's own `kill-invocation` entries ended, and whether Lambda's retries of each got through. */
  timelineKills: { invocationId: string; resumed: boolean }[];
  incidents: number;
  decisions: Record<string, number>;
}

/** Replayed records, and those sent twice within the documented window (one batch per crash or lost answer). */
export interface ReplayTotals {
  records: number;
  twiceInWindow: number;
  kafkaFaults: number;
}

const emptyFigures = () => ({
  duplicateActions: 0,
  boundViolations: 0,
  unended: 0,
  resumedActedTwice: 0,
  actedWithoutOwnership: 0,
  unresumedKills: 0,
  breakerWhileFixInFlight: 0,
  errors: 0,
  replayedTwice: 0,
  unbackedDeletions: 0,
  besideOnTarget: 0,
});

export interface ProofTotals {
  drills: number;
  replays: ReplayTotals;
  figures: Record<Goal, number>;
  faults: Record<FaultKind, number>;
  deliveries: Record<DeliveryKind, number>;
  attempts: number;
  retries: number;
  kills: number;
  resumed: number;
  incidents: number;
  decisions: Record<string, number>;
}

export interface ProofReport {
  seed: number;
  runsPerScenario: number;
  chaos: ChaosOptions;
  scenarios: string[];
  byPlaybook: Record<string, ProofTotals>;
  overall: ProofTotals;
  runs: RunOutcome[];
  passed: boolean;
}

export async function listScenarioFiles(dir = DEFAULT_SCENARIO_DIR): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The playbook a scenario drills: the first its expectations name, else the first that opened an incident. */
function playbookOf(loaded: LoadedScenario): string | undefined {
  return loaded.scenario.expect.incidents[0]?.playbook;
}

export async function proveRun(loaded: LoadedScenario, run: number, baseSeed: number, chaosOpts: ChaosOptions): Promise<RunOutcome> {
  const seed = runSeed(baseSeed, loaded.scenario.name, run);
  const scenario = { ...loaded.scenario, runFor: loaded.scenario.runFor + DRAIN_MS };
  let world: SimWorld | undefined;
  let chaos: Chaos | undefined;
  let watch: DestructionWatch | undefined;
  const kafka: KafkaFaultStats = emptyKafkaFaultStats();
  const empty = (): RunOutcome => ({
    scenario: loaded.scenario.name,
    playbook: playbookOf(loaded) ?? 'other',
    run,
    seed,
    figures: emptyFigures(),
    replays: { records: 0, twiceInWindow: 0, kafkaFaults: 0 },
    details: [],
    faults: { ThrottlingException: 0, InternalServerError: 0, ServiceUnavailable: 0, TimeoutError: 0, TimeoutAfterEffect: 0, slow: 0, partial: 0 },
    deliveries: { duplicate: 0, 'concurrent-duplicate': 0, 'alarm-delayed': 0, 'ok-before-alarm': 0, flapping: 0, race: 0 },
    attempts: 0,
    retries: 0,
    kills: [],
    timelineKills: [],
    incidents: 0,
    decisions: {},
  });
  try {
    const result = await runScenario(
      { ...loaded, scenario },
      {
        onWorld: (w) => {
          world = w;
          chaos = new Chaos(w, new KeyedRandom(seed), chaosOpts, w.clock.now() + loaded.scenario.runFor, loaded.config.reports?.s3);
          watch = new DestructionWatch(w);
        },
        // The manual operations run under the same faults and kills as the playbooks.
        operations: {
          aws: (aws) => ({ ...aws, plugins: [...(aws.plugins ?? []), chaos!.plugin] }),
          kafkaProducer: (p) => faultyProducer(chaos!, p, chaosOpts, world!.clock, kafka),
        },
        createHandler: (id, deps) => {
          chaos!.watchLedger(deps.aws, deps.env.tableName);
          return createPlaybookHandler(id, { ...deps, aws: { ...deps.aws, plugins: [...(deps.aws.plugins ?? []), chaos!.plugin] } });
        },
      },
    );
    const startMs = Date.parse(result.startedAt);
    const stats: ChaosStats = chaos!.stats;
    const { details: runDetails, ...figures } = checkRun(world!, result, loaded.config, stats.kills, startMs + scenario.runFor, stats.unowned, stats.owners);
    const ops = checkOperations(world!, loaded.config, watch!, kafka);
    const details = [...runDetails, ...ops.details];
    if (details.length > 0 && process.env.PROOF_DEBUG === '1') {
      process.stderr.write(`${loaded.scenario.name}#${run} seed ${seed}\n${result.timeline.map((l) => `  ${l.at} ${l.kind} ${l.text}`).join('\n')}\n`);
    }
    const decisions: Record<string, number> = {};
    for (const i of result.incidents) {
      const k = i.decision ? `${i.decision.kind}` : 'none';
      decisions[k] = (decisions[k] ?? 0) + 1;
    }
    const out = empty();
    return {
      ...out,
      playbook: playbookOf(loaded) ?? result.incidents[0]?.playbook ?? 'other',
      figures: { ...figures, errors: 0, replayedTwice: ops.replayedTwice, unbackedDeletions: ops.unbackedDeletions, besideOnTarget: ops.besideOnTarget },
      replays: { records: ops.replayedRecords, twiceInWindow: ops.replayedTwiceInWindow, kafkaFaults: kafka.failed + kafka.partial + kafka.lostAnswers },
      details,
      faults: { ...stats.faults },
      deliveries: { ...stats.deliveries },
      attempts: stats.attempts,
      retries: stats.retries,
      kills: stats.kills.map((k) => ({
        invocationId: k.invocationId,
        at: `${k.service}:${k.operation}`,
        mode: k.plan.mode,
        phase: k.plan.phase,
        resumed: retriedOk(world!, k.invocationId),
      })),
      timelineKills: world!.record.events
        .filter((e) => e.kind === 'fault' && e.text.startsWith('kill-invocation:'))
        .map((e) => String(e.data?.invocationId))
        .map((invocationId) => ({ invocationId, resumed: retriedOk(world!, invocationId) })),
      incidents: result.incidents.length,
      decisions,
    };
  } catch (e) {
    const out = empty();
    out.figures.errors = 1;
    out.details.push(`error: the drill broke: ${(e as Error).name}: ${(e as Error).message}`);
    if (world && process.env.PROOF_DEBUG === '1') {
      const rec = world.record;
      process.stderr.write(
        `${loaded.scenario.name}#${run} seed ${seed} broke; last calls:\n${rec.calls
          .slice(-20)
          .map((c) => `  ${new Date(c.atMs).toISOString()} ${c.invocationId ?? '-'} ${c.service}:${c.operation}${c.error ? ` ✗ ${c.error.name}` : ''}`)
          .join('\n')}\n`,
      );
    }
    if (chaos) Object.assign(out, { faults: { ...chaos.stats.faults }, deliveries: { ...chaos.stats.deliveries }, attempts: chaos.stats.attempts });
    return out;
  }
}

function emptyTotals(): ProofTotals {
  return {
    drills: 0,
    replays: { records: 0, twiceInWindow: 0, kafkaFaults: 0 },
    figures: emptyFigures(),
    faults: { ThrottlingException: 0, InternalServerError: 0, ServiceUnavailable: 0, TimeoutError: 0, TimeoutAfterEffect: 0, slow: 0, partial: 0 },
    deliveries: { duplicate: 0, 'concurrent-duplicate': 0, 'alarm-delayed': 0, 'ok-before-alarm': 0, flapping: 0, race: 0 },
    attempts: 0,
    retries: 0,
    kills: 0,
    resumed: 0,
    incidents: 0,
    decisions: {},
  };
}

function add(t: ProofTotals, r: RunOutcome): void {
  t.drills++;
  for (const g of GOALS) t.figures[g] += r.figures[g];
  t.replays.records += r.replays.records;
  t.replays.twiceInWindow += r.replays.twiceInWindow;
  t.replays.kafkaFaults += r.replays.kafkaFaults;
  for (const [k, v] of Object.entries(r.faults)) t.faults[k as FaultKind] += v;
  for (const [k, v] of Object.entries(r.deliveries)) t.deliveries[k as DeliveryKind] += v;
  t.attempts += r.attempts;
  t.retries += r.retries;
  t.kills += r.kills.length;
  t.resumed += r.kills.filter((k) => k.resumed).length;
  t.incidents += r.incidents;
  for (const [k, v] of Object.entries(r.decisions)) t.decisions[k] = (t.decisions[k] ?? 0) + v;
}

export async function runProof(opts: ProofOptions): Promise<ProofReport> {
  const chaos = { ...DEFAULT_CHAOS, ...(opts.chaos ?? {}) };
  const files = await listScenarioFiles(opts.dir);
  const loaded: LoadedScenario[] = [];
  for (const f of files) {
    const l = await loadScenario(f);
    if (!opts.scenarios?.length || opts.scenarios.includes(l.scenario.name)) loaded.push(l);
  }
  if (opts.scenarios?.length) {
    const missing = opts.scenarios.filter((s) => !loaded.some((l) => l.scenario.name === s));
    if (missing.length > 0) throw new Error(`unknown scenario(s): ${missing.join(', ')} (known: ${files.map((f) => f.split('/').pop()).join(', ')})`);
  }
  const runs: RunOutcome[] = [];
  const byPlaybook: Record<string, ProofTotals> = {};
  const overall = emptyTotals();
  for (const l of loaded) {
    for (let i = 0; i < opts.runs; i++) {
      if (opts.onlyRun !== undefined && i !== opts.onlyRun) continue;
      const r = await proveRun(l, i, opts.seed, chaos);
      runs.push(r);
      add((byPlaybook[r.playbook] ??= emptyTotals()), r);
      add(overall, r);
      opts.onRun?.(r);
    }
  }
  return {
    seed: opts.seed,
    runsPerScenario: opts.runs,
    chaos,
    scenarios: loaded.map((l) => l.scenario.name),
    byPlaybook,
    overall,
    runs,
    passed: GOALS.every((g) => overall.figures[g] === 0),
  };
}
