import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../lambdas/ledger/ledger';
import type { Trigger } from '../../lambdas/core/trigger';
import { startDynalite } from '../helpers/dynalite';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const trigger: Trigger = { kind: 'job-run', eventId: 'e', dedupeKey: 'k', applicationId: 'app', jobRunId: 'r', state: 'FAILED', atMs: T0 };

describe('Class: Ledger (on dynalite)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let ledger: Ledger;
  beforeAll(async () => {
    db = await startDynalite();
    ledger = Ledger.fromOptions(db.aws, db.tableName);
  });
  afterAll(async () => db.close());

  describe('Method: claimDelivery', () => {
    it('claims once; a copy during the lease is a duplicate; after finish it is done', async () => {
      expect(await ledger.claimDelivery('d1', 'a', T0, 1000)).toEqual({ kind: 'new' });
      expect(await ledger.claimDelivery('d1', 'b', T0 + 999, 1000)).toEqual({ kind: 'duplicate', status: 'in-progress' });
      await ledger.finishDelivery('d1', 'a', T0 + 10, 'ok');
      expect(await ledger.claimDelivery('d1', 'b', T0 + 5000, 1000)).toEqual({ kind: 'duplicate', status: 'done' });
    });

    it('lets exactly one of many concurrent copies in', async () => {
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.claimDelivery('d2', `w${i}`, T0, 1000)));
      expect(claims.filter((c) => c.kind === 'new')).toHaveLength(1);
    });

    it('hands an expired claim of a dead worker to exactly one successor, with its incident', async () => {
      await ledger.claimDelivery('d3', 'dead', T0, 1000);
      await ledger.attachDelivery('d3', 'inc-1');
      const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => ledger.claimDelivery('d3', `w${i}`, T0 + 1000, 1000)));
      expect(claims.filter((c) => c.kind === 'resume')).toEqual([{ kind: 'resume', incidentId: 'inc-1' }]);
    });
  });

  describe('Method: openOrJoinIncident', () => {
    it('opens one incident per pipeline and playbook, however many triggers race', async () => {
      const r = await Promise.all(Array.from({ length: 8 }, () => ledger.openOrJoinIncident('orders', 'job-failed', trigger, T0)));
      expect(r.filter((x) => x.created)).toHaveLength(1);
      expect(new Set(r.map((x) => x.incident.incidentId)).size).toBe(1);
    });

    it('opens a new incident once the previous one is resolved', async () => {
      const { incident } = await ledger.openOrJoinIncident('p2', 'job-failed', trigger, T0);
      await ledger.saveIncident({ ...incident, status: 'resolved' }, T0 + 1);
      const next = await ledger.openOrJoinIncident('p2', 'job-failed', trigger, T0 + 2);
      expect(next.created).toBe(true);
      expect(next.incident.incidentId).not.toBe(incident.incidentId);
      expect((await ledger.listIncidents()).map((i) => i.incidentId)).toEqual(expect.arrayContaining([incident.incidentId, next.incident.incidentId]));
    });

    it('refuses a save based on a stale version', async () => {
      const { incident } = await ledger.openOrJoinIncident('p3', 'job-failed', trigger, T0);
      await ledger.saveIncident({ ...incident, status: 'acting' }, T0 + 1);
      await expect(ledger.saveIncident({ ...incident, status: 'verifying' }, T0 + 2)).rejects.toThrow(/condition failed/);
    });
  });

  describe('Method: acquireLock', () => {
    it('holds until the lease ends, re-entrant for its owner, then free for others', async () => {
      expect(await ledger.acquireLock('job', 'a', T0, 1000)).toBe(true);
      expect(await ledger.acquireLock('job', 'b', T0 + 999, 1000)).toBe(false);
      expect(await ledger.acquireLock('job', 'a', T0 + 500, 1000)).toBe(true);
      expect(await ledger.acquireLock('job', 'b', T0 + 1499, 1000)).toBe(false);
      expect(await ledger.acquireLock('job', 'b', T0 + 1500, 1000)).toBe(true);
      await ledger.releaseLock('job', 'a'); // not the owner any more: no effect
      expect(await ledger.acquireLock('job', 'c', T0 + 1600, 1000)).toBe(false);
      await ledger.releaseLock('job', 'b');
      expect(await ledger.acquireLock('job', 'c', T0 + 1600, 1000)).toBe(true);
    });
  });

  describe('Method: reserveBudget', () => {
    it('is a sliding window: the oldest action leaves it exactly one window later', async () => {
      const H = 3_600_000;
      expect((await ledger.reserveBudget('b1', T0, H, 2)).allowed).toBe(true);
      expect((await ledger.reserveBudget('b1', T0 + 10, H, 2)).allowed).toBe(true);
      expect(await ledger.reserveBudget('b1', T0 + H - 1, H, 2)).toEqual({ allowed: false, used: 2 });
      expect((await ledger.reserveBudget('b1', T0 + H, H, 2)).allowed).toBe(true);
      expect(await ledger.countBudget('b1', T0 + H, H)).toBe(2);
      expect(await ledger.reserveBudget('b1', T0 + H + 9, H, 2)).toEqual({ allowed: false, used: 2 });
    });

    it('never over-reserves under concurrency', async () => {
      const r = await Promise.all(Array.from({ length: 6 }, () => ledger.reserveBudget('b2', T0, 3_600_000, 3)));
      expect(r.filter((x) => x.allowed)).toHaveLength(3);
    });
  });

  describe('Method: recordActionIntent', () => {
    it('writes the intent once; a second writer learns it exists', async () => {
      const action = { type: 't', resource: 'r', params: {}, description: 'd' };
      expect(await ledger.recordActionIntent('inc-a', 0, action, T0)).toMatchObject({ status: 'intent' });
      expect(await ledger.recordActionIntent('inc-a', 0, action, T0)).toBeUndefined();
      const rec = (await ledger.getAction('inc-a', 0))!;
      await ledger.recordActionResult(rec, 'done', T0 + 5, { outcome: { summary: 's', before: {}, after: { x: 1 } } });
      expect((await ledger.listActions('inc-a'))[0]).toMatchObject({ status: 'done', endedAtMs: T0 + 5 });
    });
  });
});
