import type { IncidentRecord, TimelineEntry } from '../ledger/types';
import type { Evidence } from '../core/decision';
import type { Trigger } from '../core/trigger';

/**
 * The post-incident record the runbooks ask for ("document what happened: date, issue, root
 * cause, fix, time to fix, data loss"), as Markdown, from the ledger alone (pure): the incident,
 * its timeline, its actions with their before/after, its approvals and pages. `streamfix
 * incident <id> --report` prints it; the engine writes it to S3 when the incident closes
 * (config `reports.s3`).
 */

export interface ReportInput {
  incident: IncidentRecord;
  timeline: readonly TimelineEntry[];
  /** The playbook's runbook, when configured. */
  runbookUrl?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** `1 h 02 min`, `4 min 05 s`, `12 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** When the problem was first seen by AWS: the alarm's state change, or the job run's event. */
export function signalAtMs(t: Trigger): number | undefined {
  if (t.kind === 'alarm') return t.stateAtMs;
  if (t.kind === 'job-run') return t.atMs;
  return undefined;
}

const cell = (v: unknown) =>
  String(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .slice(0, 300);

function evidenceTable(e: Evidence | undefined): string[] {
  const entries = Object.entries(e ?? {});
  if (entries.length === 0) return ['No evidence was recorded.'];
  return ['| evidence | value |', '|---|---|', ...entries.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`)];
}

/** Evidence that speaks of lost or at-risk data (Firehose retention, dropped or lost records, replay needs). */
const LOSS = /lost|loss|drop|retention|expire|unrecoverable|dlq|deadletter|rereads|re-?read/i;

function dataLoss(inc: IncidentRecord): string[] {
  const found = Object.entries(inc.evidence ?? {}).filter(([k]) => LOSS.test(k));
  if (found.length === 0) {
    return [
      `The diagnosis recorded no evidence of lost data (no evidence about lost records, retention or replays). That is what ${inc.playbook} measured, not proof that nothing was lost: check the sink by hand if in doubt.`,
    ];
  }
  return ['What the diagnosis recorded about lost or at-risk data:', '', ...found.map(([k, v]) => `- ${k}: ${cell(v)}`)];
}

function followUps(inc: IncidentRecord, runbookUrl: string | undefined): string[] {
  const out: string[] = [];
  const d = inc.decision;
  if (inc.status === 'escalated' || inc.status === 'recommended') {
    if (d?.kind === 'escalate' && d.recommendation.command) out.push(`Apply or reject the recommended fix: \`${d.recommendation.command}\``);
    else if (d?.kind === 'escalate') out.push(`Act on the recommendation: ${d.recommendation.summary}`);
  }
  const failed = (inc.actions ?? []).filter((a) => a.status === 'failed');
  if (failed.length > 0) out.push(`Find out why ${failed.map((a) => a.action.type).join(', ')} failed (${failed.map((a) => a.error ?? '').join('; ')}).`);
  if (d?.reason === 'VERIFY_FAILED') out.push('The automatic fix did not hold: look for the cause the fix did not address.');
  const denied = (inc.approvals ?? []).filter((a) => a.status === 'denied');
  if (denied.length > 0)
    out.push(
      `Record why the fix was denied (${denied.map((a) => `${a.id} by ${a.answeredBy ?? '?'}: ${a.answerReason ?? ''}`).join('; ')}) and what was done instead.`,
    );
  if ((inc.actions ?? []).some((a) => a.status === 'done'))
    out.push('Check whether the root cause can recur (capacity, data, configuration) and whether the bounds still fit.');
  if (runbookUrl) out.push(`Update the runbook if this incident taught something new: ${runbookUrl}`);
  if (out.length === 0) out.push('None found by streamfix.');
  return out.map((l) => `- ${l}`);
}

function triggerLine(t: Trigger): string {
  switch (t.kind) {
    case 'alarm':
      return `alarm ${t.alarmName} went to ${t.state} at ${iso(t.stateAtMs)}${t.reason ? `: ${t.reason}` : ''}`;
    case 'job-run':
      return `job run ${t.jobRunId}${t.jobRunName ? ` (${t.jobRunName})` : ''} of application ${t.applicationId} went to ${t.state} at ${iso(t.atMs)}${t.stateDetails ? `: ${t.stateDetails}` : ''}`;
    default:
      return t.kind;
  }
}

export function incidentReport({ incident: inc, timeline, runbookUrl }: ReportInput): string {
  const signal = signalAtMs(inc.trigger);
  const actions = inc.actions ?? [];
  const firstAction = actions.find((a) => a.status !== 'blocked')?.startedAtMs;
  const escalations = timeline.filter((t) => t.kind === 'escalation');
  const decisions = timeline.filter((t) => t.kind === 'decision');
  const d = inc.decision;
  const lines: string[] = [
    `# Incident ${inc.incidentId}`,
    '',
    `| | |`,
    `|---|---|`,
    `| date | ${iso(inc.openedAtMs)} |`,
    `| pipeline | ${inc.pipeline} |`,
    `| playbook | ${inc.playbook} |`,
    `| status | ${inc.status}${inc.closedAtMs !== undefined ? ` (closed ${iso(inc.closedAtMs)})` : ''} |`,
    ...(runbookUrl ? [`| runbook | ${runbookUrl} |`] : []),
    '',
    '## What happened',
    '',
    `- ${triggerLine(inc.trigger)}`,
    ...timeline.filter((t) => t.kind !== 'diagnosis' && t.kind !== 'schedule').map((t) => `- ${iso(t.atMs)} ${t.kind}: ${cell(t.summary)}`),
    '',
    '## Root cause, as diagnosed',
    '',
    d ? `${d.kind} **${d.reason}**: ${cell(d.summary)}` : 'No decision was recorded.',
    ...(decisions.length > 1 ? ['', `Decisions in order: ${decisions.map((t) => String(t.data?.reason ?? '?')).join(' → ')}`] : []),
    '',
    ...evidenceTable(inc.evidence),
    '',
    '## Actions',
    '',
    ...(actions.length === 0
      ? ['No action was taken.']
      : [
          '| # | action | status | started | ended | before | after |',
          '|---|---|---|---|---|---|---|',
          ...actions.map(
            (a) =>
              `| ${a.index + 1} | ${cell(a.action.description)} | ${a.status}${a.error ? `: ${cell(a.error)}` : ''} | ${iso(a.startedAtMs)} | ${iso(a.endedAtMs)} | ${cell(a.outcome?.before ?? {})} | ${cell(a.outcome?.after ?? {})} |`,
          ),
        ]),
    ...((inc.approvals ?? []).length > 0
      ? [
          '',
          '## Approvals',
          '',
          '| request | asked | expires | status | by | at | why |',
          '|---|---|---|---|---|---|---|',
          ...(inc.approvals ?? []).map(
            (a) =>
              `| ${a.id} | ${iso(a.requestedAtMs)} | ${iso(a.expiresAtMs)} | ${a.status} | ${a.answeredBy ?? '—'} | ${iso(a.answeredAtMs)} | ${cell(a.answerReason ?? a.outcome ?? '')} |`,
          ),
        ]
      : []),
    '',
    '## Escalations',
    '',
    ...(escalations.length === 0 ? ['Nobody was paged.'] : escalations.map((t) => `- ${iso(t.atMs)}: ${cell(t.summary)}`)),
    '',
    '## Time to detect and to fix',
    '',
    `- to detect: ${signal !== undefined ? `${formatDuration(inc.openedAtMs - signal)} (from the ${inc.trigger.kind === 'alarm' ? "alarm's state change" : "job run's event"} to the incident)` : '—'}`,
    `- to first action: ${firstAction !== undefined ? formatDuration(firstAction - inc.openedAtMs) : 'no action'}`,
    `- to fix: ${inc.recoveredAtMs !== undefined ? `${formatDuration(inc.recoveredAtMs - inc.openedAtMs)} (recovered ${iso(inc.recoveredAtMs)})` : 'not recovered while streamfix watched'}`,
    '',
    '## Data loss',
    '',
    ...dataLoss(inc),
    '',
    '## Follow-ups',
    '',
    ...followUps(inc, runbookUrl),
    '',
  ];
  return lines.join('\n');
}

/** The report's key under the configured prefix. */
export const reportKey = (prefix: string, incidentId: string): string => `${prefix}${incidentId}.md`;
