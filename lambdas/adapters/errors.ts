import { AwsRequestError, ConflictError, NotFoundError, StreamfixError, TransientAwsError } from '../core/errors';

/**
 * Translation of AWS SDK failures into streamfix errors. Only this module decides what an SDK
 * error means; callers see the domain errors of core/errors.ts and never an SDK class.
 */

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
  'KMSThrottlingException',
]);

/** Names the SDK and Node give to a request that never got an answer in time or lost its socket. */
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const NOT_FOUND_NAMES = new Set(['ResourceNotFoundException', 'NoSuchKey', 'NotFound', 'NotFoundException', 'ParameterNotFound']);

/**
 * `ParameterAlreadyExists` is SSM's answer to a create-only PutParameter that lost to an existing
 * value: the same "someone else got there first" as a failed conditional write.
 */
const CONFLICT_NAMES = new Set([
  'ConditionalCheckFailedException',
  'ConflictException',
  'ParameterAlreadyExists',
  // Firehose UpdateDestination: the VersionId changed under us (someone else updated the stream).
  'ConcurrentModificationException',
  // S3 conditional writes: `If-None-Match: *` on a key that exists (412), or a concurrent write to
  // the same key that won (409) (Conditional writes, Amazon S3 User Guide).
  'PreconditionFailed',
  'ConditionalRequestConflict',
]);

interface SdkServiceError extends Error {
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/**
 * Same test as the SDK's own `ServiceException.isInstance`, written out so that it holds for
 * exceptions of every client package (each carries its own copy of the base class).
 */
function isSdkServiceError(err: unknown): err is SdkServiceError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<SdkServiceError>;
  // An error some older or unmodelled path built without `$fault` still carries `$metadata`.
  return typeof e.$metadata === 'object' && e.$metadata !== null && (e.$fault === undefined || e.$fault === 'client' || e.$fault === 'server');
}

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (NETWORK_NAMES.has(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  // fetch and undici wrap the socket error: `TypeError: fetch failed` with the real one as cause.
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isNetworkError(cause);
}

type Kind = 'transient' | 'not-found' | 'conflict' | 'request' | 'unknown';

function classify(err: unknown): Kind {
  if (isSdkServiceError(err)) {
    const status = err.$metadata.httpStatusCode;
    if (NOT_FOUND_NAMES.has(err.name)) return 'not-found';
    if (CONFLICT_NAMES.has(err.name)) return 'conflict';
    if (THROTTLING_NAMES.has(err.name) || err.$retryable?.throttling === true || status === 429) return 'transient';
    if (err.$fault === 'server' || (status !== undefined && status >= 500)) return 'transient';
    if (NETWORK_NAMES.has(err.name)) return 'transient';
    if (status === 404) return 'not-found';
    return 'request';
  }
  if (isNetworkError(err)) return 'transient';
  return 'unknown';
}

function describe(err: Error): string {
  return err.message ? `${err.name}: ${err.message}` : err.name;
}

/**
 * Rethrows `err` as the streamfix error it stands for:
 * throttling, 5xx and network failures → TransientAwsError; missing resources → NotFoundError;
 * lost conditional writes → ConflictError; any other service refusal → AwsRequestError carrying
 * the SDK error name as `code`. Errors that did not come from AWS (programming errors, aborts)
 * are rethrown unchanged, as are errors already translated.
 */
export function mapAwsError(service: string, operation: string, err: unknown): never {
  if (err instanceof StreamfixError) throw err;
  switch (classify(err)) {
    case 'transient':
      throw new TransientAwsError(service, operation, { cause: err });
    case 'not-found':
      throw new NotFoundError(`${service}.${operation}: ${describe(err as Error)}`, { cause: err });
    case 'conflict':
      throw new ConflictError(`${service}.${operation}: ${describe(err as Error)}`, { cause: err });
    case 'request':
      throw new AwsRequestError(service, operation, (err as Error).name, { cause: err });
    case 'unknown':
      throw err;
  }
}

/** True for a failure worth retrying later: a TransientAwsError, or a raw SDK/network error that maps to one. */
export function isTransient(err: unknown): boolean {
  if (err instanceof StreamfixError) return err.retryable;
  return classify(err) === 'transient';
}
