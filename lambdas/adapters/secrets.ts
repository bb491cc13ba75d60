import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsRequestError, StreamfixError, TransientAwsError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';

/**
 * Reads secrets from Secrets Manager. Error messages name the secret, never its value: the
 * SDK's own messages carry none, and nothing here adds it.
 */
export class SecretsAdapter {
  constructor(private readonly client: SecretsManagerClient) {}

  static fromOptions(opts: AwsClientOptions): SecretsAdapter {
    return new SecretsAdapter(withPlugins(new SecretsManagerClient(clientConfig(opts)), opts));
  }

  /** The current version's string; a binary secret is read as UTF-8 text. */
  async getSecretString(secretId: string): Promise<string> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (err) {
      throw toSecretsError('GetSecretValue', err);
    }
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary !== undefined) return new TextDecoder().decode(out.SecretBinary);
    throw new StreamfixError(`secret ${secretId} has no value`);
  }
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const NETWORK = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Same rule as every adapter: throttling, 5xx and network are transient; other service errors are refusals. */
function toSecretsError(operation: string, err: unknown): unknown {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const transient =
    THROTTLING.has(name) || e.$retryable?.throttling === true || e.$fault === 'server' ||
    status === 429 || (status !== undefined && status >= 500) ||
    NETWORK.has(name) || NETWORK.has(e.code ?? '');
  if (transient) return new TransientAwsError('secretsmanager', operation, { cause: err });
  if (e.$metadata !== undefined || e.$fault !== undefined) {
    return new AwsRequestError('secretsmanager', operation, name || 'Unknown', { cause: err });
  }
  return err;
}
