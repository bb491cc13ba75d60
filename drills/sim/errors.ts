import type { IdSource } from './ids';

/**
 * Builds a service exception the way the SDK's deserializers do: the real class from the
 * service's client package, with `$metadata` and `message`, so the code under drill sees
 * exactly what it would see from AWS.
 */
// biome-ignore lint/suspicious/noExplicitAny: each SDK exception class takes its own options shape
type ExceptionCtor<E> = new (opts: any) => E;

export type SdkErrorFactory = <E extends Error>(ctor: ExceptionCtor<E>, status: number, message: string, extra?: Record<string, unknown>) => E;

export function sdkErrorFactory(ids: IdSource): SdkErrorFactory {
  return (ctor, status, message, extra = {}) =>
    new ctor({
      $metadata: { httpStatusCode: status, requestId: ids.uuid(), attempts: 1, totalRetryDelay: 0 },
      message,
      ...extra,
    });
}

/** A service's base exception with any error name (for injected faults such as ThrottlingException). */
export function namedSdkError(
  // biome-ignore lint/suspicious/noExplicitAny: each SDK exception class takes its own options shape
  base: new (opts: any) => Error,
  name: string,
  status: number,
  message: string,
  ids: IdSource,
): Error {
  return new base({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: ids.uuid(), attempts: 1, totalRetryDelay: 0 },
    message,
  });
}

/** The simulated platform was asked for something it does not model: a drill bug, never an AWS answer. */
export class NotSimulatedError extends Error {
  override readonly name = 'NotSimulatedError';
}
