import { randomUUID } from 'node:crypto';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { Pluggable } from '@smithy/types';
import { type StreamfixConfig } from '../lambdas/config';
import { parseConfig } from '../lambdas/schema';
import { ConflictError } from '../lambdas/core/errors';
import { MemoryItemStore, type Cond, type IndexRef, type ItemStore, type KeyedItem, type Scalar } from '../lambdas/ledger/item-store';
import { Ledger } from '../lambdas/ledger/ledger';
import type { AwsClientOptions } from '../lambdas/adapters/clients';
import type { Clock } from '../lambdas/core/clock';
import { functionName } from '../lambdas/core/names';
import type { InvocationResult, PlaybookHandler } from '../lambdas/core/runtime';
import { buildWiring } from '../lambdas/wiring';
import { createPlaybookHandler } from '../lambdas/handlers/factory';
import { buildWorld, DEFAULT_ACCOUNT } from '../drills/build-world';
import { FaultInjector } from '../drills/faults';
import { drillEnv, DRILL_REGION } from '../drills/runner';
import type { Scenario } from '../drills/scenario/schema';
import { FAKE_CREDENTIALS, startLocalDynamo, type LocalDynamo } from '../drills/sim/dynamodb';
import { matchesPattern } from '../drills/sim/pattern';
import { DrillLogger, DrillMetrics } from '../drills/sim/powertools';
import type { SimService } from '../drills/sim/context';
import type { SimWorld } from '../drills/sim/world';

/**
 * The real playbook handlers (createPlaybookHandler → createHandler → Engine) on the drills'
 * simulated platform, driven the way Lambda drives them, for the storm and overhead benches.
 *
 * - Pipelines: the `orders` pipeline of a config or scenario replicated N times, every name
 *   that identifies it suffixed (orders-000 … orders-NNN: job, application, topic, group,
 *   buckets, Firehose stream, alarms).
 * - Ledger: dynalite (the drills' DynamoDB stand-in, started and stopped here) or a table in
 *   memory (the ledger's MemoryItemStore, metered like a service). Every other service is the simulated platform, answering in
 *   this process with no added latency.
 * - Invocations: up to `concurrency` in flight, each one the handler awaited with a Lambda
 *   context; one that throws is retried (Lambda's async retries) up to two more times. As in
 *   Lambda, a container (its own handler, SDK clients and caches) serves one invocation at a
 *   time; one is built when none is idle, and reused once its invocation ended.
 *   Simulated time stands still while anything computes; it moves on only when every
 *   invocation in flight waits on the clock (e.g. for a cancelled run to end), exactly as far
 *   as the earliest of them waits.
 * - Meter: every AWS call counted per service and operation; for one invocation at a time,
 *   its round-trip depth (one more than the deepest call already answered when it started)
 *   and the time spent answering calls and waiting on the clock, so what remains is the
 *   engine's own time.
 */

export const BENCH_ACCOUNT = DEFAULT_ACCOUNT;
export const BENCH_REGION = DRILL_REGION;
const FUNCTION_TIMEOUT_MS = 300_000;
const ORIGINAL_APPLICATION_ID = '00fabcd1234efg5h';

/** Operations that change the platform: the first of them is a playbook's corrective call. */
export const CORRECTIVE = new Set(['StartJobRun', 'CancelJobRun', 'UpdateDestination', 'CopyObject', 'PutObject', 'DeleteObject', 'DeleteObjects', 'RebootBroker']);
/** How a person is told: the first of them is an escalating playbook's outcome. */
export const ESCALATING = new Set(['SNS:Publish', 'PagerDuty:enqueue']);

// ------------------------------------------------------------------ replication

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

// ------------------------------------------------------------------ events

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
      const pipeline = r.pipelines.find((p) => job(p)?.applicationId === detail.applicationId && (detail.jobRunName === undefined || job(p)?.jobName === detail.jobRunName)) ?? r.pipelines[0]!;
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

/** The event CloudWatch sends when an alarm changes state (the simulated CloudWatch's shape). */
export function alarmStateChange(o: {
  id: string;
  alarmName: string;
  description: string;
  metric: { namespace: string; metricName: string; dimensions: Record<string, string>; periodSeconds: number; statistic: string };
  threshold: number;
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  previous: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  atMs: number;
  previousAtMs: number;
  metricId: string;
}): Record<string, unknown> {
  const ts = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
  const above = o.comparison.startsWith('Greater');
  const word = above ? 'greater than' : 'less than';
  const reasonOf = (state: string, ms: number) => {
    if (state === 'INSUFFICIENT_DATA') return { reason: 'Insufficient Data: 1 datapoint was unknown.', data: { recentDatapoints: [], evaluatedDatapoints: [] } };
    // A datapoint on the breaching side of the threshold for ALARM, on the other side for OK.
    const value = (state === 'ALARM') === above ? o.threshold * 1.5 + 1 : Math.max(0, o.threshold * 0.5 - 1);
    const at = new Date(ms - o.metric.periodSeconds * 1000);
    return {
      reason: `Threshold Crossed: 1 out of the last 1 datapoints [${value.toFixed(1)} (${at.toISOString().slice(0, 19)})] was ${state === 'ALARM' ? '' : 'not '}${word} the threshold (${o.threshold.toFixed(1)}).`,
      data: { recentDatapoints: [value], evaluatedDatapoints: [{ timestamp: ts(at.getTime()), sampleCount: 1, value }] },
    };
  };
  const reasonData = (ms: number, d: Record<string, unknown>) =>
    JSON.stringify({ version: '1.0', queryDate: ts(ms), startDate: ts(ms - o.metric.periodSeconds * 1000), statistic: o.metric.statistic, period: o.metric.periodSeconds, threshold: o.threshold, ...d });
  const now = reasonOf(o.state, o.atMs);
  const before = reasonOf(o.previous, o.previousAtMs);
  return {
    version: '0',
    id: o.id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: BENCH_ACCOUNT,
    time: new Date(Math.floor(o.atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: BENCH_REGION,
    resources: [`arn:aws:cloudwatch:${BENCH_REGION}:${BENCH_ACCOUNT}:alarm:${o.alarmName}`],
    detail: {
      alarmName: o.alarmName,
      state: { value: o.state, reason: now.reason, reasonData: reasonData(o.atMs, now.data), timestamp: ts(o.atMs) },
      previousState: { value: o.previous, reason: before.reason, reasonData: reasonData(o.previousAtMs, before.data), timestamp: ts(o.previousAtMs) },
      configuration: {
        description: o.description,
        metrics: [
          {
            id: o.metricId,
            metricStat: { metric: { namespace: o.metric.namespace, name: o.metric.metricName, dimensions: { ...o.metric.dimensions } }, period: o.metric.periodSeconds, stat: o.metric.statistic },
            returnData: true,
          },
        ],
      },
    },
  };
}

// ------------------------------------------------------------------ meter

export interface CallStat {
  service: string;
  operation: string;
  /** Sequential round trip this call belongs to, counting every call. */
  depth: number;
  /** The same, counting only the platform's calls (the ledger's DynamoDB calls left out). */
  platformDepth: number;
}

/** What one invocation did, when invocations run one at a time. */
export interface InvocationStats {
  calls: CallStat[];
  settled: number;
  settledPlatform: number;
  /** Time inside the simulated services' and the in-memory table's answers. */
  answerMs: number;
  /** Time waiting on the simulated clock (the simulated world moves on meanwhile), and this process's CPU time then. */
  sleepMs: number;
  sleepCpuMs: number;
  /** When it waited on the clock ([start, end] on the performance timeline). */
  sleeps: [number, number][];
  /** CPU time of this process during the invocation (robust when other processes share the machine). */
  cpuMs: number;
  /** Garbage-collection pauses during the invocation (the simulated world's heap makes them longer than a container's). */
  gcMs: number;
  startedAt: number;
  endedAt: number;
}

export interface DeliveryRequest {
  playbook: string;
  event: unknown;
  attempt?: number;
  /** Set on Lambda's retries: the failed attempt's request id. */
  requestId?: string;
}

export interface InvocationOutcome {
  playbook: string;
  event: unknown;
  attempt: number;
  wallMs: number;
  result?: InvocationResult;
  error?: { name: string; message: string };
  stats?: InvocationStats;
}

export interface HarnessOptions {
  /** Where the ledger lives. */
  ledger: 'dynalite' | 'memory';
  /** Playbooks to build a handler for. */
  playbooks: string[];
  config: StreamfixConfig;
}

const serviceOf = (clientName: string) =>
  clientName.replace(/Client$/, '').replace('EMRServerless', 'EMR').replace('CloudWatchLogs', 'Logs');

/**
 * The functions' containers, serving whichever simulated world is current: their SDK plugin,
 * clock and fetch forward to it, so a bench can run round after round on fresh worlds with
 * the same warm containers (Lambda reuses a warm container the same way).
 */
export class EngineHarness {
  /** AWS calls by `service:operation` (PagerDuty's requests included). */
  readonly counts: Record<string, number> = {};
  /** Conditional writes to the ledger that lost. */
  conditionFailures = 0;
  /** Log lines the functions wrote. */
  logLines = 0;
  /** Where invocations failed: the engine's own frames of each distinct failure, with a count. */
  readonly errorSites = new Map<string, number>();
  /** Add one macrotask of latency to every call (round-trip counting; off for timing). */
  latency = false;
  private bench: BenchWorld | undefined;
  private simMiddleware: ((next: unknown, context: unknown) => (args: unknown) => Promise<unknown>) | undefined;
  /** The in-memory ledger every container shares (memory mode), and its metered store. */
  private readonly memory: MeteredStore | undefined;
  private readonly memoryLedger: Ledger | undefined;
  private dynalite: LocalDynamo | undefined;
  private current: InvocationStats | undefined;
  private sleeping = 0;
  private onSleepChange: (() => void) | undefined;
  /** Idle containers by playbook; one is built (a cold start) whenever none is idle. */
  private readonly idle = new Map<string, Container[]>();
  private build: ((playbook: string) => Container) | undefined;
  /** Containers built, and the time spent building them. */
  coldStarts = 0;
  coldStartMs = 0;

  private constructor(private readonly opts: HarnessOptions) {
    this.memory = opts.ledger === 'memory' ? new MeteredStore((s, o) => this.begin(s, o), (ms) => this.answered(ms), () => this.conditionFailures++) : undefined;
    this.memoryLedger = this.memory ? new Ledger(this.memory) : undefined;
  }

  static async create(opts: HarnessOptions): Promise<EngineHarness> {
    const h = new EngineHarness(opts);
    const env = drillEnv(opts.config.name, BENCH_ACCOUNT, BENCH_REGION, opts.config.escalation.pagerDuty?.secretName);
    if (opts.ledger === 'dynalite') h.dynalite = await startLocalDynamo(env.tableName, BENCH_REGION);
    const plugins: Pluggable<object, object>[] = [h.meterPlugin(), h.worldPlugin()];
    const aws: AwsClientOptions = {
      region: BENCH_REGION,
      plugins,
      credentials: FAKE_CREDENTIALS,
      ...(h.dynalite ? { endpoints: { dynamodb: h.dynalite.endpoint } } : {}),
    };
    const clock: Clock = {
      now: () => h.world.clock.now(),
      sleep: (ms, signal) => h.sleep(ms, signal),
    };
    const fetchVia: typeof fetch = (input, init) => h.pagerDuty(input, init);
    h.build = (playbook) => {
      if (!opts.playbooks.includes(playbook)) throw new Error(`no handler for playbook ${playbook}`);
      // Log lines are serialized as Lambda would print them, then dropped.
      const logger = new DrillLogger((a) => {
        h.logLines++;
        JSON.stringify(a);
      }, { serviceName: playbook, logLevel: 'INFO' });
      const metrics = new DrillMetrics(() => undefined, { namespace: env.metricsNamespace, serviceName: playbook });
      return { handler: createPlaybookHandler(playbook, { config: opts.config, env, aws, clock, fetch: fetchVia, logger, metrics, ...(h.memoryLedger ? { ledger: h.memoryLedger } : {}) }), metrics };
    };
    return h;
  }

  /** An idle container of the playbook's function, or a new one. */
  private container(playbook: string): Container {
    const c = this.idle.get(playbook)?.pop();
    if (c) return c;
    const t0 = performance.now();
    const built = this.build!(playbook);
    this.coldStartMs += performance.now() - t0;
    this.coldStarts++;
    return built;
  }

  private release(playbook: string, c: Container): void {
    const pool = this.idle.get(playbook) ?? [];
    pool.push(c);
    this.idle.set(playbook, pool);
  }

  get world(): SimWorld {
    if (!this.bench) throw new Error('no simulated world is current');
    return this.bench.world;
  }

  /** Makes `bench` the platform every handler talks to; the in-memory ledger starts empty. */
  use(bench: BenchWorld): void {
    this.bench = bench;
    this.simMiddleware = undefined;
    bench.world.plugin.applyToStack({
      add: (mw: unknown) => {
        this.simMiddleware = mw as typeof this.simMiddleware;
      },
    } as never);
    if (!this.simMiddleware) throw new Error('the simulated platform plugin added no middleware');
    this.timeServices(bench.world);
    this.memory?.reset();
  }

  ledgerStats(): { ops: Record<string, number>; conditionFailures: number; items?: number } {
    const ops: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.counts)) if (k.startsWith('DynamoDB:')) ops[k.slice('DynamoDB:'.length)] = v;
    return { ops, conditionFailures: this.conditionFailures, ...(this.memory ? { items: this.memory.size() } : {}) };
  }

  private noteError(e: Error): void {
    const frames = (e.stack ?? '').split('\n').filter((l) => /\/lambdas\//.test(l)).slice(0, 4).map((l) => l.trim().replace(/^at /, '').replace(/\(?\/[^ ]*\/lambdas\//, '(lambdas/'));
    const key = `${e.name}: ${e.message.replace(/orders-\d{3}[^ ]*/g, '…')} @ ${frames.join(' < ')}`;
    this.errorSites.set(key, (this.errorSites.get(key) ?? 0) + 1);
  }

  async close(): Promise<void> {
    await this.dynalite?.close();
    this.dynalite = undefined;
  }

  /** Every simulated service's answers timed, so that time is not taken for the engine's. */
  private timeServices(world: SimWorld): void {
    const services: SimService[] = [world.emr, world.cloudwatch, world.s3, world.scheduler, world.sns, world.ssm, world.secrets, world.firehose, world.logs, world.iam];
    for (const svc of services) {
      const ops = svc.operations;
      for (const [name, f] of Object.entries(ops)) {
        if ((f as { benchTimed?: boolean }).benchTimed) continue;
        const timed = (input: unknown) => {
          const t0 = performance.now();
          let out: unknown;
          try {
            out = f(input);
          } finally {
            if (!(out instanceof Promise)) this.answered(performance.now() - t0);
          }
          return out instanceof Promise ? out.finally(() => this.answered(performance.now() - t0)) : out;
        };
        (timed as { benchTimed?: boolean }).benchTimed = true;
        ops[name] = timed;
      }
    }
  }

  private answered(ms: number): void {
    if (this.current) this.current.answerMs += ms;
  }

  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const stats = this.current;
    this.sleeping++;
    this.onSleepChange?.();
    try {
      await this.world.clock.sleep(ms, signal);
    } finally {
      this.sleeping--;
      if (stats) {
        const cpu = process.cpuUsage(cpu0);
        const t1 = performance.now();
        stats.sleepMs += t1 - t0;
        stats.sleepCpuMs += (cpu.user + cpu.system) / 1000;
        stats.sleeps.push([t0, t1]);
      }
    }
  }

  private async pagerDuty(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> {
    const done = this.begin('PagerDuty', /\/change\//.test(String(input)) ? 'change' : 'enqueue');
    const t0 = performance.now();
    try {
      return await this.world.fetch(input, init);
    } finally {
      this.answered(performance.now() - t0);
      await done();
    }
  }

  /** Counts a call and gives its depth; the returned function marks it answered. */
  private begin(service: string, operation: string): () => Promise<void> {
    const key = `${service}:${operation}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    const inv = this.current;
    if (!inv) return async () => undefined;
    const platform = service !== 'DynamoDB';
    const c: CallStat = { service, operation, depth: inv.settled + 1, platformDepth: inv.settledPlatform + (platform ? 1 : 0) };
    inv.calls.push(c);
    return async () => {
      if (this.latency) await new Promise((r) => setImmediate(r));
      inv.settled = Math.max(inv.settled, c.depth);
      if (platform) inv.settledPlatform = Math.max(inv.settledPlatform, c.platformDepth);
    };
  }

  private meterPlugin(): Pluggable<object, object> {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => async (args) => {
            const service = serviceOf(String(context.clientName ?? ''));
            const done = this.begin(service, String(context.commandName ?? '').replace(/Command$/, ''));
            try {
              return await next(args);
            } catch (e) {
              if ((e as Error).name === 'ConditionalCheckFailedException') this.conditionFailures++;
              throw e;
            } finally {
              await done();
            }
          },
          { step: 'initialize', priority: 'high', name: 'benchMeter' },
        );
      },
    };
  }

  private worldPlugin(): Pluggable<object, object> {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => (args) => {
            if (!this.simMiddleware) throw new Error('no simulated world is current');
            return this.simMiddleware(next, context)(args) as never;
          },
          { step: 'initialize', priority: 'high', name: 'benchWorld' },
        );
      },
    };
  }

  /**
   * Runs the deliveries, at most `concurrency` at a time, in order of the list. With
   * `concurrency` 1 each outcome carries the invocation's own stats. An invocation that throws
   * is delivered again at the end of the list, up to three attempts in all.
   */
  async deliver(requests: DeliveryRequest[], opts: { concurrency: number }): Promise<InvocationOutcome[]> {
    const clock = this.world.clock;
    const queue: DeliveryRequest[] = [...requests];
    const outcomes: InvocationOutcome[] = [];
    const perInvocation = opts.concurrency === 1;
    let next = 0;
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const signal = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    this.onSleepChange = signal;
    const pauses: { start: number; end: number }[] = [];
    const gc = perInvocation ? new PerformanceObserver((list) => {
      for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration });
    }) : undefined;
    gc?.observe({ entryTypes: ['gc'] });
    const start = (d: DeliveryRequest) => {
      const container = this.container(d.playbook);
      inFlight++;
      const attempt = d.attempt ?? 1;
      const startedAt = clock.now();
      const stats: InvocationStats | undefined = perInvocation ? { calls: [], settled: 0, settledPlatform: 0, answerMs: 0, sleepMs: 0, sleepCpuMs: 0, sleeps: [], cpuMs: 0, gcMs: 0, startedAt: performance.now(), endedAt: 0 } : undefined;
      const cpu0 = perInvocation ? process.cpuUsage() : undefined;
      this.current = stats;
      // Lambda's retries of an invocation keep its request id.
      const requestId = d.requestId ?? randomUUID();
      const context = {
        awsRequestId: requestId,
        invokedFunctionArn: functionArn(this.opts.config, d.playbook),
        getRemainingTimeInMillis: () => Math.max(0, FUNCTION_TIMEOUT_MS - (clock.now() - startedAt)),
      };
      const t0 = performance.now();
      const done = (o: Partial<InvocationOutcome>) => {
        if (stats && cpu0) {
          const cpu = process.cpuUsage(cpu0);
          stats.cpuMs = (cpu.user + cpu.system) / 1000;
          stats.endedAt = performance.now();
        }
        outcomes.push({ playbook: d.playbook, event: d.event, attempt, wallMs: performance.now() - t0, ...(stats ? { stats } : {}), ...o });
        this.release(d.playbook, container);
        if (perInvocation) this.current = undefined;
        inFlight--;
        signal();
      };
      run(container, payloadOf(d), context).then(
        (result) => done({ result }),
        (e: unknown) => {
          const err = e instanceof Error ? e : new Error(String(e));
          this.noteError(err);
          if (attempt < 3) queue.push({ ...d, attempt: attempt + 1, requestId });
          done({ error: { name: err.name, message: err.message } });
        },
      );
    };
    try {
      while (next < queue.length || inFlight > 0) {
        while (inFlight < opts.concurrency && next < queue.length) start(queue[next++]!);
        if (inFlight > 0 && this.sleeping === inFlight && (next >= queue.length || inFlight >= opts.concurrency)) {
          const due = clock.nextDueMs();
          if (due === undefined) throw new Error('every invocation waits on the clock, and nothing is due');
          await clock.runUntil(due);
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    } finally {
      this.onSleepChange = undefined;
      if (gc) {
        // GC entries reach observers on a later turn of the event loop.
        await new Promise((r) => setTimeout(r, 20));
        gc.disconnect();
      }
    }
    const overlap = (a: number, b: number, c: number, d: number) => Math.max(0, Math.min(b, d) - Math.max(a, c));
    for (const o of outcomes) {
      const st = o.stats;
      if (!st) continue;
      // Pauses while the invocation waited on the clock belong to the simulated world, not to it.
      for (const p of pauses) st.gcMs += overlap(p.start, p.end, st.startedAt, st.endedAt) - st.sleeps.reduce((a, [s0, s1]) => a + overlap(p.start, p.end, s0, s1), 0);
    }
    return outcomes;
  }
}

interface Container {
  handler: PlaybookHandler;
  metrics: DrillMetrics;
}

/** The event as Lambda hands it over: JSON, parsed afresh for every invocation. */
const payloads = new WeakMap<object, string>();
function payloadOf(d: DeliveryRequest): string {
  if (typeof d.event !== 'object' || d.event === null) return JSON.stringify(d.event);
  let p = payloads.get(d.event);
  if (p === undefined) {
    p = JSON.stringify(d.event);
    payloads.set(d.event, p);
  }
  return p;
}

/** One invocation in a container: the metrics it stored are flushed when it ends, as in Lambda. */
async function run(c: Container, payload: string, context: Parameters<PlaybookHandler>[1]): Promise<InvocationResult> {
  try {
    return await c.handler(JSON.parse(payload) as unknown, context);
  } finally {
    c.metrics.publishStoredMetrics();
  }
}

// ------------------------------------------------------------------ figures

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const round3 = (v: number): number => Number(v.toFixed(3));

/** Peak RSS of this process (MiB), sampled every 20 ms between start() and stop(); `startMiB` is where it began. */
export function rssSampler(): { startMiB: number; stop(): number } {
  let peak = process.memoryUsage.rss();
  const startMiB = Math.round(peak / 1024 / 1024);
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return {
    startMiB,
    stop: () => {
      clearInterval(t);
      peak = Math.max(peak, process.memoryUsage.rss());
      return Math.round(peak / 1024 / 1024);
    },
  };
}

/** Counts of `key(x)` over `xs`, largest first. */
export function histogram<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1]));
}

/**
 * The ledger's table in memory for the benches: the engine's own MemoryItemStore, each request
 * counted and timed like a service call (and, in round-trip mode, answered a macrotask later),
 * so memory and dynalite runs compare call for call.
 */
class MeteredStore implements ItemStore {
  private inner = new MemoryItemStore();

  constructor(
    private readonly begin: (service: string, operation: string) => () => Promise<void>,
    private readonly answered: (ms: number) => void,
    private readonly lost: () => void,
  ) {}

  reset(): void {
    this.inner = new MemoryItemStore();
  }

  size(): number {
    return this.inner.size;
  }

  private async call<T>(operation: string, f: () => Promise<T>): Promise<T> {
    const done = this.begin('DynamoDB', operation);
    const t0 = performance.now();
    try {
      return await f();
    } catch (e) {
      if (e instanceof ConflictError) this.lost();
      throw e;
    } finally {
      this.answered(performance.now() - t0);
      await done();
    }
  }

  get(pk: string, sk: string) {
    return this.call('GetItem', () => this.inner.get(pk, sk));
  }

  put(item: KeyedItem, cond?: Cond) {
    return this.call('PutItem', () => this.inner.put(item, cond));
  }

  update(pk: string, sk: string, set: Record<string, Scalar | undefined>, cond?: Cond, add?: Record<string, number>) {
    return this.call('UpdateItem', () => this.inner.update(pk, sk, set, cond, add));
  }

  delete(pk: string, sk: string, cond?: Cond) {
    return this.call('DeleteItem', () => this.inner.delete(pk, sk, cond));
  }

  query(pk: string, skPrefix?: string, index?: IndexRef) {
    return this.call('Query', () => this.inner.query(pk, skPrefix, index));
  }
}
