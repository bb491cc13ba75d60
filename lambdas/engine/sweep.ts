import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LeaseView } from '../ledger/lease';
import type { IncidentRecord } from '../ledger/types';
import { EngineReason, escalate, type Decision } from '../core/decision';
import { followUpDedupeKey } from '../core/events/follow-up';
import type { IncidentRunner } from './incident';
import type { EngineDeps, Run } from './run';
import type { InvocationContext, InvocationResult } from './runtime';
import type { FollowUpTrigger } from '../core/trigger';

/** An incident with no live owner is stuck once it has waited this long past its next step. */
export const STUCK_AFTER_MS = 10 * 60_000;
/** Sweeps stop taking incidents up with less than this left of the invocation. */
const SWEEP_MARGIN_MS = 60_000;

/**
 * Why an incident is stuck, or undefined. Judged on the record and its lease only:
 * - `acting` with no live owner: a worker died mid-fix after Lambda's last retry;
 * - `open` with no live owner for a while: a worker died before deciding;
 * - `verifying` / `rechecking` well past the follow-up's due time: the follow-up was lost.
 * Escalated incidents wait for a person (or their alarm's OK); they are never stuck.
 */
export function stuckReason(inc: IncidentRecord, lease: LeaseView, nowMs: number): string | undefined {
  if (lease.owner !== undefined && lease.untilMs > nowMs) return undefined;
  const idleMs = nowMs - Math.max(inc.updatedAtMs, lease.untilMs);
  switch (inc.status) {
    case 'acting':
      // Lambda's retries (1 and 2 minutes after a failed attempt) resume a dead fix well within this.
      return idleMs >= STUCK_AFTER_MS ? `acting with no live owner for ${Math.round(idleMs / 1000)} s` : undefined;
    case 'open':
      return idleMs >= STUCK_AFTER_MS ? `opened ${Math.round(idleMs / 1000)} s ago and never decided` : undefined;
    case 'verifying':
    case 'rechecking': {
      const due = inc.pendingFollowUp?.dueAtMs;
      if (due === undefined) return undefined;
      const late = nowMs - due;
      return late >= STUCK_AFTER_MS
        ? `its ${inc.pendingFollowUp!.purpose} #${inc.pendingFollowUp!.attempt} is ${Math.round(late / 1000)} s overdue (lost follow-up?)`
        : undefined;
    }
    default:
      return undefined;
  }
}

/** What the sweeper took up: the same stuck state seen again means its first try did not help. */
export const sweepKey = (inc: IncidentRecord): string =>
  `${inc.status}:${inc.actionBase ?? '-'}:${inc.pendingFollowUp ? `${inc.pendingFollowUp.purpose}#${inc.pendingFollowUp.attempt}` : '-'}`;

type Dispatch = (t: FollowUpTrigger, ctx: InvocationContext, signal?: AbortSignal) => Promise<InvocationResult>;

/**
 * The backstop for what Lambda's retries and the Scheduler did not deliver: every 5 minutes (a
 * scheduled rule per playbook function) it lists the playbook's open incidents, and hands each
 * stuck one to the engine once, as a `sweep` follow-up, through the same ownership and dedupe as
 * any trigger; the engine then resumes the fix, runs the overdue verification, or decides again.
 * An incident found stuck again in the same state is escalated instead (once).
 */
export class Sweeper {
  constructor(
    private readonly d: EngineDeps,
    private readonly dispatch: Dispatch,
  ) {}

  async sweep(ctx: InvocationContext, signal?: AbortSignal): Promise<InvocationResult> {
    const { ledger, clock, logger, metrics, playbook } = this.d;
    const open = await ledger.incidents.listOpen(playbook.manifest.id);
    const now = clock.now();
    const views = await Promise.all(open.map((i) => ledger.incidents.getWithLease(i.incidentId)));
    let taken = 0;
    for (const v of views) {
      if (!v) continue;
      const why = stuckReason(v.incident, v.lease, now);
      if (!why) continue;
      if ((ctx.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) < SWEEP_MARGIN_MS) break;
      const inc = v.incident;
      logger.warn('stuck incident', { incidentId: inc.incidentId, status: inc.status, why });
      const t: FollowUpTrigger = {
        kind: 'follow-up',
        purpose: 'sweep',
        incidentId: inc.incidentId,
        pipeline: inc.pipeline,
        playbook: inc.playbook,
        attempt: inc.version,
        token: 'sweeper',
        dedupeKey: followUpDedupeKey(inc.incidentId, 'sweep', inc.version, 'sweeper'),
      };
      await ledger.appendTimeline(inc.incidentId, clock.now(), 'note', `sweeper: ${why}`);
      // Each incident is its own delivery, with a request id of its own (letters, digits and
      // dashes: it also tokens the follow-ups this worker schedules).
      await this.dispatch(t, { ...ctx, awsRequestId: `${ctx.awsRequestId ?? randomUUID()}-s${taken}` }, signal).catch((e: unknown) =>
        logger.error('sweep of an incident failed', { incidentId: inc.incidentId, error: e as Error }),
      );
      taken++;
    }
    metrics.addMetric('SweptIncidents', MetricUnit.Count, taken);
    return { outcome: 'processed', decision: { kind: 'ignore', reason: 'SWEEP', summary: `${open.length} open incident(s), ${taken} stuck one(s) taken up` } };
  }

  /**
   * Called by the engine once it owns a swept incident: the first time a state is swept it is
   * marked and carried on; the second time it is escalated. Returns the escalation, if any.
   */
  async takeUp(run: Run, runner: IncidentRunner): Promise<{ incidentId: string; decision: Decision } | undefined> {
    const { inc } = run;
    const key = sweepKey(inc);
    if (inc.sweptKey === key) {
      const d = escalate(
        EngineReason.STUCK,
        `incident stuck in ${inc.status} again after the sweeper took it up once (${new Date(inc.sweptAtMs ?? 0).toISOString()})`,
        inc.evidence ?? {},
        'error',
        {
          summary: 'streamfix could not move this incident on by itself; look at its timeline and the platform by hand',
        },
      );
      inc.decision = d;
      return runner.escalate(run, d);
    }
    inc.sweptKey = key;
    inc.sweptAtMs = this.d.clock.now();
    // Written now: if this take-up fails too, the next sweep sees it was tried and escalates.
    await runner.keep(run);
    return undefined;
  }
}
