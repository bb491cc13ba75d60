import type { PipelineConfig } from '../config/schema';
import { EngineReason, type PlannedAction } from '../core/decision';
import type { ActionDefinition, PlaybookSettings } from '../core/playbook';
import { approvalVerdict, type ApprovalGrant } from './approval';
import type { PauseReader, PauseState } from './pause';
import { afterVerify, boundsVerdict, breakerVerdict, budgetVerdict, cooldownVerdict, repeatFixVerdict, type GuardVerdict } from './rules';
import { HELD_UNTIL_RELEASED_MS, type BreakerState, type GuardrailStore, type ResourceGuard } from './store';

export type { GuardVerdict } from './rules';
export { approvalVerdict, type ApprovalGrant } from './approval';
export { planDifferences } from '../core/plan-match';
export { PauseReader, type PauseState } from './pause';
export { HELD_UNTIL_RELEASED_MS, ItemGuardrailStore, type BreakerState, type GuardrailStore, type ResourceGuard } from './store';

const HOUR_MS = 3_600_000;

/** The breaker of a pipeline and playbook. */
export const breakerKey = (pipeline: string, playbook: string): string => `${pipeline}#${playbook}`;
const ADMIT_ATTEMPTS = 5;

/** The checks of the gate, in the order they run. */
export const GATE_ORDER = ['mode', 'pause', 'breaker', 'bounds', 'lock', 'cooldown', 'budget'] as const;
export type GateStage = (typeof GATE_ORDER)[number];

export interface GateAction {
  action: PlannedAction;
  def: ActionDefinition | undefined;
  /** Already started by an earlier owner of the fix (its intent is in the ledger): finished, not admitted again. */
  started: boolean;
}

export interface GateRequest {
  pipelineName: string;
  pipeline: PipelineConfig;
  playbook: string;
  settings: PlaybookSettings;
  /** Who holds the locks: the incident (a worker that resumes the incident holds them too). */
  owner: string;
  /** Every action of the fix, in order. */
  actions: GateAction[];
  nowMs: number;
  /** The locks' lease: never beyond the owning invocation's deadline. */
  lockUntilMs: number;
  /** A fix already admitted, resumed by a later owner: its budget is paid and it does not repeat itself. */
  continuing: boolean;
  /** Mode approve: the person's approval this fix carries (absent: none yet). */
  approval?: ApprovalGrant;
  /**
   * Judge only (`streamfix plan`): every check reads the same state, and nothing is written:
   * no lock taken, no budget reserved, no breaker opened.
   */
  dryRun?: boolean;
}

export type GateVerdict =
  | { ok: true; params: unknown[]; locks: string[] }
  | ({ ok: false; stage: GateStage; pause?: PauseState } & Extract<GuardVerdict, { ok: false }>);

const refuse = (stage: GateStage, v: Extract<GuardVerdict, { ok: false }>, extra: { pause?: PauseState } = {}): GateVerdict => ({ ...v, stage, ...extra });

/**
 * The whole safety gate between a plan and an action. The engine asks it once per fix (and once
 * more when a later owner resumes the fix); a playbook never sees it and cannot skip it. The
 * checks run in this order, each on the actions' actual parameters, parsed once:
 *
 *   mode → pause → breaker → bounds → lock → cooldown → budget
 *
 * The state they read is fetched in parallel up front; the lock and the budget are then taken
 * in one conditional write per resource, so two fixes can neither hold one resource nor spend
 * one budget slot twice. A refusal names its stage; lock and cooldown say when to look again.
 */
export class Guardrails {
  constructor(
    private readonly store: GuardrailStore,
    private readonly pause: PauseReader,
  ) {}

  checkPause(pipelineName: string, pipeline: PipelineConfig): Promise<PauseState> {
    return this.pause.check(pipelineName, pipeline.paused);
  }

  /** Reads the pause switches again on their next check (a pause was just lifted). */
  refreshPause(): void {
    this.pause.forget();
  }

  breakerKey = breakerKey;

  async gate(r: GateRequest): Promise<GateVerdict> {
    const resources = [...new Set(r.actions.map((a) => a.action.resource))].sort();
    const [pause, breaker, ...guards] = await Promise.all([
      this.checkPause(r.pipelineName, r.pipeline),
      this.store.readBreaker(this.breakerKey(r.pipelineName, r.playbook)),
      ...resources.map((res) => this.store.readResource(res)),
    ]);

    // A resumed fix whose every remaining action is already in flight (its intent written, its
    // effect maybe done) is finished whatever the mode, pause or breaker say now: they were
    // checked when the fix was admitted, and a half-done action is the worse state to leave.
    const onlyInFlight = r.continuing && r.actions.every((a) => a.started);
    if (!onlyInFlight) {
      if (r.settings.mode === 'off')
        return refuse('mode', { ok: false, reason: EngineReason.MODE_OFF, summary: `playbook ${r.playbook} is off for pipeline ${r.pipelineName}` });
      if (r.settings.mode === 'recommend') return refuse('mode', { ok: false, reason: EngineReason.MODE_RECOMMEND, summary: 'mode is recommend' });
      if (r.settings.mode === 'approve') {
        const approved = approvalVerdict(
          r.approval,
          r.actions.map((a) => a.action),
          r.nowMs,
          r.continuing,
        );
        if (!approved.ok) return refuse('mode', approved);
      }
      if (pause.paused)
        return refuse('pause', { ok: false, reason: EngineReason.PAUSED, summary: `pipeline paused (${pause.scope}: ${pause.reason})` }, { pause });
      const open = breakerVerdict(breaker, r.nowMs);
      if (!open.ok) return refuse('breaker', open);
    }
    if (!r.continuing) {
      const { verdict, next } = repeatFixVerdict(breaker, r.settings, r.nowMs);
      if (next && !r.dryRun) await this.store.writeBreaker(this.breakerKey(r.pipelineName, r.playbook), next);
      if (!verdict.ok) return refuse('breaker', verdict);
    }

    const params: unknown[] = [];
    for (const a of r.actions) {
      const parsed = this.parse(a, r);
      if (!parsed.ok) return refuse('bounds', parsed.verdict);
      params.push(parsed.params);
    }

    const byResource = new Map(guards.map((g) => [g.resource, g]));
    if (r.dryRun) {
      for (const resource of resources) {
        const fresh = r.actions.filter((a) => a.action.resource === resource && !a.started).length;
        const refusal = this.judgeResource(byResource.get(resource)!, r, fresh, r.continuing ? 0 : fresh);
        if (refusal) return refusal;
      }
      return { ok: true, params, locks: [] };
    }
    const taken: { resource: string; reserved: number[] }[] = [];
    const undo = () => Promise.all(taken.map((t) => this.store.releaseLock(t.resource, r.owner, t.reserved)));
    for (const resource of resources) {
      const fresh = r.actions.filter((a) => a.action.resource === resource && !a.started).length;
      const reserve = r.continuing ? [] : Array.from({ length: fresh }, () => r.nowMs);
      let seen = byResource.get(resource)!;
      let admitted = false;
      for (let attempt = 0; attempt < ADMIT_ATTEMPTS && !admitted; attempt++) {
        if (attempt > 0) seen = await this.store.readResource(resource);
        const refusal = this.judgeResource(seen, r, fresh, reserve.length);
        if (refusal) {
          await undo();
          return refusal;
        }
        admitted = await this.store.admit(seen, { owner: r.owner, lockUntilMs: r.lockUntilMs, reserve, nowMs: r.nowMs });
      }
      if (!admitted) {
        await undo();
        return refuse('lock', { ok: false, reason: EngineReason.LOCKED, summary: `${resource} is contended by other fixes`, retryAfterSeconds: 60 });
      }
      taken.push({ resource, reserved: reserve });
    }
    return { ok: true, params, locks: resources };
  }

  /** Lock, cooldown and budget of one resource, in that order. */
  private judgeResource(g: ResourceGuard, r: GateRequest, freshActions: number, toReserve: number): GateVerdict | undefined {
    if (g.lock && g.lock.owner !== r.owner && g.lock.untilMs > r.nowMs) {
      return refuse('lock', {
        ok: false,
        reason: EngineReason.LOCKED,
        summary:
          g.lock.untilMs >= HELD_UNTIL_RELEASED_MS
            ? `${g.resource} is held by ${g.lock.owner} until it releases it${g.lock.reason ? ` (${g.lock.reason})` : ''}`
            : `${g.resource} is locked by ${g.lock.owner} until ${new Date(g.lock.untilMs).toISOString()}`,
        retryAfterSeconds: Math.max(1, Math.min(60, Math.ceil((g.lock.untilMs - r.nowMs) / 1000))),
      });
    }
    if (freshActions > 0) {
      const cool = cooldownVerdict(g.cooldownUntilMs, r.nowMs, g.resource);
      if (!cool.ok) return refuse('cooldown', cool);
    }
    if (toReserve > 0) {
      const used = g.actionTimes.filter((t) => t > r.nowMs - HOUR_MS).length;
      const budget = budgetVerdict({ allowed: used + toReserve <= r.settings.maxActionsPerHour, used }, r.settings.maxActionsPerHour, g.resource);
      if (!budget.ok) return refuse('budget', budget);
    }
    return undefined;
  }

  private parse(a: GateAction, r: GateRequest): { ok: true; params: unknown } | { ok: false; verdict: Extract<GuardVerdict, { ok: false }> } {
    const fail = (violations: string[]) => ({ ok: false as const, verdict: boundsVerdict(violations, a.action.type) as Extract<GuardVerdict, { ok: false }> });
    if (!a.def) return fail([`no registered action type "${a.action.type}"`]);
    const parsed = a.def.params.safeParse(a.action.params);
    if (!parsed.success) return fail(parsed.error.issues.map((i) => `params.${i.path.join('.')}: ${i.message}`));
    const broken = a.def.checkBounds(parsed.data, { pipeline: r.pipeline, settings: r.settings });
    return broken.length > 0 ? fail(broken) : { ok: true, params: parsed.data };
  }

  renewLock(resource: string, owner: string, untilMs: number): Promise<boolean> {
    return this.store.renewLock(resource, owner, untilMs);
  }

  releaseLock(resource: string, owner: string): Promise<void> {
    return this.store.releaseLock(resource, owner);
  }

  async actionsInLastHour(resource: string, nowMs: number): Promise<number> {
    return (await this.store.readResource(resource)).actionTimes.filter((t) => t > nowMs - HOUR_MS).length;
  }

  /** After a fix: the resources cool down and the breaker remembers when, and which incident. */
  async recordFix(pipeline: string, playbook: string, incidentId: string, resources: string[], settings: PlaybookSettings, nowMs: number): Promise<void> {
    const key = this.breakerKey(pipeline, playbook);
    const [state] = await Promise.all([
      this.store.readBreaker(key),
      ...resources.map((r) => this.store.setCooldown(r, nowMs + settings.cooldownSeconds * 1000)),
    ]);
    await this.store.writeBreaker(key, { ...state, lastFixAtMs: nowMs, lastFixIncidentId: incidentId });
  }

  /** Returns true when this verification opened the breaker. */
  async recordVerify(pipeline: string, playbook: string, recovered: boolean, settings: PlaybookSettings, nowMs: number): Promise<boolean> {
    const key = this.breakerKey(pipeline, playbook);
    const before = await this.store.readBreaker(key);
    const after = afterVerify(before, recovered, settings, nowMs);
    await this.store.writeBreaker(key, after);
    return !breakerVerdict(after, nowMs).ok && breakerVerdict(before, nowMs).ok;
  }

  /** Every resource's guard state and every breaker (`streamfix status`). */
  listState(): Promise<{ resources: ResourceGuard[]; breakers: { key: string; state: BreakerState }[] }> {
    return Promise.all([this.store.listResources(), this.store.listBreakers()]).then(([resources, breakers]) => ({ resources, breakers }));
  }

  readBreaker(pipeline: string, playbook: string): Promise<BreakerState> {
    return this.store.readBreaker(this.breakerKey(pipeline, playbook));
  }

  /** An operator's reset (`streamfix breaker reset`): closed, counters cleared; returns the state it replaced. */
  async resetBreaker(pipeline: string, playbook: string): Promise<BreakerState> {
    const key = this.breakerKey(pipeline, playbook);
    const before = await this.store.readBreaker(key);
    await this.store.writeBreaker(key, { consecutiveVerifyFailures: 0 });
    return before;
  }
}
