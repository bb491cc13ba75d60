import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ManualClock } from '../../lambdas/core/clock';
import type { ActionDefinition, PlaybookSettings } from '../../lambdas/core/playbook';
import { GATE_ORDER, Guardrails, ItemGuardrailStore, PauseReader, type GateRequest } from '../../lambdas/guardrails';
import { MemoryItemStore } from '../../lambdas/ledger/item-store';
import type { PipelineConfig } from '../../lambdas/config/schema';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const HOUR = 3_600_000;

const settings = (over: Partial<PlaybookSettings> = {}): PlaybookSettings => ({
  mode: 'auto',
  cooldownSeconds: 300,
  maxActionsPerHour: 2,
  verifyAfterSeconds: 60,
  verifyDeadlineSeconds: 600,
  breakerWindowSeconds: 600,
  breakerMaxVerifyFailures: 2,
  breakerOpenSeconds: 3600,
  maxRechecks: 3,
  bounds: {},
  ...over,
});

const restart: ActionDefinition<{ executors: number }> = {
  type: 'restart',
  iamActions: [],
  params: z.object({ executors: z.number().int() }),
  checkBounds: (p) => (p.executors > 10 ? [`executors ${p.executors} is above the bound 10`] : []),
  execute: async () => ({ summary: 'ok', before: {}, after: {} }),
};

function setup(paused: Record<string, string> = {}) {
  const clock = new ManualClock(T0);
  const pause = new PauseReader({ getParameters: async () => paused }, clock, { global: '/p', pipelinePrefix: '/p/' }, 0);
  const store = new ItemGuardrailStore(new MemoryItemStore());
  return { clock, store, guardrails: new Guardrails(store, pause) };
}

const req = (over: Partial<GateRequest> = {}): GateRequest => ({
  pipelineName: 'orders',
  pipeline: { paused: false } as PipelineConfig,
  playbook: 'job-failed',
  settings: settings(),
  owner: 'inc-1',
  actions: [
    { action: { type: 'restart', resource: 'job', params: { executors: 4 }, description: 'restart' }, def: restart as ActionDefinition, started: false },
  ],
  nowMs: T0,
  lockUntilMs: T0 + 60_000,
  continuing: false,
  ...over,
});

describe('Class: Guardrails', () => {
  describe('Method: gate', () => {
    it('checks in the documented order: the first failing stage is the one reported', async () => {
      expect(GATE_ORDER).toEqual(['mode', 'pause', 'breaker', 'bounds', 'lock', 'cooldown', 'budget']);
      // Every stage fails at once: mode wins; then each is lifted in turn.
      const { guardrails, store } = setup({ '/p': 'maintenance' });
      await store.writeBreaker('orders#job-failed', { consecutiveVerifyFailures: 0, openUntilMs: T0 + HOUR });
      const seen = await store.readResource('job');
      await store.admit(seen, { owner: 'other-incident', lockUntilMs: T0 + 30_000, reserve: [T0 - 1, T0 - 2], nowMs: T0 });
      await store.setCooldown('job', T0 + 10_000);
      const bad = {
        action: { type: 'restart', resource: 'job', params: { executors: 99 }, description: 'r' },
        def: restart as ActionDefinition,
        started: false,
      };
      expect(await guardrails.gate(req({ settings: settings({ mode: 'recommend' }), actions: [bad] }))).toMatchObject({
        ok: false,
        stage: 'mode',
        reason: 'MODE_RECOMMEND',
      });
      expect(await guardrails.gate(req({ actions: [bad] }))).toMatchObject({
        ok: false,
        stage: 'pause',
        reason: 'PAUSED',
        pause: { scope: 'global', reason: 'maintenance' },
      });
    });

    it('breaker, then bounds on the parsed parameters, then lock, cooldown and budget', async () => {
      const { guardrails, store } = setup();
      await store.writeBreaker('orders#job-failed', { consecutiveVerifyFailures: 0, openUntilMs: T0 + 1 });
      expect(await guardrails.gate(req())).toMatchObject({ ok: false, stage: 'breaker', reason: 'BREAKER_OPEN' });
      await store.writeBreaker('orders#job-failed', { consecutiveVerifyFailures: 0 });
      const bad = {
        action: { type: 'restart', resource: 'job', params: { executors: 11 }, description: 'r' },
        def: restart as ActionDefinition,
        started: false,
      };
      expect(await guardrails.gate(req({ actions: [bad] }))).toMatchObject({
        ok: false,
        stage: 'bounds',
        summary: expect.stringContaining('executors 11 is above the bound 10'),
      });
      const unparsable = { ...bad, action: { ...bad.action, params: { executors: 'many' } } };
      expect(await guardrails.gate(req({ actions: [unparsable] }))).toMatchObject({
        ok: false,
        stage: 'bounds',
        summary: expect.stringContaining('params.executors'),
      });
      await store.admit(await store.readResource('job'), { owner: 'other', lockUntilMs: T0 + 30_000, reserve: [], nowMs: T0 });
      expect(await guardrails.gate(req())).toMatchObject({ ok: false, stage: 'lock', reason: 'LOCKED', retryAfterSeconds: 30 });
      await store.releaseLock('job', 'other');
      await store.setCooldown('job', T0 + 1500);
      expect(await guardrails.gate(req())).toMatchObject({ ok: false, stage: 'cooldown', retryAfterSeconds: 2 });
      await store.setCooldown('job', T0);
      await store.admit(await store.readResource('job'), { owner: 'x', lockUntilMs: T0, reserve: [T0 - HOUR + 1, T0 - 10], nowMs: T0 });
      expect(await guardrails.gate(req())).toMatchObject({
        ok: false,
        stage: 'budget',
        reason: 'BUDGET_EXHAUSTED',
        summary: '2 of 2 actions on job already used in the last hour',
      });
      // One millisecond later the oldest action has left the sliding window.
      expect(await guardrails.gate(req({ nowMs: T0 + 1 }))).toMatchObject({ ok: true, params: [{ executors: 4 }], locks: ['job'] });
    });

    it('admits exactly one of many concurrent fixes on one resource, and spends one budget slot', async () => {
      const { guardrails, store } = setup();
      const verdicts = await Promise.all(Array.from({ length: 6 }, (_, i) => guardrails.gate(req({ owner: `inc-${i}` }))));
      expect(verdicts.filter((v) => v.ok)).toHaveLength(1);
      expect(verdicts.filter((v) => !v.ok && v.stage === 'lock')).toHaveLength(5);
      expect((await store.readResource('job')).actionTimes).toEqual([T0]);
    });

    it('a resumed fix takes its lock again without paying its budget or counting as a repeat of itself', async () => {
      const { guardrails, store } = setup();
      expect(await guardrails.gate(req())).toMatchObject({ ok: true });
      await guardrails.recordFix('orders', 'job-failed', 'inc-0', ['other'], settings(), T0);
      const started = { ...req().actions[0]!, started: true };
      expect(await guardrails.gate(req({ nowMs: T0 + 5, actions: [started], continuing: true }))).toMatchObject({ ok: true });
      expect((await store.readResource('job')).actionTimes).toEqual([T0]);
      // A new fix this soon after the last one means that one did not hold: the breaker opens.
      expect(await guardrails.gate(req({ nowMs: T0 + 10 }))).toMatchObject({ ok: false, stage: 'breaker' });
    });

    it('finishes a resumed fix whose remaining actions are all in flight, even when paused since; a not-started one waits', async () => {
      const { guardrails } = setup({ '/p': 'maintenance' });
      const started = { ...req().actions[0]!, started: true };
      expect(await guardrails.gate(req({ actions: [started], continuing: true }))).toMatchObject({ ok: true, locks: ['job'] });
      const next = {
        action: { type: 'restart', resource: 'job', params: { executors: 5 }, description: 'r2' },
        def: restart as ActionDefinition,
        started: false,
      };
      expect(await guardrails.gate(req({ owner: 'inc-1', nowMs: T0 + 1, actions: [started, next], continuing: true }))).toMatchObject({
        ok: false,
        stage: 'pause',
      });
    });

    it('undoes the first resource when the second refuses: no lock held, no budget spent', async () => {
      const { guardrails, store } = setup();
      await store.setCooldown('b', T0 + 60_000);
      const two = [
        { action: { type: 'restart', resource: 'a', params: { executors: 1 }, description: 'a' }, def: restart as ActionDefinition, started: false },
        { action: { type: 'restart', resource: 'b', params: { executors: 1 }, description: 'b' }, def: restart as ActionDefinition, started: false },
      ];
      expect(await guardrails.gate(req({ actions: two }))).toMatchObject({ ok: false, stage: 'cooldown' });
      const a = await store.readResource('a');
      expect(a.lock).toBeUndefined();
      expect(a.actionTimes).toEqual([]);
    });
  });

  describe('Method: resetBreaker', () => {
    it('closes an open breaker and returns the state it replaced', async () => {
      const { guardrails, store } = setup();
      await store.writeBreaker('orders#job-failed', {
        consecutiveVerifyFailures: 2,
        openUntilMs: T0 + HOUR,
        openedReason: '2 verification(s) failed in a row',
      });
      expect(await guardrails.resetBreaker('orders', 'job-failed')).toMatchObject({ openUntilMs: T0 + HOUR });
      expect(await guardrails.gate(req())).toMatchObject({ ok: true });
    });
  });
});
