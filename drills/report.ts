import { formatOffset } from './scenario/duration';
import type { DrillResult } from './result';
import type { IncidentResult } from './result-types';

/** The human-readable drill report: a timeline per scenario, the incidents, and a verdict line. */

const KIND_WIDTH = 11;
/** Timeline lines longer than this are cut (the JSON result has them in full). */
const MAX_LINE = 180;

const cut = (s: string) => (s.length > MAX_LINE ? `${s.slice(0, MAX_LINE - 1)}…` : s);

function incidentLine(i: IncidentResult): string {
  const parts = [`${i.pipeline}/${i.playbook} ${i.incidentId}`];
  if (i.decision) parts.push(`${i.decision.kind} ${i.decision.reason}`);
  parts.push(`status ${i.status}${i.resolution ? ` (${i.resolution.reason} at ${formatOffset(i.resolution.atSeconds * 1000)})` : ''}`);
  const ops = new Map<string, number>();
  for (const a of i.actions) ops.set(`${a.operation} ${a.status}`, (ops.get(`${a.operation} ${a.status}`) ?? 0) + 1);
  if (ops.size > 0) parts.push([...ops].map(([k, n]) => `${k} ×${n}`).join(', '));
  if (i.escalations.length > 0) parts.push(`paged: ${i.escalations.map((e) => `${e.channel}${e.severity ? ` ${e.severity}` : ''}`).join(', ')}`);
  if (i.timeToRecoverSeconds !== undefined) parts.push(`recovered ${i.timeToRecoverSeconds} s after the fault`);
  if (i.approvals && i.approvals.length > 0)
    parts.push(`approvals: ${i.approvals.map((a) => `${a.id} ${a.status}${a.by ? ` by ${a.by.slice(a.by.lastIndexOf('/') + 1)}` : ''}`).join(', ')}`);
  return parts.join(' · ');
}

/** The verdict line alone (`streamfix drill --quiet`). */
export const verdictLine = (r: DrillResult): string =>
  r.verdict === 'PASS' ? `PASS ${r.scenario}: ${r.expectations.length} expectation(s) met` : `FAIL ${r.scenario}: ${r.failures.join('; ')}`;

export function formatResult(r: DrillResult): string {
  const out: string[] = [];
  out.push(`━━ ${r.scenario} (${r.file})`);
  out.push(`   ${r.description.trim().replace(/\s+/g, ' ')}`);
  for (const l of r.timeline) out.push(cut(`  ${l.at}  ${l.kind.padEnd(KIND_WIDTH)} ${l.text.replace(/\s+/g, ' ')}`));
  out.push(`  incidents (${r.incidents.length}):`);
  for (const i of r.incidents) out.push(`    ${incidentLine(i)}`);
  if (r.notices.length > 0) out.push(`  notices: ${r.notices.map((n) => `${formatOffset(n.atSeconds * 1000)} ${n.reason}`).join(', ')}`);
  const calls = Object.entries(r.calls)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  out.push(`  calls: ${calls || 'none'}`);
  out.push(`  guardrail violations: ${r.guardrailViolations.length === 0 ? 'none' : r.guardrailViolations.map((v) => v.detail).join('; ')}`);
  if (r.invocations.errors > 0 || r.invocations.unfinished.length > 0) {
    out.push(
      `  invocations: ${r.invocations.total} (${r.invocations.errors} threw${r.invocations.unfinished.length ? `, unfinished: ${r.invocations.unfinished.join(', ')}` : ''})`,
    );
  }
  if (r.verdict === 'PASS') out.push(`  PASS ${r.scenario}: ${r.expectations.length} expectation(s) met`);
  else {
    out.push(`  FAIL ${r.scenario}: ${r.failures.length} of ${r.expectations.length} expectation(s) failed`);
    for (const f of r.failures) out.push(`    ✗ ${f}`);
  }
  return out.join('\n');
}
