import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ListJobRunsCommand, GetJobRunCommand, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { PublishCommand } from '@aws-sdk/client-sns';
import { parseConfig } from '../../lambdas/schema';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import exampleConfig from '../../streamfix.config';
import { startDynalite } from '../helpers/dynalite';
import { failedEvent, failedRun, job, jobFailedHandler, ManualClock, mocks, resetMocks, T0, until } from '../helpers/engine';

const { emr, scheduler, sns } = mocks;

describe('Class: Engine (job-failed, ledger on dynalite)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let clock: ManualClock;
  const pagerDuty: unknown[] = [];
  const handler = () => jobFailedHandler(db, clock, undefined, pagerDuty);

  // A fresh ledger per test: incidents of one test must not join another's.
  beforeEach(async () => {
    db = await startDynalite();
    clock = new ManualClock(T0);
    resetMocks();
  });
  afterEach(async () => {
    pagerDuty.length = 0;
    await db.close();
  });

  it('10 concurrent deliveries of one failed-run event start exactly one run', async () => {
    // Prepare
    const h = handler();
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed' };
    // Act
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h(failedEvent, { ...ctx, awsRequestId: `req-${i}` })));
    // Assess
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'processed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(9);
    const start = emr.commandCalls(StartJobRunCommand)[0]!.args[0].input;
    expect(start).toMatchObject({
      applicationId: job.applicationId,
      executionRoleArn: job.executionRoleArn,
      name: job.jobName,
      mode: 'STREAMING',
      jobDriver: failedRun.jobDriver,
    });
    expect(start.clientToken).toMatch(/^[0-9a-f]{40}$/);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(1);
    const incidents = await dynamoLedger(db.aws, db.tableName).listIncidents();
    const inc = incidents.find((i) => i.incidentId === results.find((r) => r.outcome === 'processed')!.incidentId)!;
    expect(inc).toMatchObject({ status: 'verifying', decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE' } });
  });

  it('verifies through the scheduled follow-up and resolves the incident', async () => {
    const h = handler();
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed', awsRequestId: 'r1' };
    const first = await h({ ...failedEvent, id: 'other-id', detail: { ...failedEvent.detail, jobRunId: 'run2' } }, ctx);
    const input = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Input!);
    emr
      .on(ListJobRunsCommand)
      .resolves({ jobRuns: [{ ...failedRun, id: 'newrun0001', state: 'RUNNING', createdAt: new Date(T0), updatedAt: new Date(T0) } as never] });
    clock.advance(120_000);
    const verified = await h(input, { ...ctx, awsRequestId: 'r2' });
    expect(first.decision?.kind).toBe('fix');
    expect(verified.decision).toMatchObject({ reason: 'VERIFIED' });
    const inc = await dynamoLedger(db.aws, db.tableName).getIncident(first.incidentId!);
    expect(inc).toMatchObject({ status: 'resolved', recoveredAtMs: T0 + 120_000 });
  });

  it('rejects a malformed event naming the field, and does not throw', async () => {
    const r = await handler()({ ...failedEvent, detail: { ...failedEvent.detail, jobRunId: 42 } });
    expect(r).toMatchObject({ outcome: 'rejected', error: { field: 'detail.jobRunId' } });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
  });

  it('in recommend mode tells a person and changes nothing', async () => {
    const recommend = parseConfig({
      ...exampleConfig,
      escalation: { emails: [] },
      pipelines: { orders: { ...exampleConfig.pipelines.orders, playbooks: { 'job-failed': { mode: 'recommend' } } } },
    });
    const h = jobFailedHandler(db, clock, recommend);
    const r = await h({ ...failedEvent, id: 'rec', detail: { ...failedEvent.detail, jobRunId: 'run3' } }, { awsRequestId: 'x', invokedFunctionArn: 'arn' });
    expect(r.decision).toMatchObject({ kind: 'escalate', reason: 'MODE_RECOMMEND' });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand).length).toBeGreaterThanOrEqual(1);
  });

  describe('a worker killed mid-action', () => {
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed' };

    it('is resumed by the redelivery with the same clientToken, never a different run', async () => {
      // Prepare: the first StartJobRun never answers (the worker dies waiting)
      const h = handler();
      emr
        .on(StartJobRunCommand)
        .callsFakeOnce(() => new Promise(() => undefined))
        .resolves({ applicationId: job.applicationId, jobRunId: 'newrun0001', arn: 'arn' });
      void h(failedEvent, { ...ctx, awsRequestId: 'dies' });
      await until(() => emr.commandCalls(StartJobRunCommand).length === 1);
      // Act: EventBridge/Lambda redelivers after the dead worker's lease ran out
      clock.advance(7 * 60_000);
      const resumed = await h(failedEvent, { ...ctx, awsRequestId: 'retry' });
      // Assess
      const calls = emr.commandCalls(StartJobRunCommand).map((c) => c.args[0].input.clientToken);
      expect(resumed.outcome).toBe('processed');
      expect(calls).toHaveLength(2);
      expect(calls[1]).toBe(calls[0]);
      const ledger = dynamoLedger(db.aws, db.tableName);
      const actions = await ledger.listActions(resumed.incidentId!);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ status: 'done' });
      expect(await ledger.getIncident(resumed.incidentId!)).toMatchObject({ status: 'verifying' });
    });

    it('does not start again when the run it started before dying is already there', async () => {
      const h = handler();
      let started = false;
      emr.on(StartJobRunCommand).callsFake(() => {
        started = true;
        return new Promise(() => undefined);
      });
      void h(failedEvent, { ...ctx, awsRequestId: 'dies' });
      await until(() => started);
      // The run did start on the service side, tagged with the incident.
      const incidentId = (await dynamoLedger(db.aws, db.tableName).listIncidents())[0]!.incidentId;
      emr
        .on(ListJobRunsCommand)
        .resolves({ jobRuns: [{ ...failedRun, id: 'newrun0001', state: 'SCHEDULED', createdAt: new Date(T0), updatedAt: new Date(T0) } as never] });
      emr
        .on(GetJobRunCommand, { jobRunId: 'newrun0001' })
        .resolves({ jobRun: { ...failedRun, jobRunId: 'newrun0001', state: 'SCHEDULED', tags: { 'streamfix:incident': incidentId } } as never });
      clock.advance(7 * 60_000);
      const resumed = await h(failedEvent, { ...ctx, awsRequestId: 'retry' });
      expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
      const actions = await dynamoLedger(db.aws, db.tableName).listActions(resumed.incidentId!);
      expect(actions[0]).toMatchObject({ status: 'done', outcome: { after: { jobRunId: 'newrun0001' } } });
    });
  });

  it('a recheck that finds nothing left to do ends the incident (its OK alarm may never come)', async () => {
    // Prepare: the failed run is still CANCELLING, so the first look only schedules a recheck
    const h = handler();
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed' };
    emr.on(GetJobRunCommand).resolves({ jobRun: { ...failedRun, state: 'CANCELLING', stateDetails: 'Job run cancelled by user.' } as never });
    const first = await h(failedEvent, { ...ctx, awsRequestId: 'a' });
    const recheckInput = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Input!);
    // Act: a person's cancellation has completed when the recheck looks again
    emr.on(GetJobRunCommand).resolves({ jobRun: { ...failedRun, state: 'CANCELLED', stateDetails: 'Job run cancelled by user.' } as never });
    clock.advance(60_000);
    const again = await h(recheckInput, { ...ctx, awsRequestId: 'b' });
    // Assess
    expect(first.decision).toMatchObject({ kind: 'recheck', reason: 'JOB_CANCELLING' });
    expect(again.decision).toMatchObject({ kind: 'ignore', reason: 'JOB_CANCELLED_BY_PERSON' });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
    const inc = await dynamoLedger(db.aws, db.tableName).getIncident(first.incidentId!);
    expect(inc).toMatchObject({ status: 'resolved', closedAtMs: T0 + 60_000 });
  });

  it('a fix finished by the retry of a failed invocation is dated from its action, not from the retry', async () => {
    // Prepare: the restart succeeds, then scheduling its verification fails for good
    const h = handler();
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed' };
    scheduler
      .on(CreateScheduleCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } }))
      .resolves({ ScheduleArn: 'arn' });
    await expect(h(failedEvent, { ...ctx, awsRequestId: 'a' })).rejects.toThrow();
    // Act: Lambda retries the event a minute later
    clock.advance(60_000);
    const retried = await h(failedEvent, { ...ctx, awsRequestId: 'b' });
    // Assess: one run, and the verification looks for runs created since the restart
    expect(retried).toMatchObject({ outcome: 'processed', decision: { kind: 'fix' } });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
    const inc = await dynamoLedger(db.aws, db.tableName).getIncident(retried.incidentId!);
    expect(inc).toMatchObject({ status: 'verifying', fixedAtMs: T0 });
  });

  it('a worker that died after scheduling its verification is finished by the next trigger to own the incident, whose own verification counts', async () => {
    // Prepare: the change notice after scheduling never answers (the worker dies there, still owning the incident)
    const h = handler();
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed' };
    sns
      .on(PublishCommand)
      .callsFakeOnce(() => new Promise(() => undefined))
      .resolves({ MessageId: 'm' });
    void h(failedEvent, { ...ctx, awsRequestId: 'dies' });
    await until(() => scheduler.commandCalls(CreateScheduleCommand).length === 1);
    const orphan = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Input!);
    // Act: the dead worker's own verification fires after its lease ran out: it takes the incident
    // over, finishes the fix (no second restart) and schedules a verification of its own
    clock.advance(121_000);
    const early = await h(orphan, { ...ctx, awsRequestId: 'early' });
    const fresh = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[1]!.args[0].input.Target!.Input!);
    // Lambda's retry of the dead invocation (same request id) then only joins: the verification decides
    clock.advance(60_000);
    const retried = await h(failedEvent, { ...ctx, awsRequestId: 'dies' });
    emr
      .on(ListJobRunsCommand)
      .resolves({ jobRuns: [{ ...failedRun, id: 'newrun0001', state: 'RUNNING', createdAt: new Date(T0), updatedAt: new Date(T0) } as never] });
    clock.advance(121_000);
    const stale = await h(orphan, { ...ctx, awsRequestId: 'orphan-again' });
    const verified = await h(fresh, { ...ctx, awsRequestId: 'verify' });
    // Assess
    expect(early.decision).toMatchObject({ kind: 'fix' });
    expect(retried.decision).toMatchObject({ kind: 'ignore', reason: 'VERIFY_PENDING' });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
    expect(fresh).toMatchObject({ purpose: 'verify', token: 'early' });
    expect(orphan.token).toBe('dies');
    expect(stale).toMatchObject({ outcome: 'duplicate' });
    expect(verified.decision).toMatchObject({ reason: 'VERIFIED' });
    expect(await dynamoLedger(db.aws, db.tableName).getIncident(early.incidentId!)).toMatchObject({ status: 'resolved', fixedAtMs: T0 });
  });

  it('a failure during the verification joins the incident; the verification then escalates, no second restart', async () => {
    // Prepare
    const h = handler();
    const ctx = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed' };
    const first = await h(failedEvent, { ...ctx, awsRequestId: 'a' });
    const verifyInput = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Input!);
    // Act: the restarted run fails before its verification
    clock.advance(90_000);
    const failedAgain = { ...failedRun, jobRunId: 'newrun0001', updatedAt: new Date(T0 + 80_000) };
    emr.on(GetJobRunCommand, { jobRunId: 'newrun0001' }).resolves({ jobRun: failedAgain as never });
    const second = await h({ ...failedEvent, id: 'e2', detail: { ...failedEvent.detail, jobRunId: 'newrun0001' } }, { ...ctx, awsRequestId: 'b' });
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [{ ...failedAgain, id: 'newrun0001', createdAt: new Date(T0) } as never] });
    clock.advance(30_000);
    const verified = await h(verifyInput, { ...ctx, awsRequestId: 'c' });
    // Assess
    expect(second).toMatchObject({ incidentId: first.incidentId, decision: { kind: 'ignore', reason: 'VERIFY_PENDING' } });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
    expect(verified.decision).toMatchObject({ kind: 'escalate', reason: 'VERIFY_FAILED' });
    const inc = await dynamoLedger(db.aws, db.tableName).getIncident(first.incidentId!);
    expect(inc).toMatchObject({ status: 'escalated', decision: { reason: 'VERIFY_FAILED' } });
  });
});
