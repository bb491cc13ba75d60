import type { InvocationContext } from '../../lambdas/engine/runtime';
import type { SimContext } from './context';

/**
 * The functions under drill, invoked the way Lambda invokes them asynchronously (EventBridge and
 * Scheduler targets), following the AWS Lambda guide, "How Lambda handles errors and retries with
 * asynchronous invocation" (docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
 *
 * - A function error (the handler threw, the function timed out, the runtime died, e.g. out of
 *   memory) is retried twice: 1 minute after the attempt ended, then 2 minutes after the retry
 *   ended. A retry keeps the attempt's request id (AWS Knowledge Center, "Lambda function
 *   duplicate invocations": duplicates that returned an error or timed out and share a request id
 *   are Lambda's retries).
 * - After the last retry the event goes to the function's on-failure destination, as an
 *   invocation record (docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):
 *   `requestContext.{requestId, functionArn, condition: RetriesExhausted, approximateInvokeCount}`,
 *   `requestPayload`, `responseContext`, `responsePayload.{errorType, errorMessage}`.
 * - An invocation ends at its timeout, and none of its code runs after that; a crash (out of
 *   memory, a runtime exit) ends it at once. Here a killed invocation's pending calls never
 *   answer (see SimContext.killed), so nothing it does after its end reaches any service.
 *
 * Each invocation runs in its own frame of the simulated clock, so every AWS call it makes is
 * attributed to it. Like Lambda, a container serves one invocation at a time: concurrent
 * invocations run in separate containers (each built by `container()`, with its own module state
 * such as cached secrets), a container is reused once its invocation has ended, and a killed
 * invocation never gives its container back.
 */

export type FunctionHandler = (event: unknown, context: InvocationContext) => Promise<unknown>;

/** How an invocation is stopped: at its timeout, or at once (out of memory, a runtime exit). */
export type KillHow = 'timeout' | 'crash';

/** Lambda's invocation record for the on-failure destination. */
export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: 'RetriesExhausted'; approximateInvokeCount: number };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
}

export interface SimFunction {
  name: string;
  arn: string;
  /** Builds one container's handler (a cold start). */
  container: () => FunctionHandler;
  /** The function's timeout, reported through getRemainingTimeInMillis and enforced. */
  timeoutMs: number;
  /** The on-failure destination: receives the record of an event whose retries were used up. */
  onFailure?: (record: DestinationRecord) => void;
}

export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

interface Running {
  fn: SimFunction;
  startedAtMs: number;
  settled: boolean;
  settle: (outcome: { result?: unknown; error?: Error }) => void;
}

const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });

export class SimLambda {
  private readonly functions = new Map<string, SimFunction>();
  private readonly idle = new Map<string, FunctionHandler[]>();
  private readonly running = new Map<string, Running>();
  private count = 0;
  /** Containers built, by function name. */
  readonly coldStarts = new Map<string, number>();
  /** Events that reached an on-failure destination. */
  readonly deadLetters: DestinationRecord[] = [];

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
    this.start(fn, payload, source, 1, this.ctx.ids.uuid());
    return true;
  }

  /**
   * Stops an invocation for good: `crash` ends it now, `timeout` at its function's timeout. Its
   * calls from now on never answer; Lambda then retries the event as for any function error.
   */
  kill(invocationId: string, how: KillHow): void {
    const r = this.running.get(invocationId);
    if (!r || r.settled || this.ctx.killed.has(invocationId)) return;
    this.ctx.killed.add(invocationId);
    const { clock, record } = this.ctx;
    record.event(
      clock.now(),
      'fault',
      `kill ${r.fn.name} (${invocationId}): ${how === 'crash' ? 'the runtime exits now (out of memory)' : `it hangs until its timeout at +${r.fn.timeoutMs / 1000} s`}`,
      { invocationId, how },
    );
    if (how === 'crash') {
      r.settle({ error: lambdaError('Runtime.ExitError', 'Runtime exited with error: signal: killed') });
    } else {
      clock.at(r.startedAtMs + r.fn.timeoutMs, `timeout ${r.fn.name}`, () =>
        r.settle({ error: lambdaError('Sandbox.Timedout', `Task timed out after ${(r.fn.timeoutMs / 1000).toFixed(2)} seconds`) }),
      );
    }
  }

  private start(fn: SimFunction, payload: unknown, source: string, attempt: number, requestId: string): void {
    const { clock, record } = this.ctx;
    const invocationId = `${fn.name}-${String(++this.count).padStart(4, '0')}`;
    const startedAtMs = clock.now();
    const rec = { invocationId, functionName: fn.name, source, attempt, startedAtMs, payload, requestId } as (typeof record.invocations)[number];
    record.invocations.push(rec);
    const context: InvocationContext = {
      awsRequestId: requestId,
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
    const running: Running = {
      fn,
      startedAtMs,
      settled: false,
      settle: ({ result, error }) => {
        if (running.settled) return;
        running.settled = true;
        this.running.delete(invocationId);
        rec.endedAtMs = clock.now();
        if (!error) {
          rec.result = result;
          record.event(rec.endedAtMs, 'invocation', `${fn.name} ← ${source}${attempt > 1 ? ` (retry ${attempt - 1})` : ''}`, {
            invocationId,
            result: result as Record<string, unknown>,
          });
          return;
        }
        rec.error = { name: error.name, message: error.message };
        const delay = ASYNC_RETRY_DELAYS_MS[attempt - 1];
        const next =
          delay !== undefined
            ? `; Lambda retries in ${delay / 1000} s`
            : fn.onFailure
              ? '; retries used up: sent to the on-failure destination'
              : '; retries used up, event dropped';
        record.event(rec.endedAtMs, 'invocation-error', `${fn.name} ← ${source} failed: ${error.name}: ${error.message}${next}`, { invocationId });
        if (delay !== undefined) {
          clock.after(delay, `retry ${fn.name}`, () => this.start(fn, payload, source, attempt + 1, requestId));
        } else if (fn.onFailure) {
          const dead: DestinationRecord = {
            version: '1.0',
            timestamp: new Date(rec.endedAtMs).toISOString(),
            requestContext: { requestId, functionArn: `${fn.arn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempt },
            requestPayload: payload,
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: { errorType: error.name, errorMessage: error.message },
          };
          this.deadLetters.push(dead);
          fn.onFailure(dead);
        }
      },
    };
    this.running.set(invocationId, running);
    // Lambda ends every invocation at its timeout.
    clock.at(startedAtMs + fn.timeoutMs, `deadline ${fn.name}`, () => {
      if (!running.settled && !this.ctx.killed.has(invocationId)) {
        this.ctx.killed.add(invocationId);
        running.settle({ error: lambdaError('Sandbox.Timedout', `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`) });
      }
    });
    clock
      .track(frame, () => handler(structuredClone(payload), context))
      .then(
        (result) => {
          if (!this.ctx.killed.has(invocationId)) pool.push(handler);
          running.settle({ result });
        },
        (err: unknown) => {
          if (!this.ctx.killed.has(invocationId)) pool.push(handler);
          running.settle({ error: err instanceof Error ? err : new Error(String(err)) });
        },
      );
  }
}
