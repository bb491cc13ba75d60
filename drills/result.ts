import type { StreamfixConfig } from '../lambdas/config';
import { emrPipelines } from './jobs';
import type { FirehoseStreamSummary } from './firehose';
import type { MskTopicSummary } from './msk';
import type { FlinkPipelineSummary } from './flink';
import type { DlqReplaySummary, OperationSummary } from './dlq';
import type { ActionRecord, IncidentRecord, TimelineEntry } from '../lambdas/ledger/types';
import { formatOffset } from './scenario/duration';
import type { GuardrailViolation } from './sim/record';
import type { SimWorld } from './sim/world';
import type { EscalationResult, ExpectationCheck, IncidentResult, TimelineLine } from './result-types';

/**
 * What a drill produced, built from the ledger (what the engine decided and recorded) and the
 * simulated platform's record (what was actually called, paged and started).
 */

export interface DrillResult {
  scenario: string;
  file: string;
  description: string;
  verdict: 'PASS' | 'FAIL';
  startedAt: string;
  simulatedSeconds: number;
  incidents: IncidentResult[];
  /** Alarm OK / INSUFFICIENT_DATA notices recorded without an incident to act on. */
  notices: { incidentId: string; pipeline: string; playbook: string; atSeconds: number; reason: string; summary: string }[];
  calls: Record<string, number>;
  guardrailViolations: (GuardrailViolation & { atSeconds: number })[];
  pagerduty: { triggered: number; resolved: number; incidents: { dedupKey: string; status: string; severity: string; triggers: number }[] };
  invocations: { total: number; errors: number; byOutcome: Record<string, number>; unfinished: string[] };
  /** Events that reached an on-failure destination or a Scheduler dead-letter queue. */
  deadLetters: number;
  jobs: Record<string, { state?: string; runs: number; newestRunId?: string }>;
  /** Each simulated Firehose stream at the end (absent when the scenario simulates none). */
  firehose?: Record<string, FirehoseStreamSummary>;
  msk?: Record<string, MskTopicSummary>;
  /** Each pipeline's Managed Flink application and Kinesis stream, when simulated. */
  flink?: Record<string, FlinkPipelineSummary>;
  /** What the DLQ writer wrote and replays delivered, by pipeline (absent when no DLQ was written). */
  dlqReplay?: Record<string, DlqReplaySummary>;
  /** Manual operations' invocations (absent when none was invoked). */
  operations?: Record<string, OperationSummary>;
  timeline: TimelineLine[];
  expectations: ExpectationCheck[];
  failures: string[];
  logs: { atSeconds: number; functionName?: string; level: string; message: string }[];
}

export interface LedgerSnapshot {
  incidents: IncidentRecord[];
  actions: Map<string, ActionRecord[]>;
  timelines: Map<string, TimelineEntry[]>;
}

export const isNotice = (i: IncidentRecord): boolean => i.trigger.kind === 'alarm' && i.trigger.state !== 'ALARM';

const operationOf = (type: string): string => type.slice(type.lastIndexOf(':') + 1);

export function buildIncidents(world: SimWorld, ledger: LedgerSnapshot, startMs: number, faultTimesMs: number[]): IncidentResult[] {
  const sec = (ms: number) => Math.round((ms - startMs) / 100) / 10;
  const incidentOf = new Map<string, string>();
  for (const inv of world.record.invocations) {
    const id = (inv.result as { incidentId?: unknown } | undefined)?.incidentId;
    if (typeof id === 'string') incidentOf.set(inv.invocationId, id);
  }
  return ledger.incidents
    .filter((i) => !isNotice(i))
    .map((inc) => {
      const timeline = ledger.timelines.get(inc.incidentId) ?? [];
      const actions = ledger.actions.get(inc.incidentId) ?? [];
      const mine = (invocationId: string | undefined) => invocationId !== undefined && incidentOf.get(invocationId) === inc.incidentId;
      const calls: Record<string, number> = {};
      for (const c of world.record.calls) if (mine(c.invocationId)) calls[c.operation] = (calls[c.operation] ?? 0) + 1;
      const resolved = timeline.filter((t) => t.kind === 'resolve' && typeof t.data?.reason === 'string').pop();
      const verified = inc.status === 'resolved' && resolved?.data?.reason === 'VERIFIED';
      const escalations: EscalationResult[] = [
        ...world.pagerDuty.events
          .filter((e) => e.kind === 'trigger' && (mine(e.invocationId) || (inc.dedupKey !== undefined && e.dedupKey === inc.dedupKey)))
          .map((e) => ({
            channel: 'pagerduty' as const,
            ...(e.severity ? { severity: e.severity } : {}),
            ...(e.dedupKey ? { dedupKey: e.dedupKey } : {}),
            ...(e.summary ? { summary: e.summary } : {}),
            atSeconds: sec(e.atMs),
          })),
        ...world.sns.messages
          .filter((m) => m.attributes.event === 'trigger' && mine(m.invocationId))
          .map((m) => ({
            channel: 'sns' as const,
            ...(m.attributes.severity ? { severity: m.attributes.severity } : {}),
            ...(m.subject ? { summary: m.subject } : {}),
            atSeconds: sec(m.atMs),
          })),
      ].sort((a, b) => a.atSeconds - b.atSeconds);
      const decisions = timeline
        .filter((t) => t.kind === 'decision')
        .map((t) => {
          const kind = String(t.data?.kind ?? '');
          const reason = String(t.data?.reason ?? '');
          const prefix = `${kind} ${reason}: `;
          return { atSeconds: sec(t.atMs), kind, reason, summary: t.summary.startsWith(prefix) ? t.summary.slice(prefix.length) : t.summary };
        });
      const final = [...decisions].reverse().find((d) => d.kind !== 'ignore') ?? decisions[decisions.length - 1];
      const lastFault = faultTimesMs.filter((t) => t <= inc.openedAtMs).pop() ?? inc.openedAtMs;
      const approvedBy = carriedOutApproval(inc);
      const recoveredAt = inc.recoveredAtMs;
      return {
        incidentId: inc.incidentId,
        pipeline: inc.pipeline,
        playbook: inc.playbook,
        status: inc.status,
        openedAtSeconds: sec(inc.openedAtMs),
        trigger: describeTrigger(inc),
        ...(final ? { decision: { kind: final.kind, reason: final.reason, summary: final.summary } } : {}),
        ...(inc.decision ? { latestDecision: { kind: inc.decision.kind, reason: inc.decision.reason, summary: inc.decision.summary } } : {}),
        decisions,
        actions: actions.map((a) => ({
          operation: operationOf(a.action.type),
          type: a.action.type,
          status: a.status,
          description: a.action.description,
          params: a.action.params,
          ...(a.outcome ? { summary: a.outcome.summary } : a.error ? { summary: a.error } : {}),
          startedAtSeconds: sec(a.startedAtMs),
          ...(a.endedAtMs !== undefined ? { endedAtSeconds: sec(a.endedAtMs) } : {}),
        })),
        calls,
        verified,
        ...(resolved && inc.status === 'resolved' ? { resolution: { reason: String(resolved.data?.reason), atSeconds: sec(resolved.atMs) } } : {}),
        escalations,
        ...(verified && recoveredAt !== undefined ? { timeToRecoverSeconds: Math.round((recoveredAt - lastFault) / 1000) } : {}),
        approvals: (inc.approvals ?? []).map((a) => ({ id: a.id, status: a.status, ...(a.answeredBy ? { by: a.answeredBy } : {}) })),
        ...(approvedBy ? { approvedBy } : {}),
      };
    });
}

/** Who approved the fix that was carried out: an admitted approval whose actions all ran to done. */
function carriedOutApproval(inc: IncidentRecord): string | undefined {
  const used = (inc.approvals ?? []).filter((a) => a.status === 'approved').pop();
  if (!used?.answeredAtMs) return undefined;
  const fix = (inc.actions ?? []).filter((a) => a.startedAtMs >= used.answeredAtMs!);
  return fix.length > 0 && fix.every((a) => a.status === 'done') ? used.answeredBy : undefined;
}

function describeTrigger(inc: IncidentRecord): string {
  const t = inc.trigger;
  switch (t.kind) {
    case 'alarm':
      return `alarm ${t.alarmName} ${t.state}`;
    case 'job-run':
      return `job run ${t.jobRunId}${t.jobRunName ? ` (${t.jobRunName})` : ''} ${t.state}`;
    case 'follow-up':
      return `follow-up ${t.purpose} #${t.attempt}`;
    case 'sweep':
      return 'sweep';
    case 'approval':
      return `${t.verdict} by ${t.by.arn}`;
    case 'resume':
      return `resume${t.pipeline ? ` of ${t.pipeline}` : ''}`;
  }
}

export function jobSummary(world: SimWorld, config: StreamfixConfig): DrillResult['jobs'] {
  const out: DrillResult['jobs'] = {};
  for (const [name, job] of emrPipelines(config)) {
    const runs = world.emr.allRuns().filter((r) => r.applicationId === job.applicationId && r.name === job.jobName);
    const newest = [...runs].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    out[name] = { runs: runs.length, ...(newest ? { state: newest.state, newestRunId: newest.jobRunId } : {}) };
  }
  return out;
}

/** World events and the ledger's timelines, merged in time order. */
export function buildTimeline(world: SimWorld, ledger: LedgerSnapshot, startMs: number): TimelineLine[] {
  // Within one millisecond: what the world did, then what the engine recorded, then the calls.
  const lines: (TimelineLine & { group: number; order: number })[] = [];
  const add = (atMs: number, kind: string, text: string, group: number, order: number, incidentId?: string) =>
    lines.push({ atMs, at: formatOffset(atMs - startMs), kind, text, group, order, ...(incidentId ? { incidentId } : {}) });
  for (const e of world.record.events) {
    if (e.kind === 'job-run' && !/→ (RUNNING|FAILED|CANCELLING|CANCELLED|SUCCESS|QUEUED)$|EMR retries: attempt \d+$/.test(e.text)) continue;
    if (e.kind === 'invocation' || (e.kind === 'schedule' && e.text.includes(' created,'))) continue;
    add(e.atMs, e.kind, e.text, 0, e.seq);
  }
  for (const c of world.record.calls) {
    const mutating = /^(Start|Cancel|Put|Copy|Delete|Publish|CreateSchedule|Reboot)/.test(c.operation) || c.service === 'pagerduty';
    if (!mutating || c.operation === 'PutMetricData') continue;
    const outcome = c.error ? `✗ ${c.error.name}${c.service === 'pagerduty' ? '' : `: ${c.error.message}`}` : summarizeCall(c);
    add(c.atMs, 'call', `${c.functionName ?? 'drill'} → ${c.service} ${c.operation}${outcome ? ` ${outcome}` : ''}`, 2, c.seq);
  }
  const short = (id: string) => id.split('.').pop() ?? id;
  let n = 0;
  for (const inc of ledger.incidents) {
    for (const t of ledger.timelines.get(inc.incidentId) ?? []) {
      if (t.kind === 'diagnosis' || t.kind === 'schedule') continue;
      add(t.atMs, t.kind, `[${inc.pipeline}/${inc.playbook} ${short(inc.incidentId)}] ${t.summary}`, 1, n++, inc.incidentId);
    }
  }
  return lines.sort((a, b) => a.atMs - b.atMs || a.group - b.group || a.order - b.order).map(({ group: _group, order: _order, ...l }) => l);
}

function summarizeCall(c: { service: string; input: unknown; output?: unknown }): string {
  const input = (c.input ?? {}) as Record<string, unknown>;
  if (c.service === 'pagerduty') {
    const p = input.payload as { severity?: string } | undefined;
    const what = typeof input.event_action === 'string' ? `${input.event_action}${p?.severity ? ` ${p.severity}` : ''} ` : '';
    return `${what}${summarizeOutput(c.output)}`;
  }
  if (c.service === 'sns') {
    const attrs = input.MessageAttributes as Record<string, { StringValue?: string }> | undefined;
    const ev = attrs?.event?.StringValue;
    return [ev, attrs?.severity?.StringValue, typeof input.Subject === 'string' ? `"${input.Subject}"` : undefined].filter(Boolean).join(' ');
  }
  return summarizeOutput(c.output);
}

function summarizeOutput(o: unknown): string {
  if (!o || typeof o !== 'object') return '';
  const r = o as Record<string, unknown>;
  if (typeof r.jobRunId === 'string') return `→ ${r.jobRunId}`;
  const body = r.body as { status?: string; dedup_key?: string } | undefined;
  if (typeof r.status === 'number') return `→ ${r.status}${body?.dedup_key ? ` ${body.dedup_key}` : ''}`;
  return '';
}
