import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Pluggable } from '@smithy/types';
import type { StreamfixConfig } from '../lambdas/config';
import { Ledger } from '../lambdas/ledger/ledger';
import type { AwsClientOptions } from '../lambdas/adapters/clients';
import type { Clock } from '../lambdas/core/clock';
import type { InvocationResult } from '../lambdas/engine/runtime';
import { createPlaybookHandler } from '../lambdas/handlers/factory';
import { drillEnv } from '../drills/runner';
import { FAKE_CREDENTIALS, startLocalDynamo, type LocalDynamo } from '../drills/sim/dynamodb';
import { DrillLogger, DrillMetrics } from '../drills/sim/powertools';
import type { SimWorld } from '../drills/sim/world';
import { ContainerPool, invoke, payloadOf, type Container } from './harness/containers';
import { GcPauses, Meter, type InvocationStats } from './harness/meter';
import { MeteredStore } from './harness/metered-store';
import { BENCH_ACCOUNT, BENCH_REGION, functionArn, type BenchWorld } from './harness/world';

/**
 * The real playbook handlers (createPlaybookHandler → createHandler → Engine) on the drills'
 * simulated platform, driven the way Lambda drives them, for the storm and overhead benches.
 * Its parts: the world (harness/world.ts: replicated pipelines, captured events), the alarm
 * events (harness/alarm-event.ts), the containers (harness/containers.ts), the meter
 * (harness/meter.ts, harness/metered-store.ts) and the figures (harness/figures.ts).
 *
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

const FUNCTION_TIMEOUT_MS = 300_000;

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

/**
 * The functions' containers, serving whichever simulated world is current: their SDK plugin,
 * clock and fetch forward to it, so a bench can run round after round on fresh worlds with
 * the same warm containers (Lambda reuses a warm container the same way).
 */
export class EngineHarness {
  /** Every call counted, and (one invocation at a time) measured. */
  readonly meter = new Meter();
  /** Log lines the functions wrote. */
  logLines = 0;
  /** Where invocations failed: the engine's own frames of each distinct failure, with a count. */
  readonly errorSites = new Map<string, number>();
  private bench: BenchWorld | undefined;
  private simMiddleware: ((next: unknown, context: unknown) => (args: unknown) => Promise<unknown>) | undefined;
  /** The in-memory ledger every container shares (memory mode), and its metered store. */
  private readonly memory: MeteredStore | undefined;
  private readonly memoryLedger: Ledger | undefined;
  private dynalite: LocalDynamo | undefined;
  private sleeping = 0;
  private onSleepChange: (() => void) | undefined;
  private build: ((playbook: string) => Container) | undefined;
  /** The functions' containers (cold starts counted there). */
  readonly containers = new ContainerPool((playbook) => this.build!(playbook));

  private constructor(private readonly opts: HarnessOptions) {
    this.memory =
      opts.ledger === 'memory'
        ? new MeteredStore(
            (s, o) => this.meter.begin(s, o),
            (ms) => this.meter.answered(ms),
            () => this.meter.conditionFailures++,
          )
        : undefined;
    this.memoryLedger = this.memory ? new Ledger(this.memory) : undefined;
  }

  static async create(opts: HarnessOptions): Promise<EngineHarness> {
    const h = new EngineHarness(opts);
    const env = drillEnv(opts.config.name, BENCH_ACCOUNT, BENCH_REGION, opts.config.escalation.pagerDuty?.secretName);
    if (opts.ledger === 'dynalite') h.dynalite = await startLocalDynamo(env.tableName, BENCH_REGION);
    const plugins: Pluggable<object, object>[] = [h.meter.plugin(), h.worldPlugin()];
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
      const logger = new DrillLogger(
        (a) => {
          h.logLines++;
          JSON.stringify(a);
        },
        { serviceName: playbook, logLevel: 'INFO' },
      );
      const metrics = new DrillMetrics(() => undefined, { namespace: env.metricsNamespace, serviceName: playbook });
      return {
        handler: createPlaybookHandler(playbook, {
          config: opts.config,
          env,
          aws,
          clock,
          fetch: fetchVia,
          logger,
          metrics,
          ...(h.memoryLedger ? { ledger: h.memoryLedger } : {}),
        }),
        metrics,
      };
    };
    return h;
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
    this.meter.timeServices(bench.world);
    this.memory?.reset();
  }

  ledgerStats(): { ops: Record<string, number>; conditionFailures: number; items?: number } {
    const ops: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.meter.counts)) if (k.startsWith('DynamoDB:')) ops[k.slice('DynamoDB:'.length)] = v;
    return { ops, conditionFailures: this.meter.conditionFailures, ...(this.memory ? { items: this.memory.size() } : {}) };
  }

  private noteError(e: Error): void {
    const frames = (e.stack ?? '')
      .split('\n')
      .filter((l) => /\/lambdas\//.test(l))
      .slice(0, 4)
      .map((l) =>
        l
          .trim()
          .replace(/^at /, '')
          .replace(/\(?\/[^ ]*\/lambdas\//, '(lambdas/'),
      );
    const key = `${e.name}: ${e.message.replace(/orders-\d{3}[^ ]*/g, '…')} @ ${frames.join(' < ')}`;
    this.errorSites.set(key, (this.errorSites.get(key) ?? 0) + 1);
  }

  async close(): Promise<void> {
    await this.dynalite?.close();
    this.dynalite = undefined;
  }

  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeping++;
    this.onSleepChange?.();
    try {
      await this.meter.sleeping(() => this.world.clock.sleep(ms, signal));
    } finally {
      this.sleeping--;
    }
  }

  private async pagerDuty(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> {
    const done = this.meter.begin('PagerDuty', /\/change\//.test(String(input)) ? 'change' : 'enqueue');
    const t0 = performance.now();
    try {
      return await this.world.fetch(input, init);
    } finally {
      this.meter.answered(performance.now() - t0);
      await done();
    }
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
    const gc = perInvocation ? new GcPauses() : undefined;
    const start = (d: DeliveryRequest) => {
      const container = this.containers.take(d.playbook);
      inFlight++;
      const attempt = d.attempt ?? 1;
      const startedAt = clock.now();
      const measured = perInvocation ? this.meter.startInvocation() : undefined;
      if (!measured) this.meter.current = undefined;
      // Lambda's retries of an invocation keep its request id.
      const requestId = d.requestId ?? randomUUID();
      const context = {
        awsRequestId: requestId,
        invokedFunctionArn: functionArn(this.opts.config, d.playbook),
        getRemainingTimeInMillis: () => Math.max(0, FUNCTION_TIMEOUT_MS - (clock.now() - startedAt)),
      };
      const t0 = performance.now();
      const done = (o: Partial<InvocationOutcome>) => {
        measured?.end();
        outcomes.push({ playbook: d.playbook, event: d.event, attempt, wallMs: performance.now() - t0, ...(measured ? { stats: measured.stats } : {}), ...o });
        this.containers.release(d.playbook, container);
        if (perInvocation) this.meter.current = undefined;
        inFlight--;
        signal();
      };
      invoke(container, payloadOf(d.event), context).then(
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
      await gc?.stop();
    }
    if (gc) for (const o of outcomes) if (o.stats) gc.charge(o.stats);
    return outcomes;
  }
}
