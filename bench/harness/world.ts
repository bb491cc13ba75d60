import type { StreamfixConfig } from '../../lambdas/config';
import { parseConfig } from '../../lambdas/schema';
import { functionName } from '../../lambdas/core/names';
import { buildWiring } from '../../lambdas/wiring';
import { buildWorld, DEFAULT_ACCOUNT } from '../../drills/build-world';
import { FaultInjector } from '../../drills/faults';
import { drillEnv, DRILL_REGION } from '../../drills/runner';
import type { Scenario } from '../../drills/scenario/schema';
import { matchesPattern } from '../../drills/sim/pattern';
import type { SimWorld } from '../../drills/sim/world';

/**
 * The benches' world: the drills' simulated platform built from a scenario, with the `orders`
 * pipeline of a config or scenario replicated N times, every name that identifies it suffixed
 * (orders-000 … orders-NNN: job, application, topic, group, buckets, Firehose stream, alarms),
 * and every event the platform emits captured for the bench to deliver (engine-harness.ts).
 */

export const BENCH_ACCOUNT = DEFAULT_ACCOUNT;
export const BENCH_REGION = DRILL_REGION;
const ORIGINAL_APPLICATION_ID = '00fabcd1234efg5h';

export const pipelineName = (k: number): string => `orders-${String(k).padStart(3, '0')}`;

/** `value` with every identifier of the `orders` pipeline made that of replica `k`. */
export function renameOrders<T>(value: T, k: number): T {
  const n = String(k).padStart(3, '0');
  const app = `00fabcd1234e${k.toString(36).padStart(4, '0')}`;
  const text = JSON.stringify(value)
    .replaceAll(ORIGINAL_APPLICATION_ID, app)
    .replace(/\border-firehose\b/g, `order-firehose-${n}`)
    .replace(/\border-processor\b/g, `order-processor-${n}`)
    .replace(/\borders\b/g, `orders-${n}`);
  return JSON.parse(text) as T;
}

/** The config with its `orders` pipeline replicated `n` times (and no other pipeline). */
export function replicateConfig(config: StreamfixConfig, n: number): StreamfixConfig {
  const base = config.pipelines.orders;
  if (!base) throw new Error('the config has no `orders` pipeline to replicate');
  const pipelines = Object.fromEntries(Array.from({ length: n }, (_, k) => [pipelineName(k), renameOrders(base, k)]));
  return parseConfig({ ...config, pipelines, routes: [] });
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lists concatenated (without repeats), objects merged key by key, the first scalar kept. */
function merge(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  if (Array.isArray(a) && Array.isArray(b)) {
    const seen = new Set(a.map((x) => JSON.stringify(x)));
    return [...a, ...b.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  if (isPlain(a) && isPlain(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
    return out;
  }
  return a;
}

/** A scenario whose world and timeline hold `n` copies of what it says about `orders`. */
export function replicateScenario(s: Scenario, n: number): Scenario {
  let world: unknown;
  const timeline: Scenario['timeline'] = [];
  for (let k = 0; k < n; k++) {
    world = merge(world, renameOrders(s.world, k));
    timeline.push(...renameOrders(s.timeline, k));
  }
  timeline.sort((x, y) => x.at - y.at);
  return { ...s, world: world as Scenario['world'], timeline };
}

export interface CapturedEvent {
  atMs: number;
  playbook: string;
  pipeline: string;
  event: Record<string, unknown>;
}

/** A world built from a scenario, its alarms wired, every event it emits captured instead of delivered. */
export interface BenchWorld {
  world: SimWorld;
  config: StreamfixConfig;
  startMs: number;
  captured: CapturedEvent[];
  /** From now on the world's events are dropped (matching them costs time the engine would be charged). */
  stopCapture(): void;
}

export function buildBenchWorld(scenario: Scenario, config: StreamfixConfig): BenchWorld {
  const env = drillEnv(config.name, BENCH_ACCOUNT, BENCH_REGION, config.escalation.pagerDuty?.secretName);
  const startMs = Date.parse(scenario.start);
  const world = buildWorld(scenario, config, { account: BENCH_ACCOUNT, region: BENCH_REGION, topicArn: env.topicArn, schedulerGroup: env.schedulerGroup });
  const wiring = buildWiring(config, { account: BENCH_ACCOUNT, region: BENCH_REGION, partition: 'aws' });
  const alarms = new Map<string, { pipeline: string; playbook: string }>();
  for (const w of wiring) {
    for (const a of w.alarms) {
      world.cloudwatch.addAlarm(a);
      alarms.set(a.name, a);
    }
  }
  const rules = wiring.flatMap((w) => w.rules);
  const captured: CapturedEvent[] = [];
  const capture = (event: Record<string, unknown>) => {
    const atMs = world.clock.now();
    const alarmName = (event.detail as { alarmName?: string } | undefined)?.alarmName;
    const a = alarmName !== undefined ? alarms.get(alarmName) : undefined;
    if (a) {
      captured.push({ atMs, playbook: a.playbook, pipeline: a.pipeline, event });
      return;
    }
    for (const r of rules) {
      if (!matchesPattern(r.spec.pattern, event)) continue;
      // One rule serves all its pipelines: the event's application (and job, when named) says which.
      const detail = (event.detail ?? {}) as { applicationId?: string; jobRunName?: string };
      const job = (p: string) => {
        const j = config.pipelines[p]?.job;
        return j?.kind === 'emr-serverless' ? j : undefined;
      };
      const pipeline =
        r.pipelines.find((p) => job(p)?.applicationId === detail.applicationId && (detail.jobRunName === undefined || job(p)?.jobName === detail.jobRunName)) ??
        r.pipelines[0]!;
      captured.push({ atMs, playbook: r.playbook, pipeline, event });
    }
  };
  world.cloudwatch.publish = capture;
  world.emr.publish = capture;
  new FaultInjector(world, config, (playbook) => functionArn(config, playbook)).schedule(startMs, scenario.timeline);
  const stopCapture = () => {
    world.cloudwatch.publish = () => undefined;
    world.emr.publish = () => undefined;
  };
  return { world, config, startMs, captured, stopCapture };
}

export const functionArn = (config: StreamfixConfig, playbook: string): string =>
  `arn:aws:lambda:${BENCH_REGION}:${BENCH_ACCOUNT}:function:${functionName(config.name, playbook)}`;
