import { withPlugins } from '../../lambdas/adapters/clients';
import type { KnownJob } from '../../drills/sim/context';
import { SimWorld } from '../../drills/sim/world';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const APP = '00fabcd1234efg5h';
export const ROLE = 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole';
export const JOB: KnownJob = {
  pipeline: 'orders',
  applicationId: APP,
  jobName: 'orders-stream',
  executionRoleArn: ROLE,
  checkpoint: 's3://orders-data-lake/_checkpoints/streaming/orders/',
  topic: 'orders.raw',
  partitions: 3,
};

/** A bare simulated world with the orders job's application, for service-level tests. */
export function newWorld(overrides: Partial<ConstructorParameters<typeof SimWorld>[0]> = {}): SimWorld {
  return new SimWorld({ startMs: T0, account: '123456789012', region: 'eu-west-1', jobs: [JOB], applicationIds: [APP], stuckAfterRealMs: 2_000, ...overrides });
}

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** An SDK client whose every call goes to the world, built as the adapters build theirs. */
export function simClient<C extends { middlewareStack: { use(p: never): void } }>(
  world: SimWorld,
  Client: new (config: { region: string; credentials: typeof CREDENTIALS }) => C,
): C {
  return withPlugins(new Client({ region: 'eu-west-1', credentials: CREDENTIALS }) as never, { region: 'eu-west-1', plugins: [world.plugin] }) as C;
}

export const startInput = (overrides: Record<string, unknown> = {}) => ({
  applicationId: APP,
  executionRoleArn: ROLE,
  name: 'orders-stream',
  mode: 'STREAMING' as const,
  clientToken: 'token-1',
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/code/orders-stream/main.py' } },
  ...overrides,
});

/** A retry policy under which EMR does not retry (a failed attempt fails the run): "A value of 1 indicates no retries". */
export const NO_RETRY = { retryPolicy: { maxFailedAttemptsPerHour: 1 } };
