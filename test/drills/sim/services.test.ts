import { StopApplicationCommand, EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParametersCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { NotSimulatedError } from '../../../drills/sim/errors';
import { newWorld, simClient } from '../helpers';

describe('Simulated SSM, Secrets Manager and SNS', () => {
  it('SSM GetParameters lists missing names in InvalidParameters; GetParameter throws ParameterNotFound', async () => {
    const world = newWorld();
    world.ssm.set('/streamfix/pause', 'off');
    const ssm = simClient(world, SSMClient);
    const out = await ssm.send(new GetParametersCommand({ Names: ['/streamfix/pause', '/streamfix/pause/orders'] }));
    expect(out.Parameters?.map((p) => [p.Name, p.Value, p.Version])).toEqual([['/streamfix/pause', 'off', 1]]);
    expect(out.InvalidParameters).toEqual(['/streamfix/pause/orders']);
    await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toBeInstanceOf(ParameterNotFound);
  });

  it('Secrets Manager finds a secret by name or ARN and throws ResourceNotFoundException otherwise', async () => {
    const world = newWorld();
    world.secrets.set('streamfix/pagerduty-routing-key', 'abc');
    const sm = simClient(world, SecretsManagerClient);
    const byName = await sm.send(new GetSecretValueCommand({ SecretId: 'streamfix/pagerduty-routing-key' }));
    expect(byName.SecretString).toBe('abc');
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
    expect(byArn.Name).toBe('streamfix/pagerduty-routing-key');
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'other' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('SNS publishes only to topics that exist', async () => {
    const world = newWorld();
    const topic = 'arn:aws:sns:eu-west-1:123456789012:streamfix-escalations';
    world.sns.addTopic(topic);
    const sns = simClient(world, SNSClient);
    const out = await sns.send(
      new PublishCommand({ TopicArn: topic, Subject: 'hi', Message: 'body', MessageAttributes: { event: { DataType: 'String', StringValue: 'trigger' } } }),
    );
    expect(out.MessageId).toBeDefined();
    expect(world.sns.messages).toMatchObject([{ subject: 'hi', message: 'body', attributes: { event: 'trigger' } }]);
    await expect(sns.send(new PublishCommand({ TopicArn: `${topic}-x`, Message: 'm' }))).rejects.toBeInstanceOf(NotFoundException);
  });
});

describe('Function: simPlugin', () => {
  it('records every call with its simulated time and result, and names an operation it does not simulate', async () => {
    const world = newWorld();
    const ssm = simClient(world, SSMClient);
    await ssm.send(new GetParametersCommand({ Names: ['/a'] }));
    expect(world.record.calls).toMatchObject([{ service: 'ssm', operation: 'GetParameters', input: { Names: ['/a'] }, output: { InvalidParameters: ['/a'] } }]);
    const emr = simClient(world, EMRServerlessClient);
    const err = await emr.send(new StopApplicationCommand({ applicationId: '00fabcd1234efg5h' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSimulatedError);
    expect((err as Error).message).toBe('the simulated platform does not implement EMRServerlessClient StopApplicationCommand');
  });

  it('fails the next calls of an operation with an injected SDK error', async () => {
    const world = newWorld();
    world.callFaults.push({
      service: 'ssm',
      operation: 'GetParameters',
      errorName: 'ThrottlingException',
      status: 400,
      message: 'Rate exceeded',
      remaining: 1,
    });
    const ssm = simClient(world, SSMClient);
    const err = (await ssm.send(new GetParametersCommand({ Names: ['/a'] })).catch((e: unknown) => e)) as Error & {
      $fault: string;
      $metadata: { httpStatusCode: number };
    };
    expect([err.name, err.message, err.$fault, err.$metadata.httpStatusCode]).toEqual(['ThrottlingException', 'Rate exceeded', 'client', 400]);
    await expect(ssm.send(new GetParametersCommand({ Names: ['/a'] }))).resolves.toBeDefined();
  });
});
