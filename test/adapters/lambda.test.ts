import { InvokeCommand, LambdaClient, LambdaServiceException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { LambdaAdapter } from '../../lambdas/adapters/lambda';
import { NotFoundError } from '../../lambdas/core/errors';
import { recordedError, reply } from './aws-fixtures';

const lambda = mockClient(LambdaClient);
const adapter = new LambdaAdapter(new LambdaClient({ region: 'eu-west-1' }));
const FN = 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed';
beforeEach(() => lambda.reset());
afterAll(() => lambda.restore());

/** The recorded reply, its payload as the bytes the SDK hands back. */
function recorded(): InvokeCommandOutput {
  const { PayloadText, ...rest } = reply<InvokeCommandOutput & { PayloadText: string }>('lambda', 'Invoke');
  return { ...rest, Payload: new TextEncoder().encode(PayloadText) as InvokeCommandOutput['Payload'] };
}

describe('Class: LambdaAdapter', () => {
  it('invokes synchronously with the event as JSON and returns the function\'s answer', async () => {
    lambda.on(InvokeCommand).resolves(recorded());
    const r = await adapter.invoke(FN, { id: 'e-1' });
    expect(r).toEqual({ statusCode: 200, payload: { outcome: 'duplicate', incidentId: 'orders.job-failed.20261122T100000.a1b2c3' } });
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: FN, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ id: 'e-1' });
  });

  it('reports a function error with its payload', async () => {
    lambda.on(InvokeCommand).resolves({ ...recorded(), FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorType":"Error","errorMessage":"boom"}') as InvokeCommandOutput['Payload'] });
    expect(await adapter.invoke(FN, {})).toMatchObject({ functionError: 'Unhandled', payload: { errorMessage: 'boom' } });
  });

  it('maps a missing function to NotFoundError', async () => {
    lambda.on(InvokeCommand).rejects(recordedError(LambdaServiceException, 'lambda', 'ResourceNotFoundException'));
    await expect(adapter.invoke(FN, {})).rejects.toBeInstanceOf(NotFoundError);
  });
});
