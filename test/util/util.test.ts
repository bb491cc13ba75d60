import { describe, expect, it } from 'vitest';
import { appArn } from '../../lambdas/util/arn';
import { isRecord } from '../../lambdas/util/is-record';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';
import { s3LocationOf, splitS3Uri } from '../../lambdas/util/s3-uri';

describe('Function: isRecord', () => {
  it('accepts plain objects, including empty and null-prototype ones', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord({ a: 1 })).toBe(true);
    expect(isRecord(Object.create(null))).toBe(true);
  });

  it('rejects null, arrays and every primitive', () => {
    for (const v of [null, undefined, [], [1], 'x', 0, true, 1n, Symbol('s')]) expect(isRecord(v)).toBe(false);
  });
});

describe('Function: appArn', () => {
  it('builds the EMR Serverless application ARN in the pipeline partition, region and account', () => {
    const arn = appArn({ partition: 'aws-cn', region: 'cn-north-1', account: '123456789012', pipeline: { job: { applicationId: '00fabc' } } });
    expect(arn).toBe('arn:aws-cn:emr-serverless:cn-north-1:123456789012:/applications/00fabc');
  });
});

describe('Schema: pipelineRef', () => {
  it.each(['a', 'orders', 'orders-stream-2', `a${'b'.repeat(39)}`])('accepts %s', (name) => {
    expect(pipelineRef.parse(name)).toBe(name);
  });

  it.each(['', 'Orders', '1orders', 'orders_stream', `a${'b'.repeat(40)}`])('rejects %j with the config name rule', (name) => {
    const r = pipelineRef.safeParse(name);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('must be a pipeline name from the config');
  });
});

describe('Function: splitS3Uri', () => {
  it('splits a bucket and a prefix, keeping the trailing slash', () => {
    expect(splitS3Uri('s3://bucket/some/prefix/')).toEqual({ bucket: 'bucket', prefix: 'some/prefix/' });
  });

  it('gives an empty prefix for the bucket itself, with or without a slash', () => {
    expect(splitS3Uri('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(splitS3Uri('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
  });

  it.each(['', 'bucket/key', 's3://', 's3:///key', 'S3://bucket/key', 'https://bucket.s3.amazonaws.com/key'])('gives undefined for %j', (uri) => {
    expect(splitS3Uri(uri)).toBeUndefined();
  });
});

describe('Function: s3LocationOf', () => {
  it('gives the bucket and prefix of a URI with a slash after the bucket', () => {
    expect(s3LocationOf('s3://orders-data-lake/_checkpoints/orders/')).toEqual({ bucket: 'orders-data-lake', prefix: '_checkpoints/orders/' });
    expect(s3LocationOf('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
  });

  it('throws naming the URI when there is no bucket, no slash after it, or no s3:// scheme', () => {
    for (const bad of ['s3://bucket', 's3://', 'https://bucket/prefix/', 'bucket/prefix/']) expect(() => s3LocationOf(bad)).toThrow(`not an s3 uri: ${bad}`);
  });
});
