import { IAMClient, IAMServiceException, SimulatePrincipalPolicyCommand, type SimulatePrincipalPolicyCommandOutput } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IamAdapter } from '../../lambdas/adapters/iam';
import { AwsRequestError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'iam';
const ROLE = 'arn:aws:iam::123456789012:role/firehose-orders-delivery';
const OBJECTS = 'arn:aws:s3:::orders-data-lake/raw/orders/*';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/5f0c1b2a-7d3e-4c4f-9a8b-1c2d3e4f5a6b';

const iam = mockClient(IAMClient);
const adapter = new IamAdapter(new IAMClient({ region: 'us-east-1' }));
const err = (name: string) => recordedError(IAMServiceException, SVC, name);

beforeEach(() => {
  iam.reset();
});

afterAll(() => {
  iam.restore();
});

describe('Class: IamAdapter', () => {
  describe('Method: simulatePrincipalPolicy', () => {
    it('follows the Marker and returns one decision per action and resource, with the deciding statements', async () => {
      // Prepare
      const [first, second] = pages<SimulatePrincipalPolicyCommandOutput>(SVC, 'SimulatePrincipalPolicy');
      iam.on(SimulatePrincipalPolicyCommand).resolvesOnce(first!).resolvesOnce(second!);
      const actions = ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'];

      // Act
      const results = await adapter.simulatePrincipalPolicy(ROLE, actions, [OBJECTS]);

      // Assess
      const calls = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
      expect(calls).toEqual([
        { PolicySourceArn: ROLE, ActionNames: actions, ResourceArns: [OBJECTS], Marker: undefined },
        { PolicySourceArn: ROLE, ActionNames: actions, ResourceArns: [OBJECTS], Marker: first!.Marker },
      ]);
      expect(results).toEqual([
        { action: 's3:PutObject', resource: OBJECTS, decision: 'implicitDeny', matchedStatements: [], missingContextValues: [] },
        { action: 's3:GetObject', resource: OBJECTS, decision: 'allowed', matchedStatements: ['firehose-s3-read'], missingContextValues: [] },
        { action: 's3:AbortMultipartUpload', resource: OBJECTS, decision: 'explicitDeny', matchedStatements: ['deny-abort-uploads'], missingContextValues: [] },
      ]);
    });

    it('passes context entries and reports the context keys a condition still missed', async () => {
      // Prepare
      iam.on(SimulatePrincipalPolicyCommand).resolves(reply<SimulatePrincipalPolicyCommandOutput>(SVC, 'SimulatePrincipalPolicy-kms'));
      const contextEntries = [{ ContextKeyName: 'kms:ViaService', ContextKeyValues: ['s3.eu-west-1.amazonaws.com'], ContextKeyType: 'string' as const }];

      // Act
      const results = await adapter.simulatePrincipalPolicy(ROLE, ['kms:GenerateDataKey'], [KEY], { contextEntries });

      // Assess
      expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[0]?.args[0].input.ContextEntries).toEqual(contextEntries);
      expect(results).toEqual([
        {
          action: 'kms:GenerateDataKey',
          resource: KEY,
          decision: 'implicitDeny',
          matchedStatements: [],
          missingContextValues: ['kms:EncryptionContext:aws:s3:arn'],
        },
      ]);
    });

    it('includes a resource policy only when given one', async () => {
      // Prepare
      iam.on(SimulatePrincipalPolicyCommand).resolves({ $metadata: {}, EvaluationResults: [], IsTruncated: false });
      const policy = '{"Version":"2012-10-17","Statement":[]}';

      // Act
      await adapter.simulatePrincipalPolicy(ROLE, ['s3:PutObject'], [OBJECTS]);
      await adapter.simulatePrincipalPolicy(ROLE, ['s3:PutObject'], [OBJECTS], { resourcePolicy: policy });

      // Assess
      const [plain, withPolicy] = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
      expect(plain).not.toHaveProperty('ResourcePolicy');
      expect(withPolicy?.ResourcePolicy).toBe(policy);
    });

    it.each([
      ['NoSuchEntityException', NotFoundError],
      ['InvalidInputException', AwsRequestError],
      ['AccessDenied', AwsRequestError],
      ['Throttling', TransientAwsError],
      ['ServiceFailureException', TransientAwsError],
    ])('maps %s to %s', async (name, type) => {
      // Prepare
      iam.on(SimulatePrincipalPolicyCommand).rejects(err(name));

      // Act / Assess
      await expect(adapter.simulatePrincipalPolicy(ROLE, ['s3:PutObject'], [OBJECTS])).rejects.toBeInstanceOf(type);
    });
  });
});
