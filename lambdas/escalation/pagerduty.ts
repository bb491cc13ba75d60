import type { Severity } from '../core/decision';
import { systemClock } from '../core/clock';
import { StreamfixError } from '../core/errors';

/**
 * PagerDuty Events API v2 over plain `fetch`. The routing key is asked for on every send (the
 * caller caches it) and added to the body here, and only here: every text that can leave this
 * module (an error message, a log line, a result) passes through `redact` first, because
 * PagerDuty may echo the key back in a validation error.
 */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';
export const PAGERDUTY_SUMMARY_MAX_CHARS = 1024;
/** PagerDuty Events API v2: an event body is at most 512 KB. */
export const PAGERDUTY_MAX_BODY_BYTES = 512 * 1024;

/**
 * PagerDuty's change events are not accepted with a ruleset or event orchestration routing key
 * (those start with `R`): only a service's integration key takes them. Sending one anyway is
 * rejected, so it is not sent, and the reason is said (an error, never a silent loss).
 */
export const isOrchestrationKey = (routingKey: string): boolean => routingKey.startsWith('R');

export interface PagerDutyAlertPayload {
  summary: string;
  source: string;
  severity: Severity;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, unknown>;
}

/** An alert event without its routing key. `payload` is required to trigger, unused to resolve. */
export interface PagerDutyAlertEvent {
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: PagerDutyAlertPayload;
  links?: { href: string; text?: string }[];
}

/** A change event ("streamfix restarted job X") without its routing key. */
export interface PagerDutyChangeEvent {
  payload: { summary: string; source?: string; timestamp?: string; custom_details?: Record<string, unknown> };
  links?: { href: string; text?: string }[];
}

export interface PagerDutySendResult {
  attempts: number;
  status: number;
  /** The dedup key PagerDuty filed the alert under (alert events only). */
  dedupKey?: string;
}

export interface PagerDutyLogger {
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface PagerDutyClientOptions {
  /** Resolves the Events v2 routing key (an integration key); called once per send. */
  routingKey: () => Promise<string>;
  fetchImpl: typeof fetch;
  /** Waits between attempts; tests pass one that only records. @default the system clock's */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1): the jitter source. @default Math.random */
  random?: () => number;
  /** Milliseconds since the epoch, to read a `Retry-After` date. @default Date.now */
  now?: () => number;
  /** Attempts per event, the first included. @default 4 */
  maxAttempts?: number;
  /** First backoff delay. @default 500 */
  baseDelayMs?: number;
  /** No wait (backoff or `Retry-After`) is longer. @default 8000 */
  maxDelayMs?: number;
  /** One request gives up after this long and counts as a network failure. @default 10000 */
  requestTimeoutMs?: number;
  /** @default https://events.pagerduty.com */
  baseUrl?: string;
  logger?: PagerDutyLogger;
}

/** PagerDuty did not accept an event. The message never contains the routing key. */
export class PagerDutyError extends StreamfixError {
  override readonly name = 'PagerDutyError';
  override readonly retryable: boolean;
  constructor(
    message: string,
    /** Requests sent (0 when the routing key could not be read, or the event was refused before sending). */
    readonly attempts: number,
    /** The last HTTP status, absent after a network failure. */
    readonly status?: number,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.retryable = options?.retryable ?? (status === undefined || status === 429 || status >= 500);
  }
}

export const REDACTED = '[REDACTED]';

/** Replaces every occurrence of `secret` in `text`. */
export function redact(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join(REDACTED);
}

const BODY_EXCERPT_CHARS = 500;

export class PagerDutyClient {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly requestTimeoutMs: number;
  private readonly baseUrl: string;

  constructor(private readonly opts: PagerDutyClientOptions) {
    this.sleep = opts.sleep ?? ((ms) => systemClock.sleep(ms));
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 8000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.baseUrl = (opts.baseUrl ?? PAGERDUTY_EVENTS_URL).replace(/\/+$/, '');
  }

  /** Triggers, acknowledges or resolves an alert. */
  async enqueue(event: PagerDutyAlertEvent): Promise<PagerDutySendResult> {
    return this.send('/v2/enqueue', (routingKey) => ({
      routing_key: routingKey,
      event_action: event.event_action,
      dedup_key: event.dedup_key,
      ...(event.payload ? { payload: { ...event.payload, summary: clip(event.payload.summary, PAGERDUTY_SUMMARY_MAX_CHARS) } } : {}),
      ...(event.links ? { links: event.links } : {}),
    }));
  }

  /** Records a change ("streamfix restarted job X") on the service's timeline. */
  async change(event: PagerDutyChangeEvent): Promise<PagerDutySendResult> {
    return this.send(
      '/v2/change/enqueue',
      (routingKey) => ({
        routing_key: routingKey,
        payload: { ...event.payload, summary: clip(event.payload.summary, PAGERDUTY_SUMMARY_MAX_CHARS) },
        ...(event.links ? { links: event.links } : {}),
      }),
      (routingKey) =>
        isOrchestrationKey(routingKey)
          ? 'change events are not accepted with a ruleset or event orchestration routing key (one starting with "R"): the change notice went to SNS only; give a service integration key to see changes in PagerDuty'
          : undefined,
    );
  }

  private async send(
    path: string,
    build: (routingKey: string) => Record<string, unknown>,
    refuse?: (routingKey: string) => string | undefined,
  ): Promise<PagerDutySendResult> {
    let routingKey: string;
    try {
      routingKey = await this.opts.routingKey();
    } catch (err) {
      throw new PagerDutyError(`PagerDuty ${path}: routing key unavailable: ${messageOf(err)}`, 0, undefined, { cause: err });
    }
    const refused = refuse?.(routingKey);
    if (refused !== undefined) throw new PagerDutyError(`PagerDuty ${path} not sent: ${refused}`, 0, undefined, { retryable: false });
    const url = `${this.baseUrl}${path}`;
    const body = fitBody(build(routingKey));
    if (body === undefined) {
      throw new PagerDutyError(
        `PagerDuty ${path} not sent: the event is over PagerDuty's ${PAGERDUTY_MAX_BODY_BYTES} byte limit even without its details`,
        0,
        undefined,
        { retryable: false },
      );
    }
    const safe = (text: string) => redact(text, routingKey);

    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.opts.fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(this.requestTimeoutMs),
        });
      } catch (err) {
        const reason = safe(`network error: ${messageOf(err)}`);
        if (attempt >= this.maxAttempts) {
          // The cause is passed on unless it quotes the key: a redacted copy of its message is in `reason`.
          const cause = messageOf(err).includes(routingKey) ? undefined : err;
          throw new PagerDutyError(`PagerDuty ${path} failed after ${attempt} attempts: ${reason}`, attempt, undefined, { cause });
        }
        await this.wait(path, attempt, reason, this.backoffMs(attempt));
        continue;
      }

      // Redacted before anything is parsed or cut, so no part of an echoed key survives.
      const parsed = parseBody(safe(await readText(response)));
      if (response.ok) {
        const dedupKey = typeof parsed.json?.dedup_key === 'string' ? parsed.json.dedup_key : undefined;
        return { attempts: attempt, status: response.status, ...(dedupKey !== undefined ? { dedupKey } : {}) };
      }

      const reason = safe(`HTTP ${response.status}${describeBody(parsed)}`);
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable) {
        throw new PagerDutyError(`PagerDuty ${path} rejected the event: ${reason}`, attempt, response.status);
      }
      if (attempt >= this.maxAttempts) {
        throw new PagerDutyError(`PagerDuty ${path} failed after ${attempt} attempts: ${reason}`, attempt, response.status);
      }
      await this.wait(path, attempt, reason, this.retryAfterMs(response.headers.get('retry-after')) ?? this.backoffMs(attempt));
    }
  }

  private async wait(path: string, attempt: number, reason: string, delayMs: number): Promise<void> {
    this.opts.logger?.warn('PagerDuty request failed; retrying', { path, attempt, reason, delayMs });
    await this.sleep(delayMs);
  }

  /**
   * Exponential with "equal jitter": half of base·2^(n-1) (capped) is always waited, the other
   * half is random, so retries from many incidents spread out yet never fire back-to-back.
   */
  private backoffMs(failedAttempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failedAttempt - 1));
    return Math.floor(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** `Retry-After` as seconds or an HTTP date, capped; undefined when absent or unreadable. */
  private retryAfterMs(header: string | null): number | undefined {
    if (header === null || header.trim() === '') return undefined;
    const value = header.trim();
    let ms: number;
    if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
    else {
      const at = Date.parse(value);
      if (Number.isNaN(at)) return undefined;
      ms = at - this.now();
    }
    return Math.min(this.maxDelayMs, Math.max(0, Math.ceil(ms)));
  }
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * The event's JSON, within PagerDuty's 512 KB: as it is when it fits; else with
 * `payload.custom_details` replaced by a note and as much of its JSON as fits; else without
 * details and links; undefined when even that is too big.
 */
export function fitBody(event: Record<string, unknown>): string | undefined {
  const whole = JSON.stringify(event);
  if (bytes(whole) <= PAGERDUTY_MAX_BODY_BYTES) return whole;
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const details = JSON.stringify(payload.custom_details ?? null);
  const note = `custom_details were ${bytes(details)} bytes, over PagerDuty's ${PAGERDUTY_MAX_BODY_BYTES} byte event limit: cut here; the whole evidence is in the SNS message and the incident's ledger`;
  const bare: Record<string, unknown> = { ...event, payload: { ...payload, custom_details: { truncated: note } } };
  const room = PAGERDUTY_MAX_BODY_BYTES - bytes(JSON.stringify(bare)) - 64;
  if (room > 0) {
    let excerpt = clip(details, room);
    while (bytes(excerpt) > room) excerpt = clip(excerpt, Math.floor(excerpt.length * 0.9));
    const cut = JSON.stringify({ ...event, payload: { ...payload, custom_details: { truncated: note, excerpt } } });
    if (bytes(cut) <= PAGERDUTY_MAX_BODY_BYTES) return cut;
  }
  const { links: _links, ...noLinks } = bare;
  const minimal = JSON.stringify(noLinks);
  return bytes(minimal) <= PAGERDUTY_MAX_BODY_BYTES ? minimal : undefined;
}

/** Cuts `text` to at most `max` UTF-16 units, ending with `…`, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readText(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

interface ParsedBody {
  text: string;
  json?: { message?: unknown; errors?: unknown; dedup_key?: unknown };
}

function parseBody(text: string): ParsedBody {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? { text, json: json as ParsedBody['json'] & object } : { text };
  } catch {
    return { text };
  }
}

/** PagerDuty explains a refusal in `message` and `errors[]`; anything else is shown as an excerpt. */
function describeBody(body: ParsedBody): string {
  const parts: string[] = [];
  if (typeof body.json?.message === 'string') parts.push(body.json.message);
  if (Array.isArray(body.json?.errors)) parts.push(...body.json.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))));
  if (parts.length === 0 && body.text.trim() !== '') parts.push(body.text.trim());
  return parts.length === 0 ? '' : `: ${clip(parts.join('; '), BODY_EXCERPT_CHARS)}`;
}
