import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { Pluggable } from '@smithy/types';
import type { SimWorld } from '../../drills/sim/world';

/**
 * The benches' meter: every AWS call counted per service and operation; for one invocation at
 * a time, its round-trip depth (one more than the deepest call already answered when it
 * started) and the time spent answering calls, waiting on the clock and collecting garbage, so
 * what remains is the engine's own time.
 */

/** Operations that change the platform: the first of them is a playbook's corrective call. */
export const CORRECTIVE = new Set([
  'StartJobRun',
  'CancelJobRun',
  'UpdateDestination',
  'CopyObject',
  'PutObject',
  'DeleteObject',
  'DeleteObjects',
  'RebootBroker',
]);
/** How a person is told: the first of them is an escalating playbook's outcome. */
export const ESCALATING = new Set(['SNS:Publish', 'PagerDuty:enqueue']);

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

const serviceOf = (clientName: string) =>
  clientName
    .replace(/Client$/, '')
    .replace('EMRServerless', 'EMR')
    .replace('CloudWatchLogs', 'Logs');

export class Meter {
  /** AWS calls by `service:operation` (PagerDuty's requests included). */
  readonly counts: Record<string, number> = {};
  /** Conditional writes to the ledger that lost. */
  conditionFailures = 0;
  /** Add one macrotask of latency to every call (round-trip counting; off for timing). */
  latency = false;
  /** The invocation being measured, when invocations run one at a time. */
  current: InvocationStats | undefined;

  /** Starts measuring one invocation: its stats, and a function that closes them when it ends. */
  startInvocation(): { stats: InvocationStats; end(): void } {
    const stats: InvocationStats = {
      calls: [],
      settled: 0,
      settledPlatform: 0,
      answerMs: 0,
      sleepMs: 0,
      sleepCpuMs: 0,
      sleeps: [],
      cpuMs: 0,
      gcMs: 0,
      startedAt: performance.now(),
      endedAt: 0,
    };
    const cpu0 = process.cpuUsage();
    this.current = stats;
    return {
      stats,
      end: () => {
        const cpu = process.cpuUsage(cpu0);
        stats.cpuMs = (cpu.user + cpu.system) / 1000;
        stats.endedAt = performance.now();
      },
    };
  }

  /** Counts a call and gives its depth; the returned function marks it answered. */
  begin(service: string, operation: string): () => Promise<void> {
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

  /** Time spent inside an answer, not the engine's. */
  answered(ms: number): void {
    if (this.current) this.current.answerMs += ms;
  }

  /** A wait on the simulated clock, timed (wall and CPU) for the invocation being measured. */
  async sleeping(wait: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const stats = this.current;
    try {
      await wait();
    } finally {
      if (stats) {
        const cpu = process.cpuUsage(cpu0);
        const t1 = performance.now();
        stats.sleepMs += t1 - t0;
        stats.sleepCpuMs += (cpu.user + cpu.system) / 1000;
        stats.sleeps.push([t0, t1]);
      }
    }
  }

  /** Every simulated service's answers timed, so that time is not taken for the engine's. */
  timeServices(world: SimWorld): void {
    for (const svc of world.services) {
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

  /** The SDK middleware that counts every call (and its lost conditional writes). */
  plugin(): Pluggable<object, object> {
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
}

/** Garbage-collection pauses observed while invocations ran one at a time. */
export class GcPauses {
  private readonly pauses: { start: number; end: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.pauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  async stop(): Promise<void> {
    // GC entries reach observers on a later turn of the event loop.
    await new Promise((r) => setTimeout(r, 20));
    this.observer.disconnect();
  }

  /** Charges each invocation the pauses during it, except those while it waited on the clock (they belong to the simulated world). */
  charge(stats: InvocationStats): void {
    const overlap = (a: number, b: number, c: number, d: number) => Math.max(0, Math.min(b, d) - Math.max(a, c));
    for (const p of this.pauses)
      stats.gcMs += overlap(p.start, p.end, stats.startedAt, stats.endedAt) - stats.sleeps.reduce((a, [s0, s1]) => a + overlap(p.start, p.end, s0, s1), 0);
  }
}
