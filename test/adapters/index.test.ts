import type { HttpRequest, Pluggable } from '@smithy/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AdapterNotBundledError,
  ALL_ADAPTERS,
  ADAPTER_NAMES,
  createAwsAdapters,
  EmrServerlessAdapter,
  IamAdapter,
  S3Adapter,
  selectAwsAdapters,
  SchedulerAdapter,
  SsmAdapter,
  type AwsClientOptions,
} from '../../lambdas/adapters';
import { reply } from './aws-fixtures';

interface Sent {
  input: Record<string, unknown>;
  request: HttpRequest;
}

/**
 * A plugin in the place the simulated platform takes in drills: it answers every command with
 * `output` once the request is built and signed, so no request leaves the process.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK types a plugin for any client as Pluggable<any, any>
function answering(output: object, sent: Sent[]): Pluggable<any, any> {
  return {
    applyToStack(stack) {
      stack.add(
        (_next) => async (args) => {
          sent.push({ input: args.input as Record<string, unknown>, request: args.request as HttpRequest });
          return { output: { $metadata: {}, ...output }, response: {} };
        },
        { step: 'finalizeRequest', priority: 'low', name: 'answerInProcess' },
      );
    },
  };
}

function options(output: object, sent: Sent[], extra: Partial<AwsClientOptions> = {}): AwsClientOptions {
  return {
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    plugins: [answering(output, sent)],
    ...extra,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: createAwsAdapters', () => {
  it('builds no adapter until one is used, then builds each one once', () => {
    // Prepare
    const emr = vi.spyOn(EmrServerlessAdapter, 'fromOptions');
    const s3 = vi.spyOn(S3Adapter, 'fromOptions');
    const scheduler = vi.spyOn(SchedulerAdapter, 'fromOptions');
    const ssm = vi.spyOn(SsmAdapter, 'fromOptions');
    const opts: AwsClientOptions = { region: 'eu-west-1' };

    // Act
    const aws = createAwsAdapters(opts);
    const builtBeforeUse = [emr, s3, scheduler, ssm].map((s) => s.mock.calls.length);
    const first = aws.ssm;
    const second = aws.ssm;

    // Assess
    expect(builtBeforeUse).toEqual([0, 0, 0, 0]);
    expect(first).toBeInstanceOf(SsmAdapter);
    expect(second).toBe(first);
    expect(ssm).toHaveBeenCalledTimes(1);
    expect(ssm).toHaveBeenCalledWith(opts);
    expect([emr, s3, scheduler].map((s) => s.mock.calls.length)).toEqual([0, 0, 0]);
  });

  it('hands out one adapter of each kind', () => {
    // Prepare
    const aws = createAwsAdapters({ region: 'eu-west-1' });

    // Act
    const adapters = [aws.emr, aws.s3, aws.scheduler, aws.ssm];

    // Assess
    expect(adapters.map((a) => a.constructor)).toEqual([EmrServerlessAdapter, S3Adapter, SchedulerAdapter, SsmAdapter]);
    expect([aws.emr, aws.s3, aws.scheduler, aws.ssm]).toEqual(adapters);
    expect(aws.emr).toBe(adapters[0]);
  });
});

describe('Function: selectAwsAdapters', () => {
  it('builds only the adapters it is given, on first use', () => {
    // Prepare
    const s3 = vi.spyOn(S3Adapter, 'fromOptions');
    const opts: AwsClientOptions = { region: 'eu-west-1' };

    // Act
    const aws = selectAwsAdapters(opts, { s3: S3Adapter }, 'job-failed');
    const builtBeforeUse = s3.mock.calls.length;
    const first = aws.s3;

    // Assess
    expect(builtBeforeUse).toBe(0);
    expect(first).toBeInstanceOf(S3Adapter);
    expect(aws.s3).toBe(first);
    expect(s3).toHaveBeenCalledTimes(1);
    expect(Object.keys(aws)).toEqual(['s3']);
  });

  it('refuses an adapter the function does not bundle, naming the adapter and the function', () => {
    // Prepare
    const aws = selectAwsAdapters({ region: 'eu-west-1' }, { s3: S3Adapter }, 'job-failed');

    // Act
    const use = () => aws.iam;

    // Assess
    expect(use).toThrow(AdapterNotBundledError);
    expect(use).toThrow('the iam adapter (iam) is not bundled in the job-failed function');
    expect(() => aws.emr).toThrow(/emr adapter \(emr-serverless\).*job-failed/);
  });

  it('gives every adapter when createAwsAdapters is given none', () => {
    // Act
    const aws = createAwsAdapters({ region: 'eu-west-1' });

    // Assess
    expect(Object.keys(aws).sort()).toEqual([...ADAPTER_NAMES].sort());
    expect(Object.keys(ALL_ADAPTERS).sort()).toEqual([...ADAPTER_NAMES].sort());
    expect(aws.iam).toBeInstanceOf(IamAdapter);
  });
});

describe('Class: EmrServerlessAdapter', () => {
  describe('Method: fromOptions', () => {
    it("builds a client for the options' region with their plugins in its middleware stack", async () => {
      // Prepare
      const sent: Sent[] = [];
      const recorded = reply<{ jobRun: object }>('emr-serverless', 'GetJobRun');
      const adapter = EmrServerlessAdapter.fromOptions(options(recorded, sent));

      // Act
      const run = await adapter.getJobRun('00fqm8t3b2kd5h09', '00fr0g1ahv6jmc0a');

      // Assess
      expect(run.executionRoleArn).toBe('arn:aws:iam::123456789012:role/orders-enrichment-job');
      expect(sent).toHaveLength(1);
      expect(sent[0]?.request.hostname).toBe('emr-serverless.eu-west-1.amazonaws.com');
      expect(sent[0]?.request.path).toBe('/applications/00fqm8t3b2kd5h09/jobruns/00fr0g1ahv6jmc0a');
    });
  });
});

describe('Class: S3Adapter', () => {
  describe('Method: fromOptions', () => {
    it('uses the configured S3 endpoint with path-style addressing', async () => {
      // Prepare
      const sent: Sent[] = [];
      const adapter = S3Adapter.fromOptions(
        options({ ContentLength: 618, LastModified: new Date(Date.UTC(2025, 2, 14, 9, 47, 49)) }, sent, {
          endpoints: { s3: 'http://127.0.0.1:4569' },
          forcePathStyle: true,
        }),
      );

      // Act
      const head = await adapter.headObject('acme-checkpoints', 'orders-enrichment/offsets/42');

      // Assess
      expect(head).toEqual({ size: 618, lastModifiedMs: Date.UTC(2025, 2, 14, 9, 47, 49) });
      expect(sent[0]?.request).toMatchObject({
        hostname: '127.0.0.1',
        port: 4569,
        path: '/acme-checkpoints/orders-enrichment/offsets/42',
      });
    });
  });
});

describe('Class: SchedulerAdapter', () => {
  describe('Method: fromOptions', () => {
    it('builds a client whose requests go through the plugins', async () => {
      // Prepare
      const sent: Sent[] = [];
      const adapter = SchedulerAdapter.fromOptions(options(reply<object>('scheduler', 'CreateSchedule'), sent));

      // Act
      const outcome = await adapter.createOneTimeSchedule({
        name: 'streamfix-orders-job-failed-verify-01JPBX4T2Q8M',
        groupName: 'streamfix',
        atMs: Date.UTC(2025, 2, 14, 9, 52, 7),
        targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed',
        roleArn: 'arn:aws:iam::123456789012:role/streamfix-scheduler-invoke',
        input: '{}',
      });

      // Assess
      expect(outcome).toBe('created');
      expect(sent[0]?.request.hostname).toBe('scheduler.eu-west-1.amazonaws.com');
      expect(sent[0]?.input).toMatchObject({ ScheduleExpression: 'at(2025-03-14T09:52:07)' });
    });
  });
});

describe('Class: SsmAdapter', () => {
  describe('Method: fromOptions', () => {
    it('builds a client whose requests go through the plugins', async () => {
      // Prepare
      const sent: Sent[] = [];
      const [first] = reply<object[]>('ssm', 'GetParameters');
      const adapter = SsmAdapter.fromOptions(options(first!, sent));

      // Act
      const values = await adapter.getParameters(['/streamfix/pause']);

      // Assess
      expect(values['/streamfix/pause']).toBe('false');
      expect(sent[0]?.request.hostname).toBe('ssm.eu-west-1.amazonaws.com');
      expect(sent[0]?.request.headers['x-amz-target']).toBe('AmazonSSM.GetParameters');
    });
  });
});
