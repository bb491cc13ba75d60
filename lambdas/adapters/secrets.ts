import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { StreamfixError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

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
      mapAwsError('secretsmanager', 'GetSecretValue', err);
    }
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary !== undefined) return new TextDecoder().decode(out.SecretBinary);
    throw new StreamfixError(`secret ${secretId} has no value`);
  }
}
