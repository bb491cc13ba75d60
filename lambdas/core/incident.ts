import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { AwsAdapters } from '../adapters';
import { scheduleName, type SchedulerAdapter } from '../adapters/scheduler';
import type { StreamfixConfig } from '../config/schema';
import type { Escalator } from '../escalation/types';
import type { Guardrails, GuardVerdict } from '../guardrails';
import type { Ledger } from '../ledger/ledger';
import type { ActionRecord, IncidentRecord, IncidentStatus } from '../ledger/types';
import type { ActionDefinition, Playbook, PlaybookContext, PlaybookSettings } from '../playbooks/types';
import type { Clock } from './clock';
import { EngineReason, escalate, recheck, type Decision, type Recommendation } from './decision';
import type { RuntimeEnv } from './env';
import { followUpPayload } from './events';
import type { FollowUpTrigger, Trigger } from './trigger';

/** Longer than the function's 5-minute timeout: a live worker never loses its claim or lock. */
export const LEASE_MS = 6 * 60_000;

export interface EngineDeps {
  playbook: Playbook;
  config: StreamfixConfig;
  env: RuntimeEnv;
  region: string;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  ledger: Ledger;
  guardrails: Guardrails;
  escalator: Escalator;
  scheduler: Pick<SchedulerAdapter, 'createOneTimeSchedule'>;
  aws: AwsAdapters;
  /** The function's own ARN, target of its follow-ups. */
  functionArn?: string;
}

export interface Run {
  inc: IncidentRecord;
  ctx: PlaybookContext;
  settings: PlaybookSettings;
  trigger: Trigger;
  /** The invocation's request id: tells this worker's follow-ups from those of one that died. */
  token: string;
  /** The pause switches' read started while the playbook diagnosed: it fills the pause reader's cache. */
  pauseRead?: Promise<unknown>;
}

type Outcome = Promise<{ incidentId: string; decision: Decision }>;

/** Carries a decision out: guardrails, write-ahead actions, follow-ups, escalation, resolution. */
export class IncidentRunner {
  private readonly actions: Map<string, ActionDefinition>;

  constructor(private readonly d: EngineDeps) {
    this.actions = new Map(d.playbook.actions.map((a) => [a.type, a as ActionDefinition]));
  }

  async carryOut(run: Run, decision: Decision): Outcome {
    const { inc } = run;
    const previous = inc.decision;
    const prevStatus = inc.status;
    await this.record(run, decision);
    switch (decision.kind) {
      case 'ignore': {
        // A recheck found nothing left to do: the situation settled on its own, so the incident
        // ends here (its OK alarm may have been lost, or have come while a worker still held it).
        if (run.trigger.kind === 'follow-up' && prevStatus === 'rechecking') return this.resolve(run.inc, decision.reason, decision.summary);
        // A late trigger on an incident already being verified or escalated changes nothing:
        // the timeline has the decision, the incident keeps its own.
        const keep = ['verifying', 'escalated', 'rechecking'].includes(prevStatus);
        if (keep && previous) run.inc.decision = previous;
        return this.save(run, keep ? prevStatus : 'ignored', decision);
      }
      case 'recheck':
        // While a fix is being verified, "look again later" is what the verification does already.
        if (prevStatus === 'verifying') {
          if (previous) run.inc.decision = previous;
          return this.save(run, prevStatus, decision);
        }
        return this.scheduleRecheck(run, decision);
      case 'escalate':
        return this.escalate(run, decision);
      case 'fix': {
        const mode = run.settings.mode;
        await run.pauseRead;
        const pause = await this.d.guardrails.checkPause(inc.pipeline, run.ctx.pipeline);
        if (mode === 'recommend' || pause.paused) {
          const reason = pause.paused ? EngineReason.PAUSED : EngineReason.MODE_RECOMMEND;
          const why = pause.paused ? `pipeline paused (${pause.scope}: ${pause.reason})` : 'mode is recommend';
          const d = escalate(reason, `${why}; would have: ${decision.summary}`, decision.evidence, 'warning', this.asRecommendation(decision));
          await this.record(run, d);
          return this.escalate(run, d, pause.paused ? 'escalated' : 'recommended');
        }
        const admit = await this.d.guardrails.admitFix(inc.pipeline, inc.playbook, run.settings, this.d.clock.now());
        if (!admit.ok) return this.blocked(run, decision, admit);
        return this.act(run, decision);
      }
    }
  }

  /** A worker died mid-action: the ledger says which actions ran; finish the rest. */
  resumeActions(run: Run, decision: Decision & { kind: 'fix' }): Outcome {
    return this.act(run, decision);
  }

  private async act(run: Run, decision: Decision & { kind: 'fix' }): Outcome {
    const { ledger, guardrails, clock } = this.d;
    const { inc } = run;
    // A fresh fix gets indexes after every earlier action of the incident; a resume keeps its base.
    if (inc.status !== 'acting' || inc.actionBase === undefined) {
      inc.actionBase = (await ledger.listActions(inc.incidentId)).length;
    }
    const base = inc.actionBase;
    await this.save(run, 'acting', decision);
    const owner = inc.incidentId;
    const resources = [...new Set(decision.actions.map((a) => a.resource))];
    const held: string[] = [];
    // When the fix began: its first action's intent, also when a resumed worker finishes it later.
    let startedAtMs: number | undefined;
    try {
      for (const r of resources) {
        const v = await guardrails.acquireLock(r, owner, clock.now(), LEASE_MS);
        if (!v.ok) return await this.blocked(run, decision, v);
        held.push(r);
      }
      for (const [n, action] of decision.actions.entries()) {
        const i = base + n;
        let rec: ActionRecord | undefined = await ledger.getAction(inc.incidentId, i);
        startedAtMs ??= rec?.startedAtMs;
        if (rec?.status === 'done') continue;
        const def = this.actions.get(action.type);
        if (!rec) {
          const checks: (() => Promise<GuardVerdict> | GuardVerdict)[] = [
            () => guardrails.checkBounds(def, action, run.ctx.pipeline, run.settings),
            () => guardrails.checkCooldown(action.resource, clock.now()),
            () => guardrails.reserveBudget(action.resource, run.settings, clock.now()),
          ];
          for (const check of checks) {
            const v = await check();
            if (!v.ok) {
              await ledger.appendTimeline(inc.incidentId, clock.now(), 'guardrail', v.summary, { reason: v.reason, action: action.type });
              this.d.metrics.addMetric('GuardrailBlocks', MetricUnit.Count, 1);
              return await this.blocked(run, decision, v);
            }
          }
          rec = await ledger.recordActionIntent(inc.incidentId, i, action, clock.now());
          if (!rec) throw new Error(`action ${i} of ${inc.incidentId} was claimed concurrently`);
          startedAtMs ??= rec.startedAtMs;
        } else if (rec.status !== 'intent') {
          return await this.escalate(run, escalate(EngineReason.ACTION_FAILED, `action ${action.type} already ${rec.status}: ${rec.error ?? ''}`, decision.evidence, 'error', this.asRecommendation(decision)));
        }
        await ledger.appendTimeline(inc.incidentId, clock.now(), 'action', `${rec.startedAtMs === clock.now() ? 'start' : 'resume'}: ${action.description}`, { type: action.type, params: action.params });
        try {
          const outcome = await def!.execute(def!.params.parse(action.params), { ...run.ctx, actionId: rec.actionId });
          await ledger.recordActionResult(rec, 'done', clock.now(), { outcome });
          await ledger.appendTimeline(inc.incidentId, clock.now(), 'action', `done: ${outcome.summary}`, { type: action.type, before: outcome.before, after: outcome.after });
          this.d.metrics.addMetric('Actions', MetricUnit.Count, 1);
        } catch (e) {
          const msg = (e as Error).message;
          await ledger.recordActionResult(rec, 'failed', clock.now(), { error: msg });
          await ledger.appendTimeline(inc.incidentId, clock.now(), 'action', `failed: ${action.description}: ${msg}`, { type: action.type });
          this.d.metrics.addMetric('ActionFailures', MetricUnit.Count, 1);
          const d = escalate(EngineReason.ACTION_FAILED, `${action.type} failed: ${msg}`, { ...decision.evidence, error: (e as Error).name }, 'error', this.asRecommendation(decision));
          await this.record(run, d);
          return await this.escalate(run, d);
        }
      }
      const now = clock.now();
      await guardrails.recordFix(inc.pipeline, inc.playbook, resources, run.settings, now);
      run.inc.fixedAtMs = startedAtMs ?? now;
      // Numbered after any earlier follow-up of the incident: a superseded one then reads as stale.
      const attempt = Math.max(run.inc.verifyAttempts, run.inc.pendingFollowUp?.purpose === 'verify' ? run.inc.pendingFollowUp.attempt : 0) + 1;
      await this.followUp(run, 'verify', attempt, now + run.settings.verifyAfterSeconds * 1000);
      await this.d.escalator
        .change({ incidentId: inc.incidentId, pipeline: inc.pipeline, playbook: inc.playbook, summary: decision.summary, details: { actions: decision.actions.map((a) => a.description) } })
        .catch((e) => this.d.logger.warn('change notice failed', { error: e as Error }));
      return await this.save(run, 'verifying', decision);
    } finally {
      for (const r of held) await guardrails.releaseLock(r, owner);
    }
  }

  async verify(run: Run, t: FollowUpTrigger): Outcome {
    const { inc, settings } = run;
    const { clock, guardrails, ledger, playbook } = this.d;
    inc.verifyAttempts = t.attempt;
    const out = await playbook.verify(run.ctx, { startedAtMs: inc.openedAtMs, ...(inc.fixedAtMs !== undefined ? { fixedAtMs: inc.fixedAtMs } : {}), evidence: inc.evidence ?? {} });
    const now = clock.now();
    await ledger.appendTimeline(inc.incidentId, now, 'verify', `verification #${t.attempt}: ${out.status}: ${out.summary}`, { evidence: out.evidence });
    if (out.status === 'recovered') {
      await guardrails.recordVerify(inc.pipeline, inc.playbook, true, settings, now);
      return this.resolve(inc, EngineReason.VERIFIED, out.summary);
    }
    const deadline = (inc.fixedAtMs ?? inc.openedAtMs) + settings.verifyDeadlineSeconds * 1000;
    const nextAt = now + settings.verifyAfterSeconds * 1000;
    if (out.status === 'pending' && nextAt <= deadline) {
      await this.followUp(run, 'verify', t.attempt + 1, nextAt);
      return this.save(run, 'verifying', inc.decision!);
    }
    const opened = await guardrails.recordVerify(inc.pipeline, inc.playbook, false, settings, now);
    const d = escalate(
      EngineReason.VERIFY_FAILED,
      `the fix did not work: ${out.summary}${opened ? ' (circuit breaker opened: no more automatic fixes for this pipeline and playbook)' : ''}`,
      { ...(inc.evidence ?? {}), ...out.evidence, verifyAttempts: t.attempt },
      'error',
      { summary: 'investigate by hand: the automatic fix was applied and did not recover the pipeline' },
    );
    await this.record(run, d);
    return this.escalate(run, d);
  }

  async resolve(inc: IncidentRecord, reason: string, summary: string): Outcome {
    const { clock, ledger, escalator, metrics } = this.d;
    const now = clock.now();
    if (inc.dedupKey) {
      const results = await escalator.resolve({ incidentId: inc.incidentId, dedupKey: inc.dedupKey, pipeline: inc.pipeline, playbook: inc.playbook, summary });
      for (const r of results) await ledger.appendTimeline(inc.incidentId, now, 'resolve', `${r.channel} resolve ${r.ok ? 'sent' : `failed: ${r.error}`}`, { ...r });
    }
    await ledger.appendTimeline(inc.incidentId, now, 'resolve', `resolved (${reason}): ${summary}`, { reason, recoverSeconds: (now - inc.openedAtMs) / 1000 });
    metrics.addMetric('TimeToRecover', MetricUnit.Seconds, (now - inc.openedAtMs) / 1000);
    metrics.addMetric('Resolved', MetricUnit.Count, 1);
    const d: Decision = { kind: 'ignore', reason, summary, evidence: {} };
    await ledger.saveIncident({ ...inc, status: 'resolved', recoveredAtMs: now, closedAtMs: now }, now);
    return { incidentId: inc.incidentId, decision: d };
  }

  private async escalate(run: Run, decision: Decision & { kind: 'escalate' }, status: IncidentStatus = 'escalated'): Outcome {
    const { inc } = run;
    const { clock, ledger, escalator, config, metrics } = this.d;
    const now = clock.now();
    const dedupKey = inc.dedupKey ?? `${config.name}/${inc.pipeline}/${inc.playbook}/${inc.incidentId}`;
    const alreadyPaged = inc.status === 'escalated' && inc.lastEscalation?.reason === decision.reason && inc.lastEscalation.severity === decision.severity;
    if (alreadyPaged) {
      await ledger.appendTimeline(inc.incidentId, now, 'escalation', `already paged for ${decision.reason}; not paging again`);
    } else {
      const actions = await ledger.listActions(inc.incidentId);
      const results = await escalator.trigger({
        incidentId: inc.incidentId, dedupKey, pipeline: inc.pipeline, playbook: inc.playbook, severity: decision.severity,
        decision: decision.kind, reason: decision.reason, summary: decision.summary, evidence: decision.evidence,
        actionsTaken: actions.map((a) => ({ type: a.action.type, description: a.action.description, status: a.status, ...(a.outcome ? { summary: a.outcome.summary } : a.error ? { summary: a.error } : {}) })),
        recommendation: decision.recommendation, openedAt: new Date(inc.openedAtMs).toISOString(),
      });
      for (const r of results) {
        await ledger.appendTimeline(inc.incidentId, now, 'escalation', `${r.channel} ${decision.severity}: ${r.ok ? 'sent' : `failed after ${r.attempts} attempt(s): ${r.error}`}`, { ...r, severity: decision.severity, dedupKey });
      }
      metrics.addMetric('Escalations', MetricUnit.Count, 1);
    }
    inc.dedupKey = dedupKey;
    inc.escalatedSeverity = decision.severity;
    inc.lastEscalation = { reason: decision.reason, severity: decision.severity };
    return this.save(run, status, decision);
  }

  private async scheduleRecheck(run: Run, decision: Decision & { kind: 'recheck' }): Outcome {
    const { inc, settings } = run;
    if (inc.recheckCount >= settings.maxRechecks) {
      const d = escalate(EngineReason.RECHECK_EXHAUSTED, `still not settled after ${inc.recheckCount} recheck(s): ${decision.summary}`, decision.evidence, 'warning', {
        summary: 'the situation did not settle on its own; look at it by hand',
      });
      await this.record(run, d);
      return this.escalate(run, d);
    }
    inc.recheckCount += 1;
    await this.followUp(run, 'recheck', inc.recheckCount, this.d.clock.now() + decision.afterSeconds * 1000);
    return this.save(run, 'rechecking', decision);
  }

  /** A guardrail said no: look again later (lock, cooldown) or escalate with the plan as the recommendation. */
  private async blocked(run: Run, planned: Decision & { kind: 'fix' }, v: GuardVerdict & { ok: false }): Outcome {
    const d =
      v.retryAfterSeconds !== undefined
        ? recheck(v.reason, v.summary, planned.evidence, v.retryAfterSeconds)
        : escalate(v.reason, `${v.summary}; wanted: ${planned.summary}`, planned.evidence, v.reason === EngineReason.BOUND_VIOLATION ? 'error' : 'error', this.asRecommendation(planned));
    await this.record(run, d);
    return d.kind === 'recheck' ? this.scheduleRecheck(run, d) : this.escalate(run, d as Decision & { kind: 'escalate' });
  }

  private asRecommendation(d: Decision): Recommendation {
    if (d.kind === 'escalate') return d.recommendation;
    if (d.kind === 'fix') {
      return d.recommendation ?? {
        summary: `apply by hand: ${d.actions.map((a) => a.description).join('; ')}`,
        detail: { actions: d.actions.map((a) => ({ type: a.type, resource: a.resource, params: a.params })) },
      };
    }
    return { summary: d.summary };
  }

  private async followUp(run: Run, purpose: 'verify' | 'recheck', attempt: number, atMs: number): Promise<void> {
    const { inc } = run;
    const { env, config, scheduler, ledger, clock } = this.d;
    if (!this.d.functionArn) throw new Error('the function ARN is unknown: cannot schedule a follow-up');
    const { token } = run;
    const name = scheduleName([config.name, inc.incidentId, purpose, String(attempt), token]);
    const input = JSON.stringify(followUpPayload({ purpose, incidentId: inc.incidentId, pipeline: inc.pipeline, playbook: inc.playbook, attempt, token }));
    const r = await scheduler.createOneTimeSchedule({ name, groupName: env.schedulerGroup, atMs, targetArn: this.d.functionArn, roleArn: env.schedulerRoleArn, input, clientToken: name });
    inc.pendingFollowUp = { purpose, attempt, token };
    await ledger.appendTimeline(inc.incidentId, clock.now(), 'schedule', `${purpose} #${attempt} at ${new Date(atMs).toISOString()} (${r})`, { name, atMs });
  }

  private async record(run: Run, d: Decision): Promise<void> {
    const inc = run.inc;
    inc.decision = d;
    if (Object.keys(d.evidence).length > 0) inc.evidence = d.evidence;
    await this.d.ledger.appendTimeline(inc.incidentId, this.d.clock.now(), 'decision', `${d.kind} ${d.reason}: ${d.summary}`, {
      kind: d.kind, reason: d.reason, evidence: d.evidence,
      ...(d.kind === 'fix' ? { actions: d.actions } : {}), ...(d.kind === 'escalate' ? { severity: d.severity, recommendation: d.recommendation } : {}),
      ...(d.kind === 'recheck' ? { afterSeconds: d.afterSeconds } : {}),
    });
    this.d.metrics.addMetric(`Decision_${d.kind}`, MetricUnit.Count, 1);
    this.d.logger.info('decision', { kind: d.kind, reason: d.reason, summary: d.summary });
  }

  private async save(run: Run, status: IncidentStatus, decision: Decision): Outcome {
    const now = this.d.clock.now();
    const next = await this.d.ledger.saveIncident({ ...run.inc, status, ...(status === 'ignored' || status === 'recommended' ? { closedAtMs: now } : {}) }, now);
    run.inc = next;
    return { incidentId: next.incidentId, decision };
  }
}
