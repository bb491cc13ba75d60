import { toSnsSubject } from '../adapters/sns';
import type { Evidence } from '../core/decision';
import { PAGERDUTY_SUMMARY_MAX_CHARS, clip, type PagerDutyAlertEvent, type PagerDutyChangeEvent } from './pagerduty';
import type { ChangeNotice, EscalationPayload, ResolvePayload } from './types';

/**
 * What a person reads, built from the escalation payloads; no I/O. Values a playbook does not
 * bound (evidence strings, action summaries, details) are cut to a readable length; the
 * recommended command is never cut, because a person copies and runs it as it is.
 */
const TAG = '[streamfix]';
/** One evidence value, action line or detail value in the readable text. */
const VALUE_MAX_CHARS = 1000;
/** A recommendation's free text and its structured detail once serialized. */
const TEXT_MAX_CHARS = 4000;
/**
 * SNS takes 256 KiB (262,144 bytes) per message, attributes included: the message keeps clear
 * of that, dropping the full JSON copy for a bounded one, then cutting, when it would not fit.
 */
export const SNS_MESSAGE_MAX_BYTES = 240 * 1024;
const JSON_HEADER = '----- payload (JSON) -----';

export interface SnsText {
  subject: string;
  message: string;
}

const incidentName = (pipeline: string, playbook: string) => `${pipeline}/${playbook}`;

/**
 * The alert event for a trigger, without its routing key. PagerDuty's fields: `group` is the
 * pipeline (the logical group), `component` the playbook (the part of it that failed), `class`
 * the reason code (the type of event).
 */
export function pagerDutyTrigger(p: EscalationPayload, source: string): PagerDutyAlertEvent {
  return {
    event_action: 'trigger',
    dedup_key: p.dedupKey,
    payload: {
      summary: clip(`${TAG} ${incidentName(p.pipeline, p.playbook)}: ${p.summary}`, PAGERDUTY_SUMMARY_MAX_CHARS),
      source,
      severity: p.severity,
      component: p.playbook,
      group: p.pipeline,
      class: p.reason,
      custom_details: customDetails(p),
    },
    ...(p.links && p.links.length > 0 ? { links: p.links } : {}),
  };
}

function customDetails(p: EscalationPayload): Record<string, unknown> {
  const b = bounded(p);
  return {
    incident_id: b.incidentId,
    pipeline: b.pipeline,
    playbook: b.playbook,
    decision: b.decision,
    reason: b.reason,
    summary: b.summary,
    evidence: b.evidence,
    actions_taken: b.actionsTaken,
    recommendation: b.recommendation,
    opened_at: b.openedAt,
  };
}

/** The payload with every unbounded value cut (the command excepted). */
function bounded(p: EscalationPayload): EscalationPayload {
  const rec = p.recommendation;
  return {
    ...p,
    summary: clip(p.summary, TEXT_MAX_CHARS),
    evidence: boundedEvidence(p.evidence),
    actionsTaken: p.actionsTaken.map((a) => ({
      type: a.type,
      description: clip(a.description, VALUE_MAX_CHARS),
      status: a.status,
      ...(a.summary !== undefined ? { summary: clip(a.summary, VALUE_MAX_CHARS) } : {}),
    })),
    recommendation: {
      summary: clip(rec.summary, TEXT_MAX_CHARS),
      ...(rec.command !== undefined ? { command: rec.command } : {}),
      ...(rec.detail !== undefined ? { detail: boundedDetail(rec.detail) } : {}),
    },
  };
}

/** Resolves the alert a trigger opened: the same dedup key, nothing else is needed. */
export function pagerDutyResolve(r: ResolvePayload): PagerDutyAlertEvent {
  return { event_action: 'resolve', dedup_key: r.dedupKey };
}

export function pagerDutyChange(n: ChangeNotice, source: string): PagerDutyChangeEvent {
  return {
    payload: {
      summary: clip(`${TAG} ${incidentName(n.pipeline, n.playbook)}: ${n.summary}`, PAGERDUTY_SUMMARY_MAX_CHARS),
      source,
      custom_details: {
        incident_id: n.incidentId,
        pipeline: n.pipeline,
        playbook: n.playbook,
        details: boundedDetail(n.details),
      },
    },
  };
}

/** The e-mail / chat message of an escalation: readable text first, then the payload as JSON. */
export function snsMessage(p: EscalationPayload): SnsText {
  const name = incidentName(p.pipeline, p.playbook);
  const actions =
    p.actionsTaken.length === 0
      ? ['  none']
      : p.actionsTaken.map((a, i) => `  ${i + 1}. ${a.type} [${a.status}] ${oneLine(a.description)}${a.summary ? ` (${oneLine(a.summary)})` : ''}`);
  const rec = p.recommendation;
  const lines = [
    `${TAG} ESCALATION ${name}`,
    oneLine(p.summary, TEXT_MAX_CHARS),
    '',
    ...fields([
      ['Severity', p.severity.toUpperCase()],
      ['Decision', p.decision],
      ['Reason', p.reason],
      ['Pipeline', p.pipeline],
      ['Playbook', p.playbook],
      ['Opened at', p.openedAt],
    ]),
    '',
    'Evidence',
    ...evidenceLines(p.evidence),
    '',
    'Actions taken',
    ...actions,
    '',
    'Recommendation',
    `  ${oneLine(rec.summary, TEXT_MAX_CHARS)}`,
    ...(rec.command !== undefined ? ['', 'Command that applies the recommended fix (run it as is):', '', rec.command] : []),
    ...(rec.detail !== undefined ? ['', 'Detail', indent(clip(JSON.stringify(rec.detail, null, 2), TEXT_MAX_CHARS))] : []),
    ...(p.links && p.links.length > 0 ? ['', 'Links', ...p.links.map((l) => `  ${l.text}: ${l.href}`)] : []),
    '',
    ...fields([
      ['Incident', p.incidentId],
      ['Dedup key', p.dedupKey],
    ]),
  ];
  return {
    subject: toSnsSubject(`${TAG} ${p.severity.toUpperCase()} ${name}: ${p.summary}`),
    message: withJson(lines, p, () => ({ ...bounded(p), truncated: true })),
  };
}

/** The message sent when the alarm is back to OK. */
export function snsResolveMessage(r: ResolvePayload): SnsText {
  const name = incidentName(r.pipeline, r.playbook);
  const lines = [
    `${TAG} RESOLVED ${name}`,
    oneLine(r.summary, TEXT_MAX_CHARS),
    '',
    ...fields([
      ['Pipeline', r.pipeline],
      ['Playbook', r.playbook],
      ['Incident', r.incidentId],
      ['Dedup key', r.dedupKey],
    ]),
  ];
  return {
    subject: toSnsSubject(`${TAG} RESOLVED ${name}: ${r.summary}`),
    message: withJson(lines, r, () => ({ ...r, summary: clip(r.summary, TEXT_MAX_CHARS), truncated: true })),
  };
}

/** The message sent when streamfix changed something. */
export function snsChangeMessage(n: ChangeNotice): SnsText {
  const name = incidentName(n.pipeline, n.playbook);
  const details = Object.entries(n.details);
  const lines = [
    `${TAG} CHANGE ${name}`,
    oneLine(n.summary, TEXT_MAX_CHARS),
    '',
    ...fields([
      ['Pipeline', n.pipeline],
      ['Playbook', n.playbook],
      ['Incident', n.incidentId],
    ]),
    '',
    'Details',
    ...(details.length === 0 ? ['  none'] : details.map(([k, v]) => `  ${k}: ${oneLine(displayValue(v))}`)),
  ];
  return {
    subject: toSnsSubject(`${TAG} CHANGE ${name}: ${n.summary}`),
    message: withJson(lines, n, () => ({ ...n, details: boundedDetail(n.details), truncated: true })),
  };
}

/** `Label:     value` lines, aligned. */
function fields(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${oneLine(value)}`);
}

/** `key: value`, one line each, in the playbook's order; keys carry the units (`lagRecords`). */
function evidenceLines(evidence: Evidence): string[] {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return ['  none'];
  return entries.map(([key, value]) => `  ${key}: ${oneLine(displayValue(value))}`);
}

function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/** Line breaks and tabs become spaces so one value stays on one line; then it is cut. */
function oneLine(text: string, max = VALUE_MAX_CHARS): string {
  return clip(text.replace(/[\r\n\t\v\f]+/g, ' ').trim(), max);
}

function indent(block: string): string {
  return block
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function boundedEvidence(evidence: Evidence): Evidence {
  const out: Evidence = {};
  for (const [k, v] of Object.entries(evidence)) out[k] = typeof v === 'string' ? clip(v, VALUE_MAX_CHARS) : v;
  return out;
}

/** Structured detail as is, unless its JSON is too long to read: then a cut copy of that JSON. */
function boundedDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(detail) ?? '';
  return json.length <= TEXT_MAX_CHARS ? detail : { truncated: true, json: clip(json, TEXT_MAX_CHARS) };
}

/**
 * Text, then the full payload as JSON for machines. When that passes SNS's size, the bounded
 * payload replaces the full one; if even that does not fit, the message is cut to the limit.
 */
function withJson(lines: string[], full: unknown, bounded: () => unknown): string {
  const text = lines.join('\n');
  const compose = (payload: unknown) => `${text}\n\n${JSON_HEADER}\n${JSON.stringify(payload, null, 2)}\n`;
  const message = compose(full);
  if (Buffer.byteLength(message, 'utf8') <= SNS_MESSAGE_MAX_BYTES) return message;
  return fitBytes(compose(bounded()), SNS_MESSAGE_MAX_BYTES);
}

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character. */
function fitBytes(text: string, maxBytes: number): string {
  const marker = '\n[truncated]\n';
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(marker, 'utf8');
  const bytes = Buffer.from(text, 'utf8');
  let end = budget;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + marker;
}
