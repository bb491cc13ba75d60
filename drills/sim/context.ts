import type { InvocationFrame, SimClock } from './clock';
import type { SdkErrorFactory } from './errors';
import type { IdSource } from './ids';
import type { SimRecord } from './record';

// biome-ignore lint/suspicious/noExplicitAny: each SDK exception class and operation takes its own input shape
type SdkInput = any;

/** What every simulated service shares: time, identifiers, the record, and where it runs. */
export interface SimContext {
  clock: SimClock;
  ids: IdSource;
  record: SimRecord;
  err: SdkErrorFactory;
  account: string;
  region: string;
  /** Invocations Lambda ended (timeout, crash): nothing they do any more reaches a service. */
  killed: Set<string>;
  /** Consulted at every call of an invocation, before and after the service acts: true kills it there. */
  killPoint?: (frame: InvocationFrame, call: { service: string; operation: string }, phase: 'before' | 'after') => boolean;
}

const NEVER_MS = 10 * 365 * 24 * 3600_000;

/**
 * What a call from an invocation that Lambda ended gets: no answer, ever. It waits on the
 * simulated clock, so the drill goes on around it.
 */
export function hang(ctx: Pick<SimContext, 'clock'>): Promise<never> {
  return ctx.clock.sleep(NEVER_MS).then(() => {
    throw new Error('a killed invocation woke up');
  });
}

/** A simulated AWS service: answers the SDK commands of one client by operation name. */
export interface SimService {
  /** The SDK's `context.clientName`, e.g. `EMRServerlessClient`. */
  readonly clientName: string;
  /** Short service name used in the record and in scenario faults, e.g. `emr-serverless`. */
  readonly service: string;
  /** The client package's base exception: injected faults are built from it. */
  readonly baseException: new (
    opts: SdkInput,
  ) => Error;
  readonly operations: Record<string, (input: SdkInput) => unknown>;
}

/** A pipeline's job as the config describes it: the referee and the checkpoint writer need it. */
export interface KnownJob {
  pipeline: string;
  applicationId: string;
  jobName: string;
  executionRoleArn: string;
  /** `s3://bucket/prefix/` */
  checkpoint: string;
  /** Kafka topic (or stream name) the job reads: offsets in its checkpoint are keyed by it. */
  topic: string;
  partitions: number;
}

/** `2026-01-01T00:03:00.000+0000`: CloudWatch's timestamp format in alarm events. */
export const cwTimestamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

/** `2026-01-01T00:03:00Z`: EventBridge's `time` (second precision). */
export const eventTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
