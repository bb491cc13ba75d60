import { runbookUrl } from '../lambdas/config/operator';
import { incidentReport } from '../lambdas/engine/report';
import { dynamoLedger } from '../lambdas/engine/dynamo-ledger';
import type { IncidentRecord, IncidentStatus, TimelineEntry } from '../lambdas/ledger/types';
import {
  columns,
  COMMON_USAGE,
  context,
  defaultIo,
  durationArg,
  helped,
  iso,
  parse,
  pipelineOf,
  RefusedError,
  runCommand,
  str,
  UsageError,
  type CliIo,
} from './common';

/**
 * `streamfix incidents` lists the ledger's incidents; `streamfix incident <id>` shows one: its
 * timeline, decisions, actions with their before and after, pages and approvals;
 * `--report` prints its post-incident record as Markdown. Read-only (DynamoDB Query, GetItem).
 */

const STATUSES: readonly IncidentStatus[] = ['open', 'acting', 'verifying', 'rechecking', 'resolved', 'escalated', 'ignored', 'recommended'];

export const INCIDENTS_USAGE = `usage: streamfix incidents [--pipeline <name>] [--playbook <id>] [--since 24h] [--status <s1,s2>] [--all]
  --since <duration>               opened in the last 30m, 24h, 7d… (default 24h)
  --status <list>                  ${STATUSES.join(', ')}
  --all                            also the notices (an alarm back to OK, a stale event) that opened nothing
${COMMON_USAGE}`;

export const INCIDENT_USAGE = `usage: streamfix incident <incident-id> [--report]
  --report                         the post-incident record as Markdown (date, what happened, root cause, actions,
                                   time to detect and to fix, data loss, follow-ups)
${COMMON_USAGE}`;

/** A record of a decision that needed no incident (an alarm back to OK with nothing open, a stale event). */
const isNotice = (i: IncidentRecord) => i.trigger.kind === 'alarm' && i.trigger.state !== 'ALARM';

/** What a person most needs to know of the status: an open request for approval. */
export function statusLabel(i: IncidentRecord, nowMs: number): string {
  const accepted = (i.approvals ?? []).find((a) => a.status === 'accepted');
  if (accepted && !['resolved', 'ignored', 'recommended'].includes(i.status))
    return `${i.status}, ${accepted.id} approved by ${accepted.answeredBy ?? '?'}, waiting for the guardrails until ${iso(accepted.expiresAtMs)}`;
  const pending = (i.approvals ?? []).find((a) => a.status === 'pending');
  if (pending && !['resolved', 'ignored', 'recommended'].includes(i.status)) {
    return `${i.status}, ${nowMs <= pending.expiresAtMs ? `awaiting approval ${pending.id} until ${iso(pending.expiresAtMs)}` : `approval ${pending.id} expired`}`;
  }
  return i.status;
}

export async function incidentsCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, INCIDENTS_USAGE, async () => {
    const { values: v } = parse(args, {
      pipeline: { type: 'string' },
      playbook: { type: 'string' },
      since: { type: 'string' },
      status: { type: 'string' },
      all: { type: 'boolean' },
    });
    if (helped(v, io, INCIDENTS_USAGE)) return 0;
    const sinceMs = durationArg(str(v, 'since') ?? '24h', '--since');
    const statuses = str(v, 'status')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of statuses ?? [])
      if (!STATUSES.includes(s as IncidentStatus)) throw new UsageError(`--status: unknown status "${s}" (one of ${STATUSES.join(', ')})`);
    const ctx = await context(v, io);
    const pipeline = pipelineOf(ctx.config, str(v, 'pipeline'), false);
    const playbook = str(v, 'playbook');
    const now = ctx.clock.now();
    const all = await dynamoLedger(ctx.aws, ctx.table).listIncidents();
    const found = all
      .filter((i) => i.openedAtMs >= now - sinceMs)
      .filter((i) => pipeline === undefined || i.pipeline === pipeline)
      .filter((i) => playbook === undefined || i.playbook === playbook)
      .filter((i) => statuses === undefined || statuses.includes(i.status))
      .filter((i) => v.all === true || !isNotice(i))
      .sort((a, b) => b.openedAtMs - a.openedAtMs);
    if (ctx.json) {
      io.out(
        JSON.stringify(
          found.map((i) => ({
            incidentId: i.incidentId,
            pipeline: i.pipeline,
            playbook: i.playbook,
            status: i.status,
            openedAt: iso(i.openedAtMs),
            ...(i.closedAtMs !== undefined ? { closedAt: iso(i.closedAtMs) } : {}),
            decision: i.decision ? { kind: i.decision.kind, reason: i.decision.reason, summary: i.decision.summary } : null,
            actions: (i.actions ?? []).length,
            approvals: (i.approvals ?? []).map((a) => ({
              id: a.id,
              status: a.status,
              expiresAt: iso(a.expiresAtMs),
              ...(a.answeredBy ? { by: a.answeredBy } : {}),
            })),
          })),
          null,
          2,
        ),
      );
      return 0;
    }
    if (found.length === 0) {
      io.out(
        `no incidents in the last ${str(v, 'since') ?? '24h'}${pipeline ? ` for ${pipeline}` : ''}${statuses ? ` with status ${statuses.join(', ')}` : ''}`,
      );
      return 0;
    }
    io.out(
      columns([
        ['opened', 'incident', 'status', 'decision', 'actions'],
        ...found.map((i) => [
          iso(i.openedAtMs),
          i.incidentId,
          statusLabel(i, now),
          i.decision ? `${i.decision.kind} ${i.decision.reason}` : '—',
          String((i.actions ?? []).length),
        ]),
      ]).join('\n'),
    );
    return 0;
  });
}

function describeIncident(i: IncidentRecord, timeline: readonly TimelineEntry[], nowMs: number): string[] {
  const at = (ms: number) => `${iso(ms)} (+${Math.round((ms - i.openedAtMs) / 1000)} s)`;
  const out = [
    `incident ${i.incidentId}`,
    `  pipeline ${i.pipeline} · playbook ${i.playbook} · status ${statusLabel(i, nowMs)}`,
    `  opened ${iso(i.openedAtMs)}${i.closedAtMs !== undefined ? ` · closed ${iso(i.closedAtMs)}` : ''}${i.recoveredAtMs !== undefined ? ` · recovered ${iso(i.recoveredAtMs)}` : ''}`,
  ];
  if (i.decision) out.push(`  decision: ${i.decision.kind} ${i.decision.reason}: ${i.decision.summary}`);
  out.push('', 'timeline');
  for (const t of timeline) if (t.kind !== 'diagnosis') out.push(`  ${at(t.atMs)}  ${t.kind.padEnd(10)} ${t.summary}`);
  const decisions = timeline.filter((t) => t.kind === 'decision');
  out.push('', `decisions: ${decisions.length === 0 ? 'none' : decisions.map((t) => String(t.data?.reason ?? '?')).join(' → ')}`);
  out.push('', 'actions');
  if ((i.actions ?? []).length === 0) out.push('  none');
  for (const a of i.actions ?? []) {
    out.push(
      `  #${a.index + 1} ${a.action.type} on ${a.action.resource}: ${a.status}${a.error ? ` (${a.error})` : ''}, ${iso(a.startedAtMs)} → ${iso(a.endedAtMs)}`,
    );
    out.push(`     ${a.action.description}`);
    if (a.outcome) out.push(`     before ${JSON.stringify(a.outcome.before)}`, `     after  ${JSON.stringify(a.outcome.after)}`);
  }
  const pages = timeline.filter((t) => t.kind === 'escalation');
  out.push('', 'escalations');
  out.push(...(pages.length === 0 ? ['  none'] : pages.map((t) => `  ${at(t.atMs)}  ${t.summary}`)));
  if ((i.approvals ?? []).length > 0) {
    out.push('', 'approvals');
    for (const a of i.approvals ?? []) {
      out.push(
        `  ${a.id}: ${a.status}; asked ${iso(a.requestedAtMs)}, expires ${iso(a.expiresAtMs)}${a.answeredBy ? `; answered by ${a.answeredBy} at ${iso(a.answeredAtMs)}${a.answerReason ? ` (${a.answerReason})` : ''}` : ''}${a.outcome ? `; ${a.outcome}` : ''}`,
      );
      out.push(`      plan: ${a.actions.map((x) => x.description).join('; ')}`);
    }
  }
  return out;
}

export async function incidentCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, INCIDENT_USAGE, async () => {
    const { values: v, positionals } = parse(args, { report: { type: 'boolean' } }, true);
    if (helped(v, io, INCIDENT_USAGE)) return 0;
    const [id, ...extra] = positionals;
    if (id === undefined) throw new UsageError('<incident-id>: required (streamfix incidents lists them)');
    if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`);
    const ctx = await context(v, io);
    const ledger = dynamoLedger(ctx.aws, ctx.table);
    const [incident, timeline] = await Promise.all([ledger.getIncident(id), ledger.listTimeline(id)]);
    if (!incident) throw new RefusedError(`no incident ${id} in the ledger table ${ctx.table} (${ctx.region})`);
    if (v.report === true) {
      const url = runbookUrl(ctx.config.runbookBaseUrl, incident.playbook);
      const md = incidentReport({ incident, timeline, ...(url ? { runbookUrl: url } : {}) });
      io.out(ctx.json ? JSON.stringify({ incidentId: id, markdown: md }, null, 2) : md);
      return 0;
    }
    io.out(ctx.json ? JSON.stringify({ incident, timeline }, null, 2) : describeIncident(incident, timeline, ctx.clock.now()).join('\n'));
    return 0;
  });
}
