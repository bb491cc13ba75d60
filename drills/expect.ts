import { firehoseChecks } from './firehose';
import { mskChecks } from './msk';
import { flinkChecks } from './flink';
import { dlqChecks, operationsChecks } from './dlq';
import type { DrillResult } from './result';
import type { ExpectationCheck, IncidentResult } from './result-types';
import type { Expectations, IncidentExpectation } from './scenario/schema';
import { samePerson } from './scenario/approvals';

/**
 * Checks a drill's result against the scenario's `expect` block. Every check is reported with
 * its path in the scenario (`expect.incidents[0].reason`), what was expected and what happened.
 */

type Check = Omit<ExpectationCheck, 'path'> & { field: string };

const CHECKED_FIELDS = [
  'decision',
  'reason',
  'status',
  'actions',
  'verified',
  'escalations',
  'timeToRecoverSeconds',
  'summaryIncludes',
  'decisionsInclude',
  'approvedBy',
] as const;

/** Whether `wanted` appear in `reasons` in that order (others may come between). */
function inOrder(reasons: readonly string[], wanted: readonly string[]): boolean {
  let k = 0;
  for (const r of reasons) if (r === wanted[k]) k++;
  return k === wanted.length;
}

function checkIncident(x: IncidentExpectation, inc: IncidentResult): Check[] {
  const out: Check[] = [];
  const add = (field: string, expected: unknown, actual: unknown, ok: boolean) => out.push({ field, expected, actual, ok });
  if (x.decision !== undefined) add('decision', x.decision, inc.decision?.kind, inc.decision?.kind === x.decision);
  if (x.reason !== undefined) {
    const allowed = Array.isArray(x.reason) ? x.reason : [x.reason];
    add('reason', x.reason, inc.decision?.reason, inc.decision !== undefined && allowed.includes(inc.decision.reason));
  }
  if (x.status !== undefined) add('status', x.status, inc.status, inc.status === x.status);
  if (x.actions !== undefined) {
    for (const [op, n] of Object.entries(x.actions)) {
      const actual = inc.actions.filter((a) => a.operation === op && a.status !== 'blocked').length;
      add(`actions.${op}`, n, actual, actual === n);
    }
  }
  if (x.verified !== undefined) add('verified', x.verified, inc.verified, inc.verified === x.verified);
  if (x.escalations !== undefined) {
    const actual = inc.escalations.map((e) => ({ channel: e.channel, ...(e.severity ? { severity: e.severity } : {}) }));
    let ok: boolean;
    if (x.escalations.length === 0) ok = actual.length === 0;
    else {
      const left = [...actual];
      ok = x.escalations.every((want) => {
        const k = left.findIndex((a) => a.channel === want.channel && (want.severity === undefined || a.severity === want.severity));
        if (k < 0) return false;
        left.splice(k, 1);
        return true;
      });
    }
    add('escalations', x.escalations, actual, ok);
  }
  if (x.summaryIncludes !== undefined) {
    add('summaryIncludes', x.summaryIncludes, inc.decision?.summary, inc.decision?.summary.includes(x.summaryIncludes) ?? false);
  }
  if (x.decisionsInclude !== undefined) {
    const reasons = inc.decisions.map((d) => d.reason);
    add('decisionsInclude', x.decisionsInclude, reasons, inOrder(reasons, x.decisionsInclude));
  }
  if (x.approvedBy !== undefined) add('approvedBy', x.approvedBy, inc.approvedBy ?? 'no approved fix carried out', samePerson(x.approvedBy, inc.approvedBy));
  if (x.timeToRecoverSeconds !== undefined) {
    const t = inc.timeToRecoverSeconds;
    add('timeToRecoverSeconds', `≤ ${x.timeToRecoverSeconds}`, t ?? 'not recovered', t !== undefined && t <= x.timeToRecoverSeconds);
  }
  return out;
}

function incidentChecks(x: IncidentExpectation, all: IncidentResult[], path: string): ExpectationCheck[] {
  const candidates = all.filter((i) => i.pipeline === x.pipeline && i.playbook === x.playbook);
  const out: ExpectationCheck[] = [];
  if (x.count !== undefined) out.push({ path: `${path}.count`, expected: x.count, actual: candidates.length, ok: candidates.length === x.count });
  if (!CHECKED_FIELDS.some((k) => x[k] !== undefined)) return out;
  if (candidates.length === 0) {
    out.push({ path, expected: `an incident of ${x.pipeline}/${x.playbook}`, actual: 'none', ok: false });
    return out;
  }
  const label = (i: IncidentResult) => `${path}(${i.incidentId})`;
  const emit = (i: IncidentResult, checks: Check[]) =>
    checks.forEach((c) => out.push({ path: `${label(i)}.${c.field}`, expected: c.expected, actual: c.actual, ok: c.ok }));
  switch (x.which) {
    case 'first':
      emit(candidates[0]!, checkIncident(x, candidates[0]!));
      break;
    case 'last':
      emit(candidates[candidates.length - 1]!, checkIncident(x, candidates[candidates.length - 1]!));
      break;
    case 'all':
      for (const c of candidates) emit(c, checkIncident(x, c));
      break;
    case 'any': {
      const scored = candidates
        .map((c) => ({ c, checks: checkIncident(x, c) }))
        .sort((a, b) => a.checks.filter((k) => !k.ok).length - b.checks.filter((k) => !k.ok).length);
      emit(scored[0]!.c, scored[0]!.checks);
      break;
    }
  }
  return out;
}

export function checkExpectations(x: Expectations, r: Omit<DrillResult, 'expectations' | 'failures' | 'verdict'>): ExpectationCheck[] {
  const out: ExpectationCheck[] = [];
  x.incidents.forEach((e, i) => out.push(...incidentChecks(e, r.incidents, `expect.incidents[${i}]`)));
  if (x.incidentCount !== undefined)
    out.push({ path: 'expect.incidentCount', expected: x.incidentCount, actual: r.incidents.length, ok: r.incidents.length === x.incidentCount });
  if (x.guardrailViolations !== undefined) {
    const n = r.guardrailViolations.length;
    out.push({
      path: 'expect.guardrailViolations',
      expected: x.guardrailViolations,
      actual: n === 0 ? 0 : r.guardrailViolations.map((v) => v.detail),
      ok: n === x.guardrailViolations,
    });
  }
  for (const [op, max] of Object.entries(x.maxCallsPerOperation ?? {})) {
    const n = r.calls[op] ?? 0;
    out.push({ path: `expect.maxCallsPerOperation.${op}`, expected: `≤ ${max}`, actual: n, ok: n <= max });
  }
  for (const [op, want] of Object.entries(x.calls ?? {})) {
    const n = r.calls[op] ?? 0;
    out.push({ path: `expect.calls.${op}`, expected: want, actual: n, ok: n === want });
  }
  if (x.pagerduty?.triggered !== undefined) {
    out.push({
      path: 'expect.pagerduty.triggered',
      expected: x.pagerduty.triggered,
      actual: r.pagerduty.triggered,
      ok: r.pagerduty.triggered === x.pagerduty.triggered,
    });
  }
  if (x.pagerduty?.resolved !== undefined) {
    out.push({
      path: 'expect.pagerduty.resolved',
      expected: x.pagerduty.resolved,
      actual: r.pagerduty.resolved,
      ok: r.pagerduty.resolved === x.pagerduty.resolved,
    });
  }
  if (x.deadLetters !== undefined) {
    out.push({ path: 'expect.deadLetters', expected: x.deadLetters, actual: r.deadLetters, ok: r.deadLetters === x.deadLetters });
  }
  if (x.invocationErrors !== undefined) {
    out.push({ path: 'expect.invocationErrors', expected: x.invocationErrors, actual: r.invocations.errors, ok: r.invocations.errors === x.invocationErrors });
  }
  for (const [pipeline, want] of Object.entries(x.jobs ?? {})) {
    const job = r.jobs[pipeline];
    if (want.state !== undefined) out.push({ path: `expect.jobs.${pipeline}.state`, expected: want.state, actual: job?.state, ok: job?.state === want.state });
    if (want.runs !== undefined)
      out.push({ path: `expect.jobs.${pipeline}.runs`, expected: want.runs, actual: job?.runs ?? 0, ok: (job?.runs ?? 0) === want.runs });
  }
  if (x.firehose !== undefined) out.push(...firehoseChecks(x.firehose, r.firehose));
  if (x.msk !== undefined) out.push(...mskChecks(x.msk, r.msk));
  if (x.flink !== undefined) out.push(...flinkChecks(x.flink, r.flink));
  if (x.dlqReplay !== undefined) out.push(...dlqChecks(x.dlqReplay, r.dlqReplay));
  if (x.operations !== undefined) out.push(...operationsChecks(x.operations, r.operations));
  return out;
}

export const describeFailure = (c: ExpectationCheck): string => `${c.path}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.actual)}`;
