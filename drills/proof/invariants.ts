import type { StreamfixConfig } from '../../lambdas/config';
import { playbooks } from '../../lambdas/playbooks/registry';
import type { PlaybookSettings } from '../../lambdas/core/playbook';
import type { DrillResult } from '../result';
import type { CallRecord } from '../sim/record';
import { parseAtExpression } from '../sim/scheduler';
import type { SimWorld } from '../sim/world';
import { isCorrective } from '../sim/calls';
import type { KillRecord, UnownedAction } from './records';

/**
 * The proof's invariants for one drill, computed from what the simulated platform recorded
 * (every call that reached it, the referee's findings) and from the ledger (the result's
 * incidents), never from what the engine says about itself:
 *
 * - duplicateActions: per incident, a corrective call with the same target (same operation and
 *   input, idempotency tokens and version preconditions aside) that took effect more often than
 *   the incident has fix decisions; a StartJobRun takes effect when it creates a run (a
 *   clientToken replay returns the existing one), a CancelJobRun once per run (the run is already
 *   CANCELLING after it). A corrective call that no incident owns counts too.
 * - boundViolations: the referee's guardrail violations, plus every recorded action whose
 *   parameters break its playbook's bounds for the pipeline's settings.
 * - unended: incidents left `open`/`acting`, incidents `verifying`/`rechecking` with no
 *   follow-up still scheduled, incidents without any recorded decision, and events dropped
 *   after Lambda's last retry.
 * - actedWithoutOwnership: corrective calls by a worker that, when it made them, was not the live
 *   owner of an incident (the ledger's lease: owner = its request id, lease not run out).
 * - unresumedKills: kills whose incident ends with an action still at `intent`.
 * - breakerWhileFixInFlight: "the previous fix did not hold" breakers opened while an action of
 *   the same pipeline and playbook was in flight (a live fix counted as a failed one).
 * - resumedActedTwice: killed invocations whose incident (as resumed by Lambda's retry) has a
 *   duplicate action.
 */

export interface RunFigures {
  duplicateActions: number;
  boundViolations: number;
  unended: number;
  resumedActedTwice: number;
  /** Corrective calls made by a worker that did not own a live incident when it made them. */
  actedWithoutOwnership: number;
  /** Kills whose incident still has an action at `intent` at the end: a fix never resumed. */
  unresumedKills: number;
  /** Breakers opened ("the previous fix did not hold") while a fix of that pipeline and playbook was still in flight. */
  breakerWhileFixInFlight: number;
  /** What each non-zero figure counted, for the report. */
  details: string[];
}

const REPEATABLE_S3 = new Set(['CopyObject', 'PutObject', 'DeleteObject', 'DeleteObjects']);
const TOKEN_FIELDS = new Set(['clientToken', 'ClientToken', 'CurrentDeliveryStreamVersionId', 'CurrentApplicationVersionId', 'idempotencyToken']);

function targetOf(c: CallRecord): string {
  const input = { ...((c.input ?? {}) as Record<string, unknown>) };
  for (const k of TOKEN_FIELDS) delete input[k];
  return `${c.service}:${c.operation} ${JSON.stringify(input)}`;
}

export function checkRun(
  world: SimWorld,
  result: DrillResult,
  config: StreamfixConfig,
  kills: KillRecord[],
  endMs: number,
  actedUnowned: UnownedAction[] = [],
  owners: ReadonlyMap<string, string> = new Map(),
): RunFigures {
  const details: string[] = [];
  // An invocation's incident: the one it owned when it acted (read from the ledger), else the one its answer names.
  const incidentOf = new Map<string, string>(owners);
  for (const inv of world.record.invocations) {
    const id = (inv.result as { incidentId?: unknown } | undefined)?.incidentId;
    if (typeof id === 'string' && !incidentOf.has(inv.invocationId)) incidentOf.set(inv.invocationId, id);
  }
  // A failed (or killed) invocation belongs to the incident its Lambda retry (same request id, next attempt) worked on.
  const invocations = world.record.invocations;
  const viaRetry = (inv: (typeof invocations)[number], depth = 0): string | undefined => {
    const own = incidentOf.get(inv.invocationId);
    if (own || depth > 3) return own;
    const next = invocations.find((i) => i.functionName === inv.functionName && i.requestId === inv.requestId && i.attempt === inv.attempt + 1);
    return next ? viaRetry(next, depth + 1) : undefined;
  };
  for (const inv of invocations) {
    const id = viaRetry(inv);
    if (id) incidentOf.set(inv.invocationId, id);
  }

  // Effective corrective calls, by incident and target.
  const seenRuns = new Set<string>();
  const seenCancels = new Set<string>();
  const effective = new Map<string, Map<string, number>>();
  let unowned = 0;
  for (const c of world.record.calls) {
    if (c.error || c.invocationId === undefined || !isCorrective(c.service, c.operation)) continue;
    if (c.operation === 'StartJobRun') {
      const id = (c.output as { jobRunId?: string } | undefined)?.jobRunId;
      if (!id || seenRuns.has(id)) continue;
      seenRuns.add(id);
    }
    // A run is cancelled once: cancelling it again while CANCELLING changes nothing (and after, is refused).
    if (c.operation === 'CancelJobRun') {
      const id = (c.input as { jobRunId?: string } | undefined)?.jobRunId;
      if (!id || seenCancels.has(id)) continue;
      seenCancels.add(id);
    }
    // Writing the same object, copying the same source to the same key or deleting the same key again changes nothing.
    if (c.service === 's3' && REPEATABLE_S3.has(c.operation)) continue;
    const fn = c.functionName ?? '';
    const incident = incidentOf.get(c.invocationId);
    if (!incident) {
      // Manual operations (an operator's invocation) are not incidents' actions.
      const inv = world.record.invocations.find((i) => i.invocationId === c.invocationId);
      if (inv?.source === 'operator') continue;
      unowned++;
      details.push(
        `duplicate: ${fn} ${c.service}:${c.operation} at +${(c.atMs - Date.parse(result.startedAt)) / 1000}s took effect with no incident owning it`,
      );
      continue;
    }
    const m = effective.get(incident) ?? new Map<string, number>();
    effective.set(incident, m);
    const t = targetOf(c);
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  const dupByIncident = new Map<string, number>();
  let duplicateActions = unowned;
  for (const inc of result.incidents) {
    const fixes = Math.max(1, inc.decisions.filter((d) => d.kind === 'fix').length);
    let n = 0;
    for (const [target, count] of effective.get(inc.incidentId) ?? []) {
      if (count > fixes) {
        n += count - fixes;
        details.push(`duplicate: ${inc.incidentId} ${target.slice(0, 160)} took effect ${count}× for ${fixes} fix decision(s)`);
      }
    }
    dupByIncident.set(inc.incidentId, n);
    duplicateActions += n;
  }

  // Bounds: the referee, and every recorded action against its playbook's bounds.
  let boundViolations = result.guardrailViolations.length;
  for (const v of result.guardrailViolations) details.push(`bound: referee ${v.kind}: ${v.detail}`);
  for (const inc of result.incidents) {
    const pb = playbooks[inc.playbook];
    const pipeline = config.pipelines[inc.pipeline];
    if (!pb || !pipeline) continue;
    const settings = (pipeline.playbooks as Record<string, PlaybookSettings>)[inc.playbook];
    for (const a of inc.actions) {
      if (a.status === 'blocked') continue;
      const def = pb.actions.find((d) => d.type === a.type);
      const parsed = def?.params.safeParse(a.params);
      const broken = !def
        ? [`unknown action type ${a.type}`]
        : !parsed?.success
          ? ['parameters do not parse']
          : settings
            ? def.checkBounds(parsed.data, { pipeline, settings })
            : [];
      if (broken.length > 0) {
        boundViolations++;
        details.push(`bound: ${inc.incidentId} ${a.type}: ${broken.join('; ')}`);
      }
    }
  }

  // Every alarm ends as a recorded decision.
  const pendingFollowUps = new Set<string>();
  for (const c of world.record.calls) {
    if (c.error || c.operation !== 'CreateSchedule') continue;
    const i = c.input as { ScheduleExpression?: string; Target?: { Input?: string } };
    const due = parseAtExpression(i.ScheduleExpression ?? '');
    if (due !== undefined && due > endMs)
      for (const inc of result.incidents) if (i.Target?.Input?.includes(inc.incidentId)) pendingFollowUps.add(inc.incidentId);
  }
  let unended = 0;
  for (const inc of result.incidents) {
    const stuck =
      inc.decisions.length === 0 ||
      inc.status === 'open' ||
      inc.status === 'acting' ||
      ((inc.status === 'verifying' || inc.status === 'rechecking') && !pendingFollowUps.has(inc.incidentId));
    if (stuck) {
      unended++;
      details.push(`unended: ${inc.incidentId} is ${inc.status} with ${inc.decisions.length} decision(s) (${inc.trigger})`);
    }
  }
  // An event that used up Lambda's retries must reach a person: its invocation record in the
  // dead-letter queue, recorded and paged (PagerDuty or SNS) by the dead-letter function.
  for (const inv of world.record.invocations) {
    if (!inv.error || inv.attempt < 3 || inv.functionName.endsWith('-dead-letters')) continue;
    const message = world.deadLetterQueue.received.find((m) => m.body.includes(`"requestId":"${inv.requestId}"`));
    const paged =
      message !== undefined &&
      (world.pagerDuty.events.some((e) => e.kind === 'trigger' && e.dedupKey?.endsWith(`/dead-letter/${message.messageId}`)) ||
        world.sns.messages.some((m) => m.message.includes(message.messageId)));
    if (!paged) {
      unended++;
      details.push(
        `unended: ${inv.functionName} ← ${inv.source} dropped after Lambda's retries${message ? ' (dead-lettered, never paged)' : ''}: ${inv.error.name}: ${inv.error.message}`,
      );
    }
  }

  // Ownership: the chaos layer asked the ledger, at each corrective call, whether its worker owned a live incident.
  for (const u of actedUnowned)
    details.push(`acted without ownership: ${u.invocationId} ${u.service}:${u.operation} at +${(u.atMs - Date.parse(result.startedAt)) / 1000}s`);

  // A kill in the middle of a fix: its incident must not end with an action still at `intent`.
  let unresumedKills = 0;
  for (const k of kills) {
    const id = incidentOf.get(k.invocationId);
    const inc = id ? result.incidents.find((i) => i.incidentId === id) : undefined;
    if (inc?.actions.some((a) => a.status === 'intent')) {
      unresumedKills++;
      details.push(`unresumed kill: ${k.invocationId} (${k.service}:${k.operation}, ${k.plan.phase}) left ${id} with an action at intent (${inc.status})`);
    }
  }

  // The repeat-fix breaker must judge finished fixes only: none of the pipeline's fixes may be in flight when it opens.
  let breakerWhileFixInFlight = 0;
  for (const inc of result.incidents) {
    for (const d of inc.decisions) {
      if (d.reason !== 'BREAKER_OPEN' || !d.summary.includes('the previous fix')) continue;
      const inFlight = result.incidents
        .filter((o) => o.pipeline === inc.pipeline && o.playbook === inc.playbook)
        .flatMap((o) => o.actions.map((a) => ({ o, a })))
        .filter(({ a }) => a.startedAtSeconds <= d.atSeconds && (a.endedAtSeconds === undefined || a.endedAtSeconds > d.atSeconds));
      if (inFlight.length > 0) {
        breakerWhileFixInFlight++;
        details.push(
          `breaker opened at +${d.atSeconds}s on ${inc.incidentId} while ${inFlight.map(({ o, a }) => `${o.incidentId} ${a.operation}`).join(', ')} was in flight`,
        );
      }
    }
  }

  let resumedActedTwice = 0;
  for (const k of kills) {
    const id = incidentOf.get(k.invocationId);
    if (id && (dupByIncident.get(id) ?? 0) > 0) {
      resumedActedTwice++;
      details.push(`resumed-acted-twice: ${id} (killed ${k.invocationId} at ${k.service}:${k.operation}, ${k.plan.phase})`);
    }
  }
  return {
    duplicateActions,
    boundViolations,
    unended,
    resumedActedTwice,
    actedWithoutOwnership: actedUnowned.length,
    unresumedKills,
    breakerWhileFixInFlight,
    details,
  };
}
