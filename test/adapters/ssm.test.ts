import {
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
  type GetParametersCommandOutput,
  type PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SsmAdapter } from '../../lambdas/adapters/ssm';
import { AwsRequestError, ConflictError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'ssm';

const ssm = mockClient(SSMClient);
const adapter = new SsmAdapter(new SSMClient({ region: 'eu-west-1' }));

const err = (name: string) => recordedError(SSMServiceException, SVC, name);

const emptyReply = (): GetParametersCommandOutput => ({ $metadata: { httpStatusCode: 200 }, Parameters: [], InvalidParameters: [] });

beforeEach(() => {
  ssm.reset();
});

afterAll(() => {
  ssm.restore();
});

describe('Class: SsmAdapter', () => {
  describe('Method: getParameters', () => {
    it('returns the values by name, leaving out the names that do not exist', async () => {
      // Prepare
      const [first] = pages<GetParametersCommandOutput>(SVC, 'GetParameters');
      ssm.on(GetParametersCommand).resolves(first!);
      const names = ['/streamfix/pause', '/streamfix/pause/orders', '/streamfix/pause/payments'];

      // Act
      const values = await adapter.getParameters(names);

      // Assess
      expect(values).toEqual({ '/streamfix/pause': 'false', '/streamfix/pause/payments': 'true' });
      expect(values).not.toHaveProperty('/streamfix/pause/orders');
      expect(ssm.commandCalls(GetParametersCommand)[0]?.args[0].input).toEqual({ Names: names, WithDecryption: true });
    });

    it('asks for at most 10 names per request and merges the replies', async () => {
      // Prepare
      const [first, second] = pages<GetParametersCommandOutput>(SVC, 'GetParameters');
      ssm.on(GetParametersCommand).resolvesOnce(first!).resolvesOnce(second!).resolves(emptyReply());
      const names = Array.from({ length: 23 }, (_, i) => `/streamfix/pause/pipeline-${i}`);

      // Act
      const values = await adapter.getParameters(names);

      // Assess
      const asked = ssm.commandCalls(GetParametersCommand).map((c) => c.args[0].input.Names);
      expect(asked.map((n) => n?.length)).toEqual([10, 10, 3]);
      expect(asked.flat()).toEqual(names);
      expect(Object.keys(values).sort()).toEqual(['/streamfix/pagerduty/routing-key-ref', '/streamfix/pause', '/streamfix/pause/payments']);
    });

    it('asks for a name given twice only once', async () => {
      // Prepare
      ssm.on(GetParametersCommand).resolves(emptyReply());

      // Act
      await adapter.getParameters(['/streamfix/pause', '/streamfix/pause']);

      // Assess
      expect(ssm.commandCalls(GetParametersCommand)[0]?.args[0].input.Names).toEqual(['/streamfix/pause']);
    });

    it('keys a value asked with a version selector by the name as asked', async () => {
      // Prepare
      ssm.on(GetParametersCommand).resolves({
        $metadata: { httpStatusCode: 200 },
        Parameters: [{ Name: '/streamfix/pause', Selector: ':2', Type: 'String', Value: 'true', Version: 2 }],
        InvalidParameters: [],
      });

      // Act & Assess
      expect(await adapter.getParameters(['/streamfix/pause:2'])).toEqual({ '/streamfix/pause:2': 'true' });
    });

    it('sends nothing for no names', async () => {
      // Act
      const values = await adapter.getParameters([]);

      // Assess
      expect(values).toEqual({});
      expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(0);
    });

    it('throws a TransientAwsError when throttled', async () => {
      // Prepare
      ssm.on(GetParametersCommand).rejects(err('ThrottlingException'));

      // Act & Assess
      await expect(adapter.getParameters(['/streamfix/pause'])).rejects.toBeInstanceOf(TransientAwsError);
    });

    it('throws an AwsRequestError with its code when access is denied', async () => {
      // Prepare
      ssm.on(GetParametersCommand).rejects(err('AccessDeniedException'));

      // Act & Assess
      await expect(adapter.getParameters(['/streamfix/pause'])).rejects.toSatisfy(
        (e) => e instanceof AwsRequestError && e.code === 'AccessDeniedException' && e.service === 'ssm',
      );
    });
  });

  describe('Method: putParameter', () => {
    it('overwrites a String parameter by default', async () => {
      // Prepare
      ssm.on(PutParameterCommand).resolves(reply<PutParameterCommandOutput>(SVC, 'PutParameter'));

      // Act
      await adapter.putParameter('/streamfix/pause/orders', 'true');

      // Assess
      expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
        Name: '/streamfix/pause/orders',
        Value: 'true',
        Type: 'String',
        Overwrite: true,
      });
    });

    it('creates only when asked not to overwrite', async () => {
      // Prepare
      ssm.on(PutParameterCommand).resolves(reply<PutParameterCommandOutput>(SVC, 'PutParameter'));

      // Act
      await adapter.putParameter('/streamfix/pause/orders', 'true', false);

      // Assess
      expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({ Overwrite: false });
    });

    it('throws a ConflictError when the parameter exists and overwriting was not allowed', async () => {
      // Prepare
      ssm.on(PutParameterCommand).rejects(err('ParameterAlreadyExists'));

      // Act & Assess
      await expect(adapter.putParameter('/streamfix/pause/orders', 'true', false)).rejects.toBeInstanceOf(ConflictError);
    });
  });
});
