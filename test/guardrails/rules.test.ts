import { describe, expect, it } from 'vitest';
import { afterVerify, boundsVerdict, breakerVerdict, budgetVerdict, cooldownVerdict, repeatFixVerdict } from '../../lambdas/guardrails/rules';
import { PauseReader } from '../../lambdas/guardrails/pause';
import { ManualClock } from '../../lambdas/core/clock';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const s = { breakerWindowSeconds: 300, breakerOpenSeconds: 3600, breakerMaxVerifyFailures: 2 };

describe('Guardrail rules', () => {
  it('breaker: open until the last millisecond before openUntil, closed at it', () => {
    expect(breakerVerdict({ consecutiveVerifyFailures: 0, openUntilMs: T0 }, T0 - 1)).toMatchObject({ ok: false, reason: 'BREAKER_OPEN' });
    expect(breakerVerdict({ consecutiveVerifyFailures: 0, openUntilMs: T0 }, T0)).toEqual({ ok: true });
    expect(breakerVerdict({ consecutiveVerifyFailures: 0 }, T0)).toEqual({ ok: true });
  });

  it('a second fix within the window opens the breaker; one just after the window does not', () => {
    const state = { consecutiveVerifyFailures: 0, lastFixAtMs: T0 };
    const inside = repeatFixVerdict(state, s, T0 + 300_000);
    expect(inside.verdict).toMatchObject({ ok: false, reason: 'BREAKER_OPEN' });
    expect(inside.next?.openUntilMs).toBe(T0 + 300_000 + 3_600_000);
    expect(repeatFixVerdict(state, s, T0 + 300_001)).toEqual({ verdict: { ok: true } });
    expect(repeatFixVerdict({ consecutiveVerifyFailures: 0 }, s, T0)).toEqual({ verdict: { ok: true } });
    expect(repeatFixVerdict(state, { ...s, breakerWindowSeconds: 0 }, T0 + 1)).toEqual({ verdict: { ok: true } });
  });

  it('verification failures open the breaker at the configured count; a success resets it', () => {
    const one = afterVerify({ consecutiveVerifyFailures: 0 }, false, s, T0);
    expect(one).toEqual({ consecutiveVerifyFailures: 1 });
    const two = afterVerify(one, false, s, T0);
    expect(two.openUntilMs).toBe(T0 + 3_600_000);
    expect(afterVerify(two, true, s, T0).consecutiveVerifyFailures).toBe(0);
  });

  it('cooldown blocks until its end and says when to look again', () => {
    expect(cooldownVerdict(T0, T0 - 1500, 'job')).toMatchObject({ ok: false, reason: 'COOLDOWN_ACTIVE', retryAfterSeconds: 2 });
    expect(cooldownVerdict(T0, T0, 'job')).toEqual({ ok: true });
    expect(cooldownVerdict(undefined, T0, 'job')).toEqual({ ok: true });
  });

  it('bounds and budget verdicts name what was refused', () => {
    expect(boundsVerdict(['executionRoleArn x is not the configured y'], 't')).toMatchObject({
      ok: false,
      reason: 'BOUND_VIOLATION',
      summary: expect.stringContaining('executionRoleArn'),
    });
    expect(boundsVerdict([], 't')).toEqual({ ok: true });
    expect(budgetVerdict({ allowed: false, used: 3 }, 3, 'job')).toMatchObject({
      ok: false,
      reason: 'BUDGET_EXHAUSTED',
      summary: '3 of 3 actions on job already used in the last hour',
    });
  });
});

describe('Class: PauseReader', () => {
  const names = { global: '/sf/pause', pipelinePrefix: '/sf/pause/' };
  it('treats missing, empty and "off" as running; anything else pauses with that reason', async () => {
    let values: Record<string, string> = {};
    const calls: string[][] = [];
    const clock = new ManualClock(T0);
    const r = new PauseReader(
      {
        getParameters: async (n) => {
          calls.push(n);
          return values;
        },
      },
      clock,
      names,
      15_000,
    );
    expect(await r.check('orders', false)).toEqual({ paused: false });
    values = { '/sf/pause/orders': 'deploying v2 (ticket OPS-12)' };
    expect(await r.check('orders', false)).toEqual({ paused: false }); // cached for 15 s
    clock.advance(15_001);
    expect(await r.check('orders', false)).toEqual({ paused: true, scope: 'pipeline', reason: 'deploying v2 (ticket OPS-12)' });
    values = { '/sf/pause': 'off', '/sf/pause/orders': ' OFF ' };
    clock.advance(15_001);
    expect(await r.check('orders', false)).toEqual({ paused: false });
    values = { '/sf/pause': 'incident war room' };
    clock.advance(15_001);
    expect(await r.check('orders', false)).toMatchObject({ paused: true, scope: 'global' });
    expect(await r.check('orders', true)).toMatchObject({ paused: true, scope: 'config' });
    expect(calls[0]).toEqual(['/sf/pause', '/sf/pause/orders']);
  });
});
