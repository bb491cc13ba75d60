import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEscalator } from '../../lambdas/escalation/index';
import { PagerDutyClient } from '../../lambdas/escalation/pagerduty';
import type { EscalationPayload } from '../../lambdas/escalation/types';

/**
 * The routing key must never leave through a log line, a DeliveryResult or an error message,
 * whatever PagerDuty (or anything below) says. Keys are drawn like real integration keys:
 * 20–40 letters and digits, so a key cannot be a fragment of ordinary text by chance.
 */
const routingKeys = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
  minLength: 20,
  maxLength: 40,
});

type Storage = 'plain' | 'routingKey' | 'routing_key';
const storages = fc.constantFrom<Storage>('plain', 'routingKey', 'routing_key');

/** How PagerDuty (or the network) answers; `echo` variants quote the key back. */
type Behaviour = 'accept' | 'accept-echo' | '400-echo' | '429-then-400-echo' | '5xx-echo' | 'network-echo' | 'text-echo';
const behaviours = fc.constantFrom<Behaviour>('accept', 'accept-echo', '400-echo', '429-then-400-echo', '5xx-echo', 'network-echo', 'text-echo');

const payload: EscalationPayload = {
  incidentId: 'inc-0001',
  dedupKey: 'streamfix/orders/job-failed/inc-0001',
  pipeline: 'orders',
  playbook: 'job-failed',
  severity: 'critical',
  decision: 'escalate',
  reason: 'VERIFY_FAILED',
  summary: 'restart did not bring freshness back',
  evidence: { freshnessSeconds: 1800 },
  actionsTaken: [{ type: 'emr-serverless:StartJobRun', description: 'restart', status: 'succeeded' }],
  recommendation: { summary: 'inspect the checkpoint', command: 'streamfix checkpoint inspect --pipeline orders' },
  openedAt: '2025-01-01T00:00:00.000Z',
};

function secretFor(key: string, storage: Storage): string {
  if (storage === 'plain') return key;
  return JSON.stringify({ [storage]: key });
}

function fetchBehaving(behaviour: Behaviour, key: string): typeof fetch {
  let calls = 0;
  return (async () => {
    calls += 1;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers });
    switch (behaviour) {
      case 'accept':
        return json(202, { status: 'success', message: 'Event processed', dedup_key: 'dk' });
      case 'accept-echo':
        return json(202, { status: 'success', message: `Event processed for ${key}`, dedup_key: key });
      case '400-echo':
        return json(400, { status: 'invalid event', message: `Invalid routing key ${key}`, errors: [`routing_key ${key} is not a valid key`] });
      case '429-then-400-echo':
        return calls === 1
          ? json(429, { status: 'throttle event', message: `slow down ${key}` }, { 'retry-after': '1' })
          : json(400, { message: `bad ${key}` });
      case '5xx-echo':
        return json(503, { message: `unavailable for ${key}` });
      case 'network-echo':
        throw new TypeError(`connect ECONNRESET while sending routing_key=${key}`);
      case 'text-echo':
        return new Response(`<html>gateway error ${key}${key}</html>`, { status: 400 });
    }
  }) as typeof fetch;
}

function spyLogger() {
  const lines: unknown[] = [];
  const record =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push({ level, args });
    };
  return { logger: { info: record('info'), warn: record('warn'), error: record('error') }, lines };
}

describe('Routing key secrecy', () => {
  it('never puts the key in a log line or a DeliveryResult, whatever PagerDuty answers', async () => {
    await fc.assert(
      fc.asyncProperty(routingKeys, storages, behaviours, fc.boolean(), async (key, storage, behaviour, snsFails) => {
        // Prepare
        const { logger, lines } = spyLogger();
        const escalator = createEscalator({
          topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
          pagerDutySecretId: 'streamfix/pagerduty',
          sns: {
            publish: async () => {
              if (snsFails) throw new Error(`publish failed near ${key}`);
              return 'message-1';
            },
          },
          secrets: { getSecretString: async () => secretFor(key, storage) },
          fetchImpl: fetchBehaving(behaviour, key),
          logger,
          sleep: async () => {},
          random: () => 0.5,
          source: 'streamfix',
        });

        // Act
        const results = [
          ...(await escalator.trigger(payload)),
          ...(await escalator.resolve({ ...payload, summary: 'OK' })),
          ...(await escalator.change({ ...payload, details: { note: 'restarted' } })),
        ];

        // Assess
        expect(results).toHaveLength(6);
        expect(JSON.stringify(results)).not.toContain(key);
        expect(lines.length).toBeGreaterThanOrEqual(6);
        expect(JSON.stringify(lines)).not.toContain(key);
      }),
      { numRuns: 60 },
    );
  });

  it('scrubs an SNS failure that happens before the key has been read', async () => {
    // Prepare: publish throws synchronously, before the PagerDuty channel has even started
    const key = 'Zq8VYw1oWmR3bTn5Kd2LpXc7Hs4Ef9Ga';
    const { logger, lines } = spyLogger();
    const escalator = createEscalator({
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix',
      pagerDutySecretId: 'streamfix/pagerduty',
      sns: {
        publish: () => {
          throw new Error(`invalid parameter near ${key}`);
        },
      },
      secrets: { getSecretString: async () => key },
      fetchImpl: fetchBehaving('accept', key),
      logger,
      source: 'streamfix',
    });

    // Act
    const results = await escalator.trigger(payload);

    // Assess
    expect(results[0]).toEqual({ channel: 'sns', ok: false, attempts: 1, error: 'invalid parameter near [REDACTED]' });
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it('never puts the key in a thrown error message', async () => {
    const failing = fc.constantFrom<Behaviour>('400-echo', '429-then-400-echo', '5xx-echo', 'network-echo', 'text-echo');
    await fc.assert(
      fc.asyncProperty(routingKeys, failing, async (key, behaviour) => {
        // Prepare
        const warnings: unknown[] = [];
        const client = new PagerDutyClient({
          routingKey: async () => key,
          fetchImpl: fetchBehaving(behaviour, key),
          sleep: async () => {},
          logger: { warn: (...args: unknown[]) => warnings.push(args) },
        });

        // Act
        const outcome = await client.enqueue({ event_action: 'resolve', dedup_key: 'dk' }).then(
          () => undefined,
          (err: unknown) => err as Error,
        );

        // Assess
        expect(outcome).toBeInstanceOf(Error);
        expect(outcome!.message).not.toContain(key);
        expect(String(outcome)).not.toContain(key);
        expect(String((outcome!.cause as Error | undefined)?.message ?? '')).not.toContain(key);
        expect(JSON.stringify(warnings)).not.toContain(key);
      }),
      { numRuns: 60 },
    );
  });

  it('never puts the key in a returned result, even when PagerDuty files the alert under it', async () => {
    await fc.assert(
      fc.asyncProperty(routingKeys, async (key) => {
        // Prepare
        const client = new PagerDutyClient({ routingKey: async () => key, fetchImpl: fetchBehaving('accept-echo', key) });

        // Act
        const result = await client.enqueue({ event_action: 'resolve', dedup_key: 'dk' });

        // Assess
        expect(JSON.stringify(result)).not.toContain(key);
      }),
      { numRuns: 30 },
    );
  });
});
