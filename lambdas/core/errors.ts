import { StreamfixError } from '../util/errors';

/** The base class lives on the lowest floor (config/ raises ConfigError, config/errors.ts, with it too). */
export { StreamfixError };

/** Bad input: never retried, always names the field. */
export class InvalidInputError extends StreamfixError {
  override readonly name: string = 'InvalidInputError';
  constructor(
    readonly field: string,
    message: string,
    readonly issues: { field: string; message: string }[] = [{ field, message }],
  ) {
    super(`${field}: ${message}`);
  }
}

/** An event arrived that no pipeline/playbook is configured for. */
export class UnroutableEventError extends InvalidInputError {
  override readonly name = 'UnroutableEventError';
}

/** A conditional write lost a race: someone else holds the lock / claimed the event. */
export class ConflictError extends StreamfixError {
  override readonly name: string = 'ConflictError';
}

/** A transient AWS failure (throttling, 5xx, timeout) that survived the SDK's own retries. */
export class TransientAwsError extends StreamfixError {
  override readonly name = 'TransientAwsError';
  override readonly retryable = true;
  constructor(
    readonly service: string,
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`${service}.${operation} failed transiently: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
  }
}

/** An AWS call was refused for a reason that retrying will not change (access denied, validation). */
export class AwsRequestError extends StreamfixError {
  override readonly name = 'AwsRequestError';
  constructor(
    readonly service: string,
    readonly operation: string,
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(`${service}.${operation} failed: ${code}: ${(options.cause as Error)?.message ?? ''}`, options);
  }
}

/** The resource a call named does not exist. */
export class NotFoundError extends StreamfixError {
  override readonly name = 'NotFoundError';
}
