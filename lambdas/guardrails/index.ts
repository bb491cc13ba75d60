import type { PlannedAction } from '../core/decision';
import type { Ledger } from '../ledger/ledger';
import type { ActionDefinition, PlaybookSettings } from '../playbooks/types';
import type { PipelineConfig } from '../config/schema';
import type { PauseReader, PauseState } from './pause';
import { EngineReason } from '../core/decision';
import {
  OK, afterVerify, boundsVerdict, breakerVerdict, budgetVerdict, cooldownVerdict, repeatFixVerdict, type GuardVerdict,
} from './rules';

export type { GuardVerdict } from './rules';
export { PauseReader, type PauseState } from './pause';

const HOUR_MS = 3_600_000;

/**
 * Every safety check between a plan and an action. The engine calls these for every action;
 * a playbook never sees them and cannot skip them. Order: pause → mode (by the engine) →
 * breaker → bounds → lock → cooldown → budget; then the write-ahead ledger entry.
 */
export class Guardrails {
  constructor(
    private readonly ledger: Ledger,
    private readonly pause: PauseReader,
  ) {}

  checkPause(pipelineName: string, pipeline: PipelineConfig): Promise<PauseState> {
    return this.pause.check(pipelineName, pipeline.paused);
  }

  breakerKey = (pipeline: string, playbook: string) => `${pipeline}#${playbook}`;

  async checkBreaker(pipeline: string, playbook: string, nowMs: number): Promise<GuardVerdict> {
    return breakerVerdict(await this.ledger.getBreaker(this.breakerKey(pipeline, playbook)), nowMs);
  }

  /** Called when a plan wants to fix: a fix soon after the last one opens the breaker. */
  async admitFix(pipeline: string, playbook: string, settings: PlaybookSettings, nowMs: number): Promise<GuardVerdict> {
    const key = this.breakerKey(pipeline, playbook);
    const state = await this.ledger.getBreaker(key);
    const open = breakerVerdict(state, nowMs);
    if (!open.ok) return open;
    const { verdict, next } = repeatFixVerdict(state, settings, nowMs);
    if (next) await this.ledger.saveBreaker(key, next);
    return verdict;
  }

  checkBounds(def: ActionDefinition | undefined, action: PlannedAction, pipeline: PipelineConfig, settings: PlaybookSettings): GuardVerdict {
    if (!def) return boundsVerdict([`no registered action type "${action.type}"`], action.type);
    const parsed = def.params.safeParse(action.params);
    if (!parsed.success) {
      return boundsVerdict(parsed.error.issues.map((i) => `params.${i.path.join('.')}: ${i.message}`), action.type);
    }
    return boundsVerdict(def.checkBounds(parsed.data, { pipeline, settings }), action.type);
  }

  async acquireLock(resource: string, owner: string, nowMs: number, leaseMs: number): Promise<GuardVerdict> {
    if (await this.ledger.acquireLock(resource, owner, nowMs, leaseMs)) return OK;
    return {
      ok: false,
      reason: EngineReason.LOCKED,
      summary: `${resource} is locked by another fix (${(await this.ledger.lockHolder(resource, nowMs)) ?? 'lease just ended'})`,
      retryAfterSeconds: 60,
    };
  }

  releaseLock(resource: string, owner: string): Promise<void> {
    return this.ledger.releaseLock(resource, owner);
  }

  async checkCooldown(resource: string, nowMs: number): Promise<GuardVerdict> {
    return cooldownVerdict(await this.ledger.getCooldownUntil(resource), nowMs, resource);
  }

  async reserveBudget(resource: string, settings: PlaybookSettings, nowMs: number): Promise<GuardVerdict> {
    const r = await this.ledger.reserveBudget(resource, nowMs, HOUR_MS, settings.maxActionsPerHour);
    return budgetVerdict(r, settings.maxActionsPerHour, resource);
  }

  actionsInLastHour(resource: string, nowMs: number): Promise<number> {
    return this.ledger.countBudget(resource, nowMs, HOUR_MS);
  }

  /** After a fix: the resource cools down and the breaker remembers when. */
  async recordFix(pipeline: string, playbook: string, resources: string[], settings: PlaybookSettings, nowMs: number): Promise<void> {
    await Promise.all(resources.map((r) => this.ledger.setCooldown(r, nowMs + settings.cooldownSeconds * 1000)));
    const key = this.breakerKey(pipeline, playbook);
    const state = await this.ledger.getBreaker(key);
    await this.ledger.saveBreaker(key, { ...state, lastFixAtMs: nowMs });
  }

  /** Returns true when this verification opened the breaker. */
  async recordVerify(pipeline: string, playbook: string, recovered: boolean, settings: PlaybookSettings, nowMs: number): Promise<boolean> {
    const key = this.breakerKey(pipeline, playbook);
    const before = await this.ledger.getBreaker(key);
    const after = afterVerify(before, recovered, settings, nowMs);
    await this.ledger.saveBreaker(key, after);
    return !breakerVerdict(after, nowMs).ok && breakerVerdict(before, nowMs).ok;
  }

  /** Operator reset (`streamfix resume`). */
  async resetBreaker(pipeline: string, playbook: string): Promise<void> {
    await this.ledger.saveBreaker(this.breakerKey(pipeline, playbook), { consecutiveVerifyFailures: 0 });
  }
}
