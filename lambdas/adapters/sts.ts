import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsRequestError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'sts';

/** Who is calling: the principal the credentials in use belong to (GetCallerIdentity). */
export interface CallerIdentity {
  /** `arn:aws:iam::123456789012:user/jane` or `arn:aws:sts::123456789012:assumed-role/Role/session`. */
  arn: string;
  account: string;
  /** The unique id: the user id, or `<role id>:<session name>` for an assumed role. */
  userId: string;
}

/**
 * STS, for the CLI: whose credentials run a manual operation, recorded with it. GetCallerIdentity
 * needs no permission (a policy cannot deny it: "GetCallerIdentity", AWS STS API Reference).
 */
export class StsAdapter {
  constructor(private readonly client: STSClient) {}

  static fromOptions(opts: AwsClientOptions): StsAdapter {
    return new StsAdapter(withPlugins(new STSClient(clientConfig(opts)), opts));
  }

  async callerIdentity(): Promise<CallerIdentity> {
    let reply;
    try {
      reply = await this.client.send(new GetCallerIdentityCommand({}));
    } catch (e) {
      mapAwsError(SERVICE, 'GetCallerIdentity', e);
    }
    if (!reply.Arn || !reply.Account || !reply.UserId) {
      throw new AwsRequestError(SERVICE, 'GetCallerIdentity', 'IncompleteIdentity', { cause: new Error('the reply lacks Arn, Account or UserId') });
    }
    return { arn: reply.Arn, account: reply.Account, userId: reply.UserId };
  }
}
