import { ResourceNotFoundException, SecretsManagerServiceException, type GetSecretValueRequest } from '@aws-sdk/client-secrets-manager';
import type { SimContext, SimService } from './context';

/** Secrets Manager: string secrets, looked up by name or ARN. */
export class SimSecretsManager implements SimService {
  readonly clientName = 'SecretsManagerClient';
  readonly service = 'secrets-manager';
  readonly baseException = SecretsManagerServiceException;
  readonly operations = {
    GetSecretValue: (i: GetSecretValueRequest) => {
      const s = [...this.secrets.values()].find((x) => x.name === i.SecretId || x.arn === i.SecretId);
      if (!s) throw this.ctx.err(ResourceNotFoundException, 400, "Secrets Manager can't find the specified secret.");
      return { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: s.value, VersionStages: ['AWSCURRENT'], CreatedDate: new Date(s.createdMs) };
    },
  };
  private readonly secrets = new Map<string, { name: string; arn: string; value: string; versionId: string; createdMs: number }>();

  constructor(private readonly ctx: SimContext) {}

  set(name: string, value: string): void {
    this.secrets.set(name, {
      name,
      arn: `arn:aws:secretsmanager:${this.ctx.region}:${this.ctx.account}:secret:${name}-${this.ctx.ids.chars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`,
      value,
      versionId: this.ctx.ids.uuid(),
      createdMs: this.ctx.clock.now(),
    });
  }
}
