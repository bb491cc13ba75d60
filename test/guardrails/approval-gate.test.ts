import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ManualClock } from '../../lambdas/core/clock';
import type { ActionDefinition, PlaybookSettings } from '../../lambdas/core/playbook';
import { Guardrails, ItemGuardrailStore, PauseReader, type GateRequest } from '../../lambdas/guardrails';
import { MemoryItemStore } from '../../lambdas/ledger/item-store';
import type { PipelineConfig } from '../../lambdas/config/schema';

const T0 = Date.parse('2026-11-22T10:00:00Z');

const settings = (over: Partial<PlaybookSettings> = {}): PlaybookSettings => ({
  mode: 'approve',
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
const action = (executors = 4) => ({ type: 'restart', resource: 'job', params: { executors }, description: 'restart' });

function setup(paused: Record<string, string> = {}) {
  const clock = new ManualClock(T0);
  const store = new ItemGuardrailStore(new MemoryItemStore());
  const guardrails = new Guardrails(store, new PauseReader({ getParameters: async () => paused }, clock, { global: '/p', pipelinePrefix: '/p/' }, 0));
  return { store, guardrails };
}
const req = (over: Partial<GateRequest> = {}): GateRequest => ({
  pipelineName: 'orders',
  pipeline: { paused: false } as PipelineConfig,
  playbook: 'job-failed',
  settings: settings(),
  owner: 'inc-1',
  actions: [{ action: action(), def: restart as ActionDefinition, started: false }],
  nowMs: T0,
  lockUntilMs: T0 + 60_000,
  continuing: false,
  ...over,
});
const grant = (executors = 4) => ({ approvalId: 'a1', actions: [action(executors)], expiresAtMs: T0 + 60_000, by: 'arn:aws:iam::123456789012:user/jane' });

describe('Class: Guardrails', () => {
  describe('Method: gate (mode approve)', () => {
    it('refuses at the mode stage without an approval, before the pause', async () => {
      const { guardrails } = setup({ '/p': 'maintenance' });
      expect(await guardrails.gate(req())).toMatchObject({ ok: false, stage: 'mode', reason: 'APPROVAL_REQUIRED' });
    });

    it('with the approved plan, goes on through every other guardrail (the pause refuses it)', async () => {
      const { guardrails } = setup({ '/p': 'maintenance' });
      expect(await guardrails.gate(req({ approval: grant() }))).toMatchObject({ ok: false, stage: 'pause', reason: 'PAUSED' });
    });

    it('admits the approved plan, taking the lock and the budget', async () => {
      const { guardrails, store } = setup();
      expect(await guardrails.gate(req({ approval: grant() }))).toMatchObject({ ok: true, locks: ['job'] });
      expect((await store.readResource('job')).lock?.owner).toBe('inc-1');
    });

    it('refuses another plan and an approval used after its expiry', async () => {
      const { guardrails } = setup();
      expect(await guardrails.gate(req({ approval: grant(6) }))).toMatchObject({ ok: false, stage: 'mode', reason: 'APPROVAL_MISMATCH' });
      expect(await guardrails.gate(req({ approval: grant(), nowMs: T0 + 60_001 }))).toMatchObject({ ok: false, stage: 'mode', reason: 'APPROVAL_EXPIRED' });
    });
  });

  describe('Method: gate (dryRun)', () => {
    it('judges like the gate and writes nothing: no lock, no budget, no breaker', async () => {
      const { guardrails, store } = setup();
      const dry = req({ settings: settings({ mode: 'auto' }), dryRun: true });
      expect(await guardrails.gate(dry)).toEqual({ ok: true, params: [{ executors: 4 }], locks: [] });
      expect(await store.readResource('job')).toMatchObject({ actionTimes: [], version: 0 });
      expect(await store.readBreaker('orders#job-failed')).toEqual({ consecutiveVerifyFailures: 0 });
      // A fix soon after the last one: the dry run says the breaker would open, and leaves it closed.
      await store.writeBreaker('orders#job-failed', { consecutiveVerifyFailures: 0, lastFixAtMs: T0 - 60_000 });
      expect(await guardrails.gate(dry)).toMatchObject({ ok: false, stage: 'breaker', reason: 'BREAKER_OPEN' });
      expect((await store.readBreaker('orders#job-failed')).openUntilMs).toBeUndefined();
      // Locked by another fix: refused at the lock, as the gate would.
      await store.writeBreaker('orders#job-failed', { consecutiveVerifyFailures: 0 });
      await store.admit(await store.readResource('job'), { owner: 'other', lockUntilMs: T0 + 30_000, reserve: [], nowMs: T0 });
      expect(await guardrails.gate(dry)).toMatchObject({ ok: false, stage: 'lock', reason: 'LOCKED' });
    });
  });

  describe('Method: listState', () => {
    it('lists every guarded resource and breaker (streamfix status)', async () => {
      const { guardrails, store } = setup();
      await guardrails.gate(req({ approval: grant() }));
      await store.setCooldown('stream', T0 + 300_000);
      await store.writeBreaker('orders#job-failed', { consecutiveVerifyFailures: 1 });
      const s = await guardrails.listState();
      expect(s.resources.map((r) => r.resource).sort()).toEqual(['job', 'stream']);
      expect(s.resources.find((r) => r.resource === 'stream')?.cooldownUntilMs).toBe(T0 + 300_000);
      expect(s.breakers).toEqual([{ key: 'orders#job-failed', state: { consecutiveVerifyFailures: 1 } }]);
    });
  });
});
