import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { PublishCommand } from '@aws-sdk/client-sns';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import alarmEvent from '../fixtures/events/alarm-metric-alarm.json';
import { startDynalite } from '../helpers/dynalite';
import { failedEvent, FUNCTION_ARN, job, jobFailedHandler, ManualClock, mocks, resetMocks, T0, until } from '../helpers/engine';

const { emr, sns } = mocks;
const ctx = (awsRequestId: string) => ({ invokedFunctionArn: FUNCTION_ARN, awsRequestId });

/** The job-failed alarm event, in a given state at a given time (CloudWatch's timestamp format). */
function alarm(state: 'ALARM' | 'OK', atMs: number, id: string): unknown {
  const e = structuredClone(alarmEvent) as { id: string; detail: { state: { value: string; timestamp: string } } };
  e.id = id;
  e.detail.state.value = state;
  e.detail.state.timestamp = new Date(atMs).toISOString().replace('Z', '+0000');
  return e;
}

/** A StartJobRun that answers only when the test says so: the worker owning the fix waits there. */
function holdStartJobRun(): { release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  emr
    .on(StartJobRunCommand)
    .callsFakeOnce(async () => {
      await gate;
      return { applicationId: job.applicationId, jobRunId: 'newrun0001', arn: 'arn' };
    })
    .resolves({ applicationId: job.applicationId, jobRunId: 'newrun0001', arn: 'arn' });
  return { release: () => release() };
}

describe("Exactly once under Lambda's retries and concurrency (job-failed, ledger on dynalite)", () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let clock: ManualClock;
  beforeEach(async () => {
    db = await startDynalite();
    clock = new ManualClock(T0);
    resetMocks();
  });
  afterEach(async () => db.close());

  it("a fix that crashed mid-action is resumed by Lambda's first retry (same request id), 1 minute later, inside the dead worker's lease", async () => {
    // Prepare: the worker dies waiting on StartJobRun (none of its code runs after that: no release)
    const h = jobFailedHandler(db, clock);
    emr
      .on(StartJobRunCommand)
      .callsFakeOnce(() => new Promise(() => undefined))
      .resolves({ applicationId: job.applicationId, jobRunId: 'newrun0001', arn: 'arn' });
    void h(failedEvent, ctx('req-1'));
    await until(() => emr.commandCalls(StartJobRunCommand).length === 1);
    // Act: a copy from another request inside the lease is a duplicate; Lambda's retry is not
    clock.advance(30_000);
    const copy = await h(failedEvent, ctx('req-copy'));
    clock.advance(30_000);
    const retry = await h(failedEvent, ctx('req-1'));
    // Assess: resumed with the same clientToken, the action done, the verification scheduled
    expect(copy.outcome).toBe('duplicate');
    expect(retry).toMatchObject({ outcome: 'processed', decision: { kind: 'fix' } });
    const tokens = emr.commandCalls(StartJobRunCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
    const inc = await dynamoLedger(db.aws, db.tableName).getIncident(retry.incidentId!);
    expect(inc).toMatchObject({ status: 'verifying', fixedAtMs: T0, actions: [{ status: 'done' }] });
  });

  it("a trigger that races a live owner joins; nothing it does (nor a copy of it) runs the owner's action again", async () => {
    // Prepare: the job-run event's worker owns the incident and waits on StartJobRun
    const h = jobFailedHandler(db, clock);
    const start = holdStartJobRun();
    const owner = h(failedEvent, ctx('req-owner'));
    await until(() => emr.commandCalls(StartJobRunCommand).length === 1);
    // Act: the backing alarm arrives while the fix is in flight, then again (a copy), then the owner finishes
    clock.advance(5_000);
    const joined = await h(alarm('ALARM', T0, 'alarm-1'), ctx('req-alarm'));
    const again = await h(alarm('ALARM', T0, 'alarm-1'), ctx('req-alarm'));
    start.release();
    const done = await owner;
    // Assess
    expect(joined).toMatchObject({ outcome: 'processed', incidentId: done.incidentId, decision: { kind: 'ignore', reason: 'INCIDENT_IN_PROGRESS' } });
    expect(again.outcome).toBe('duplicate');
    expect(done.decision).toMatchObject({ kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE' });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(1);
    const ledger = dynamoLedger(db.aws, db.tableName);
    const inc = await ledger.getIncident(done.incidentId!);
    expect(inc).toMatchObject({ status: 'verifying', decision: { kind: 'fix' } });
    const timeline = await ledger.listTimeline(done.incidentId!);
    expect(timeline.some((e) => /BREAKER_OPEN/.test(e.summary))).toBe(false);
  });

  it('a worker whose lease ran out while it acted loses the incident: its late writes are fenced off, and it neither records nor re-decides', async () => {
    // Prepare: the first worker hangs in StartJobRun long past its lease (no heartbeat on this clock)
    const h = jobFailedHandler(db, clock);
    const start = holdStartJobRun();
    const slow = h(failedEvent, ctx('req-slow'));
    await until(() => emr.commandCalls(StartJobRunCommand).length === 1);
    // Act: after the lease, the alarm's worker takes the incident over and finishes the fix (same clientToken)
    clock.advance(70_000);
    const taker = await h(alarm('ALARM', T0 + 60_000, 'alarm-2'), ctx('req-taker'));
    start.release();
    const late = await slow;
    // Assess
    expect(taker.decision).toMatchObject({ kind: 'fix' });
    expect(late).toMatchObject({ outcome: 'processed', decision: { kind: 'ignore', reason: 'OWNERSHIP_LOST' } });
    const tokens = new Set(emr.commandCalls(StartJobRunCommand).map((c) => c.args[0].input.clientToken));
    expect(tokens.size).toBe(1);
    const inc = await dynamoLedger(db.aws, db.tableName).getIncident(taker.incidentId!);
    expect(inc).toMatchObject({ status: 'verifying', actions: [{ status: 'done', fence: 2 }] });
  });

  it('an ALARM older than the newest state already seen for its alarm is recorded as a notice: no incident, no action, no page', async () => {
    const h = jobFailedHandler(db, clock);
    // The alarm went OK at T0 + 60 s; its earlier ALARM (T0) is delivered after that OK.
    const ok = await h(alarm('OK', T0 + 60_000, 'ok-1'), ctx('req-ok'));
    const late = await h(alarm('ALARM', T0, 'alarm-late'), ctx('req-late'));
    expect(ok.decision).toMatchObject({ reason: 'ALARM_OK_NO_INCIDENT' });
    expect(late).toMatchObject({ outcome: 'processed', decision: { kind: 'ignore', reason: 'STALE_EVENT' } });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    const incidents = await dynamoLedger(db.aws, db.tableName).listIncidents();
    expect(incidents.find((i) => i.incidentId === late.incidentId)).toMatchObject({ status: 'ignored', decision: { reason: 'STALE_EVENT' } });
    expect(incidents.filter((i) => !['ignored', 'resolved'].includes(i.status))).toHaveLength(0);
    // A newer ALARM is handled as usual.
    const fresh = await h(alarm('ALARM', T0 + 120_000, 'alarm-new'), ctx('req-new'));
    expect(fresh.decision?.reason).not.toBe('STALE_EVENT');
    expect(fresh.incidentId).not.toBe(late.incidentId);
  });
});
