import type { Pluggable } from '@smithy/types';
import { hang, type SimContext, type SimService } from './context';
import { namedSdkError, NotSimulatedError } from './errors';

/**
 * The simulated platform as an SDK plugin: an `initialize`-step middleware, first in every
 * client's stack, that answers each command from the simulated service (by client and command
 * name) instead of sending it. The code under drill builds its clients exactly as in Lambda.
 * DynamoDB commands pass through to the local DynamoDB (dynalite); their time in flight still
 * counts as the invocation being busy.
 */

export interface CallFault {
  service: string;
  operation: string;
  errorName: string;
  status: number;
  message: string;
  remaining: number;
}

/** More calls than this from one invocation means it is looping: the drill stops it with an error. */
export const MAX_CALLS_PER_INVOCATION = 500;

const PASS_THROUGH = new Set(['DynamoDBClient']);

function forRecord(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'Body' && typeof v !== 'string') out[k] = v instanceof Uint8Array ? `[${v.length} bytes]` : '[stream]';
    else out[k] = v;
  }
  return out;
}

export function simPlugin(ctx: SimContext, services: readonly SimService[], faults: CallFault[]): Pluggable<object, object> {
  const byClient = new Map(services.map((s) => [s.clientName, s]));
  return {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          const clientName = String(context.clientName ?? '');
          const commandName = String(context.commandName ?? '');
          const operation = commandName.replace(/Command$/, '');
          const svc = byClient.get(clientName);
          const current = ctx.clock.currentFrame();
          if (current && ctx.killed.has(current.invocationId)) return hang(ctx);
          const call = { service: svc?.service ?? clientName.replace(/Client$/, '').toLowerCase(), operation };
          if (current && ctx.killPoint?.(current, call, 'before')) return hang(ctx);
          const endIo = ctx.clock.beginIo();
          let answer: Awaited<ReturnType<typeof next>>;
          try {
            answer = await simulate();
          } catch (e) {
            if (current && ctx.killed.has(current.invocationId)) return hang(ctx);
            throw e;
          } finally {
            endIo();
          }
          if (current && (ctx.killed.has(current.invocationId) || ctx.killPoint?.(current, call, 'after'))) return hang(ctx);
          return answer;

          async function simulate() {
            if (PASS_THROUGH.has(clientName)) return await next(args);
            const handle = svc?.operations[operation];
            if (!svc || !handle) {
              throw new NotSimulatedError(`the simulated platform does not implement ${clientName} ${commandName}`);
            }
            const frame = ctx.clock.currentFrame();
            const input = (args as { input: unknown }).input;
            const base = {
              atMs: ctx.clock.now(),
              service: svc.service,
              operation,
              input: forRecord(input),
              ...(frame ? { invocationId: frame.invocationId, functionName: frame.functionName } : {}),
            };
            try {
              if (frame && ++frame.calls > MAX_CALLS_PER_INVOCATION) {
                throw new NotSimulatedError(
                  `${frame.functionName} made more than ${MAX_CALLS_PER_INVOCATION} AWS calls in one invocation (a polling loop that never sleeps?)`,
                );
              }
              const fault = faults.find((f) => f.remaining > 0 && f.service === svc.service && (f.operation === '*' || f.operation === operation));
              if (fault) {
                fault.remaining--;
                throw namedSdkError(svc.baseException, fault.errorName, fault.status, fault.message, ctx.ids);
              }
              const result = (await handle(input)) as Record<string, unknown>;
              ctx.record.call({ ...base, output: forRecord(result) });
              const $metadata = { httpStatusCode: 200, requestId: ctx.ids.uuid(), attempts: 1, totalRetryDelay: 0 };
              return { output: { ...result, $metadata }, response: {} };
            } catch (err) {
              const e = err as Error;
              ctx.record.call({ ...base, error: { name: e.name, message: e.message } });
              throw err;
            }
          }
        },
        { step: 'initialize', priority: 'high', name: 'streamfixDrillSimulator', override: true },
      );
    },
  };
}
