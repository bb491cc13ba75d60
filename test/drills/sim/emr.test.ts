import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetJobRunCommand,
  ListJobRunsCommand,
  ResourceNotFoundException,
  StartJobRunCommand,
  ValidationException,
} from '@aws-sdk/client-emr-serverless';
import { describe, expect, it } from 'vitest';
import { DEPLOYER } from '../../../drills/sim/emr';
import { APP, NO_RETRY, ROLE, T0, newWorld, simClient, startInput } from '../helpers';

function setup() {
  const world = newWorld();
  const emr = simClient(world, EMRServerlessClient);
  const events: Record<string, unknown>[] = [];
  world.emr.publish = (e) => events.push(e);
  return { world, emr, events };
}

const state = async (emr: EMRServerlessClient, jobRunId: string) => (await emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId }))).jobRun?.state;

describe('Class: SimEmrServerless', () => {
  describe('Method: StartJobRun', () => {
    it('moves a new run SUBMITTED → PENDING → SCHEDULED → RUNNING at the configured simulated times', async () => {
      // Prepare
      const { world, emr } = setup();
      // Act
      const out = await emr.send(new StartJobRunCommand(startInput()));
      // Assess
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(out.arn).toBe(`arn:aws:emr-serverless:eu-west-1:123456789012:/applications/${APP}/jobruns/${out.jobRunId}`);
      expect(await state(emr, out.jobRunId!)).toBe('SUBMITTED');
      await world.clock.advance(999);
      expect(await state(emr, out.jobRunId!)).toBe('SUBMITTED');
      await world.clock.advance(1);
      expect(await state(emr, out.jobRunId!)).toBe('PENDING');
      await world.clock.advance(999);
      expect(await state(emr, out.jobRunId!)).toBe('PENDING');
      await world.clock.advance(1);
      expect(await state(emr, out.jobRunId!)).toBe('SCHEDULED');
      await world.clock.advance(7_999);
      expect(await state(emr, out.jobRunId!)).toBe('SCHEDULED');
      await world.clock.advance(1);
      expect(await state(emr, out.jobRunId!)).toBe('RUNNING');
    });

    it('returns the same run for the same clientToken and starts no second run', async () => {
      const { world, emr } = setup();
      const a = await emr.send(new StartJobRunCommand(startInput()));
      const b = await emr.send(new StartJobRunCommand(startInput({ tags: { other: 'params' } })));
      const c = await emr.send(new StartJobRunCommand(startInput({ clientToken: 'token-2' })));
      expect(b.jobRunId).toBe(a.jobRunId);
      expect(c.jobRunId).not.toBe(a.jobRunId);
      expect(world.emr.allRuns()).toHaveLength(2);
    });

    it('keeps the full JobRun shape: driver, role, mode, retry policy, dates, createdBy', async () => {
      const { emr } = setup();
      const { jobRunId } = await emr.send(
        new StartJobRunCommand(startInput({ configurationOverrides: { applicationConfiguration: [] }, tags: { pipeline: 'orders' } })),
      );
      const run = (await emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId }))).jobRun!;
      expect(run).toMatchObject({
        applicationId: APP,
        jobRunId,
        name: 'orders-stream',
        executionRole: ROLE,
        mode: 'STREAMING',
        retryPolicy: { maxFailedAttemptsPerHour: 5 },
        releaseLabel: 'emr-7.2.0',
        jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/code/orders-stream/main.py' } },
        configurationOverrides: { applicationConfiguration: [] },
        tags: { pipeline: 'orders' },
        attempt: 1,
        createdBy: DEPLOYER('123456789012'),
      });
      expect(run.createdAt).toBeInstanceOf(Date);
      expect(run.createdAt!.getTime()).toBe(T0);
    });

    it.each([
      ['applicationId', { applicationId: undefined }],
      ['executionRoleArn', { executionRoleArn: undefined }],
      ['executionRoleArn', { executionRoleArn: 'arn:aws:iam::123456789012:user/someone' }],
      ['jobDriver', { jobDriver: undefined }],
      ['jobDriver.sparkSubmit.entryPoint', { jobDriver: { sparkSubmit: { entryPoint: '' } } }],
      ['retryPolicy.maxFailedAttemptsPerHour', { retryPolicy: { maxFailedAttemptsPerHour: 11 } }],
    ])('throws ValidationException naming %s', async (field, overrides) => {
      const { world, emr } = setup();
      const err = await emr.send(new StartJobRunCommand(startInput(overrides) as never)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect((err as ValidationException).message).toContain(`'${field}'`);
      expect((err as ValidationException).$metadata.httpStatusCode).toBe(400);
      expect(world.emr.allRuns()).toHaveLength(0);
    });

    it('throws ResourceNotFoundException for an unknown application', async () => {
      const { emr } = setup();
      const err = await emr.send(new StartJobRunCommand(startInput({ applicationId: '00fnotthere' }))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResourceNotFoundException);
    });

    it('fails a run whose entry point is broken before it reaches RUNNING', async () => {
      const { world, emr } = setup();
      world.emr.markBroken('s3://orders-data-lake/code/orders-stream/main.py', 'entry point not found: NoSuchKey');
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput(NO_RETRY)));
      await world.clock.advance(10_000);
      const run = (await emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId }))).jobRun!;
      expect(run.state).toBe('FAILED');
      expect(run.stateDetails).toBe('entry point not found: NoSuchKey');
    });

    it('crashes new runs of a job the given time after they reach RUNNING', async () => {
      const { world, emr } = setup();
      world.emr.crashNewRuns(APP, 'orders-stream', 40_000, 'NullPointerException');
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput(NO_RETRY)));
      await world.clock.advance(10_000 + 39_999);
      expect(await state(emr, jobRunId!)).toBe('RUNNING');
      await world.clock.advance(1);
      expect(await state(emr, jobRunId!)).toBe('FAILED');
    });
  });

  describe('Method: GetJobRun', () => {
    it('throws ResourceNotFoundException for an unknown run id', async () => {
      const { emr } = setup();
      const err = await emr.send(new GetJobRunCommand({ applicationId: APP, jobRunId: '00fnope' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect((err as Error).message).toBe('Job run 00fnope does not exist.');
    });
  });

  describe('Method: CancelJobRun', () => {
    it('goes CANCELLING, then CANCELLED after the grace period; a terminal run cannot be cancelled', async () => {
      const { world, emr } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      await world.clock.advance(10_000);
      await emr.send(new CancelJobRunCommand({ applicationId: APP, jobRunId }));
      expect(await state(emr, jobRunId!)).toBe('CANCELLING');
      await world.clock.advance(9_999);
      expect(await state(emr, jobRunId!)).toBe('CANCELLING');
      await world.clock.advance(1);
      expect(await state(emr, jobRunId!)).toBe('CANCELLED');
      const err = await emr.send(new CancelJobRunCommand({ applicationId: APP, jobRunId })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect((err as Error).message).toContain('terminal state (CANCELLED)');
    });
  });

  describe('Method: ListJobRuns', () => {
    async function seeded() {
      const s = setup();
      for (let k = 0; k < 5; k++) {
        await s.emr.send(new StartJobRunCommand(startInput({ clientToken: `t${k}`, ...(k === 4 ? { mode: 'BATCH', name: 'compaction' } : NO_RETRY) })));
        await s.world.clock.advance(60_000);
      }
      s.world.emr.failRun(s.world.emr.allRuns()[0]!.jobRunId, 'boom');
      return s;
    }

    it('filters by states, createdAtAfter and mode, newest first', async () => {
      const { emr } = await seeded();
      const failed = await emr.send(new ListJobRunsCommand({ applicationId: APP, states: ['FAILED'] }));
      expect(failed.jobRuns?.map((r) => r.state)).toEqual(['FAILED']);
      const recent = await emr.send(new ListJobRunsCommand({ applicationId: APP, createdAtAfter: new Date(T0 + 120_000) }));
      expect(recent.jobRuns?.map((r) => r.createdAt?.getTime())).toEqual([T0 + 240_000, T0 + 180_000, T0 + 120_000]);
      const batch = await emr.send(new ListJobRunsCommand({ applicationId: APP, mode: 'BATCH' }));
      expect(batch.jobRuns?.map((r) => r.name)).toEqual(['compaction']);
    });

    it('pages with maxResults and nextToken and rejects a forged token', async () => {
      const { emr } = await seeded();
      const ids: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await emr.send(new ListJobRunsCommand({ applicationId: APP, maxResults: 2, nextToken }));
        ids.push(...(page.jobRuns ?? []).map((r) => r.id!));
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);
      expect(pages).toBe(3);
      expect(new Set(ids).size).toBe(5);
      const err = await emr.send(new ListJobRunsCommand({ applicationId: APP, nextToken: 'forged' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
    });
  });

  describe('Events', () => {
    it('emits a Job Run State Change per transition with the real shape, and drops them on the fault', async () => {
      const { world, emr, events } = setup();
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput(NO_RETRY)));
      await world.clock.advance(10_000);
      world.emr.dropNativeEvents(1, ['FAILED']);
      world.emr.failRun(jobRunId!, 'first');
      expect(events.map((e) => (e.detail as { state: string }).state)).toEqual(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING']);
      const running = events[3]!;
      expect(running).toMatchObject({
        version: '0',
        'detail-type': 'EMR Serverless Job Run State Change',
        source: 'aws.emr-serverless',
        account: '123456789012',
        region: 'eu-west-1',
        resources: [],
        time: '2026-01-01T00:00:10Z',
        detail: { jobRunId, applicationId: APP, state: 'RUNNING', previousState: 'SCHEDULED', releaseLabel: 'emr-7.2.0' },
      });
      // AWS's documented event names no run and carries no stateDetails (using-eventbridge.html).
      expect(running.detail).not.toHaveProperty('jobRunName');
      expect(running.detail).not.toHaveProperty('stateDetails');
      expect(new Set(events.map((e) => e.id)).size).toBe(4);
      expect(world.record.events.some((e) => e.kind === 'event-dropped')).toBe(true);
    });
  });
});
