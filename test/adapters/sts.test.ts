import { GetCallerIdentityCommand, STSClient, STSServiceException, type GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { StsAdapter } from '../../lambdas/adapters/sts';
import { AwsRequestError } from '../../lambdas/core/errors';
import { recordedError, reply } from './aws-fixtures';

const sts = mockClient(STSClient);
const adapter = new StsAdapter(new STSClient({ region: 'eu-west-1' }));
beforeEach(() => sts.reset());
afterAll(() => sts.restore());

describe('Class: StsAdapter', () => {
  it("returns the caller's ARN, account and user id", async () => {
    sts.on(GetCallerIdentityCommand).resolves(reply<GetCallerIdentityCommandOutput>('sts', 'GetCallerIdentity'));
    expect(await adapter.callerIdentity()).toEqual({
      arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_StreamingOncall_0123456789abcdef/jane.doe@example.com',
      account: '123456789012',
      userId: 'AROAEXAMPLEROLEID1234:jane.doe@example.com',
    });
  });

  it('throws an AwsRequestError for expired credentials, and for a reply without an ARN', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejectsOnce(recordedError(STSServiceException, 'sts', 'ExpiredToken'))
      .resolves({ $metadata: {}, Account: '123456789012' });
    await expect(adapter.callerIdentity()).rejects.toMatchObject({ code: 'ExpiredToken' });
    await expect(adapter.callerIdentity()).rejects.toBeInstanceOf(AwsRequestError);
  });
});
