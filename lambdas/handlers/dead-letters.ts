import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { bakedConfig } from '../config/baked';
import { systemClock } from '../core/clock';
import { readRuntimeEnv } from '../core/env';
import { createDeadLetterHandler } from './create';

const logger = new Logger({ serviceName: 'dead-letters' });
const handle = createDeadLetterHandler({
  config: bakedConfig(process.env.STREAMFIX_CONFIG_JSON),
  env: readRuntimeEnv(),
  aws: { region: process.env.AWS_REGION ?? 'us-east-1' },
  clock: systemClock,
  fetch: globalThis.fetch.bind(globalThis),
  logger,
});

/** SQS event source (with ReportBatchItemFailures) on the dead-letter queue. */
export const handler = middy<unknown, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => handle(event));
