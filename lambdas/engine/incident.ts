import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { scheduleName } from '../adapters/scheduler';
import { EngineReason, escalate, recheck, type Decision, type Recommendation } from '../core/decision';
import { followUpPayload } from '../core/events/follow-up';
import type { ActionDefinition } from '../core/playbook';
import { pageLinks } from '../escalation/links';
import type { GateVerdict } from '../guardrails';
import type { Ledger } from '../ledger/ledger';
import type { Ownership } from '../ledger/incidents';
import { TERMINAL, type ActionRecord, type IncidentRecord, type IncidentStatus } from '../ledger/types';
import { APPROVAL_REASONS, approvalRefused, grantFor, markAdmitted } from './approval';
import { writeReport } from './report-writer';
import type { EngineDeps, Outcome, Run, RunSteps } from './run';

type FixDecision = Decision & { kind: 'fix' };

/**
 * Carries a decision out for the incident's owner: the gate, write-ahead actions, follow-ups,
 * escalation, resolution. Each path ends with one fenced write of the incident that also gives
 * ownership up; the writes before it (an action's intent and result) keep it.
 */
export class IncidentRunner implements RunSteps {
  private readonly actions: Map<string, ActionDefinition>;

  constructor(private readonly d: EngineDeps) {
    this.actions = new Map(d.playbook.actions.map((a) => [a.type, a as ActionDefinition]));
  }

  async carryOut(run: Run, decision: Decision): Outcome {
    const prevStatus = run.inc.status;
    const previous = run.inc.decision;
    await this.record(run, decision);
    switch (decision.kind) {
      case 'ignore':
        // A recheck found nothing left to do: the situation settled on its own, so the incident
        // ends here (its OK alarm may have been lost, or have come while a worker still held it).
        if (run.trigger.kind === 'follow-up' && prevStatus === 'rechecking') return this.resolveRun(run, decision.reason, decision.summary);
        return this.save(run, 'ignored', decision);
      case 'recheck':
        // A verification is already scheduled: it looks again, as a recheck would.
        if (prevStatus === 'verifying') {
          if (previous) run.inc.decision = previous;
          return this.save(run, prevStatus, decision);
        }
        return this.scheduleRecheck(run, decision);
      case 'escalate':
        return this.escalate(run, decision);
      case 'fix':
        return this.act(run, decision);
    }
  }

  /** A worker died mid-fix: the ledger says which actions ran; finish the rest. */
  resumeActions(run: Run, decision: FixDecision): Outcome {
    return this.act(run, decision);
  }

  private async act(run: Run, decision: FixDecision): Outcome {
    const { ledger, guardrails, clock, metrics } = this.d;
    const { inc } = run;
    const resuming = inc.status === 'acting';
    const records = inc.actions ?? [];
    // A fresh fix gets indexes after every earlier action of the incident; a resume keeps its base.
    const base = resuming && inc.actionBase !== undefined ? inc.actionBase : records.length;
    const defs = decision.actions.map((a) => this.actions.get(a.type));
    const allDone = resuming && decision.actions.every((_, n) => records[base + n]?.status === 'done');

    let params: unknown[] = [];
    let locks: string[] = [];
    if (!allDone) {
      const verdict = await guardrails.gate({
        pipelineName: inc.pipeline,
        pipeline: run.ctx.pipeline,
        playbook: inc.playbook,
        settings: run.settings,
        owner: inc.incidentId,
        actions: decision.actions.map((action, n) => ({ action, def: defs[n], started: records[base + n] !== undefined })),
        nowMs: clock.now(),
        lockUntilMs: run.lease.untilMs(),
        continuing: resuming && inc.fixAdmitted === true,
        approval: grantFor(run),
      });
      if (!verdict.ok) return this.refused(run, decision, verdict);
      markAdmitted(run);
      ({ params, locks } = verdict);
      for (const r of locks) run.lease.hold(`lock:${r}`, (until) => guardrails.renewLock(r, inc.incidentId, until), run.lease.untilMs());
    }
    // When the fix began: its first action's intent, also when a resumed worker finishes it later.
    let startedAtMs = records[base]?.startedAtMs;
    try {
      for (const [n, action] of decision.actions.entries()) {
        const i = base + n;
        let rec = records[i];
        if (rec?.status === 'done') continue;
        if (rec && rec.status !== 'intent') {
          return await this.escalate(
            run,
            escalate(
              EngineReason.ACTION_FAILED,
              `action ${action.type} already ${rec.status}: ${rec.error ?? ''}`,
              decision.evidence,
              'error',
              this.asRecommendation(decision),
            ),
          );
        }
        await run.lease.ensure();
        const now = clock.now();
        if (!rec) {
          // Write-ahead: the intent, fenced, in the same write that moves the incident to acting.
          rec = { incidentId: inc.incidentId, index: i, actionId: `${inc.incidentId}#${i}`, action, status: 'intent', startedAtMs: now, fence: run.own.fence };
          records[i] = rec;
          Object.assign(inc, { actions: records, actionBase: base, fixAdmitted: true, decision });
          await this.save(run, 'acting', decision, { keep: true });
        } else {
          rec.fence = run.own.fence;
        }
        startedAtMs ??= rec.startedAtMs;
        void this.note(run, 'action', `${rec.startedAtMs === now ? 'start' : 'resume'}: ${action.description}`, { type: action.type, params: action.params });
        const def = defs[n]!;
        try {
          const outcome = await def.execute(params[n] as Record<string, unknown>, { ...run.ctx, actionId: rec.actionId });
          records[i] = { ...rec, status: 'done', endedAtMs: clock.now(), outcome };
          await this.save(run, 'acting', decision, { keep: true });
          void this.note(run, 'action', `done: ${outcome.summary}`, { type: action.type, before: outcome.before, after: outcome.after });
          metrics.addMetric('Actions', MetricUnit.Count, 1);
        } catch (e) {
          if (run.lease.lost) throw e;
          const msg = (e as Error).message;
          records[i] = { ...rec, status: 'failed', endedAtMs: clock.now(), error: msg };
          await this.save(run, 'acting', decision, { keep: true });
          await ledger.appendTimeline(inc.incidentId, clock.now(), 'action', `failed: ${action.description}: ${msg}`, { type: action.type });
          metrics.addMetric('ActionFailures', MetricUnit.Count, 1);
          const d = escalate(
            EngineReason.ACTION_FAILED,
            `${action.type} failed: ${msg}`,
            { ...decision.evidence, error: (e as Error).name },
            'error',
            this.asRecommendation(decision),
          );
          await this.record(run, d);
          return await this.escalate(run, d);
        }
      }
      const now = clock.now();
      const resources = [...new Set(decision.actions.map((a) => a.resource))];
      await guardrails.recordFix(inc.pipeline, inc.playbook, inc.incidentId, resources, run.settings, now);
      inc.fixedAtMs = startedAtMs ?? now;
      // Numbered after any earlier follow-up of the incident: a superseded one then reads as stale.
      const attempt = Math.max(inc.verifyAttempts, inc.pendingFollowUp?.purpose === 'verify' ? inc.pendingFollowUp.attempt : 0) + 1;
      await this.followUp(run, 'verify', attempt, now + run.settings.verifyAfterSeconds * 1000);
      await this.d.escalator
        .change({
          incidentId: inc.incidentId,
          pipeline: inc.pipeline,
          playbook: inc.playbook,
          summary: decision.summary,
          details: { actions: decision.actions.map((a) => a.description) },
        })
        .catch((e) => this.d.logger.warn('change notice failed', { error: e as Error }));
      return await this.save(run, 'verifying', decision);
    } finally {
      for (const r of locks) {
        run.lease.drop(`lock:${r}`);
        await guardrails
          .releaseLock(r, inc.incidentId)
          .catch((e: unknown) => this.d.logger.warn('could not release a lock', { error: e as Error, resource: r }));
      }
    }
  }

  /** The gate said no: tell a person (mode, pause), look again later (lock, cooldown), or escalate with the plan. */
  private async refused(run: Run, planned: FixDecision, v: Extract<GateVerdict, { ok: false }>): Outcome {
    // Mode approve: a request for approval, or a refused answer (engine/approval.ts).
    if (v.stage === 'mode' && APPROVAL_REASONS.has(v.reason)) return approvalRefused(this, run, planned, v, this.d.config.name);
    if (v.stage === 'mode' || v.stage === 'pause') {
      const d = escalate(v.reason, `${v.summary}; would have: ${planned.summary}`, planned.evidence, 'warning', this.asRecommendation(planned));
      await this.record(run, d);
      return this.escalate(run, d, v.stage === 'pause' ? 'escalated' : 'recommended');
    }
    await this.note(run, 'guardrail', v.summary, { reason: v.reason, stage: v.stage, actions: planned.actions.map((a) => a.type) });
    this.d.metrics.addMetric('GuardrailBlocks', MetricUnit.Count, 1);
    const d =
      v.retryAfterSeconds !== undefined
        ? recheck(v.reason, v.summary, planned.evidence, v.retryAfterSeconds)
        : escalate(v.reason, `${v.summary}; wanted: ${planned.summary}`, planned.evidence, 'error', this.asRecommendation(planned));
    await this.record(run, d);
    return d.kind === 'recheck' ? this.scheduleRecheck(run, d) : this.escalate(run, d as Decision & { kind: 'escalate' });
  }

  async verify(run: Run, attempt: number): Outcome {
    const { inc, settings } = run;
    const { clock, guardrails, ledger, playbook } = this.d;
    inc.verifyAttempts = attempt;
    const out = await playbook.verify(run.ctx, {
      startedAtMs: inc.openedAtMs,
      ...(inc.fixedAtMs !== undefined ? { fixedAtMs: inc.fixedAtMs } : {}),
      evidence: inc.evidence ?? {},
    });
    const now = clock.now();
    await ledger.appendTimeline(inc.incidentId, now, 'verify', `verification #${attempt}: ${out.status}: ${out.summary}`, { evidence: out.evidence });
    if (out.status === 'recovered') {
      await guardrails.recordVerify(inc.pipeline, inc.playbook, true, settings, now);
      return this.resolveRun(run, EngineReason.VERIFIED, out.summary);
    }
    const deadline = (inc.fixedAtMs ?? inc.openedAtMs) + settings.verifyDeadlineSeconds * 1000;
    const nextAt = now + settings.verifyAfterSeconds * 1000;
    if (out.status === 'pending' && nextAt <= deadline) {
      await this.followUp(run, 'verify', attempt + 1, nextAt);
      return this.save(run, 'verifying', inc.decision!);
    }
    const opened = await guardrails.recordVerify(inc.pipeline, inc.playbook, false, settings, now);
    const d = escalate(
      EngineReason.VERIFY_FAILED,
      `the fix did not work: ${out.summary}${opened ? ' (circuit breaker opened: no more automatic fixes for this pipeline and playbook)' : ''}`,
      { ...(inc.evidence ?? {}), ...out.evidence, verifyAttempts: attempt },
      'error',
      { summary: 'investigate by hand: the automatic fix was applied and did not recover the pipeline' },
    );
    await this.record(run, d);
    return this.escalate(run, d);
  }

  private async resolveRun(run: Run, reason: string, summary: string): Outcome {
    await Promise.all(run.notes.splice(0));
    return this.resolve(run.inc, run.own, reason, summary);
  }

  /** Resolves the incident (the caller owns it): PagerDuty resolve, the timeline, the final write. */
  async resolve(inc: IncidentRecord, own: Ownership, reason: string, summary: string): Outcome {
    const { clock, ledger, escalator, metrics } = this.d;
    const now = clock.now();
    if (inc.dedupKey) {
      const results = await escalator.resolve({ incidentId: inc.incidentId, dedupKey: inc.dedupKey, pipeline: inc.pipeline, playbook: inc.playbook, summary });
      for (const r of results)
        await ledger.appendTimeline(inc.incidentId, now, 'resolve', `${r.channel} resolve ${r.ok ? 'sent' : `failed: ${r.error}`}`, { ...r });
    }
    await ledger.appendTimeline(inc.incidentId, now, 'resolve', `resolved (${reason}): ${summary}`, { reason, recoverSeconds: (now - inc.openedAtMs) / 1000 });
    metrics.addMetric('TimeToRecover', MetricUnit.Seconds, (now - inc.openedAtMs) / 1000);
    metrics.addMetric('Resolved', MetricUnit.Count, 1);
    const d: Decision = { kind: 'ignore', reason, summary, evidence: {} };
    const closed = await ledger.incidents.save({ ...inc, status: 'resolved', recoveredAtMs: now, closedAtMs: now }, own, now, { release: true });
    await writeReport(this.d, closed);
    return { incidentId: inc.incidentId, decision: d };
  }

  async escalate(run: Run, decision: Decision & { kind: 'escalate' }, status: IncidentStatus = 'escalated'): Outcome {
    const { inc } = run;
    const { clock, ledger, escalator, config, metrics } = this.d;
    const now = clock.now();
    const dedupKey = inc.dedupKey ?? `${config.name}/${inc.pipeline}/${inc.playbook}/${inc.incidentId}`;
    const alreadyPaged = inc.status === 'escalated' && inc.lastEscalation?.reason === decision.reason && inc.lastEscalation.severity === decision.severity;
    if (alreadyPaged) {
      await ledger.appendTimeline(inc.incidentId, now, 'escalation', `already paged for ${decision.reason}; not paging again`);
    } else {
      const actions: ActionRecord[] = inc.actions ?? [];
      const results = await escalator.trigger({
        incidentId: inc.incidentId,
        dedupKey,
        pipeline: inc.pipeline,
        playbook: inc.playbook,
        severity: decision.severity,
        decision: decision.kind,
        reason: decision.reason,
        summary: decision.summary,
        evidence: decision.evidence,
        actionsTaken: actions.map((a) => ({
          type: a.action.type,
          description: a.action.description,
          status: a.status,
          ...(a.outcome ? { summary: a.outcome.summary } : a.error ? { summary: a.error } : {}),
        })),
        recommendation: decision.recommendation,
        openedAt: new Date(inc.openedAtMs).toISOString(),
        links: pageLinks({ prefix: config.name, region: this.d.region, runbookBaseUrl: config.runbookBaseUrl, pipeline: inc.pipeline, playbook: inc.playbook }),
      });
      for (const r of results) {
        await ledger.appendTimeline(
          inc.incidentId,
          now,
          'escalation',
          `${r.channel} ${decision.severity}: ${r.ok ? 'sent' : `failed after ${r.attempts} attempt(s): ${r.error}`}`,
          { ...r, severity: decision.severity, dedupKey },
        );
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
      const d = escalate(
        EngineReason.RECHECK_EXHAUSTED,
        `still not settled after ${inc.recheckCount} recheck(s): ${decision.summary}`,
        decision.evidence,
        'warning',
        {
          summary: 'the situation did not settle on its own; look at it by hand',
        },
      );
      await this.record(run, d);
      return this.escalate(run, d);
    }
    inc.recheckCount += 1;
    await this.followUp(run, 'recheck', inc.recheckCount, this.d.clock.now() + decision.afterSeconds * 1000);
    return this.save(run, 'rechecking', decision);
  }

  asRecommendation(d: Decision): Recommendation {
    if (d.kind === 'escalate') return d.recommendation;
    if (d.kind === 'fix') {
      return (
        d.recommendation ?? {
          summary: `apply by hand: ${d.actions.map((a) => a.description).join('; ')}`,
          detail: { actions: d.actions.map((a) => ({ type: a.type, resource: a.resource, params: a.params })) },
        }
      );
    }
    return { summary: d.summary };
  }

  private async followUp(run: Run, purpose: 'verify' | 'recheck', attempt: number, atMs: number): Promise<void> {
    const { inc } = run;
    const { env, config, scheduler } = this.d;
    if (!this.d.functionArn) throw new Error('the function ARN is unknown: cannot schedule a follow-up');
    const { token } = run;
    const name = scheduleName([config.name, inc.incidentId, purpose, String(attempt), token]);
    const input = JSON.stringify(followUpPayload({ purpose, incidentId: inc.incidentId, pipeline: inc.pipeline, playbook: inc.playbook, attempt, token }));
    const r = await scheduler.createOneTimeSchedule({
      name,
      groupName: env.schedulerGroup,
      atMs,
      targetArn: this.d.functionArn,
      roleArn: env.schedulerRoleArn,
      input,
      clientToken: name,
      ...(env.deadLetterQueueArn ? { deadLetterArn: env.deadLetterQueueArn } : {}),
    });
    inc.pendingFollowUp = { purpose, attempt, token, dueAtMs: atMs };
    void this.note(run, 'schedule', `${purpose} #${attempt} at ${new Date(atMs).toISOString()} (${r})`, { name, atMs });
  }

  /** A timeline entry written alongside the next step instead of before it (it decides nothing). */
  note(run: Run, kind: Parameters<Ledger['appendTimeline']>[2], summary: string, data?: Record<string, unknown>): Promise<void> {
    const p = this.d.ledger
      .appendTimeline(run.inc.incidentId, this.d.clock.now(), kind, summary, data)
      .catch((e: unknown) => this.d.logger.warn('timeline write failed', { error: e as Error }));
    run.notes.push(p);
    return p;
  }

  now(): number {
    return this.d.clock.now();
  }

  async record(run: Run, d: Decision): Promise<void> {
    const inc = run.inc;
    inc.decision = d;
    if (Object.keys(d.evidence).length > 0) inc.evidence = d.evidence;
    void this.note(run, 'decision', `${d.kind} ${d.reason}: ${d.summary}`, {
      kind: d.kind,
      reason: d.reason,
      evidence: d.evidence,
      ...(d.kind === 'fix' ? { actions: d.actions } : {}),
      ...(d.kind === 'escalate' ? { severity: d.severity, recommendation: d.recommendation } : {}),
      ...(d.kind === 'recheck' ? { afterSeconds: d.afterSeconds } : {}),
    });
    this.d.metrics.addMetric(`Decision_${d.kind}`, MetricUnit.Count, 1);
    this.d.logger.info('decision', { kind: d.kind, reason: d.reason, summary: d.summary });
  }

  /** A fenced write of the record as it is, keeping ownership. */
  async keep(run: Run): Promise<void> {
    await this.save(run, run.inc.status, run.inc.decision ?? { kind: 'ignore', reason: 'NOTE', summary: '', evidence: {} }, { keep: true });
  }

  /** The owner's fenced write. The last one of an invocation also gives ownership up (`keep` does not). */
  async save(run: Run, status: IncidentStatus, decision: Decision, opts: { keep?: boolean } = {}): Outcome {
    if (!opts.keep) await Promise.all(run.notes.splice(0));
    const now = this.d.clock.now();
    const next = await this.d.ledger.incidents.save(
      { ...run.inc, status, ...(status === 'ignored' || status === 'recommended' ? { closedAtMs: now } : {}) },
      run.own,
      now,
      { release: !opts.keep },
    );
    // In place: the caller's references to the record (and its action list) stay current.
    Object.assign(run.inc, next);
    if (TERMINAL.has(next.status)) await writeReport(this.d, next);
    return { incidentId: next.incidentId, decision };
  }
}
