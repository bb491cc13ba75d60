import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { StreamfixConfig } from '../config/schema';
import type { AwsClientOptions } from '../adapters/clients';
import type { Ledger } from '../ledger/ledger';
import type { Clock } from '../core/clock';
import type { RuntimeEnv } from '../core/env';

/** Everything a playbook function needs from the outside world: Lambda and drills differ only here. */
export interface RuntimeDeps {
  config: StreamfixConfig;
  env: RuntimeEnv;
  aws: AwsClientOptions;
  clock: Clock;
  /** Used for PagerDuty; drills pass the simulator's. */
  fetch: typeof fetch;
  logger: Logger;
  metrics: Metrics;
  /**
   * The ledger every function of this deployment shares. Lambda leaves it out (each function
   * opens the table named in its environment); the benches pass one held in memory.
   */
  ledger?: Ledger;
}

/** The part of the Lambda context the engine uses. */
export interface InvocationContext {
  awsRequestId?: string;
  /** The function's own ARN: target of its follow-up schedules. */
  invokedFunctionArn?: string;
  getRemainingTimeInMillis?(): number;
}

export interface InvocationResult {
  outcome: 'processed' | 'duplicate' | 'rejected';
  incidentId?: string;
  /** An invocation that handled several triggers (a resume): every incident it worked on, in order. */
  incidentIds?: string[];
  decision?: { kind: string; reason: string; summary: string };
  error?: { name: string; field?: string; message: string };
}

export type PlaybookHandler = (event: unknown, context?: InvocationContext, signal?: AbortSignal) => Promise<InvocationResult>;
