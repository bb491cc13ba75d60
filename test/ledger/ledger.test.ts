import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../lambdas/core/errors';
import type { Trigger } from '../../lambdas/core/trigger';
import { OwnershipLostError } from '../../lambdas/ledger/incidents';
import { Ledger } from '../../lambdas/ledger/ledger';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import { startDynalite } from '../helpers/dynalite';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const trigger: Trigger = { kind: 'job-run', eventId: 'e', dedupeKey: 'k', applicationId: 'app', jobRunId: 'r', state: 'FAILED', atMs: T0 };

// The same contract on DynamoDB (dynalite, the real protocol and its conditional writes) and in
// memory (the benches): every test runs on both.
describe.each([{ backend: 'dynalite' as const }, { backend: 'memory' as const }])('Class: Ledger (on $backend)', ({ backend }) => {
  let db: Awaited<ReturnType<typeof startDynalite>> | undefined;
  let ledger: Ledger;
  beforeAll(async () => {
    if (backend === 'memory') {
      ledger = Ledger.inMemory();
      return;
    }
    db = await startDynalite();
    ledger = dynamoLedger(db.aws, db.tableName);
  });
  afterAll(async () => db?.close());

  describe('Method: deliveries.claim', () => {
    it('claims once; a copy from another request during the lease is a duplicate; after finish it is done', async () => {
      expect(await ledger.deliveries.claim('d1', 'req-a', T0, T0 + 1000)).toEqual({ kind: 'new' });
      expect(await ledger.deliveries.claim('d1', 'req-b', T0 + 999, T0 + 2000)).toEqual({ kind: 'duplicate', status: 'in-progress' });
      await ledger.deliveries.finish('d1', 'req-a', T0 + 10, 'ok');
      expect(await ledger.deliveries.claim('d1', 'req-b', T0 + 5000, T0 + 6000)).toEqual({ kind: 'duplicate', status: 'done' });
    });

    it('lets exactly one of many concurrent copies in', async () => {
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.deliveries.claim('d2', `w${i}`, T0, T0 + 1000)));
      expect(claims.filter((c) => c.kind === 'new')).toHaveLength(1);
    });

    it("Lambda's retry of a dead attempt (the same request id) takes over at once, inside the lease", async () => {
      await ledger.deliveries.claim('d3', 'req-dead', T0, T0 + 60_000);
      await ledger.deliveries.attach('d3', 'inc-1');
      // 1 minute later, still inside the dead attempt's lease: another request is a duplicate, the retry is not.
      expect(await ledger.deliveries.claim('d3', 'req-other', T0 + 30_000, T0 + 90_000)).toEqual({
        kind: 'duplicate',
        status: 'in-progress',
        incidentId: 'inc-1',
      });
      expect(await ledger.deliveries.claim('d3', 'req-dead', T0 + 30_000, T0 + 90_000)).toEqual({ kind: 'resume', by: 'retry', incidentId: 'inc-1' });
    });

    it('hands an expired claim to exactly one successor; the lease is renewed only by its holder', async () => {
      await ledger.deliveries.claim('d4', 'dead', T0, T0 + 1000);
      expect(await ledger.deliveries.renew('d4', 'someone-else', T0 + 5000)).toBe(false);
      const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => ledger.deliveries.claim('d4', `w${i}`, T0 + 1000, T0 + 2000)));
      expect(claims.filter((c) => c.kind === 'resume')).toEqual([{ kind: 'resume', by: 'expired' }]);
    });

    it('a released claim is taken over at once by any copy', async () => {
      await ledger.deliveries.claim('d5', 'failed', T0, T0 + 60_000);
      await ledger.deliveries.release('d5', 'failed');
      expect(await ledger.deliveries.claim('d5', 'copy', T0 + 1, T0 + 60_000)).toEqual({ kind: 'resume', by: 'expired' });
    });
  });

  describe('Method: incidents (ownership and fencing)', () => {
    const owner = (requestId: string, untilMs = T0 + 60_000) => ({ requestId, untilMs });

    it('opens one incident per pipeline and playbook however many triggers race; only the opener owns it', async () => {
      const r = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.incidents.openOrJoin('orders', 'job-failed', trigger, T0, owner(`w${i}`))));
      expect(r.filter((x) => x.created)).toHaveLength(1);
      expect(r.filter((x) => x.ownership)).toHaveLength(1);
      expect(new Set(r.map((x) => x.incident.incidentId)).size).toBe(1);
    });

    it("another request cannot take a live owner's incident; the owner's own retry can, with a higher fence", async () => {
      const { incident, ownership } = await ledger.incidents.openOrJoin('p1', 'job-failed', trigger, T0, owner('req-1'));
      const other = await ledger.incidents.acquire(incident.incidentId, 'req-2', T0 + 30_000, T0 + 90_000);
      expect(other).toMatchObject({ ok: false, holder: { owner: 'req-1', untilMs: T0 + 60_000, fence: 1 } });
      const retry = await ledger.incidents.acquire(incident.incidentId, 'req-1', T0 + 30_000, T0 + 90_000);
      expect(retry).toMatchObject({ ok: true, ownership: { fence: 2 } });
      // The dead attempt's fence is stale: none of its writes lands.
      await expect(ledger.incidents.save({ ...incident, status: 'acting' }, ownership!, T0 + 31_000)).rejects.toBeInstanceOf(OwnershipLostError);
      expect(await ledger.incidents.renew(ownership!, T0 + 99_000)).toBe(false);
    });

    it('an expired lease is taken over by exactly one of many', async () => {
      const { incident } = await ledger.incidents.openOrJoin('p2', 'job-failed', trigger, T0, owner('gone', T0 + 1000));
      const r = await Promise.all(Array.from({ length: 6 }, (_, i) => ledger.incidents.acquire(incident.incidentId, `w${i}`, T0 + 1000, T0 + 61_000)));
      expect(r.filter((x) => x?.ok)).toHaveLength(1);
    });

    it('saves are fenced and versioned; a final save releases ownership for the next trigger', async () => {
      const { incident, ownership } = await ledger.incidents.openOrJoin('p3', 'job-failed', trigger, T0, owner('req-1'));
      const acting = await ledger.incidents.save({ ...incident, status: 'acting' }, ownership!, T0 + 1);
      await expect(ledger.incidents.save({ ...incident, status: 'verifying' }, ownership!, T0 + 2)).rejects.toBeInstanceOf(ConflictError);
      await ledger.incidents.save({ ...acting, status: 'verifying' }, ownership!, T0 + 3, { release: true });
      const next = await ledger.incidents.acquire(incident.incidentId, 'req-2', T0 + 4, T0 + 60_000);
      expect(next).toMatchObject({ ok: true, incident: { status: 'verifying' }, ownership: { fence: 2 } });
      expect((await ledger.incidents.getWithLease(incident.incidentId))!.lease).toMatchObject({ owner: 'req-2', fence: 2 });
    });

    it('opens a new incident once the previous one is resolved, and lists only open ones as open', async () => {
      const first = await ledger.incidents.openOrJoin('p4', 'job-failed', trigger, T0, owner('a'));
      await ledger.incidents.save({ ...first.incident, status: 'resolved' }, first.ownership!, T0 + 1, { release: true });
      const next = await ledger.incidents.openOrJoin('p4', 'job-failed', trigger, T0 + 2, owner('b'));
      expect(next.created).toBe(true);
      expect(next.incident.incidentId).not.toBe(first.incident.incidentId);
      const open = await ledger.incidents.listOpen('job-failed');
      expect(open.map((i) => i.incidentId)).toContain(next.incident.incidentId);
      expect(open.map((i) => i.incidentId)).not.toContain(first.incident.incidentId);
      expect((await ledger.listIncidents()).map((i) => i.incidentId)).toEqual(expect.arrayContaining([first.incident.incidentId, next.incident.incidentId]));
    });

    it('keeps the write-ahead action records in the incident', async () => {
      const { incident, ownership } = await ledger.incidents.openOrJoin('p5', 'job-failed', trigger, T0, owner('a'));
      const action = { type: 't', resource: 'r', params: {}, description: 'd' };
      const saved = await ledger.incidents.save(
        { ...incident, status: 'acting', actions: [{ incidentId: incident.incidentId, index: 0, actionId: 'x#0', action, status: 'intent', startedAtMs: T0 }] },
        ownership!,
        T0 + 1,
      );
      await ledger.incidents.save({ ...saved, actions: [{ ...saved.actions![0]!, status: 'done', endedAtMs: T0 + 5 }] }, ownership!, T0 + 5);
      expect(await ledger.listActions(incident.incidentId)).toEqual([expect.objectContaining({ status: 'done', endedAtMs: T0 + 5 })]);
    });
  });

  describe('Method: alarms.observe', () => {
    it('an alarm state older than the newest one seen is stale; the same or a newer one is not', async () => {
      expect(await ledger.alarms.observe('a1', 'ALARM', T0, T0)).toEqual({ stale: false });
      expect(await ledger.alarms.observe('a1', 'OK', T0 + 60_000, T0)).toEqual({ stale: false });
      expect(await ledger.alarms.observe('a1', 'ALARM', T0, T0)).toEqual({ stale: true, newestState: 'OK', newestAtMs: T0 + 60_000 });
      expect(await ledger.alarms.observe('a1', 'OK', T0 + 60_000, T0)).toEqual({ stale: false });
    });
  });

  describe('Method: deadLetters', () => {
    it('records a dead letter once, and lets one redrive mark it', async () => {
      const d = {
        id: 'm-1',
        atMs: T0,
        source: 'lambda-on-failure' as const,
        event: { id: 'e' },
        error: { type: 'Sandbox.Timedout', message: 'Task timed out' },
        status: 'pending' as const,
      };
      expect(await ledger.deadLetters.record(d)).toBe(true);
      expect(await ledger.deadLetters.record(d)).toBe(false);
      expect((await ledger.deadLetters.list('pending')).map((x) => x.id)).toContain('m-1');
      const marks = await Promise.all([
        ledger.deadLetters.markRedriven(d, 'alice', T0 + 1, 'processed'),
        ledger.deadLetters.markRedriven(d, 'bob', T0 + 1, 'processed'),
      ]);
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect((await ledger.deadLetters.list('pending')).map((x) => x.id)).not.toContain('m-1');
    });
  });
  describe('Method: targets (one run per operation target)', () => {
    const ask = (operationId: string, requestId: string, nowMs: number, untilMs = nowMs + 60_000) => ({
      operationId,
      requestId,
      command: 'replay',
      requestedBy: `arn:aws:iam::123456789012:user/${requestId}`,
      nowMs,
      untilMs,
    });

    it('lets exactly one of many concurrent runs take a target; the others are told who holds it, since when and until when', async () => {
      // Act
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.targets.acquire('dlq:s3://b/dlq/a/', ask(`op-${i}`, `req-${i}`, T0))));
      // Assess
      const won = claims.filter((c) => c.ok);
      expect(won).toHaveLength(1);
      const holder = won[0]!.ok ? won[0]!.hold : undefined;
      for (const c of claims.filter((x) => !x.ok)) {
        expect(c).toEqual({
          ok: false,
          holder: {
            operationId: holder!.operationId,
            requestId: holder!.requestId,
            command: 'replay',
            requestedBy: `arn:aws:iam::123456789012:user/${holder!.requestId}`,
            sinceMs: T0,
            untilMs: T0 + 60_000,
          },
        });
      }
    });

    it("Lambda's retry of the holder (the same request id) takes over at once, with a higher fence; another request only once the lease ran out", async () => {
      const first = await ledger.targets.acquire('cp:1', ask('op-1', 'req-dead', T0));
      const other = await ledger.targets.acquire('cp:1', ask('op-2', 'req-other', T0 + 59_999));
      const retry = await ledger.targets.acquire('cp:1', ask('op-1', 'req-dead', T0 + 30_000));
      const later = await ledger.targets.acquire('cp:1', ask('op-2', 'req-other', T0 + 89_999));
      const expired = await ledger.targets.acquire('cp:1', ask('op-2', 'req-other', T0 + 90_000));
      expect(first).toMatchObject({ ok: true, hold: { fence: 1 } });
      expect(other).toMatchObject({ ok: false, holder: { requestId: 'req-dead', untilMs: T0 + 60_000 } });
      expect(retry).toMatchObject({ ok: true, hold: { fence: 2, tookOver: 'retry', untilMs: T0 + 90_000 } });
      expect(later).toMatchObject({ ok: false, holder: { requestId: 'req-dead', untilMs: T0 + 90_000 } });
      expect(expired).toMatchObject({ ok: true, hold: { fence: 3, tookOver: 'expired' } });
    });

    it('only the holder at its fence renews or releases; a released target is free at once', async () => {
      const a = await ledger.targets.acquire('cp:2', ask('op-a', 'req-a', T0));
      if (!a.ok) throw new Error('not taken');
      const stale = { ...a.hold, fence: a.hold.fence - 1 };
      expect(await ledger.targets.renew(stale, T0 + 120_000)).toBe(false);
      await ledger.targets.release(stale, T0 + 1);
      expect(await ledger.targets.holder('cp:2', T0 + 1)).toMatchObject({ requestId: 'req-a' });
      expect(await ledger.targets.renew(a.hold, T0 + 120_000)).toBe(true);
      expect(await ledger.targets.holder('cp:2', T0 + 100_000)).toMatchObject({ requestId: 'req-a', untilMs: T0 + 120_000 });
      await ledger.targets.release(a.hold, T0 + 2);
      expect(await ledger.targets.holder('cp:2', T0 + 2)).toBeUndefined();
      expect(await ledger.targets.acquire('cp:2', ask('op-b', 'req-b', T0 + 3))).toMatchObject({ ok: true });
      // The old holder's renewal fails now: another run holds the target.
      expect(await ledger.targets.renew(a.hold, T0 + 180_000)).toBe(false);
    });

    it('keys a target longer than DynamoDB allows by its hash, and still tells its holders apart', async () => {
      const long = `dlq:s3://b/${'p/'.repeat(900)}`;
      expect(await ledger.targets.acquire(long, ask('op-l', 'req-l', T0))).toMatchObject({ ok: true });
      expect(await ledger.targets.acquire(long, ask('op-m', 'req-m', T0 + 1))).toMatchObject({ ok: false, holder: { operationId: 'op-l' } });
      expect(await ledger.targets.acquire(`${long}x/`, ask('op-m', 'req-m', T0 + 1))).toMatchObject({ ok: true });
    });
  });
});
