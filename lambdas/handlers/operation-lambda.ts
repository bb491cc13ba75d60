import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { bakedConfig } from '../config/baked';
import { systemClock } from '../core/clock';
import { ENV_VARS, type RuntimeEnv } from '../core/env';
import { InvalidInputError } from '../core/errors';
import { createOperationHandler } from '../operations/runtime';
import type { Operation } from '../operations/types';

/**
 * An operation function reads only the ledger table from its environment (the stack sets the
 * same variables as for playbooks; an operation never uses the escalation or scheduling ones,
 * and its role has no permission for them).
 */
export function operationRuntimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const tableName = env[ENV_VARS.tableName];
  if (!tableName) throw new InvalidInputError(`env.${ENV_VARS.tableName}`, 'Required (set by the streamfix stack)');
  const out = Object.fromEntries(Object.entries(ENV_VARS).map(([key, variable]) => [key, env[variable] ?? ''])) as unknown as RuntimeEnv;
  return { ...out, tableName };
}

/**
 * The Lambda wiring of a manual operation, like `lambdaHandler` for playbooks: config validated
 * and baked in at synth, Powertools logger through middy, and an abort signal 10 s before the timeout, so a
 * long operation (a replay) stops cleanly and returns `partial` with the payload that continues it.
 */
// biome-ignore lint/suspicious/noExplicitAny: one handler shape for every operation, whatever its payload type
export function operationLambdaHandler(op: Operation<any>) {
  const logger = new Logger({ serviceName: op.manifest.id });
  const handle = createOperationHandler(op, {
    config: bakedConfig(process.env.STREAMFIX_CONFIG_JSON),
    env: operationRuntimeEnv(),
    aws: { region: process.env.AWS_REGION ?? 'us-east-1' },
    clock: systemClock,
    logger,
    metrics: new Metrics({ serviceName: op.manifest.id }),
  });
  return middy<unknown, unknown, Error, Context>({ timeoutEarlyInMillis: 10_000 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context, { signal }) => handle(event, context, signal));
}
