import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'lambda';

export interface InvokeResult {
  statusCode: number;
  /** Set when the function failed (`Unhandled`): the payload is then its error. */
  functionError?: string;
  payload: unknown;
}

/**
 * Lambda, for the CLI: send an event to a streamfix function and read its answer (Invoke with
 * RequestResponse: the function runs the event through the engine, dedupe included).
 */
export class LambdaAdapter {
  constructor(private readonly client: LambdaClient) {}

  static fromOptions(opts: AwsClientOptions): LambdaAdapter {
    return new LambdaAdapter(withPlugins(new LambdaClient(clientConfig(opts, 'lambda')), opts));
  }

  async invoke(functionName: string, event: unknown): Promise<InvokeResult> {
    let reply;
    try {
      reply = await this.client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(event)) }));
    } catch (e) {
      mapAwsError(SERVICE, 'Invoke', e);
    }
    const text = reply.Payload ? new TextDecoder().decode(reply.Payload) : '';
    let payload: unknown = text;
    try {
      payload = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      // not JSON: kept as the text it is
    }
    return { statusCode: reply.StatusCode ?? 0, ...(reply.FunctionError ? { functionError: reply.FunctionError } : {}), payload };
  }
}
