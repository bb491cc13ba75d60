import {
  ParameterAlreadyExists,
  ParameterNotFound,
  SSMServiceException,
  ValidationException,
  type GetParameterRequest,
  type GetParametersRequest,
  type Parameter,
  type PutParameterRequest,
} from '@aws-sdk/client-ssm';
import { eventTime, type SimContext, type SimService } from './context';

/**
 * SSM Parameter Store: String/SecureString parameters, versioned, with missing names reported.
 * Every create, update and delete sends a "Parameter Store Change" event to EventBridge, as
 * Systems Manager does ("Setting up notifications or triggering actions based on Parameter Store
 * events", sysman-paramstore-cwe.html: created, updated or deleted, on a best effort basis; the
 * event's shape: "Amazon EventBridge event examples for Systems Manager", Parameter Store
 * events: `detail.{operation, name, type, description}`).
 */

interface SimParameter {
  value: string;
  type: 'String' | 'StringList' | 'SecureString';
  version: number;
  lastModifiedMs: number;
}

export class SimSsm implements SimService {
  readonly clientName = 'SSMClient';
  readonly service = 'ssm';
  readonly baseException = SSMServiceException;
  readonly operations = {
    GetParameters: (i: GetParametersRequest) => {
      const names = i.Names ?? [];
      if (names.length < 1 || names.length > 10) {
        throw this.ctx.err(
          ValidationException,
          400,
          `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length between 1 and 10`,
        );
      }
      const found = names.filter((n) => this.params.has(n));
      return { Parameters: found.map((n) => this.describe(n)), InvalidParameters: names.filter((n) => !this.params.has(n)) };
    },
    GetParameter: (i: GetParameterRequest) => {
      if (!this.params.has(i.Name ?? '')) throw this.ctx.err(ParameterNotFound, 400, '');
      return { Parameter: this.describe(i.Name!) };
    },
    PutParameter: (i: PutParameterRequest) => {
      const existing = this.params.get(i.Name ?? '');
      if (existing && !i.Overwrite) {
        throw this.ctx.err(
          ParameterAlreadyExists,
          400,
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      }
      const version = this.set(i.Name ?? '', i.Value ?? '', (i.Type ?? existing?.type ?? 'String') as SimParameter['type']);
      return { Version: version, Tier: 'Standard' as const };
    },
    DeleteParameter: (i: { Name?: string }) => {
      const existing = this.params.get(i.Name ?? '');
      if (!existing) throw this.ctx.err(ParameterNotFound, 400, '');
      this.params.delete(i.Name ?? '');
      this.changed('Delete', i.Name ?? '', existing.type);
      return {};
    },
  };
  /** Where change events go (the simulated EventBridge). */
  publish: (event: Record<string, unknown>) => void = () => undefined;
  private readonly params = new Map<string, SimParameter>();
  private events = 0;

  constructor(private readonly ctx: SimContext) {}

  /** Sets a parameter as an operator would (no call recorded); returns its new version. */
  set(name: string, value: string, type: SimParameter['type'] = 'String'): number {
    const existed = this.params.has(name);
    const version = (this.params.get(name)?.version ?? 0) + 1;
    this.params.set(name, { value, type, version, lastModifiedMs: this.ctx.clock.now() });
    this.changed(existed ? 'Update' : 'Create', name, type);
    return version;
  }

  remove(name: string): void {
    const existing = this.params.get(name);
    if (!existing) return;
    this.params.delete(name);
    this.changed('Delete', name, existing.type);
  }

  private changed(operation: 'Create' | 'Update' | 'Delete', name: string, type: SimParameter['type']): void {
    const now = this.ctx.clock.now();
    this.publish({
      version: '0',
      // Its own sequence: the world's id source stays as it was for the drills written before these events.
      id: `55d0e0e0-0000-4000-8000-${(++this.events).toString(16).padStart(12, '0')}`,
      'detail-type': 'Parameter Store Change',
      source: 'aws.ssm',
      account: this.ctx.account,
      time: eventTime(now),
      region: this.ctx.region,
      resources: [`arn:aws:ssm:${this.ctx.region}:${this.ctx.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`],
      detail: { operation, name, type, description: '' },
    });
  }

  value(name: string): string | undefined {
    return this.params.get(name)?.value;
  }

  private describe(name: string): Parameter {
    const p = this.params.get(name)!;
    return {
      Name: name,
      Type: p.type,
      Value: p.value,
      Version: p.version,
      LastModifiedDate: new Date(p.lastModifiedMs),
      ARN: `arn:aws:ssm:${this.ctx.region}:${this.ctx.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
      DataType: 'text',
    };
  }
}
