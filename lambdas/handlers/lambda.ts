import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { bakedConfig } from '../config/baked';
import { systemClock } from '../core/clock';
import { readRuntimeEnv } from '../core/env';
import type { Playbook } from '../core/playbook';
import { createHandler } from './create';

/**
 * The Lambda wiring shared by every playbook entry: config validated and baked into the bundle
 * at synth (`process.env.STREAMFIX_CONFIG_JSON` is replaced by esbuild's define), Powertools logger and
 * metrics through middy, and an abort signal 10 s before the Lambda timeout so a fix in
 * progress stops cleanly (its ledger entries let the retry resume it).
 */
export function lambdaHandler(playbook: Playbook) {
  const logger = new Logger({ serviceName: playbook.manifest.id });
  const metrics = new Metrics({ serviceName: playbook.manifest.id });
  const config = bakedConfig(process.env.STREAMFIX_CONFIG_JSON);
  const handle = createHandler(playbook, {
    config,
    env: readRuntimeEnv(),
    aws: { region: process.env.AWS_REGION ?? 'us-east-1' },
    clock: systemClock,
    fetch: globalThis.fetch.bind(globalThis),
    logger,
    metrics,
  });
  return middy<unknown, unknown, Error, Context>({ timeoutEarlyInMillis: 10_000 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler((event, context, { signal }) => handle(event, context, signal));
}
