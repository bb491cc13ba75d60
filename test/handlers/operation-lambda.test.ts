import { afterEach, describe, expect, it } from 'vitest';
import { operationLambdaHandler, operationRuntimeEnv } from '../../lambdas/handlers/operation-lambda';
import { dlqReplayOperation } from '../../lambdas/operations/dlq-replay';
import exampleConfig from '../../streamfix.config';

describe('Function: operationRuntimeEnv', () => {
  it('needs only the ledger table, naming the variable when it is missing', () => {
    expect(operationRuntimeEnv({ STREAMFIX_TABLE: 'streamfix-ledger' })).toMatchObject({ tableName: 'streamfix-ledger', topicArn: '' });
    expect(() => operationRuntimeEnv({})).toThrow('env.STREAMFIX_TABLE');
  });
});

describe('Function: operationLambdaHandler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses to build without the baked-in config', () => {
    delete process.env.STREAMFIX_CONFIG_JSON;
    expect(() => operationLambdaHandler(dlqReplayOperation)).toThrow('STREAMFIX_CONFIG_JSON');
  });

  it('answers a malformed payload through middy with the fields at fault, touching nothing', async () => {
    Object.assign(process.env, {
      STREAMFIX_CONFIG_JSON: JSON.stringify(exampleConfig),
      STREAMFIX_TABLE: 'streamfix-ledger',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const handler = operationLambdaHandler(dlqReplayOperation);
    const context = { getRemainingTimeInMillis: () => 900_000, functionName: 'streamfix-dlq-replay', awsRequestId: 'r' };
    const r = (await handler({ command: 'replay', pipeline: 'orders', ratePerSecond: -1 }, context as never)) as {
      outcome: string;
      errors: { field: string }[];
    };
    expect(r.outcome).toBe('rejected');
    expect(r.errors.map((e) => e.field)).toEqual(['ratePerSecond']);
  });
});
