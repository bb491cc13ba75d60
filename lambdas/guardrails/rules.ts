import { EngineReason } from '../core/decision';
import type { BreakerState } from './store';
import type { PlaybookSettings } from '../core/playbook';

/**
 * The guardrails' judgment, pure: state + settings + now → verdict. The Guardrails class
 * (index.ts) only reads and writes the state these functions judge.
 */
export type GuardVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: (typeof EngineReason)[keyof typeof EngineReason];
      summary: string;
      /** Look again after this many seconds (lock, cooldown); absent = escalate now. */
      retryAfterSeconds?: number;
    };

export const OK: GuardVerdict = { ok: true };

export function breakerVerdict(state: BreakerState, nowMs: number): GuardVerdict {
  if (state.openUntilMs !== undefined && nowMs < state.openUntilMs) {
    return {
      ok: false,
      reason: EngineReason.BREAKER_OPEN,
      summary: `circuit breaker open until ${new Date(state.openUntilMs).toISOString()}: ${state.openedReason ?? 'repeated failures'}`,
    };
  }
  return OK;
}

/**
 * A new Fix decision soon after the previous fix means that fix did not hold: open the breaker
 * instead of fixing again. `lastFixAtMs + window` is the last millisecond that counts as "soon".
 */
export function repeatFixVerdict(
  state: BreakerState,
  s: Pick<PlaybookSettings, 'breakerWindowSeconds' | 'breakerOpenSeconds'>,
  nowMs: number,
): { verdict: GuardVerdict; next?: BreakerState } {
  if (state.lastFixAtMs === undefined || s.breakerWindowSeconds === 0) return { verdict: OK };
  const sinceMs = nowMs - state.lastFixAtMs;
  if (sinceMs < 0 || sinceMs > s.breakerWindowSeconds * 1000) return { verdict: OK };
  const reason = `the previous fix ${Math.round(sinceMs / 1000)} s ago did not hold (window ${s.breakerWindowSeconds} s)`;
  return {
    verdict: { ok: false, reason: EngineReason.BREAKER_OPEN, summary: `circuit breaker opened: ${reason}` },
    next: { ...state, openUntilMs: nowMs + s.breakerOpenSeconds * 1000, openedReason: reason },
  };
}

/** After a verification: count consecutive failures; open at the configured number. */
export function afterVerify(
  state: BreakerState,
  recovered: boolean,
  s: Pick<PlaybookSettings, 'breakerMaxVerifyFailures' | 'breakerOpenSeconds'>,
  nowMs: number,
): BreakerState {
  if (recovered) return { ...state, consecutiveVerifyFailures: 0 };
  const failures = state.consecutiveVerifyFailures + 1;
  if (failures >= s.breakerMaxVerifyFailures) {
    return {
      ...state,
      consecutiveVerifyFailures: failures,
      openUntilMs: nowMs + s.breakerOpenSeconds * 1000,
      openedReason: `${failures} verification(s) failed in a row`,
    };
  }
  return { ...state, consecutiveVerifyFailures: failures };
}

export function cooldownVerdict(untilMs: number | undefined, nowMs: number, resource: string): GuardVerdict {
  if (untilMs === undefined || nowMs >= untilMs) return OK;
  return {
    ok: false,
    reason: EngineReason.COOLDOWN_ACTIVE,
    summary: `${resource} is cooling down after a fix until ${new Date(untilMs).toISOString()}`,
    retryAfterSeconds: Math.ceil((untilMs - nowMs) / 1000),
  };
}

export function boundsVerdict(violations: string[], actionType: string): GuardVerdict {
  if (violations.length === 0) return OK;
  return { ok: false, reason: EngineReason.BOUND_VIOLATION, summary: `${actionType} refused: ${violations.join('; ')}` };
}

export function budgetVerdict(r: { allowed: boolean; used: number }, max: number, resource: string): GuardVerdict {
  if (r.allowed) return OK;
  return {
    ok: false,
    reason: EngineReason.BUDGET_EXHAUSTED,
    summary: `${r.used} of ${max} actions on ${resource} already used in the last hour`,
  };
}
