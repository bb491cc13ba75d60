import { performance } from 'node:perf_hooks';
import type { InvocationResult, PlaybookHandler } from '../../lambdas/engine/runtime';
import type { DrillMetrics } from '../../drills/sim/powertools';

/**
 * The functions' containers, as Lambda keeps them: a container (its own handler, SDK clients
 * and caches) serves one invocation at a time; one is built (a cold start) when none of the
 * function is idle, and reused once its invocation ended.
 */

export interface Container {
  handler: PlaybookHandler;
  metrics: DrillMetrics;
}

export class ContainerPool {
  /** Containers built, and the time spent building them. */
  coldStarts = 0;
  coldStartMs = 0;
  /** Idle containers by playbook. */
  private readonly idle = new Map<string, Container[]>();

  constructor(private readonly build: (playbook: string) => Container) {}

  /** An idle container of the playbook's function, or a new one. */
  take(playbook: string): Container {
    const c = this.idle.get(playbook)?.pop();
    if (c) return c;
    const t0 = performance.now();
    const built = this.build(playbook);
    this.coldStartMs += performance.now() - t0;
    this.coldStarts++;
    return built;
  }

  release(playbook: string, c: Container): void {
    const pool = this.idle.get(playbook) ?? [];
    pool.push(c);
    this.idle.set(playbook, pool);
  }
}

/** The event as Lambda hands it over: JSON, parsed afresh for every invocation. */
const payloads = new WeakMap<object, string>();
export function payloadOf(event: unknown): string {
  if (typeof event !== 'object' || event === null) return JSON.stringify(event);
  let p = payloads.get(event);
  if (p === undefined) {
    p = JSON.stringify(event);
    payloads.set(event, p);
  }
  return p;
}

/** One invocation in a container: the metrics it stored are flushed when it ends, as in Lambda. */
export async function invoke(c: Container, payload: string, context: Parameters<PlaybookHandler>[1]): Promise<InvocationResult> {
  try {
    return await c.handler(JSON.parse(payload) as unknown, context);
  } finally {
    c.metrics.publishStoredMetrics();
  }
}
