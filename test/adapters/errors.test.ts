import { EMRServerlessServiceException } from '@aws-sdk/client-emr-serverless';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { isTransient, mapAwsError } from '../../lambdas/adapters/errors';
import { AwsRequestError, ConflictError, InvalidInputError, NotFoundError, StreamfixError, TransientAwsError } from '../../lambdas/core/errors';
import { recordedError } from './aws-fixtures';

function serviceError(name: string, httpStatusCode: number, fault: 'client' | 'server' = 'client') {
  return new EMRServerlessServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode, requestId: 'b3c1d2e4-0000-4000-8000-1234567890ab', attempts: 3 },
    message: `${name} happened`,
  });
}

/** Runs mapAwsError and hands back what it threw. */
function mapped(err: unknown, service = 'emr-serverless', operation = 'GetJobRun'): unknown {
  try {
    mapAwsError(service, operation, err);
  } catch (thrown) {
    return thrown;
  }
  throw new Error('mapAwsError returned');
}

function networkError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code });
}

describe('Function: mapAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['TooManyRequestsException', 429],
    ['Throttling', 400],
    ['RequestLimitExceeded', 503],
    ['SlowDown', 503],
    ['ProvisionedThroughputExceededException', 400],
  ])('maps %s (HTTP %i) to a TransientAwsError', (name, status) => {
    // Prepare
    const err = serviceError(name, status);

    // Act
    const thrown = mapped(err);

    // Assess
    expect(thrown).toBeInstanceOf(TransientAwsError);
    expect(thrown).toMatchObject({ service: 'emr-serverless', operation: 'GetJobRun', retryable: true, cause: err });
  });

  it.each([
    ['InternalServerException', 500, 'server'],
    ['ServiceUnavailable', 503, 'server'],
    ['BadGateway', 502, 'client'],
    ['UnknownError', 400, 'server'],
  ] as const)('maps %s (HTTP %i, fault %s) to a TransientAwsError', (name, status, fault) => {
    // Prepare
    const err = serviceError(name, status, fault);

    // Act
    const thrown = mapped(err);

    // Assess
    expect(thrown).toBeInstanceOf(TransientAwsError);
  });

  it('maps an error the SDK flagged as throttling to a TransientAwsError', () => {
    // Prepare
    const err = Object.assign(serviceError('LimitExceededException', 400), { $retryable: { throttling: true } });

    // Act & Assess
    expect(mapped(err)).toBeInstanceOf(TransientAwsError);
  });

  it.each([
    [networkError('ECONNRESET')],
    [networkError('ETIMEDOUT')],
    [networkError('EAI_AGAIN')],
    [Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' })],
    [new TypeError('fetch failed', { cause: networkError('ECONNREFUSED') })],
  ])('maps the network failure %s to a TransientAwsError', (err) => {
    // Act
    const thrown = mapped(err, 's3', 'GetObject');

    // Assess
    expect(thrown).toBeInstanceOf(TransientAwsError);
    expect(thrown).toMatchObject({ service: 's3', operation: 'GetObject', cause: err });
  });

  it.each([
    ['ResourceNotFoundException', 404],
    ['NoSuchKey', 404],
    ['NotFound', 404],
    ['ParameterNotFound', 400],
    ['NoSuchBucket', 404],
  ])('maps %s (HTTP %i) to a NotFoundError carrying the cause', (name, status) => {
    // Prepare
    const err = serviceError(name, status);

    // Act
    const thrown = mapped(err);

    // Assess
    expect(thrown).toBeInstanceOf(NotFoundError);
    expect((thrown as NotFoundError).cause).toBe(err);
    expect((thrown as NotFoundError).message).toContain(name);
  });

  it.each([
    ['ConditionalCheckFailedException', 400],
    ['ConflictException', 409],
    ['ParameterAlreadyExists', 400],
  ])('maps %s to a ConflictError carrying the cause', (name, status) => {
    // Prepare
    const err = serviceError(name, status);

    // Act
    const thrown = mapped(err);

    // Assess
    expect(thrown).toBeInstanceOf(ConflictError);
    expect((thrown as ConflictError).cause).toBe(err);
  });

  it('maps AccessDeniedException to an AwsRequestError whose code is the error name', () => {
    // Prepare
    const err = recordedError(EMRServerlessServiceException, 'emr-serverless', 'AccessDeniedException');

    // Act
    const thrown = mapped(err, 'emr-serverless', 'StartJobRun');

    // Assess
    expect(thrown).toBeInstanceOf(AwsRequestError);
    expect(thrown).toMatchObject({
      service: 'emr-serverless',
      operation: 'StartJobRun',
      code: 'AccessDeniedException',
      retryable: false,
      cause: err,
    });
    expect((thrown as Error).message).toContain('not authorized to perform: emr-serverless:StartJobRun');
  });

  it('maps an error of any client package the same way', () => {
    // Prepare
    const err = recordedError(S3ServiceException, 's3', 'AccessDenied');

    // Act
    const thrown = mapped(err, 's3', 'ListObjectsV2');

    // Assess
    expect(thrown).toBeInstanceOf(AwsRequestError);
    expect(thrown).toMatchObject({ code: 'AccessDenied' });
  });

  it('rethrows an error that did not come from AWS unchanged', () => {
    // Prepare
    const err = new TypeError("Cannot read properties of undefined (reading 'jobRunId')");

    // Act & Assess
    expect(mapped(err)).toBe(err);
  });

  it('rethrows an abort unchanged', () => {
    // Prepare
    const err = new DOMException('This operation was aborted', 'AbortError');

    // Act & Assess
    expect(mapped(err)).toBe(err);
  });

  it('rethrows a streamfix error unchanged', () => {
    // Prepare
    const err = new InvalidInputError('detail.jobRunId', 'is required');

    // Act & Assess
    expect(mapped(err)).toBe(err);
  });

  it('rethrows a thrown non-error value unchanged', () => {
    // Act & Assess
    expect(mapped('boom')).toBe('boom');
  });
});

describe('Function: isTransient', () => {
  it.each([
    { label: 'a TransientAwsError', err: new TransientAwsError('s3', 'GetObject', { cause: new Error('x') }), expected: true },
    { label: 'a raw throttling error', err: serviceError('ThrottlingException', 429), expected: true },
    { label: 'a raw 503', err: serviceError('ServiceUnavailable', 503, 'server'), expected: true },
    { label: 'a socket reset', err: networkError('ECONNRESET'), expected: true },
    { label: 'an AwsRequestError', err: new AwsRequestError('s3', 'GetObject', 'AccessDenied', { cause: new Error('x') }), expected: false },
    { label: 'a NotFoundError', err: new NotFoundError('gone'), expected: false },
    { label: 'a raw AccessDeniedException', err: serviceError('AccessDeniedException', 403), expected: false },
    { label: 'a raw ResourceNotFoundException', err: serviceError('ResourceNotFoundException', 404), expected: false },
    { label: 'a plain StreamfixError', err: new StreamfixError('nope'), expected: false },
    { label: 'a TypeError', err: new TypeError('x is not a function'), expected: false },
    { label: 'undefined', err: undefined, expected: false },
  ])('says $label is transient: $expected', ({ err, expected }) => {
    // Act & Assess
    expect(isTransient(err)).toBe(expected);
  });
});
