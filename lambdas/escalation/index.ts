import type { AwsClientOptions } from '../adapters/clients';
import { SecretsAdapter } from '../adapters/secrets';
import { SnsAdapter } from '../adapters/sns';
import { StreamfixError } from '../core/errors';
import { pagerDutyChange, pagerDutyResolve, pagerDutyTrigger, snsChangeMessage, snsMessage, snsResolveMessage, type SnsText } from './format';
import { PagerDutyClient, PagerDutyError, redact, type PagerDutySendResult } from './pagerduty';
import type { ChangeNotice, DeliveryResult, EscalationPayload, Escalator, ResolvePayload } from './types';

export type { ChangeNotice, DeliveryResult, EscalationPayload, Escalator, ResolvePayload } from './types';

export interface EscalatorLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface EscalatorDeps {
  topicArn: string;
  /** Secret holding the PagerDuty routing key; absent = PagerDuty off. */
  pagerDutySecretId?: string;
  sns: { publish(topicArn: string, subject: string, message: string, attributes?: Record<string, string>): Promise<string> };
  secrets: { getSecretString(secretId: string): Promise<string> };
  fetchImpl: typeof fetch;
  logger?: EscalatorLogger;
  /** Waits between PagerDuty retries. @default the system clock's */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1): jitter of PagerDuty retries. @default Math.random */
  random?: () => number;
  /** PagerDuty's `source`: where the alert comes from. */
  source: string;
}

type EventKind = 'trigger' | 'resolve' | 'change';

const silentLogger: EscalatorLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Sends every escalation to SNS and, when configured, PagerDuty. The channels are independent:
 * both are attempted, each reports its own DeliveryResult, and no failure is thrown, so an
 * unreachable PagerDuty never hides the e-mail and the other way round.
 *
 * The routing key is read from Secrets Manager on first use and kept for the life of the
 * container. It is never logged; every message that leaves here is scrubbed of it as well, in
 * case an error somewhere below quoted it.
 */
export function createEscalator(deps: EscalatorDeps): Escalator {
  const logger = deps.logger ?? silentLogger;
  const routingKey = cachedRoutingKey(deps.secrets, deps.pagerDutySecretId);
  const pagerDuty =
    deps.pagerDutySecretId === undefined
      ? undefined
      : new PagerDutyClient({
          routingKey: routingKey.get,
          fetchImpl: deps.fetchImpl,
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
          ...(deps.random ? { random: deps.random } : {}),
          logger: { warn: (message, ...attributes) => logger.warn(message, ...attributes.map((a) => scrubAll(a, routingKey.known()))) },
        });
  /**
   * Scrubs text of the key. A channel can fail before the key is read (SNS runs alongside the
   * read), so this waits for the read to settle rather than trusting what is known so far.
   */
  const scrub = async (text: string) => scrubText(text, pagerDuty ? await routingKey.settled() : undefined);

  async function toSns(kind: EventKind, ids: Record<string, string>, build: () => SnsText, attributes: Record<string, string>): Promise<DeliveryResult> {
    try {
      const { subject, message } = build();
      const messageId = await deps.sns.publish(deps.topicArn, subject, message, { event: kind, ...attributes });
      logger.info('escalation delivered', { channel: 'sns', event: kind, ...ids, messageId });
      return { channel: 'sns', ok: true, attempts: 1 };
    } catch (err) {
      const error = await scrub(describe(err));
      logger.error('escalation delivery failed', { channel: 'sns', event: kind, ...ids, attempts: 1, error });
      return { channel: 'sns', ok: false, attempts: 1, error };
    }
  }

  async function toPagerDuty(
    kind: EventKind,
    ids: Record<string, string>,
    send: (pd: PagerDutyClient) => Promise<PagerDutySendResult>,
  ): Promise<DeliveryResult[]> {
    if (!pagerDuty) return [];
    try {
      const sent = await send(pagerDuty);
      logger.info('escalation delivered', { channel: 'pagerduty', event: kind, ...ids, attempts: sent.attempts, status: sent.status });
      return [{ channel: 'pagerduty', ok: true, attempts: sent.attempts }];
    } catch (err) {
      const attempts = err instanceof PagerDutyError ? err.attempts : 0;
      const error = await scrub(describe(err));
      logger.error('escalation delivery failed', { channel: 'pagerduty', event: kind, ...ids, attempts, error });
      return [{ channel: 'pagerduty', ok: false, attempts, error }];
    }
  }

  async function deliver(sns: Promise<DeliveryResult>, pd: Promise<DeliveryResult[]>): Promise<DeliveryResult[]> {
    const [s, p] = await Promise.all([sns, pd]);
    return [s, ...p];
  }

  return {
    trigger(p: EscalationPayload) {
      const ids = { incidentId: p.incidentId, dedupKey: p.dedupKey };
      return deliver(
        toSns('trigger', ids, () => snsMessage(p), {
          pipeline: p.pipeline,
          playbook: p.playbook,
          severity: p.severity,
          reason: p.reason,
        }),
        toPagerDuty('trigger', ids, (pd) => pd.enqueue(pagerDutyTrigger(p, deps.source))),
      );
    },
    resolve(r: ResolvePayload) {
      const ids = { incidentId: r.incidentId, dedupKey: r.dedupKey };
      return deliver(
        toSns('resolve', ids, () => snsResolveMessage(r), { pipeline: r.pipeline, playbook: r.playbook }),
        toPagerDuty('resolve', ids, (pd) => pd.enqueue(pagerDutyResolve(r))),
      );
    },
    change(n: ChangeNotice) {
      const ids = { incidentId: n.incidentId };
      return deliver(
        toSns('change', ids, () => snsChangeMessage(n), { pipeline: n.pipeline, playbook: n.playbook }),
        toPagerDuty('change', ids, (pd) => pd.change(pagerDutyChange(n, deps.source))),
      );
    },
  };
}

/**
 * The escalator of a Lambda (or a drill): SNS and Secrets Manager through the adapters. Each
 * client is built on its first use: most invocations escalate nothing, and Secrets Manager is
 * read only when PagerDuty is configured.
 */
export function createEscalatorFromOptions(
  opts: AwsClientOptions,
  env: { topicArn: string; pagerDutySecretId?: string; source?: string },
  fetchImpl: typeof fetch,
  logger?: EscalatorLogger,
  retry?: { sleep?: (ms: number) => Promise<void>; random?: () => number },
): Escalator {
  let sns: SnsAdapter | undefined;
  let secrets: SecretsAdapter | undefined;
  return createEscalator({
    topicArn: env.topicArn,
    ...(env.pagerDutySecretId !== undefined ? { pagerDutySecretId: env.pagerDutySecretId } : {}),
    sns: { publish: (...args) => (sns ??= SnsAdapter.fromOptions(opts)).publish(...args) },
    secrets: { getSecretString: (secretId) => (secrets ??= SecretsAdapter.fromOptions(opts)).getSecretString(secretId) },
    fetchImpl,
    ...(logger ? { logger } : {}),
    ...retry,
    source: env.source ?? 'streamfix',
  });
}

/**
 * Reads a routing key stored as a plain string or as JSON `{"routingKey": "..."}` /
 * `{"routing_key": "..."}`. Its errors never quote the secret: not even a JSON parser's
 * message, which would show its first characters.
 */
export function parseRoutingKey(secret: string): string {
  const text = secret.trim();
  if (!text.startsWith('{')) {
    if (text === '') throw new StreamfixError('the PagerDuty secret is empty');
    return text;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StreamfixError('the PagerDuty secret starts with "{" but is not valid JSON');
  }
  const record = json as { routingKey?: unknown; routing_key?: unknown };
  const key = typeof record.routingKey === 'string' ? record.routingKey : record.routing_key;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new StreamfixError('the PagerDuty secret holds no "routingKey" (or "routing_key") string');
  }
  return key.trim();
}

/**
 * One read of the secret per container. Concurrent first uses share the read; a failed read is
 * forgotten, so the next escalation tries again instead of failing for the container's life.
 */
function cachedRoutingKey(secrets: EscalatorDeps['secrets'], secretId: string | undefined) {
  let pending: Promise<string> | undefined;
  let key: string | undefined;
  const get = (): Promise<string> => {
    if (secretId === undefined) return Promise.reject(new StreamfixError('PagerDuty is not configured'));
    pending ??= secrets
      .getSecretString(secretId)
      .then(parseRoutingKey)
      .then(
        (k) => (key = k),
        (err: unknown) => {
          pending = undefined;
          throw err;
        },
      );
    return pending;
  };
  return {
    get,
    known: (): string | undefined => key,
    /** The key once its read has settled (starting it if need be); undefined when the read failed. */
    settled: async (): Promise<string | undefined> => key ?? get().catch(() => undefined),
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

function scrubText(text: string, key: string | undefined): string {
  return key === undefined ? text : redact(text, key);
}

function scrubAll(attributes: Record<string, unknown>, key: string | undefined): Record<string, unknown> {
  if (key === undefined) return attributes;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attributes)) out[k] = typeof v === 'string' ? redact(v, key) : v;
  return out;
}
