import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  AuthorizationErrorException,
  InternalErrorException,
  KMSThrottlingException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsAdapter } from '../../lambdas/adapters/secrets';
import { SNS_SUBJECT_MAX_CHARS, SnsAdapter, toSnsSubject } from '../../lambdas/adapters/sns';
import { AwsRequestError, NotFoundError, StreamfixError, TransientAwsError } from '../../lambdas/core/errors';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:streamfix-escalations';
const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

/** A network failure as Node reports it: no service metadata, a socket error code. */
const socketError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('Class: SnsAdapter', () => {
  const sns = mockClient(SNSClient);
  const adapter = SnsAdapter.fromOptions({ region: 'eu-west-1' });

  beforeEach(() => {
    sns.reset();
  });

  describe('Method: publish', () => {
    it('publishes subject, message and string attributes, and returns the MessageId', async () => {
      // Prepare
      sns.on(PublishCommand).resolves({ MessageId: 'b7c1-42' });

      // Act
      const id = await adapter.publish(TOPIC, '[streamfix] ERROR orders/job-failed: failed', 'body\nline 2', {
        pipeline: 'orders',
        severity: 'error',
        reason: '',
      });

      // Assess
      expect(id).toBe('b7c1-42');
      expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
        TopicArn: TOPIC,
        Subject: '[streamfix] ERROR orders/job-failed: failed',
        Message: 'body\nline 2',
        MessageAttributes: {
          pipeline: { DataType: 'String', StringValue: 'orders' },
          severity: { DataType: 'String', StringValue: 'error' },
        },
      });
    });

    it('sends no MessageAttributes when there are none', async () => {
      // Prepare
      sns.on(PublishCommand).resolves({ MessageId: 'm' });

      // Act
      await adapter.publish(TOPIC, 'subject', 'message');

      // Assess
      expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).not.toHaveProperty('MessageAttributes');
    });

    it('fits a long multi-line subject into what SNS accepts', async () => {
      // Prepare
      sns.on(PublishCommand).resolves({ MessageId: 'm' });

      // Act
      await adapter.publish(TOPIC, `first line\n${'second line '.repeat(30)}`, 'message');

      // Assess
      const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject ?? '';
      expect(subject.length).toBeLessThanOrEqual(100);
      expect(subject).not.toMatch(/[\r\n]/);
      expect(subject.startsWith('first line second line')).toBe(true);
    });

    it.each([
      ['ThrottledException', () => new ThrottledException({ message: 'Rate exceeded', ...meta(400) })],
      ['KMSThrottlingException', () => new KMSThrottlingException({ message: 'KMS rate exceeded', ...meta(400) })],
      ['InternalErrorException', () => new InternalErrorException({ message: 'internal', ...meta(500) })],
      ['an unmodelled 503', () => Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', ...meta(503) })],
      ['a socket error', socketError],
    ])('maps %s to a TransientAwsError', async (_, make) => {
      // Prepare
      const cause = make();
      sns.on(PublishCommand).rejects(cause);

      // Act
      const err = await adapter.publish(TOPIC, 's', 'm').catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(TransientAwsError);
      expect((err as TransientAwsError).retryable).toBe(true);
      expect((err as TransientAwsError).operation).toBe('Publish');
      expect((err as Error).cause).toBe(cause);
    });

    it.each([['AuthorizationErrorException', () => new AuthorizationErrorException({ message: 'not authorized', ...meta(403) })]])(
      'maps %s to an AwsRequestError carrying its code',
      async (code, make) => {
        // Prepare
        sns.on(PublishCommand).rejects(make());

        // Act
        const err = await adapter.publish(TOPIC, 's', 'm').catch((e: unknown) => e);

        // Assess
        expect(err).toBeInstanceOf(AwsRequestError);
        expect((err as AwsRequestError).code).toBe(code);
        expect((err as AwsRequestError).service).toBe('sns');
        expect((err as AwsRequestError).retryable).toBe(false);
      },
    );

    it('maps NotFoundException (no such topic) to a NotFoundError', async () => {
      sns.on(PublishCommand).rejects(new NotFoundException({ message: 'Topic does not exist', ...meta(404) }));
      const err = await adapter.publish(TOPIC, 's', 'm').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
    });

    it('passes on an error that is neither an AWS nor a network error', async () => {
      // Prepare
      const bug = new TypeError('cannot read properties of undefined');
      sns.on(PublishCommand).rejects(bug);

      // Act
      const err = await adapter.publish(TOPIC, 's', 'm').catch((e: unknown) => e);

      // Assess
      expect(err).toBe(bug);
    });
  });
});

describe('Function: toSnsSubject', () => {
  it('drops accents and replaces other non-ASCII characters and line breaks with spaces', () => {
    expect(toSnsSubject('Café – naïve ✓\r\nnext')).toBe('Cafe naive next');
  });

  it('cuts with an ellipsis at the limit', () => {
    // Act
    const subject = toSnsSubject('x'.repeat(150));

    // Assess
    expect(subject).toHaveLength(SNS_SUBJECT_MAX_CHARS);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('never returns an empty subject', () => {
    expect(toSnsSubject(' \n ✓ ')).toBe('streamfix');
  });

  it('always returns 1 to 100 printable ASCII characters without line breaks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const subject = toSnsSubject(text);
        expect(subject.length).toBeGreaterThan(0);
        expect(subject.length).toBeLessThanOrEqual(100);
        expect(subject).toMatch(/^[\x20-\x7e]+$/);
        expect(subject.trim()).toBe(subject);
      }),
    );
  });
});

describe('Class: SecretsAdapter', () => {
  const secrets = mockClient(SecretsManagerClient);
  const adapter = SecretsAdapter.fromOptions({ region: 'eu-west-1' });

  beforeEach(() => {
    secrets.reset();
  });

  describe('Method: getSecretString', () => {
    it('returns the secret string of the id it was asked for', async () => {
      // Prepare
      secrets.on(GetSecretValueCommand, { SecretId: 'streamfix/pagerduty' }).resolves({ SecretString: '{"routingKey":"k"}' });

      // Act
      const value = await adapter.getSecretString('streamfix/pagerduty');

      // Assess
      expect(value).toBe('{"routingKey":"k"}');
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    });

    it('reads a binary secret as UTF-8', async () => {
      // Prepare
      secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode('routing-key-ü') });

      // Act
      const value = await adapter.getSecretString('bin');

      // Assess
      expect(value).toBe('routing-key-ü');
    });

    it('refuses a secret without a value', async () => {
      // Prepare
      secrets.on(GetSecretValueCommand).resolves({});

      // Act
      const err = await adapter.getSecretString('empty').catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(StreamfixError);
      expect((err as Error).message).toBe('secret empty has no value');
    });

    it.each([
      ['InternalServiceError', () => new InternalServiceError({ message: 'internal', ...meta(500) })],
      ['ThrottlingException', () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', ...meta(400) })],
      ['a socket error', socketError],
    ])('maps %s to a TransientAwsError', async (_, make) => {
      // Prepare
      secrets.on(GetSecretValueCommand).rejects(make());

      // Act
      const err = await adapter.getSecretString('s').catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(TransientAwsError);
      expect((err as TransientAwsError).service).toBe('secretsmanager');
      expect((err as TransientAwsError).operation).toBe('GetSecretValue');
    });

    it.each([
      ['DecryptionFailure', () => new DecryptionFailure({ message: 'cannot decrypt', ...meta(400) })],
      ['AccessDeniedException', () => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', ...meta(400) })],
    ])('maps %s to an AwsRequestError carrying its code', async (code, make) => {
      // Prepare
      secrets.on(GetSecretValueCommand).rejects(make());

      // Act
      const err = await adapter.getSecretString('s').catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(AwsRequestError);
      expect((err as AwsRequestError).code).toBe(code);
    });

    it('maps ResourceNotFoundException (no such secret) to a NotFoundError', async () => {
      secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta(400) }));
      const err = await adapter.getSecretString('s').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
    });
  });
});
