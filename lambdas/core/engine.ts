import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PipelineConfig } from '../config/schema';
import { TERMINAL, type IncidentRecord } from '../ledger/types';
import type { PlaybookContext, PlaybookSettings } from '../playbooks/types';
import { EngineReason, escalate, ignore, type Decision } from './decision';
import { InvalidInputError } from './errors';
import { describeTrigger, parseTrigger } from './events';
import { IncidentRunner, LEASE_MS, type EngineDeps, type Run } from './incident';
import { withRunName } from './job-run-name';
import { alarmHold } from './suppression';
import type { InvocationContext, InvocationResult } from './runtime';
import { Router } from './router';
import type { AlarmTrigger, FollowUpTrigger, Trigger } from './trigger';

export type { EngineDeps } from './incident';

/**
 * One invocation, end to end:
 *   parse → route → claim the delivery (dedupe) → open or join the incident
 *   → diagnose → plan → carry out the decision (incident.ts) → finish the delivery.
 * Bad input is rejected here, recorded in the log and a metric, and never retried.
 */
export class Engine {
  private readonly router: Router;
  private readonly runner: IncidentRunner;

  constructor(private readonly deps: EngineDeps) {
    this.router = new Router(deps.config, deps.playbook, { account: '', region: deps.region, partition: 'aws' });
    this.runner = new IncidentRunner(deps);
  }

  async handle(raw: unknown, ctx: InvocationContext = {}, signal?: AbortSignal): Promise<InvocationResult> {
    const { logger, metrics, ledger, clock } = this.deps;
    if (ctx.invokedFunctionArn) this.deps.functionArn = ctx.invokedFunctionArn;
    let trigger: Trigger;
    let pipelines: string[];
    try {
      trigger = parseTrigger(raw);
      // --- job-run events without a name: one GetJobRun (job-run-name.ts) ---
      trigger = await withRunName(trigger, this.deps.config, this.deps.playbook, () => this.deps.aws.emr);
      pipelines = this.router.route(trigger);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      logger.warn('event rejected', { error: { name: e.name, field: e.field, message: e.message, issues: e.issues } });
      metrics.addMetric('RejectedEvents', MetricUnit.Count, 1);
      return { outcome: 'rejected', error: { name: e.name, field: e.field, message: e.message } };
    }

    const owner = ctx.awsRequestId ?? randomUUID();
    // Several playbooks may receive the same event (one rule each): each claims its own copy.
    const deliveryKey = `${this.deps.playbook.manifest.id}#${trigger.dedupeKey}`;
    const claim = await ledger.claimDelivery(deliveryKey, owner, clock.now(), LEASE_MS);
    if (claim.kind === 'duplicate') {
      logger.info('duplicate delivery ignored', { dedupeKey: trigger.dedupeKey, status: claim.status });
      metrics.addMetric('DuplicateDeliveries', MetricUnit.Count, 1);
      if (claim.incidentId) {
        await ledger.appendTimeline(claim.incidentId, clock.now(), 'duplicate', `duplicate delivery of ${describeTrigger(trigger)} (${claim.status})`);
      }
      return { outcome: 'duplicate', ...(claim.incidentId ? { incidentId: claim.incidentId } : {}) };
    }

    const controller = new AbortController();
    const abort = signal ?? controller.signal;
    let result: InvocationResult = { outcome: 'processed' };
    try {
      for (const pipelineName of pipelines) {
        const pipeline = this.deps.config.pipelines[pipelineName]!;
        const settings = (pipeline.playbooks as Record<string, PlaybookSettings>)[this.deps.playbook.manifest.id]!;
        const r = await this.incident(pipelineName, pipeline, settings, trigger, deliveryKey, claim.kind === 'resume', abort, ctx, owner);
        result = { outcome: 'processed', incidentId: r.incidentId, decision: { kind: r.decision.kind, reason: r.decision.reason, summary: r.decision.summary } };
      }
    } catch (e) {
      // Lambda retries a failed invocation (and keeps it on the dead-letter queue when every
      // retry failed): release the claim so that retry resumes the incident instead of being
      // discarded as a copy of a delivery still in progress.
      logger.error('invocation failed; its retry will resume it', { error: e as Error, dedupeKey: trigger.dedupeKey });
      metrics.addMetric('FailedInvocations', MetricUnit.Count, 1);
      await ledger.releaseDelivery(deliveryKey, owner).catch((err: unknown) => logger.error('could not release the delivery claim', { error: err as Error }));
      throw e;
    }
    await ledger.finishDelivery(deliveryKey, owner, clock.now(), result.decision?.reason ?? 'processed');
    return result;
  }

  private async incident(
    pipelineName: string,
    pipeline: PipelineConfig,
    settings: PlaybookSettings,
    trigger: Trigger,
    deliveryKey: string,
    resume: boolean,
    signal: AbortSignal,
    invocation: InvocationContext,
    owner: string,
  ): Promise<{ incidentId: string; decision: Decision }> {
    const { ledger, clock, logger, playbook } = this.deps;
    const now = clock.now();

    if (trigger.kind === 'alarm' && trigger.state !== 'ALARM') return this.alarmNotInAlarm(pipelineName, trigger, deliveryKey);

    let inc: IncidentRecord;
    if (trigger.kind === 'follow-up') {
      const found = await ledger.getIncident(trigger.incidentId);
      const expected = found?.pendingFollowUp;
      // A redelivered follow-up whose first worker died while acting resumes those actions.
      const resumingActions = resume && found?.status === 'acting';
      const stale =
        !found || TERMINAL.has(found.status) ||
        found.status !== (trigger.purpose === 'verify' ? 'verifying' : 'rechecking') ||
        (expected !== undefined &&
          (expected.purpose !== trigger.purpose || expected.attempt !== trigger.attempt || (expected.token !== undefined && expected.token !== trigger.token)));
      if (stale && !resumingActions) {
        const d = ignore(EngineReason.INCIDENT_CLOSED, `follow-up ${trigger.purpose} #${trigger.attempt} is stale (incident ${found?.status ?? 'gone'}${expected ? `, waiting for ${expected.purpose} #${expected.attempt}` : ''}); nothing to do`);
        if (found) await ledger.appendTimeline(found.incidentId, now, 'note', d.summary);
        return { incidentId: trigger.incidentId, decision: d };
      }
      inc = found!;
    } else {
      const { incident, created } = await ledger.openOrJoinIncident(pipelineName, playbook.manifest.id, trigger, now);
      inc = incident;
      if (!created && !resume && (inc.status === 'open' || inc.status === 'acting') && now - inc.updatedAtMs < LEASE_MS) {
        const d = ignore(EngineReason.INCIDENT_IN_PROGRESS, `incident ${inc.incidentId} is already being handled; ${describeTrigger(trigger)} joined it`);
        await ledger.appendTimeline(inc.incidentId, now, 'trigger', d.summary);
        return { incidentId: inc.incidentId, decision: d };
      }
      // A fix is applied and its verification is scheduled: that verification decides (resolve,
      // or escalate with the evidence). Re-planning now would act on a half-settled system.
      if (!created && !resume && inc.status === 'verifying') {
        const d = ignore(EngineReason.VERIFY_PENDING, `${describeTrigger(trigger)} joined incident ${inc.incidentId}; its pending verification decides`);
        await ledger.attachDelivery(deliveryKey, inc.incidentId);
        await ledger.appendTimeline(inc.incidentId, now, 'trigger', d.summary, { dedupeKey: trigger.dedupeKey });
        return { incidentId: inc.incidentId, decision: d };
      }
    }
    await ledger.attachDelivery(deliveryKey, inc.incidentId);
    logger.appendKeys({ incidentId: inc.incidentId, pipeline: pipelineName, playbook: playbook.manifest.id });
    await ledger.appendTimeline(inc.incidentId, now, 'trigger', describeTrigger(trigger), { dedupeKey: trigger.dedupeKey, resume });

    const ctx = this.playbookContext(pipelineName, pipeline, settings, inc.incidentId, signal, invocation);
    const run: Run = { inc, ctx, settings, trigger, token: owner };

    // A worker died while acting on this incident: finish its actions, do not plan again.
    if (resume && inc.status === 'acting' && inc.decision?.kind === 'fix') {
      return this.runner.resumeActions(run, inc.decision);
    }
    if (trigger.kind === 'follow-up' && trigger.purpose === 'verify') return this.runner.verify(run, trigger as FollowUpTrigger);
    if (settings.mode === 'off') {
      return this.runner.carryOut(run, ignore(EngineReason.MODE_OFF, `playbook ${playbook.manifest.id} is off for pipeline ${pipelineName}`));
    }

    // The pause switches are read while the playbook diagnoses, so a fix finds them in the pause
    // reader's cache instead of waiting one more round trip; a failed read is read again there.
    run.pauseRead = this.deps.guardrails.checkPause(pipelineName, pipeline).catch(() => undefined);

    // A recheck looks at the same situation again: diagnose and plan on the original trigger.
    const subject = trigger.kind === 'follow-up' ? inc.trigger : trigger;
    // --- CloudWatch holds this alarm's actions (mute rule or suppressor): a pause (suppression.ts) ---
    const held = await alarmHold(trigger, inc.decision, clock.now(), (name) => this.deps.aws.cloudwatch.describeAlarm(name));
    if (held) return this.runner.carryOut(run, held);
    let decision: Decision;
    try {
      const evidence = await playbook.diagnose(ctx, subject);
      await ledger.appendTimeline(inc.incidentId, clock.now(), 'diagnosis', 'diagnosis complete', { evidence });
      decision = playbook.plan({
        pipelineName, pipeline, settings, trigger: subject, evidence, nowMs: clock.now(), incidentId: inc.incidentId,
      });
    } catch (e) {
      logger.error('diagnosis failed', { error: e as Error });
      decision = escalate(
        EngineReason.DIAGNOSIS_FAILED,
        `diagnosis failed: ${(e as Error).message}`,
        { error: (e as Error).name },
        'error',
        { summary: 'streamfix could not read the state it needs to decide; check the platform by hand and the function\'s permissions' },
      );
    }
    return this.runner.carryOut(run, decision);
  }

  /** OK or INSUFFICIENT_DATA: resolve the open incident when OK means recovered; else record and ignore. */
  private async alarmNotInAlarm(pipelineName: string, t: AlarmTrigger, deliveryKey: string): Promise<{ incidentId: string; decision: Decision }> {
    const { ledger, clock, playbook } = this.deps;
    const now = clock.now();
    const open = await ledger.getOpenIncident(pipelineName, playbook.manifest.id);
    const route = this.router.alarmRoute(t.alarmName);
    if (open && t.state === 'OK' && route?.okMeansRecovered && ['verifying', 'escalated', 'rechecking'].includes(open.status)) {
      await ledger.attachDelivery(deliveryKey, open.incidentId);
      await ledger.appendTimeline(open.incidentId, now, 'trigger', describeTrigger(t));
      return this.runner.resolve(open, EngineReason.ALARM_OK, `alarm ${t.alarmName} returned to OK`);
    }
    const reason = t.state === 'OK' ? (open ? EngineReason.ALARM_OK : EngineReason.ALARM_OK_NO_INCIDENT) : EngineReason.INSUFFICIENT_DATA;
    const d = ignore(reason, `alarm ${t.alarmName} → ${t.state}${open ? ` (incident ${open.incidentId} is ${open.status}; not a recovery signal)` : '; no open incident'}`);
    if (open) {
      await ledger.appendTimeline(open.incidentId, now, 'trigger', d.summary);
      return { incidentId: open.incidentId, decision: d };
    }
    const rec = await ledger.recordStandalone({
      incidentId: `${pipelineName}.${playbook.manifest.id}.${t.state.toLowerCase()}.${randomUUID().slice(0, 8)}`,
      pipeline: pipelineName, playbook: playbook.manifest.id, status: 'ignored', openedAtMs: now, updatedAtMs: now, closedAtMs: now,
      trigger: t, decision: d, verifyAttempts: 0, recheckCount: 0,
    });
    await ledger.appendTimeline(rec.incidentId, now, 'decision', d.summary, { kind: d.kind, reason: d.reason });
    this.deps.metrics.addMetric(`Decision_${d.kind}`, MetricUnit.Count, 1);
    return { incidentId: rec.incidentId, decision: d };
  }

  private playbookContext(
    pipelineName: string, pipeline: PipelineConfig, settings: PlaybookSettings, incidentId: string, signal: AbortSignal,
    invocation: InvocationContext,
  ): PlaybookContext {
    const { config, clock, aws, guardrails } = this.deps;
    return {
      pipelineName, pipeline, settings, config, clock, aws, incidentId, signal,
      remainingMs: () => invocation.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
      history: { actionsInLastHour: (resource) => guardrails.actionsInLastHour(resource, clock.now()) },
    };
  }
}
