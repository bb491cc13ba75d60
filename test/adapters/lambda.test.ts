import { InvokeCommand, LambdaClient, LambdaServiceException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FunctionFailedError, LambdaAdapter } from '../../lambdas/adapters/lambda';
import { AwsRequestError, NotFoundError } from '../../lambdas/core/errors';
import { recordedError, reply } from './aws-fixtures';

const lambda = mockClient(LambdaClient);
const adapter = new LambdaAdapter(new LambdaClient({ region: 'eu-west-1' }));
beforeEach(() => lambda.reset());
afterAll(() => lambda.restore());

/** A recorded reply, its Payload back to the bytes the SDK gives. */
const recorded = (file: string): InvokeCommandOutput => {
  const r = reply<Omit<InvokeCommandOutput, 'Payload'> & { Payload: string }>('lambda', file);
  return { ...r, Payload: new TextEncoder().encode(r.Payload) } as InvokeCommandOutput;
};

describe('Class: LambdaAdapter', () => {
  describe('Method: invoke', () => {
    it('runs the function with the JSON payload (RequestResponse) and returns its parsed result', async () => {
      // Prepare
      lambda.on(InvokeCommand).resolves(recorded('Invoke'));

      // Act
      const r = await adapter.invoke('streamfix-job-failed', { streamfix: 'approve', incidentId: 'orders.job-failed.20260101T000101.5cd625' });

      // Assess
      expect(r).toMatchObject({ outcome: 'processed', decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE' } });
      const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
      expect(input).toMatchObject({ FunctionName: 'streamfix-job-failed', InvocationType: 'RequestResponse' });
      expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({
        streamfix: 'approve',
        incidentId: 'orders.job-failed.20260101T000101.5cd625',
      });
    });

    it("throws FunctionFailedError with the function's own error type and message when the function threw", async () => {
      lambda.on(InvokeCommand).resolves(recorded('Invoke-function-error'));
      const e = await adapter.invoke('streamfix-job-failed', {}).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FunctionFailedError);
      expect(e).toMatchObject({ errorType: 'IncidentBusyError', message: expect.stringContaining('still owned by another worker') });
    });

    it('maps a missing function to NotFoundError and a refused invocation to AwsRequestError', async () => {
      lambda
        .on(InvokeCommand)
        .rejectsOnce(recordedError(LambdaServiceException, 'lambda', 'ResourceNotFoundException'))
        .rejectsOnce(recordedError(LambdaServiceException, 'lambda', 'AccessDeniedException'));
      await expect(adapter.invoke('streamfix-job-failed', {})).rejects.toBeInstanceOf(NotFoundError);
      await expect(adapter.invoke('streamfix-job-failed', {})).rejects.toBeInstanceOf(AwsRequestError);
    });
  });
});
