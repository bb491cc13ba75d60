import type { InvocationContext } from '../../lambdas/core/runtime';
import type { SimContext } from './context';

/**
 * The functions under drill, invoked the way Lambda invokes them asynchronously (EventBridge
 * and Scheduler targets): an invocation that throws is retried twice, after one and then two
 * minutes. Each invocation runs in its own frame of the simulated clock, so every AWS call it
 * makes is attributed to it.
 *
 * Like Lambda, a container serves one invocation at a time: concurrent invocations run in
 * separate containers (each built by `container()`, with its own module state such as cached
 * secrets), and a container is reused once its invocation has ended. A killed invocation never
 * gives its container back.
 */

export type FunctionHandler = (event: unknown, context: InvocationContext) => Promise<unknown>;

export interface SimFunction {
  name: string;
  arn: string;
  /** Builds one container's handler (a cold start). */
  container: () => FunctionHandler;
  /** The function's timeout, reported through getRemainingTimeInMillis. */
  timeoutMs: number;
}

export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

export class SimLambda {
  private readonly functions = new Map<string, SimFunction>();
  private readonly idle = new Map<string, FunctionHandler[]>();
  private count = 0;
  /** Containers built, by function name. */
  readonly coldStarts = new Map<string, number>();

  constructor(private readonly ctx: SimContext) {}

  register(fn: SimFunction): void {
    this.functions.set(fn.arn, fn);
  }

  byArn(arn: string): SimFunction | undefined {
    return this.functions.get(arn);
  }

  /** Queues an asynchronous invocation; false when no function has that ARN. */
  invokeAsync(arn: string, payload: unknown, source: string): boolean {
    const fn = this.functions.get(arn);
    if (!fn) {
      this.ctx.record.event(this.ctx.clock.now(), 'invocation-error', `${source}: no function ${arn}`);
      return false;
    }
    this.start(fn, payload, source, 1);
    return true;
  }

  private start(fn: SimFunction, payload: unknown, source: string, attempt: number): void {
    const { clock, record } = this.ctx;
    const invocationId = `${fn.name}-${String(++this.count).padStart(4, '0')}`;
    const startedAtMs = clock.now();
    const rec = { invocationId, functionName: fn.name, source, attempt, startedAtMs, payload } as (typeof record.invocations)[number];
    record.invocations.push(rec);
    const context: InvocationContext = {
      awsRequestId: this.ctx.ids.uuid(),
      invokedFunctionArn: fn.arn,
      getRemainingTimeInMillis: () => Math.max(0, fn.timeoutMs - (clock.now() - startedAtMs)),
    };
    const frame = { invocationId, functionName: fn.name, functionArn: fn.arn, startedAtMs, calls: 0 };
    const pool = this.idle.get(fn.arn) ?? [];
    this.idle.set(fn.arn, pool);
    let handler = pool.pop();
    if (!handler) {
      handler = fn.container();
      this.coldStarts.set(fn.name, (this.coldStarts.get(fn.name) ?? 0) + 1);
    }
    const release = () => pool.push(handler);
    clock
      .track(frame, () => handler(structuredClone(payload), context))
      .finally(release)
      .then(
        (result) => {
          rec.endedAtMs = clock.now();
          rec.result = result;
          record.event(rec.endedAtMs, 'invocation', `${fn.name} ← ${source}${attempt > 1 ? ` (retry ${attempt - 1})` : ''}`, {
            invocationId,
            result: result as Record<string, unknown>,
          });
        },
        (err: unknown) => {
          rec.endedAtMs = clock.now();
          const e = err instanceof Error ? err : new Error(String(err));
          rec.error = { name: e.name, message: e.message };
          const delay = ASYNC_RETRY_DELAYS_MS[attempt - 1];
          record.event(rec.endedAtMs, 'invocation-error', `${fn.name} ← ${source} threw ${e.name}: ${e.message}${delay ? `; Lambda retries in ${delay / 1000} s` : '; retries exhausted, event dropped'}`, { invocationId });
          if (delay !== undefined) clock.after(delay, `retry ${fn.name}`, () => this.start(fn, payload, source, attempt + 1));
        },
      );
  }
}
