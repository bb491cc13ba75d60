import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AwsRequestError, StreamfixError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'lambda';

/** The function ran and failed: its error as Lambda reports it (`FunctionError` and the payload's `errorType`, `errorMessage`). */
export class FunctionFailedError extends StreamfixError {
  override readonly name = 'FunctionFailedError';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${functionName} failed: ${errorType}: ${message}`);
  }
}

/**
 * Lambda, for the CLI: a person's approval or resume reaches the playbook's function as a manual
 * invocation. Invoke (Lambda API Reference, API_Invoke): `RequestResponse` runs the function and
 * returns its result in `Payload`; a function that threw answers 200 with `FunctionError` set and
 * `{errorType, errorMessage}` in the payload; `Event` queues it (202, no payload).
 */
export class LambdaAdapter {
  constructor(private readonly client: LambdaClient) {}

  static fromOptions(opts: AwsClientOptions): LambdaAdapter {
    return new LambdaAdapter(withPlugins(new LambdaClient(clientConfig(opts, 'lambda')), opts));
  }

  /** Runs the function with `payload` and returns what it returned (parsed JSON). */
  async invoke(functionName: string, payload: unknown): Promise<unknown> {
    let reply;
    try {
      reply = await this.client.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
      );
    } catch (e) {
      mapAwsError(SERVICE, 'Invoke', e);
    }
    const text = reply.Payload ? new TextDecoder().decode(reply.Payload) : '';
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (e) {
      throw new AwsRequestError(SERVICE, 'Invoke', 'InvalidPayload', {
        cause: new Error(`the function returned something other than JSON: ${text.slice(0, 200)}`, { cause: e }),
      });
    }
    if (reply.FunctionError) {
      const err = (body ?? {}) as { errorType?: unknown; errorMessage?: unknown };
      throw new FunctionFailedError(
        functionName,
        typeof err.errorType === 'string' ? err.errorType : reply.FunctionError,
        typeof err.errorMessage === 'string' ? err.errorMessage : text.slice(0, 500),
      );
    }
    return body;
  }
}
