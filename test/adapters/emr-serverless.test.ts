import {
  CancelJobRunCommand,
  EMRServerlessClient,
  EMRServerlessServiceException,
  GetJobRunCommand,
  ListJobRunsCommand,
  StartJobRunCommand,
  type CancelJobRunCommandOutput,
  type GetJobRunCommandOutput,
  type ListJobRunsCommandOutput,
  type StartJobRunCommandOutput,
} from '@aws-sdk/client-emr-serverless';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EmrServerlessAdapter, type StartJobRunParams } from '../../lambdas/adapters/emr-serverless';
import { AwsRequestError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'emr-serverless';
const APP = '00fqm8t3b2kd5h09';
const RUN = '00fr0g1ahv6jmc0a';

const emr = mockClient(EMRServerlessClient);
const adapter = new EmrServerlessAdapter(new EMRServerlessClient({ region: 'eu-west-1' }));

const err = (name: string) => recordedError(EMRServerlessServiceException, SVC, name);

beforeEach(() => {
  emr.reset();
});

afterAll(() => {
  emr.restore();
});

describe('Class: EmrServerlessAdapter', () => {
  describe('Method: getJobRun', () => {
    it('maps a failed streaming run, renaming executionRole to executionRoleArn and dates to epoch ms', async () => {
      // Prepare
      const recorded = reply<GetJobRunCommandOutput>(SVC, 'GetJobRun');
      emr.on(GetJobRunCommand).resolves(recorded);

      // Act
      const run = await adapter.getJobRun(APP, RUN);

      // Assess
      expect(emr.commandCalls(GetJobRunCommand)[0]?.args[0].input).toEqual({ applicationId: APP, jobRunId: RUN });
      expect(run).toEqual({
        applicationId: APP,
        jobRunId: RUN,
        arn: `arn:aws:emr-serverless:eu-west-1:123456789012:/applications/${APP}/jobruns/${RUN}`,
        name: 'orders-enrichment',
        state: 'FAILED',
        stateDetails: expect.stringContaining('retry limit of 5 failed attempts per hour'),
        mode: 'STREAMING',
        createdAtMs: Date.UTC(2025, 2, 14, 7, 58, 12, 418),
        updatedAtMs: Date.UTC(2025, 2, 14, 9, 47, 53, 106),
        createdBy: 'arn:aws:sts::123456789012:assumed-role/data-platform-deployer/ci-orders-enrichment',
        executionRoleArn: 'arn:aws:iam::123456789012:role/orders-enrichment-job',
        releaseLabel: 'emr-7.5.0',
        jobDriver: {
          sparkSubmit: {
            entryPoint: 's3://acme-artifacts/jobs/orders_enrichment/main.py',
            entryPointArguments: [
              '--bootstrap-servers',
              'b-1.orders.x7k2pq.c3.kafka.eu-west-1.amazonaws.com:9098',
              '--checkpoint',
              's3://acme-checkpoints/orders-enrichment/',
            ],
            sparkSubmitParameters: expect.stringContaining('--conf spark.executor.instances=4'),
          },
        },
        configurationOverrides: recorded.jobRun?.configurationOverrides,
        retryPolicy: { maxFailedAttemptsPerHour: 5 },
        tags: { pipeline: 'orders', team: 'data-platform', 'cost-center': 'cc-4412' },
        executionTimeoutMinutes: 0,
        attempt: 6,
        attemptCreatedAtMs: Date.UTC(2025, 2, 14, 9, 41, 7, 922),
        attemptUpdatedAtMs: Date.UTC(2025, 2, 14, 9, 47, 53, 106),
        endedAtMs: Date.UTC(2025, 2, 14, 9, 47, 53, 106),
        networkConfiguration: {
          subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'],
          securityGroupIds: ['sg-0f1e2d3c4b5a69788'],
        },
      });
      expect(run).not.toHaveProperty('executionRole');
      expect(run.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri).toBe('s3://acme-emr-logs/orders-enrichment/');
    });

    it('passes the job driver through untouched', async () => {
      // Prepare
      const recorded = reply<GetJobRunCommandOutput>(SVC, 'GetJobRun');
      emr.on(GetJobRunCommand).resolves(recorded);

      // Act
      const run = await adapter.getJobRun(APP, RUN);

      // Assess
      expect(run.jobDriver).toBe(recorded.jobRun?.jobDriver);
    });

    it('leaves out the optional fields a run does not have', async () => {
      // Prepare
      const recorded = reply<GetJobRunCommandOutput>(SVC, 'GetJobRun');
      const { retryPolicy: _r, mode: _m, networkConfiguration: _n, tags: _t, ...rest } = recorded.jobRun!;
      emr.on(GetJobRunCommand).resolves({ ...recorded, jobRun: rest as GetJobRunCommandOutput['jobRun'] });

      // Act
      const run = await adapter.getJobRun(APP, RUN);

      // Assess
      expect(run).not.toHaveProperty('retryPolicy');
      expect(run).not.toHaveProperty('mode');
      expect(run).not.toHaveProperty('networkConfiguration');
      expect(run).not.toHaveProperty('tags');
    });

    it('throws an AwsRequestError when the reply has no executionRole', async () => {
      // Prepare
      const recorded = reply<GetJobRunCommandOutput>(SVC, 'GetJobRun');
      const { executionRole: _e, ...rest } = recorded.jobRun!;
      emr.on(GetJobRunCommand).resolves({ ...recorded, jobRun: rest as GetJobRunCommandOutput['jobRun'] });

      // Act & Assess
      await expect(adapter.getJobRun(APP, RUN)).rejects.toMatchObject({
        name: 'AwsRequestError',
        code: 'MalformedResponse',
        message: expect.stringContaining('jobRun.executionRole'),
      });
    });

    it('throws a NotFoundError carrying the cause when the run does not exist', async () => {
      // Prepare
      const notFound = err('ResourceNotFoundException');
      emr.on(GetJobRunCommand).rejects(notFound);

      // Act
      const thrown = await adapter.getJobRun(APP, '00fr0g1ahv6jmc0b').catch((e: unknown) => e);

      // Assess
      expect(thrown).toBeInstanceOf(NotFoundError);
      expect((thrown as NotFoundError).cause).toBe(notFound);
      expect((thrown as NotFoundError).message).toContain('emr-serverless.GetJobRun');
    });

    it('throws a TransientAwsError when throttled', async () => {
      // Prepare
      emr.on(GetJobRunCommand).rejects(err('ThrottlingException'));

      // Act & Assess
      await expect(adapter.getJobRun(APP, RUN)).rejects.toSatisfy(
        (e) => e instanceof TransientAwsError && e.operation === 'GetJobRun' && e.service === 'emr-serverless',
      );
    });

    it('throws a TransientAwsError on an HTTP 500', async () => {
      // Prepare
      emr.on(GetJobRunCommand).rejects(err('InternalServerException'));

      // Act & Assess
      await expect(adapter.getJobRun(APP, RUN)).rejects.toBeInstanceOf(TransientAwsError);
    });
  });

  describe('Method: listJobRuns', () => {
    it('follows nextToken across pages and maps every summary', async () => {
      // Prepare
      const [first, second] = pages<ListJobRunsCommandOutput>(SVC, 'ListJobRuns');
      emr.on(ListJobRunsCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const runs = await adapter.listJobRuns(APP);

      // Assess
      const calls = emr.commandCalls(ListJobRunsCommand).map((c) => c.args[0].input);
      expect(calls).toEqual([
        { applicationId: APP, maxResults: 50 },
        { applicationId: APP, maxResults: 50, nextToken: first!.nextToken },
      ]);
      expect(runs.map((r) => [r.jobRunId, r.state, r.mode])).toEqual([
        ['00fr0g1ahv6jmc0a', 'FAILED', 'STREAMING'],
        ['00fqz5c8r1l0hk0a', 'CANCELLED', 'STREAMING'],
        ['00fqx2e4b7m9gp0a', 'SUCCESS', 'BATCH'],
        ['00fqw7n1d3k5fr0a', 'CANCELLED', 'STREAMING'],
      ]);
      expect(runs[1]).toEqual({
        applicationId: APP,
        jobRunId: '00fqz5c8r1l0hk0a',
        name: 'orders-enrichment',
        state: 'CANCELLED',
        stateDetails: 'Job run cancelled by user.',
        mode: 'STREAMING',
        createdAtMs: Date.UTC(2025, 2, 13, 16, 20, 3, 771),
        updatedAtMs: Date.UTC(2025, 2, 14, 7, 55, 41, 90),
        executionRoleArn: 'arn:aws:iam::123456789012:role/orders-enrichment-job',
      });
    });

    it('passes the state, creation-time and mode filters', async () => {
      // Prepare
      const [, last] = pages<ListJobRunsCommandOutput>(SVC, 'ListJobRuns');
      emr.on(ListJobRunsCommand).resolves(last!);
      const createdAfterMs = Date.UTC(2025, 2, 12, 0, 0, 0);

      // Act
      await adapter.listJobRuns(APP, { states: ['FAILED', 'CANCELLED'], createdAfterMs, mode: 'STREAMING' });

      // Assess
      expect(emr.commandCalls(ListJobRunsCommand)[0]?.args[0].input).toEqual({
        applicationId: APP,
        maxResults: 50,
        states: ['FAILED', 'CANCELLED'],
        createdAtAfter: new Date(createdAfterMs),
        mode: 'STREAMING',
      });
    });

    it('stops at maxItems in total, asking the last page only for what is missing', async () => {
      // Prepare
      const [first, second] = pages<ListJobRunsCommandOutput>(SVC, 'ListJobRuns');
      emr
        .on(ListJobRunsCommand)
        .resolvesOnce(first!)
        .resolvesOnce({ ...second!, nextToken: 'AAMA-bW9yZS1wYWdlcy1mb2xsb3c=' });

      // Act
      const runs = await adapter.listJobRuns(APP, { maxItems: 3 });

      // Assess
      expect(runs.map((r) => r.jobRunId)).toEqual(['00fr0g1ahv6jmc0a', '00fqz5c8r1l0hk0a', '00fqx2e4b7m9gp0a']);
      const calls = emr.commandCalls(ListJobRunsCommand).map((c) => c.args[0].input.maxResults);
      expect(calls).toEqual([3, 1]);
    });

    it('maps an AccessDeniedException to an AwsRequestError with its code', async () => {
      // Prepare
      emr.on(ListJobRunsCommand).rejects(err('AccessDeniedException'));

      // Act & Assess
      await expect(adapter.listJobRuns(APP)).rejects.toSatisfy(
        (e) => e instanceof AwsRequestError && e.code === 'AccessDeniedException' && e.operation === 'ListJobRuns',
      );
    });
  });

  describe('Method: startJobRun', () => {
    it('restarts a run with its previous configuration, the client token, and nothing StartJobRun does not take', async () => {
      // Prepare
      emr.on(GetJobRunCommand).resolves(reply<GetJobRunCommandOutput>(SVC, 'GetJobRun'));
      emr.on(StartJobRunCommand).resolves(reply<StartJobRunCommandOutput>(SVC, 'StartJobRun'));
      const old = await adapter.getJobRun(APP, RUN);
      // A caller spreading the old run carries fields StartJobRun has no place for.
      const params = { ...old, clientToken: 'streamfix-orders-job-failed-01JPBX4T2Q8M' } as StartJobRunParams;

      // Act
      const started = await adapter.startJobRun(params);

      // Assess
      expect(started).toEqual({
        jobRunId: '00fr0kq7w2x4ny0a',
        arn: `arn:aws:emr-serverless:eu-west-1:123456789012:/applications/${APP}/jobruns/00fr0kq7w2x4ny0a`,
      });
      const input = emr.commandCalls(StartJobRunCommand)[0]?.args[0].input;
      expect(input).toEqual({
        applicationId: APP,
        clientToken: 'streamfix-orders-job-failed-01JPBX4T2Q8M',
        executionRoleArn: 'arn:aws:iam::123456789012:role/orders-enrichment-job',
        name: 'orders-enrichment',
        jobDriver: old.jobDriver,
        configurationOverrides: old.configurationOverrides,
        mode: 'STREAMING',
        retryPolicy: { maxFailedAttemptsPerHour: 5 },
        tags: { pipeline: 'orders', team: 'data-platform', 'cost-center': 'cc-4412' },
        executionTimeoutMinutes: 0,
      });
      for (const field of ['releaseLabel', 'networkConfiguration', 'attempt', 'state', 'executionRole', 'jobRunId', 'arn']) {
        expect(input).not.toHaveProperty(field);
      }
    });

    it('sends only the fields that are set', async () => {
      // Prepare
      emr.on(StartJobRunCommand).resolves(reply<StartJobRunCommandOutput>(SVC, 'StartJobRun'));

      // Act
      await adapter.startJobRun({
        applicationId: APP,
        clientToken: 'tok-1',
        executionRoleArn: 'arn:aws:iam::123456789012:role/orders-enrichment-job',
        jobDriver: { sparkSubmit: { entryPoint: 's3://acme-artifacts/jobs/orders_enrichment/main.py' } },
      });

      // Assess
      expect(Object.keys(emr.commandCalls(StartJobRunCommand)[0]?.args[0].input ?? {}).sort()).toEqual([
        'applicationId',
        'clientToken',
        'executionRoleArn',
        'jobDriver',
      ]);
    });

    it('maps an AccessDeniedException to an AwsRequestError with its code', async () => {
      // Prepare
      emr.on(StartJobRunCommand).rejects(err('AccessDeniedException'));

      // Act
      const thrown = await adapter
        .startJobRun({
          applicationId: APP,
          clientToken: 'tok-1',
          executionRoleArn: 'arn:aws:iam::123456789012:role/orders-enrichment-job',
          jobDriver: { sparkSubmit: { entryPoint: 's3://acme-artifacts/jobs/orders_enrichment/main.py' } },
        })
        .catch((e: unknown) => e);

      // Assess
      expect(thrown).toBeInstanceOf(AwsRequestError);
      expect(thrown).toMatchObject({ service: 'emr-serverless', operation: 'StartJobRun', code: 'AccessDeniedException' });
    });
  });

  describe('Method: cancelJobRun', () => {
    it('passes the shutdown grace period', async () => {
      // Prepare
      emr.on(CancelJobRunCommand).resolves(reply<CancelJobRunCommandOutput>(SVC, 'CancelJobRun'));

      // Act
      await adapter.cancelJobRun(APP, RUN, 120);

      // Assess
      expect(emr.commandCalls(CancelJobRunCommand)[0]?.args[0].input).toEqual({
        applicationId: APP,
        jobRunId: RUN,
        shutdownGracePeriodInSeconds: 120,
      });
    });

    it('leaves the grace period to the service when none is given', async () => {
      // Prepare
      emr.on(CancelJobRunCommand).resolves(reply<CancelJobRunCommandOutput>(SVC, 'CancelJobRun'));

      // Act
      await adapter.cancelJobRun(APP, RUN);

      // Assess
      expect(emr.commandCalls(CancelJobRunCommand)[0]?.args[0].input).toEqual({ applicationId: APP, jobRunId: RUN });
    });

    it('maps a ValidationException to an AwsRequestError with its code', async () => {
      // Prepare
      emr.on(CancelJobRunCommand).rejects(err('ValidationException'));

      // Act & Assess
      await expect(adapter.cancelJobRun(APP, RUN)).rejects.toSatisfy(
        (e) => e instanceof AwsRequestError && e.code === 'ValidationException' && e.operation === 'CancelJobRun',
      );
    });
  });
});
