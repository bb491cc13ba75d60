import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../config/mode';
import type { ApprovalGrant, GateVerdict } from '../guardrails';
import { planDifferences } from '../core/plan-match';
import type { ApprovalRecord } from '../ledger/types';
import { EngineReason, escalate, ignore, type Decision, type FixDecision, type Recommendation } from '../core/decision';
import { functionName } from '../core/names';
import type { ApprovalTrigger, Trigger } from '../core/trigger';
import type { Outcome, Run, RunSteps } from './run';

/**
 * Mode `approve`: a fix waits for a person. The gate refuses a fix without a matching approval
 * (APPROVAL_REQUIRED, guardrails/approval.ts); the engine then records a request for approval
 * in the incident and pages it with the plan, the expiry and the commands that answer it. An
 * answer (`streamfix approve|deny`) reaches the playbook's function as an ApprovalTrigger:
 *
 *   deny     → recorded; nothing runs; the same fix is not asked for again in this incident;
 *   approve  → recorded; the engine diagnoses and plans again (as a recheck does) and acts only
 *              when the new plan is the approved one, through every guardrail; otherwise it
 *              records why and pages again with a new request for the new plan.
 *
 * An answer to no open request, or after the request expired, changes nothing it was meant to
 * (an expired approval gets a new request when the situation still calls for the fix).
 */

export const APPROVAL_REASONS: ReadonlySet<string> = new Set([EngineReason.APPROVAL_REQUIRED, EngineReason.APPROVAL_EXPIRED, EngineReason.APPROVAL_MISMATCH]);

const iso = (ms: number) => new Date(ms).toISOString();
const toGrant = (r: ApprovalRecord): ApprovalGrant => ({ approvalId: r.id, actions: r.actions, expiresAtMs: r.expiresAtMs, by: r.answeredBy ?? 'unknown' });

/**
 * The approval the gate weighs for this run's fix: the one just given; one given earlier that a
 * lock or a cooldown held back (a recheck carries it out, still within its expiry); or the one a
 * crashed owner's fix was admitted with.
 */
export function grantFor(run: Run): ApprovalGrant | undefined {
  if (run.grant) return run.grant;
  const { inc } = run;
  const requests = [...(inc.approvals ?? [])].reverse();
  if (inc.status === 'acting' && inc.fixAdmitted) {
    const admitted = requests.find((a) => a.status === 'approved');
    return admitted ? toGrant(admitted) : undefined;
  }
  const accepted = requests.find((a) => a.status === 'accepted');
  if (accepted) run.grant = toGrant(accepted);
  return run.grant;
}

/** The gate admitted the fix with this run's approval: from now on it runs (and counts as carried out once done). */
export function markAdmitted(run: Run): void {
  const rec = run.grant && run.inc.approvals?.find((a) => a.id === run.grant!.approvalId);
  if (rec) rec.status = 'approved';
}

/** The page's recommendation: the plan, how to answer, until when. */
export function approvalRecommendation(runner: RunSteps, run: Run, req: ApprovalRecord, planned: FixDecision, prefix: string): Recommendation {
  const id = run.inc.incidentId;
  const fn = functionName(prefix, run.inc.playbook);
  const payload = (verdict: string) =>
    JSON.stringify({
      streamfix: verdict,
      incidentId: id,
      approvalId: req.id,
      by: { arn: '<your IAM or STS ARN>' },
      ...(verdict === 'deny' ? { reason: '<why>' } : {}),
    });
  return {
    summary: `approve or deny request ${req.id} before ${iso(req.expiresAtMs)}: ${planned.actions.map((a) => a.description).join('; ')}`,
    command: `streamfix approve ${id}`,
    detail: {
      approvalId: req.id,
      expiresAt: iso(req.expiresAtMs),
      approve: `streamfix approve ${id}`,
      deny: `streamfix deny ${id} --reason "<why>"`,
      lambdaApprove: `aws lambda invoke --function-name ${fn} --cli-binary-format raw-in-base64-out --payload '${payload('approve')}' /dev/stdout`,
      lambdaDeny: `aws lambda invoke --function-name ${fn} --cli-binary-format raw-in-base64-out --payload '${payload('deny')}' /dev/stdout`,
      plan: planned.actions.map((a) => ({ type: a.type, resource: a.resource, description: a.description, params: a.params })),
      byHand: runner.asRecommendation({ ...planned, recommendation: undefined }).summary,
    },
  };
}

/**
 * The gate refused a fix for want of a (matching, timely) approval: a new request for this plan,
 * paged with the refusal's own reason; or, when the same plan is already waiting (or was denied),
 * nothing new.
 */
export async function approvalRefused(runner: RunSteps, run: Run, planned: FixDecision, v: Extract<GateVerdict, { ok: false }>, prefix: string): Outcome {
  const { inc, settings } = run;
  const now = runner.now();
  const requests = (inc.approvals ??= []);
  if (run.grant) {
    const answered = requests.find((a) => a.id === run.grant!.approvalId);
    if (answered) Object.assign(answered, { status: v.reason === EngineReason.APPROVAL_EXPIRED ? 'expired' : 'refused', outcome: v.summary });
    await runner.note(run, 'approval', v.summary, { reason: v.reason, approvalId: run.grant.approvalId });
  }
  if (v.reason === EngineReason.APPROVAL_REQUIRED) {
    const same = (a: ApprovalRecord) => planDifferences(a.actions, planned.actions).length === 0;
    const waiting = requests.find((a) => a.status === 'pending' && now <= a.expiresAtMs && same(a));
    if (waiting) {
      const d = escalate(
        EngineReason.APPROVAL_REQUIRED,
        `still waiting for approval of request ${waiting.id} (until ${iso(waiting.expiresAtMs)}): ${planned.summary}`,
        planned.evidence,
        'warning',
        approvalRecommendation(runner, run, waiting, planned, prefix),
      );
      await runner.record(run, d);
      return runner.escalate(run, d);
    }
    const denied = [...requests].reverse().find((a) => a.status === 'denied' && same(a));
    if (denied) {
      const d = ignore(
        EngineReason.APPROVAL_DENIED,
        `${denied.answeredBy ?? 'a person'} denied this fix at ${iso(denied.answeredAtMs ?? now)} (request ${denied.id}): not asking again for it`,
      );
      await runner.note(run, 'decision', `${d.kind} ${d.reason}: ${d.summary}`, { kind: d.kind, reason: d.reason });
      return runner.save(run, inc.status === 'open' ? 'escalated' : inc.status, inc.decision ?? d);
    }
  }
  for (const a of requests)
    if (a.status === 'pending' || a.status === 'accepted') Object.assign(a, { status: 'superseded', outcome: `replaced by request a${requests.length + 1}` });
  const req: ApprovalRecord = {
    id: `a${requests.length + 1}`,
    status: 'pending',
    requestedAtMs: now,
    expiresAtMs: now + (settings.approvalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS) * 1000,
    reason: planned.reason,
    summary: planned.summary,
    actions: planned.actions,
  };
  requests.push(req);
  const why = v.reason === EngineReason.APPROVAL_REQUIRED ? 'approval needed' : `${v.summary}; approval needed for the new plan`;
  const d = escalate(
    v.reason,
    `${why} (request ${req.id}, until ${iso(req.expiresAtMs)}): ${planned.summary}`,
    planned.evidence,
    'warning',
    approvalRecommendation(runner, run, req, planned, prefix),
  );
  await runner.note(run, 'approval', `request ${req.id}: approve or deny before ${iso(req.expiresAtMs)}`, {
    approvalId: req.id,
    expiresAtMs: req.expiresAtMs,
    actions: planned.actions.map((a) => a.type),
  });
  // A new request always pages, even with the reason of the last page.
  inc.lastEscalation = undefined;
  await runner.record(run, d);
  return runner.escalate(run, d);
}

/** Why an answer does not apply, or undefined when it answers an open request. Pure. */
export function answerRefusal(requests: readonly ApprovalRecord[], t: Pick<ApprovalTrigger, 'approvalId' | 'incidentId'>): string | undefined {
  const target = t.approvalId ? requests.find((a) => a.id === t.approvalId) : requests[requests.length - 1];
  if (!target) return t.approvalId ? `incident ${t.incidentId} has no request ${t.approvalId}` : `incident ${t.incidentId} has no request for approval`;
  if (target.status === 'pending') return undefined;
  const by = target.answeredBy ? ` by ${target.answeredBy}` : '';
  return `request ${target.id} of incident ${t.incidentId} is ${target.status}${by}${target.outcome ? ` (${target.outcome})` : ''}`;
}

/** A person's answer to the incident's request for approval (the engine owns the incident). */
export async function receiveAnswer(runner: RunSteps, run: Run, t: ApprovalTrigger, decide: (run: Run, subject: Trigger) => Promise<Decision>): Outcome {
  const { inc } = run;
  const now = runner.now();
  const requests = inc.approvals ?? [];
  const keepStatus = inc.status === 'open' ? 'escalated' : inc.status;
  const refusal = answerRefusal(requests, t);
  if (refusal) {
    const d = ignore(EngineReason.APPROVAL_NOT_PENDING, `${t.verdict} by ${t.by.arn} changes nothing: ${refusal}`);
    await runner.note(run, 'decision', `${d.kind} ${d.reason}: ${d.summary}`, { kind: d.kind, reason: d.reason });
    await runner.save(run, keepStatus, inc.decision ?? d);
    return { incidentId: inc.incidentId, decision: d };
  }
  const req = t.approvalId ? requests.find((a) => a.id === t.approvalId)! : requests[requests.length - 1]!;
  Object.assign(req, { answeredBy: t.by.arn, answeredAtMs: now, ...(t.reason !== undefined ? { answerReason: t.reason } : {}) });
  if (t.verdict === 'deny') {
    req.status = 'denied';
    const d = ignore(EngineReason.APPROVAL_DENIED, `${t.by.arn} denied request ${req.id}: ${t.reason ?? ''}; nothing is done`);
    await runner.note(run, 'approval', `request ${req.id} denied by ${t.by.arn}: ${t.reason ?? ''}`, { approvalId: req.id, by: t.by.arn });
    await runner.note(run, 'decision', `${d.kind} ${d.reason}: ${d.summary}`, { kind: d.kind, reason: d.reason });
    await runner.save(run, keepStatus, inc.decision ?? d);
    return { incidentId: inc.incidentId, decision: d };
  }
  if (now > req.expiresAtMs) {
    Object.assign(req, { status: 'expired', outcome: `approved at ${iso(now)}, after the request expired at ${iso(req.expiresAtMs)}` });
    const d = ignore(
      EngineReason.APPROVAL_EXPIRED,
      `approval of request ${req.id} by ${t.by.arn} came after it expired at ${iso(req.expiresAtMs)}: not acted on; looking again`,
    );
    await runner.note(run, 'approval', d.summary, { approvalId: req.id, by: t.by.arn });
    await runner.note(run, 'decision', `${d.kind} ${d.reason}: ${d.summary}`, { kind: d.kind, reason: d.reason });
  } else {
    req.status = 'accepted';
    run.grant = toGrant(req);
    await runner.note(run, 'approval', `request ${req.id} approved by ${t.by.arn}: diagnosing and planning again`, { approvalId: req.id, by: t.by.arn });
  }
  // As a recheck does: the same situation, looked at again.
  const d = await decide(run, inc.trigger);
  if (run.grant && d.kind !== 'fix') {
    const summary = `approval ${req.id} by ${t.by.arn} refused: the situation changed; the plan now is ${d.kind} ${d.reason}: ${d.summary}`;
    Object.assign(req, { status: 'refused', outcome: summary });
    await runner.note(run, 'approval', summary, { approvalId: req.id });
    const e = escalate(EngineReason.APPROVAL_MISMATCH, summary, d.evidence, d.kind === 'escalate' ? d.severity : 'warning', runner.asRecommendation(d));
    inc.lastEscalation = undefined;
    await runner.record(run, e);
    return runner.escalate(run, e);
  }
  return runner.carryOut(run, d);
}
