import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'ssm';
/** GetParameters takes at most 10 names per request. */
const MAX_NAMES_PER_REQUEST = 10;

export class SsmAdapter {
  constructor(private readonly client: SSMClient) {}

  static fromOptions(opts: AwsClientOptions): SsmAdapter {
    return new SsmAdapter(withPlugins(new SSMClient(clientConfig(opts)), opts));
  }

  /**
   * Values by name. A name that does not exist is absent from the result (not an error): a
   * missing pause parameter means "not paused". SecureString values are returned decrypted;
   * for String parameters decryption changes nothing.
   */
  async getParameters(names: string[]): Promise<Record<string, string>> {
    const unique = [...new Set(names)];
    const values: Record<string, string> = {};
    for (let i = 0; i < unique.length; i += MAX_NAMES_PER_REQUEST) {
      const chunk = unique.slice(i, i + MAX_NAMES_PER_REQUEST);
      let reply;
      try {
        reply = await this.client.send(new GetParametersCommand({ Names: chunk, WithDecryption: true }));
      } catch (e) {
        mapAwsError(SERVICE, 'GetParameters', e);
      }
      for (const p of reply.Parameters ?? []) {
        if (p.Name === undefined || p.Value === undefined) continue;
        // A name asked with a selector (`/x:3`, `/x:label`) comes back as `/x` plus `Selector: ':3'`.
        values[p.Selector ? `${p.Name}${p.Selector}` : p.Name] = p.Value;
      }
    }
    return values;
  }

  /**
   * Each parameter's value, version and last change, by name (absent: no such parameter).
   * GetParameters returns `Version` and `LastModifiedDate` with every parameter (API_Parameter,
   * Systems Manager API Reference).
   */
  async describeParameters(names: string[]): Promise<Record<string, { value: string; version: number; lastModifiedMs?: number }>> {
    const unique = [...new Set(names)];
    const out: Record<string, { value: string; version: number; lastModifiedMs?: number }> = {};
    for (let i = 0; i < unique.length; i += MAX_NAMES_PER_REQUEST) {
      let reply;
      try {
        reply = await this.client.send(new GetParametersCommand({ Names: unique.slice(i, i + MAX_NAMES_PER_REQUEST), WithDecryption: true }));
      } catch (e) {
        mapAwsError(SERVICE, 'GetParameters', e);
      }
      for (const p of reply.Parameters ?? []) {
        if (p.Name === undefined || p.Value === undefined) continue;
        out[p.Name] = { value: p.Value, version: p.Version ?? 0, ...(p.LastModifiedDate ? { lastModifiedMs: p.LastModifiedDate.getTime() } : {}) };
      }
    }
    return out;
  }

  async putParameter(name: string, value: string, overwrite = true): Promise<void> {
    try {
      await this.client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: overwrite }));
    } catch (e) {
      mapAwsError(SERVICE, 'PutParameter', e);
    }
  }
}
