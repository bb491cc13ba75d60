import type { SimContext } from './context';
import { isRecord } from '../../lambdas/util/is-record';

/**
 * PagerDuty Events API v2 as a `fetch`: POST /v2/enqueue (trigger, acknowledge, resolve) and
 * /v2/change/enqueue. Bodies are validated as PagerDuty does (400 "invalid event" with the
 * errors): at most 512 KB, and change events never on a ruleset or event orchestration routing
 * key (one starting with `R`). Accepted events answer 202 with the dedup_key, and incidents are
 * kept by dedup_key. A fault makes the next N requests answer 429 or 5xx.
 */

export const MAX_EVENT_BYTES = 512 * 1024;

export const PAGERDUTY_ENQUEUE = 'https://events.pagerduty.com/v2/enqueue';
export const PAGERDUTY_CHANGE = 'https://events.pagerduty.com/v2/change/enqueue';
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);

export interface PagerDutyIncident {
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  severity: string;
  summary: string;
  triggers: number;
  triggeredAtMs: number;
  resolvedAtMs?: number;
}

export interface PagerDutyEvent {
  atMs: number;
  kind: 'trigger' | 'acknowledge' | 'resolve' | 'change';
  dedupKey?: string;
  severity?: string;
  summary?: string;
  invocationId?: string;
  /** The request body with the routing key redacted. */
  body: Record<string, unknown>;
}

const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export function validateEnqueue(body: Record<string, unknown>, validKeys: ReadonlySet<string>): string[] {
  const errors: string[] = [];
  const key = body.routing_key;
  if (typeof key !== 'string' || key === '') errors.push("'routing_key' is missing or blank");
  else if (key.length !== 32 || !validKeys.has(key)) errors.push('Invalid routing key');
  const action = body.event_action;
  if (typeof action !== 'string' || !ACTIONS.has(action)) errors.push("'event_action' must be one of trigger, acknowledge, resolve");
  const dedup = body.dedup_key;
  if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length === 0 || dedup.length > 255))
    errors.push("'dedup_key' must be a string of 1 to 255 characters");
  if ((action === 'acknowledge' || action === 'resolve') && dedup === undefined) errors.push(`'dedup_key' is required for ${action}`);
  if (action === 'trigger') {
    const p = body.payload;
    if (!isRecord(p)) errors.push("'payload' is missing or not an object");
    else {
      if (typeof p.summary !== 'string' || p.summary === '') errors.push("'payload.summary' is missing or blank");
      else if (p.summary.length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing or blank");
      if (typeof p.severity !== 'string' || !SEVERITIES.has(p.severity)) errors.push("'payload.severity' must be one of critical, error, warning, info");
      if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp))))
        errors.push("'payload.timestamp' must be an ISO 8601 timestamp");
      if (p.custom_details !== undefined && !isRecord(p.custom_details) && typeof p.custom_details !== 'string')
        errors.push("'payload.custom_details' must be an object");
    }
  }
  for (const f of ['links', 'images']) if (body[f] !== undefined && !Array.isArray(body[f])) errors.push(`'${f}' must be an array`);
  return errors;
}

export function validateChange(body: Record<string, unknown>, validKeys: ReadonlySet<string>): string[] {
  const errors: string[] = [];
  const key = body.routing_key;
  if (typeof key !== 'string' || key === '') errors.push("'routing_key' is missing or blank");
  else if (key.length !== 32 || !validKeys.has(key)) errors.push('Invalid routing key');
  // Change events go to a service's integration key only, never a ruleset or event orchestration key (those start with R).
  else if (key.startsWith('R')) errors.push('Change events are not supported with ruleset or event orchestration routing keys');
  const p = body.payload;
  if (!isRecord(p)) errors.push("'payload' is missing or not an object");
  else if (typeof p.summary !== 'string' || p.summary === '' || p.summary.length > 1024) errors.push("'payload.summary' must be 1 to 1024 characters");
  return errors;
}

export class SimPagerDuty {
  readonly incidents = new Map<string, PagerDutyIncident>();
  readonly events: PagerDutyEvent[] = [];
  private readonly validKeys = new Set<string>();
  private failures: { status: number; remaining: number } = { status: 0, remaining: 0 };

  constructor(private readonly ctx: SimContext) {}

  addRoutingKey(key: string): void {
    this.validKeys.add(key);
  }

  /** The next `count` requests answer `status` (429 or 5xx). */
  failNext(status: number, count: number): void {
    this.failures = { status, remaining: count };
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const raw = init?.body ?? (input instanceof Request ? await input.text() : undefined);
    const end = this.ctx.clock.beginIo();
    try {
      return this.answer(url, method, typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : String(raw));
    } finally {
      end();
    }
  };

  private answer(url: string, method: string, text: string): Response {
    const { clock, record } = this.ctx;
    const frame = clock.currentFrame();
    const operation = url === PAGERDUTY_ENQUEUE ? 'enqueue' : url === PAGERDUTY_CHANGE ? 'change' : undefined;
    let body: Record<string, unknown> = {};
    let parsed = true;
    try {
      const b = JSON.parse(text) as unknown;
      if (isRecord(b)) body = b;
      else parsed = false;
    } catch {
      parsed = false;
    }
    const redacted = { ...body, ...(body.routing_key !== undefined ? { routing_key: '[redacted]' } : {}) };
    const respond = (status: number, out: unknown): Response => {
      record.call({
        atMs: clock.now(),
        service: 'pagerduty',
        operation: operation ?? url,
        input: redacted,
        output: { status, body: out },
        ...(status >= 300 ? { error: { name: `HTTP ${status}`, message: JSON.stringify(out ?? '') } } : {}),
        ...(frame ? { invocationId: frame.invocationId, functionName: frame.functionName } : {}),
      });
      return json(status, out);
    };
    if (!operation) return respond(404, { status: 'not found', message: `no such endpoint: ${url}` });
    if (method !== 'POST') return respond(405, { status: 'method not allowed', message: 'use POST' });
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      const s = this.failures.status;
      return respond(s, s === 429 ? { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' } : undefined);
    }
    if (!parsed) return respond(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Body is not a JSON object'] });
    if (Buffer.byteLength(text, 'utf8') > MAX_EVENT_BYTES)
      return respond(400, { status: 'invalid event', message: 'Event object is invalid', errors: [`Event is larger than ${MAX_EVENT_BYTES} bytes`] });
    const errors = operation === 'change' ? validateChange(body, this.validKeys) : validateEnqueue(body, this.validKeys);
    if (errors.length > 0) return respond(400, { status: 'invalid event', message: 'Event object is invalid', errors });
    const now = clock.now();
    const invocation = frame ? { invocationId: frame.invocationId } : {};
    if (operation === 'change') {
      const p = body.payload as Record<string, unknown>;
      this.events.push({ atMs: now, kind: 'change', summary: String(p.summary), body: redacted, ...invocation });
      return respond(202, { status: 'success', message: 'Change event processed' });
    }
    const action = body.event_action as 'trigger' | 'acknowledge' | 'resolve';
    const dedupKey = typeof body.dedup_key === 'string' ? body.dedup_key : this.ctx.ids.hex(32);
    const p = isRecord(body.payload) ? body.payload : {};
    const existing = this.incidents.get(dedupKey);
    if (action === 'trigger') {
      if (existing && existing.status !== 'resolved') existing.triggers++;
      else {
        this.incidents.set(dedupKey, {
          dedupKey,
          status: 'triggered',
          severity: String(p.severity),
          summary: String(p.summary),
          triggers: 1,
          triggeredAtMs: now,
        });
      }
    } else if (existing && existing.status !== 'resolved') {
      existing.status = action === 'resolve' ? 'resolved' : 'acknowledged';
      if (action === 'resolve') existing.resolvedAtMs = now;
    }
    this.events.push({
      atMs: now,
      kind: action,
      dedupKey,
      ...(action === 'trigger' ? { severity: String(p.severity), summary: String(p.summary) } : {}),
      body: redacted,
      ...invocation,
    });
    return respond(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }
}
