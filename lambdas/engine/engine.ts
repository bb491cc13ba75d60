import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PipelineConfig } from '../config/schema';
import { OwnershipLostError, type Ownership } from '../ledger/incidents';
import { TERMINAL, type IncidentRecord } from '../ledger/types';
import { receiveAnswer } from './approval';
import { EngineReason, ignore, type Decision } from '../core/decision';
import { InvalidInputError } from '../core/errors';
import { describeTrigger } from '../core/events/describe';
import { parseTrigger } from '../core/events';
import { IncidentRunner } from './incident';
import type { EngineDeps, Run } from './run';
import { withRunName } from './job-run-name';
import { LeaseLostError, WorkerLease } from '../core/lease';
import type { PlaybookContext, PlaybookSettings } from '../core/playbook';
import { alarmHold } from './suppression';
import type { InvocationContext, InvocationResult } from './runtime';
import { Router } from './router';
import { Resumer } from './resume';
import { Sweeper } from './sweep';
import type { AlarmTrigger, ApprovalTrigger, FollowUpTrigger, Trigger } from '../core/trigger';

export type { EngineDeps } from './run';

/** How long a follow-up waits for a live owner of its incident before Lambda's retry tries again. */
const FOLLOW_UP_WAIT_MS = 90_000;

/** A follow-up found its incident owned by a live worker for too long: Lambda retries it later. */
export class IncidentBusyError extends Error {
  override readonly name = 'IncidentBusyError';
}

type Outcome = { incidentId: string; decision: Decision };

/** What one invocation works with: who it is, until when it lives, what it holds. */
interface Worker {
  requestId: string;
  lease: WorkerLease;
  signal: AbortSignal;
  invocation: InvocationContext;
  deliveryKey: string;
  /** The incident this worker owns right now, if any. */
  owned?: Ownership;
}

/**
 * One invocation, end to end:
 *   parse → route → claim the delivery (dedupe; a stale alarm is only noted)
 *   → open the incident or take ownership of it (or join its live owner)
 *   → diagnose → plan → carry out the decision (incident.ts) → finish the delivery.
 *
 * Ownership follows Lambda (FACTS §10): the delivery, the incident and the locks are held on a
 * short lease renewed while the worker lives and never past its deadline; Lambda's retry of a
 * dead attempt (same request id) takes over at once; every write that starts or records an
 * action or moves the incident is fenced. A worker that loses ownership stops: a lost write is
 * never a reason to act. Bad input is rejected here, recorded, and never retried.
 */
export class Engine {
  private readonly router: Router;
  private readonly runner: IncidentRunner;
  private readonly sweeper: Sweeper;
  private readonly resumer: Resumer;

  constructor(private readonly deps: EngineDeps) {
    this.router = new Router(deps.config, deps.playbook, { account: '', region: deps.region, partition: 'aws' });
    this.runner = new IncidentRunner(deps);
    this.sweeper = new Sweeper(deps, (t, ctx, signal) => this.handleTrigger(t, [t.pipeline], ctx, signal));
    this.resumer = new Resumer(deps, this.router, (t, pipeline, ctx, signal) => this.handleTrigger(t, [pipeline], ctx, signal));
  }

  async handle(raw: unknown, ctx: InvocationContext = {}, signal?: AbortSignal): Promise<InvocationResult> {
    const { logger, metrics } = this.deps;
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
    if (trigger.kind === 'sweep') return this.sweeper.sweep(ctx, signal);
    // A pause was lifted: each re-evaluation is a trigger of its own (engine/resume.ts).
    if (trigger.kind === 'resume') return this.resumer.resume(trigger, ctx, signal);
    return this.handleTrigger(trigger, pipelines, ctx, signal);
  }

  /** A parsed, routed trigger (the sweeper hands its synthetic follow-ups in here too). */
  async handleTrigger(
    trigger: Exclude<Trigger, { kind: 'sweep' | 'resume' }>,
    pipelines: string[],
    ctx: InvocationContext,
    signal?: AbortSignal,
  ): Promise<InvocationResult> {
    const { logger, metrics, ledger, clock } = this.deps;
    const now = clock.now();
    const remaining = ctx.getRemainingTimeInMillis?.();
    const lease = new WorkerLease(clock, remaining === undefined ? Number.POSITIVE_INFINITY : now + remaining);
    const requestId = ctx.awsRequestId ?? randomUUID();
    // Several playbooks may receive the same event (one rule each): each claims its own copy.
    const deliveryKey = `${this.deps.playbook.manifest.id}#${trigger.dedupeKey}`;
    const untilMs = lease.untilMs();
    const [claim, staleness] = await Promise.all([
      ledger.deliveries.claim(deliveryKey, requestId, now, untilMs),
      trigger.kind === 'alarm' ? ledger.alarms.observe(trigger.alarmName, trigger.state, trigger.stateAtMs, now) : undefined,
    ]);
    if (claim.kind === 'duplicate') {
      logger.info('duplicate delivery ignored', { dedupeKey: trigger.dedupeKey, status: claim.status });
      metrics.addMetric('DuplicateDeliveries', MetricUnit.Count, 1);
      if (claim.incidentId) {
        await ledger.appendTimeline(claim.incidentId, clock.now(), 'duplicate', `duplicate delivery of ${describeTrigger(trigger)} (${claim.status})`);
      }
      return { outcome: 'duplicate', ...(claim.incidentId ? { incidentId: claim.incidentId } : {}) };
    }
    if (claim.kind === 'resume') {
      logger.info('resuming a delivery whose earlier attempt died', { dedupeKey: trigger.dedupeKey, by: claim.by });
      // The incident this delivery fed has ended meanwhile (another trigger finished it): the
      // delivery's work is done; acting on it again would open a second incident for one event.
      const ended = claim.incidentId ? await ledger.getIncident(claim.incidentId) : undefined;
      if (ended && TERMINAL.has(ended.status)) {
        await Promise.all([
          ledger.appendTimeline(
            ended.incidentId,
            clock.now(),
            'duplicate',
            `${describeTrigger(trigger)}: retried after its incident ended (${ended.status}); nothing left to do`,
          ),
          ledger.deliveries.finish(deliveryKey, requestId, clock.now(), 'incident-ended'),
        ]);
        return { outcome: 'duplicate', incidentId: ended.incidentId };
      }
    }
    lease.hold('delivery', (until) => ledger.deliveries.renew(deliveryKey, requestId, until), untilMs);
    const w: Worker = { requestId, lease, signal: anySignal([signal, lease.signal]), invocation: ctx, deliveryKey };

    let result: InvocationResult = { outcome: 'processed' };
    try {
      // A resumed delivery was judged fresh when it first arrived: Lambda's retry of it is not stale.
      if (staleness?.stale && claim.kind === 'new') {
        const r = await this.staleAlarm(pipelines[0]!, trigger as AlarmTrigger, staleness, w);
        result = processed(r);
      } else {
        for (const pipelineName of pipelines) {
          const pipeline = this.deps.config.pipelines[pipelineName]!;
          const settings = (pipeline.playbooks as Record<string, PlaybookSettings>)[this.deps.playbook.manifest.id]!;
          const r = await this.incident(pipelineName, pipeline, settings, trigger, w);
          result = processed(r);
        }
      }
    } catch (e) {
      if (e instanceof OwnershipLostError || e instanceof LeaseLostError) {
        // Another worker owns the incident (or this delivery) now; it decides. Nothing to retry.
        logger.warn('ownership lost; stopping', { error: { name: e.name, message: e.message }, dedupeKey: trigger.dedupeKey });
        metrics.addMetric('OwnershipLost', MetricUnit.Count, 1);
        const incidentId = w.owned?.incidentId;
        if (incidentId) await ledger.appendTimeline(incidentId, clock.now(), 'note', `a worker lost ownership and stopped: ${e.message}`);
        result = {
          outcome: 'processed',
          ...(incidentId ? { incidentId } : {}),
          decision: { kind: 'ignore', reason: EngineReason.OWNERSHIP_LOST, summary: e.message },
        };
      } else {
        // Lambda retries a failed invocation (with this request id, which takes over at once);
        // end the leases too, so any other copy may resume it without waiting.
        logger.error('invocation failed; its retry will resume it', { error: e as Error, dedupeKey: trigger.dedupeKey });
        metrics.addMetric('FailedInvocations', MetricUnit.Count, 1);
        lease.stop();
        await Promise.all([ledger.deliveries.release(deliveryKey, requestId), w.owned ? ledger.incidents.release(w.owned) : undefined]).catch((err: unknown) =>
          logger.error('could not release the claims', { error: err as Error }),
        );
        throw e;
      }
    } finally {
      lease.stop();
    }
    await ledger.deliveries.finish(deliveryKey, requestId, clock.now(), result.decision?.reason ?? 'processed');
    return result;
  }

  private async incident(pipelineName: string, pipeline: PipelineConfig, settings: PlaybookSettings, trigger: Trigger, w: Worker): Promise<Outcome> {
    const { ledger, clock, logger, playbook } = this.deps;
    if (trigger.kind === 'alarm' && trigger.state !== 'ALARM') return this.alarmNotInAlarm(pipelineName, trigger, w);

    const got =
      trigger.kind === 'follow-up' || trigger.kind === 'approval' ? await this.takeFollowUp(trigger, w) : await this.openOrTake(pipelineName, trigger, w);
    if ('decision' in got) return got;
    const inc = got.incident;
    const resuming = inc.status === 'acting' && inc.decision?.kind === 'fix';

    if (trigger.kind === 'follow-up' && !resuming) {
      const stale = this.staleFollowUp(inc, trigger);
      if (stale) {
        await ledger.appendTimeline(inc.incidentId, clock.now(), 'note', stale);
        await this.letGo(w);
        return { incidentId: inc.incidentId, decision: ignore(EngineReason.INCIDENT_CLOSED, stale) };
      }
    }

    const now = clock.now();
    logger.appendKeys({ incidentId: inc.incidentId, pipeline: pipelineName, playbook: playbook.manifest.id });
    await Promise.all([
      ledger.deliveries.attach(w.deliveryKey, inc.incidentId),
      ledger.appendTimeline(inc.incidentId, now, 'trigger', describeTrigger(trigger), { dedupeKey: trigger.dedupeKey, ...(resuming ? { resume: true } : {}) }),
    ]);

    const ctx = this.playbookContext(pipelineName, pipeline, settings, inc.incidentId, w);
    const run: Run = { inc, own: w.owned!, lease: w.lease, ctx, settings, trigger, token: w.requestId, notes: [] };
    // Every path ends with the runner's last write, which gives ownership up; a throw leaves it
    // held for handle() to release.
    const out = await this.carry(run, pipelineName, pipeline, settings, trigger, inc, resuming);
    w.lease.drop('incident');
    w.owned = undefined;
    return out;
  }

  /** What the owner of the incident does with this trigger: resume, verify, or decide afresh. */
  private async carry(
    run: Run,
    pipelineName: string,
    pipeline: PipelineConfig,
    settings: PlaybookSettings,
    trigger: Trigger,
    inc: IncidentRecord,
    resuming: boolean,
  ): Promise<Outcome> {
    const { playbook, clock, aws, guardrails } = this.deps;
    if (trigger.kind === 'follow-up' && trigger.purpose === 'sweep') {
      const stuck = await this.sweeper.takeUp(run, this.runner);
      if (stuck) return stuck;
    }
    // A worker died while acting on this incident: finish its actions, do not plan again.
    if (resuming) return this.runner.resumeActions(run, inc.decision as Decision & { kind: 'fix' });
    if (trigger.kind === 'follow-up' && (trigger.purpose === 'verify' || (trigger.purpose === 'sweep' && inc.status === 'verifying'))) {
      return this.runner.verify(run, trigger.purpose === 'verify' ? trigger.attempt : (inc.pendingFollowUp?.attempt ?? inc.verifyAttempts + 1));
    }
    if (settings.mode === 'off') {
      return this.runner.carryOut(run, ignore(EngineReason.MODE_OFF, `playbook ${playbook.manifest.id} is off for pipeline ${pipelineName}`));
    }
    // A person's answer to the incident's request for approval (engine/approval.ts).
    if (trigger.kind === 'approval') return receiveAnswer(this.runner, run, trigger, (r, s) => this.decide(r, s));
    // The pause switches are read while the playbook diagnoses, so the gate finds them in the
    // pause reader's cache instead of waiting one more round trip.
    void guardrails.checkPause(pipelineName, pipeline).catch(() => undefined);

    // A recheck (or a sweep) looks at the same situation again: diagnose and plan on the original trigger.
    const subject = trigger.kind === 'follow-up' ? inc.trigger : trigger;
    // CloudWatch holds this alarm's actions (a mute rule or a suppressor): a pause (suppression.ts).
    const held = await alarmHold(trigger, inc.decision, clock.now(), (name) => aws.cloudwatch.describeAlarm(name));
    if (held) return this.runner.carryOut(run, held);
    return this.runner.carryOut(run, await this.decide(run, subject));
  }

  /** Diagnose, then plan: a failed diagnosis is an escalation, never a guess. */
  private async decide(run: Run, subject: Trigger): Promise<Decision> {
    const { clock, logger, playbook } = this.deps;
    const { inc, ctx, settings } = run;
    try {
      const evidence = await playbook.diagnose(ctx, subject);
      void this.runner.note(run, 'diagnosis', 'diagnosis complete', { evidence });
      return playbook.plan({
        pipelineName: inc.pipeline,
        pipeline: ctx.pipeline,
        settings,
        trigger: subject,
        evidence,
        nowMs: clock.now(),
        incidentId: inc.incidentId,
      });
    } catch (e) {
      if (e instanceof LeaseLostError) throw e;
      logger.error('diagnosis failed', { error: e as Error });
      return {
        kind: 'escalate',
        reason: EngineReason.DIAGNOSIS_FAILED,
        summary: `diagnosis failed: ${(e as Error).message}`,
        evidence: { error: (e as Error).name },
        severity: 'error',
        recommendation: { summary: "streamfix could not read the state it needs to decide; check the platform by hand and the function's permissions" },
      };
    }
  }

  /**
   * An alarm or job-run trigger: open the incident (and own it), or take the existing one over
   * when nobody live owns it; otherwise join it and let its owner (or its verification) decide.
   */
  private async openOrTake(pipelineName: string, trigger: Trigger, w: Worker): Promise<{ incident: IncidentRecord } | Outcome> {
    const { ledger, clock, playbook } = this.deps;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = clock.now();
      const opened = await ledger.incidents.openOrJoin(pipelineName, playbook.manifest.id, trigger, now, {
        requestId: w.requestId,
        untilMs: w.lease.untilMs(),
      });
      if (opened.ownership) return this.own(w, opened.ownership, opened.incident);
      // A fix is applied and its verification is scheduled: that verification decides (resolve,
      // or escalate with the evidence). Re-planning now would act on a half-settled system.
      if (opened.incident.status === 'verifying')
        return this.join(opened.incident, trigger, w, EngineReason.VERIFY_PENDING, 'its pending verification decides');
      const got = await ledger.incidents.acquire(opened.incident.incidentId, w.requestId, now, w.lease.untilMs());
      if (!got) continue; // closed in between: open a new one
      if (!got.ok)
        return this.join(
          got.incident,
          trigger,
          w,
          EngineReason.INCIDENT_IN_PROGRESS,
          `it is being handled (lease until ${new Date(got.holder.untilMs).toISOString()})`,
        );
      this.own(w, got.ownership, got.incident);
      if (TERMINAL.has(got.incident.status)) {
        await this.letGo(w);
        continue;
      }
      if (got.incident.status === 'verifying') {
        await this.letGo(w);
        return this.join(got.incident, trigger, w, EngineReason.VERIFY_PENDING, 'its pending verification decides');
      }
      return { incident: got.incident };
    }
    const d = ignore(EngineReason.INCIDENT_IN_PROGRESS, `${describeTrigger(trigger)}: the incident kept closing and reopening; the newest trigger decides`);
    return { incidentId: `${pipelineName}.${playbook.manifest.id}`, decision: d };
  }

  /**
   * A follow-up belongs to one incident: take ownership of it, waiting a while for a live owner
   * to finish; an owner still busy after that makes Lambda retry the follow-up later.
   */
  private async takeFollowUp(t: FollowUpTrigger | ApprovalTrigger, w: Worker): Promise<{ incident: IncidentRecord } | Outcome> {
    const { ledger, clock } = this.deps;
    const giveUpAt = Math.min(clock.now() + FOLLOW_UP_WAIT_MS, w.lease.deadlineMs - 30_000);
    const what = t.kind === 'follow-up' ? `follow-up ${t.purpose} #${t.attempt}` : `${t.verdict} by ${t.by.arn}`;
    for (;;) {
      const now = clock.now();
      const got = await ledger.incidents.acquire(t.incidentId, w.requestId, now, w.lease.untilMs());
      if (!got)
        return { incidentId: t.incidentId, decision: ignore(EngineReason.INCIDENT_CLOSED, `${what}: incident ${t.incidentId} does not exist; nothing to do`) };
      if (got.ok && t.kind === 'approval' && TERMINAL.has(got.incident.status)) {
        await ledger.incidents.release(got.ownership);
        return {
          incidentId: t.incidentId,
          decision: ignore(EngineReason.INCIDENT_CLOSED, `${what}: incident ${t.incidentId} is ${got.incident.status}; nothing to do`),
        };
      }
      if (got.ok) return this.own(w, got.ownership, got.incident);
      if (TERMINAL.has(got.incident.status)) {
        return {
          incidentId: t.incidentId,
          decision: ignore(EngineReason.INCIDENT_CLOSED, `${what}: incident ${t.incidentId} is ${got.incident.status}; nothing to do`),
        };
      }
      const wait = Math.min(10_000, Math.max(1_000, got.holder.untilMs - now + 1_000));
      if (now + wait > giveUpAt)
        throw new IncidentBusyError(
          `incident ${t.incidentId} is still owned by another worker (lease until ${new Date(got.holder.untilMs).toISOString()}); Lambda retries this follow-up`,
        );
      await clock.sleep(wait, w.signal);
    }
  }

  private own(w: Worker, o: Ownership, incident: IncidentRecord): { incident: IncidentRecord } {
    w.owned = o;
    w.lease.hold('incident', (until) => this.deps.ledger.incidents.renew(o, until), o.untilMs);
    return { incident };
  }

  /** Gives up ownership without changing the incident (a stale follow-up, a trigger that only joins). */
  private async letGo(w: Worker): Promise<void> {
    if (!w.owned) return;
    const o = w.owned;
    w.owned = undefined;
    w.lease.drop('incident');
    await this.deps.ledger.incidents.release(o);
  }

  private async join(inc: IncidentRecord, trigger: Trigger, w: Worker, reason: string, why: string): Promise<Outcome> {
    const { ledger, clock } = this.deps;
    const d = ignore(reason, `${describeTrigger(trigger)} joined incident ${inc.incidentId}; ${why}`);
    await Promise.all([
      ledger.deliveries.attach(w.deliveryKey, inc.incidentId),
      ledger.appendTimeline(inc.incidentId, clock.now(), 'trigger', d.summary, { dedupeKey: trigger.dedupeKey }),
    ]);
    return { incidentId: inc.incidentId, decision: d };
  }

  /** Why a follow-up no longer applies, or undefined when it is the one the incident waits for. */
  private staleFollowUp(inc: IncidentRecord, t: FollowUpTrigger): string | undefined {
    if (t.purpose === 'sweep')
      return ['open', 'rechecking', 'verifying'].includes(inc.status) ? undefined : `sweep: incident ${inc.incidentId} is ${inc.status} now; nothing to do`;
    const expected = inc.pendingFollowUp;
    const stale =
      inc.status !== (t.purpose === 'verify' ? 'verifying' : 'rechecking') ||
      (expected !== undefined &&
        (expected.purpose !== t.purpose || expected.attempt !== t.attempt || (expected.token !== undefined && expected.token !== t.token)));
    return stale
      ? `follow-up ${t.purpose} #${t.attempt} is stale (incident ${inc.status}${expected ? `, waiting for ${expected.purpose} #${expected.attempt}` : ''}); nothing to do`
      : undefined;
  }

  /** An alarm event older than the newest state seen for its alarm: noted, never acted on, never paged. */
  private async staleAlarm(pipelineName: string, t: AlarmTrigger, s: { newestState: string; newestAtMs: number }, w: Worker): Promise<Outcome> {
    const { ledger, clock, metrics } = this.deps;
    const now = clock.now();
    const d = ignore(
      EngineReason.STALE_EVENT,
      `alarm ${t.alarmName} → ${t.state} at ${new Date(t.stateAtMs).toISOString()} is older than its newest state (${s.newestState} at ${new Date(s.newestAtMs).toISOString()}); ignored`,
    );
    const rec = await this.recordIgnored(pipelineName, 'stale', t, d, now);
    await Promise.all([
      ledger.appendTimeline(rec.incidentId, now, 'decision', d.summary, { kind: d.kind, reason: d.reason }),
      ledger.deliveries.attach(w.deliveryKey, rec.incidentId),
    ]);
    metrics.addMetric('StaleEvents', MetricUnit.Count, 1);
    return { incidentId: rec.incidentId, decision: d };
  }

  /** OK or INSUFFICIENT_DATA: resolve the open incident when OK means recovered; else record and ignore. */
  private async alarmNotInAlarm(pipelineName: string, t: AlarmTrigger, w: Worker): Promise<Outcome> {
    const { ledger, clock, playbook } = this.deps;
    const now = clock.now();
    const open = await ledger.getOpenIncident(pipelineName, playbook.manifest.id);
    const route = this.router.alarmRoute(t.alarmName);
    if (open && t.state === 'OK' && route?.okMeansRecovered && ['verifying', 'escalated', 'rechecking'].includes(open.status)) {
      const got = await ledger.incidents.acquire(open.incidentId, w.requestId, now, w.lease.untilMs());
      if (got?.ok && ['verifying', 'escalated', 'rechecking'].includes(got.incident.status)) {
        this.own(w, got.ownership, got.incident);
        await Promise.all([
          ledger.deliveries.attach(w.deliveryKey, open.incidentId),
          ledger.appendTimeline(open.incidentId, now, 'trigger', describeTrigger(t)),
        ]);
        const out = await this.runner.resolve(got.incident, got.ownership, EngineReason.ALARM_OK, `alarm ${t.alarmName} returned to OK`);
        w.lease.drop('incident');
        w.owned = undefined;
        return out;
      }
      if (got?.ok) await ledger.incidents.release(got.ownership);
    }
    const reason = t.state === 'OK' ? (open ? EngineReason.ALARM_OK : EngineReason.ALARM_OK_NO_INCIDENT) : EngineReason.INSUFFICIENT_DATA;
    const d = ignore(
      reason,
      `alarm ${t.alarmName} → ${t.state}${open ? ` (incident ${open.incidentId} is ${open.status}; not a recovery signal now)` : '; no open incident'}`,
    );
    if (open) {
      await ledger.appendTimeline(open.incidentId, now, 'trigger', d.summary);
      return { incidentId: open.incidentId, decision: d };
    }
    const rec = await this.recordIgnored(pipelineName, t.state.toLowerCase(), t, d, now);
    await ledger.appendTimeline(rec.incidentId, now, 'decision', d.summary, { kind: d.kind, reason: d.reason });
    this.deps.metrics.addMetric(`Decision_${d.kind}`, MetricUnit.Count, 1);
    return { incidentId: rec.incidentId, decision: d };
  }

  /** An alarm event that opens nothing, recorded as its own closed, ignored incident (`<pipeline>.<playbook>.<kind>.<id>`). */
  private recordIgnored(pipelineName: string, kind: string, t: AlarmTrigger, d: Decision, now: number): Promise<IncidentRecord> {
    const { ledger, playbook } = this.deps;
    return ledger.incidents.recordStandalone({
      incidentId: `${pipelineName}.${playbook.manifest.id}.${kind}.${randomUUID().slice(0, 8)}`,
      pipeline: pipelineName,
      playbook: playbook.manifest.id,
      status: 'ignored',
      openedAtMs: now,
      updatedAtMs: now,
      closedAtMs: now,
      trigger: t,
      decision: d,
      verifyAttempts: 0,
      recheckCount: 0,
    });
  }

  private playbookContext(pipelineName: string, pipeline: PipelineConfig, settings: PlaybookSettings, incidentId: string, w: Worker): PlaybookContext {
    const { config, clock, aws, guardrails } = this.deps;
    return {
      pipelineName,
      pipeline,
      settings,
      config,
      clock,
      aws,
      incidentId,
      signal: w.signal,
      remainingMs: () => w.invocation.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
      history: { actionsInLastHour: (resource) => guardrails.actionsInLastHour(resource, clock.now()) },
    };
  }
}

function processed(r: Outcome): InvocationResult {
  return { outcome: 'processed', incidentId: r.incidentId, decision: { kind: r.decision.kind, reason: r.decision.reason, summary: r.decision.summary } };
}

/** An abort signal that fires when any of the given ones does. */
function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 1 ? present[0]! : AbortSignal.any(present);
}
