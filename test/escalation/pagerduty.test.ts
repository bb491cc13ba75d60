import { describe, expect, it } from 'vitest';
import { pagerDutyChange, pagerDutyResolve, pagerDutyTrigger } from '../../lambdas/escalation/format';
import {
  PAGERDUTY_MAX_BODY_BYTES,
  PagerDutyClient,
  PagerDutyError,
  REDACTED,
  clip,
  fitBody,
  type PagerDutyClientOptions,
} from '../../lambdas/escalation/pagerduty';
import type { ChangeNotice, EscalationPayload } from '../../lambdas/escalation/types';

const KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY42';
/** A service integration key (not a ruleset or orchestration key): change events go to these only. */
const SERVICE_KEY = 'a0ut1ngkeyr0ut1ngkeyr0ut1ngkey42';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script and records every request (URL, init, parsed body). */
function scriptedFetch(replies: Reply[]) {
  const calls: { url: string; init: RequestInit; body: Record<string, unknown> }[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {}, body: JSON.parse(String(init?.body)) as Record<string, unknown> });
    const reply = replies.shift();
    if (reply === undefined) throw new Error('no scripted reply left');
    if (reply instanceof Error) throw reply;
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, ...(reply.headers ? { headers: reply.headers } : {}) });
  }) as typeof fetch;
  return { impl, calls };
}

const accepted = (dedupKey = 'dk'): Reply => ({ status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } });

function setup(replies: Reply[], overrides: Partial<PagerDutyClientOptions> = {}) {
  const fetch = scriptedFetch(replies);
  const sleeps: number[] = [];
  const warnings: unknown[][] = [];
  let keyReads = 0;
  const client = new PagerDutyClient({
    routingKey: async () => {
      keyReads += 1;
      return KEY;
    },
    fetchImpl: fetch.impl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    logger: { warn: (...args: unknown[]) => warnings.push(args) },
    ...overrides,
  });
  return { client, calls: fetch.calls, sleeps, warnings, keyReads: () => keyReads };
}

const payload: EscalationPayload = {
  incidentId: 'inc-0001',
  dedupKey: 'streamfix/orders/job-failed/inc-0001',
  pipeline: 'orders',
  playbook: 'job-failed',
  severity: 'error',
  decision: 'escalate',
  reason: 'JOB_FAILED_OOM',
  summary: 'Spark job failed 3 times in 30 minutes with OutOfMemoryError',
  evidence: { failedRunsCount: 3, windowMinutes: 30, executorMemoryGb: 16, lastRunId: '00fabc' },
  actionsTaken: [{ type: 'emr-serverless:StartJobRun', description: 'Restart the orders job', status: 'failed' }],
  recommendation: {
    summary: 'Raise executor memory to 32 GB and restart',
    command: 'aws emr-serverless start-job-run --application-id 00f1 --name orders',
  },
  openedAt: '2025-01-01T00:00:00.000Z',
};

async function rejection(p: Promise<unknown>): Promise<PagerDutyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PagerDutyError);
    return err as PagerDutyError;
  }
  throw new Error('expected a rejection');
}

describe('Class: PagerDutyClient', () => {
  describe('Method: enqueue', () => {
    it('posts a trigger with the routing key, the dedup key and the whole payload', async () => {
      // Prepare
      const { client, calls } = setup([accepted(payload.dedupKey)]);

      // Act
      const result = await client.enqueue(pagerDutyTrigger(payload, 'streamfix-eu-west-1'));

      // Assess
      expect(result).toEqual({ attempts: 1, status: 202, dedupKey: payload.dedupKey });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.url).toBe('https://events.pagerduty.com/v2/enqueue');
      expect(calls[0]?.init.method).toBe('POST');
      expect(calls[0]?.init.headers).toMatchObject({ 'content-type': 'application/json' });
      expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
      expect(calls[0]?.body).toEqual({
        routing_key: KEY,
        event_action: 'trigger',
        dedup_key: 'streamfix/orders/job-failed/inc-0001',
        payload: {
          summary: '[streamfix] orders/job-failed: Spark job failed 3 times in 30 minutes with OutOfMemoryError',
          source: 'streamfix-eu-west-1',
          severity: 'error',
          component: 'job-failed',
          group: 'orders',
          class: 'JOB_FAILED_OOM',
          custom_details: {
            incident_id: 'inc-0001',
            pipeline: 'orders',
            playbook: 'job-failed',
            decision: 'escalate',
            reason: 'JOB_FAILED_OOM',
            summary: 'Spark job failed 3 times in 30 minutes with OutOfMemoryError',
            evidence: { failedRunsCount: 3, windowMinutes: 30, executorMemoryGb: 16, lastRunId: '00fabc' },
            actions_taken: [{ type: 'emr-serverless:StartJobRun', description: 'Restart the orders job', status: 'failed' }],
            recommendation: {
              summary: 'Raise executor memory to 32 GB and restart',
              command: 'aws emr-serverless start-job-run --application-id 00f1 --name orders',
            },
            opened_at: '2025-01-01T00:00:00.000Z',
          },
        },
      });
    });

    it('resolves with exactly the routing key, the action and the dedup key the trigger used', async () => {
      // Prepare
      const { client, calls } = setup([accepted(), accepted()]);

      // Act
      await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));
      await client.enqueue(pagerDutyResolve({ ...payload, summary: 'alarm back to OK' }));

      // Assess
      expect(calls[1]?.url).toBe('https://events.pagerduty.com/v2/enqueue');
      expect(calls[1]?.body).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: payload.dedupKey });
      expect(calls[1]?.body.dedup_key).toBe(calls[0]?.body.dedup_key);
    });

    it('cuts a summary longer than 1024 characters', async () => {
      // Prepare
      const { client, calls } = setup([accepted()]);
      const event = pagerDutyTrigger({ ...payload, summary: 'x'.repeat(5000) }, 'streamfix');
      event.payload = { ...event.payload!, summary: 'y'.repeat(5000) };

      // Act
      await client.enqueue(event);

      // Assess
      const summary = (calls[0]!.body.payload as { summary: string }).summary;
      expect(summary).toHaveLength(1024);
      expect(summary.endsWith('…')).toBe(true);
    });

    it('retries a 429 and succeeds on the second attempt', async () => {
      // Prepare
      const { client, calls, sleeps } = setup([{ status: 429, body: { status: 'throttle event' } }, accepted()]);

      // Act
      const result = await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));

      // Assess
      expect(result.attempts).toBe(2);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.body).toEqual(calls[0]?.body);
      expect(sleeps).toEqual([375]);
    });

    it('gives up after 4 attempts of 5xx, waiting between attempts but not after the last', async () => {
      // Prepare
      const { client, calls, sleeps } = setup([502, 503, 500, 503].map((status) => ({ status, body: 'upstream error' })));

      // Act
      const err = await rejection(client.enqueue(pagerDutyTrigger(payload, 'streamfix')));

      // Assess
      expect(err.attempts).toBe(4);
      expect(err.status).toBe(503);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('after 4 attempts');
      expect(err.message).toContain('HTTP 503: upstream error');
      expect(calls).toHaveLength(4);
      expect(sleeps).toHaveLength(3);
    });

    it("does not retry a 400 and puts PagerDuty's message and errors in the error", async () => {
      // Prepare
      const { client, calls, sleeps } = setup([
        { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.severity' is invalid"] } },
        accepted(),
      ]);

      // Act
      const err = await rejection(client.enqueue(pagerDutyTrigger(payload, 'streamfix')));

      // Assess
      expect(err.attempts).toBe(1);
      expect(err.status).toBe(400);
      expect(err.retryable).toBe(false);
      expect(err.message).toContain("HTTP 400: Event object is invalid; 'payload.severity' is invalid");
      expect(calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it.each([401, 403, 404, 413])('does not retry HTTP %i', async (status) => {
      // Prepare
      const { client, calls } = setup([{ status, body: { message: 'refused' } }, accepted()]);

      // Act
      const err = await rejection(client.enqueue(pagerDutyResolve(payload)));

      // Assess
      expect(err.attempts).toBe(1);
      expect(calls).toHaveLength(1);
    });

    it('waits as long as Retry-After says, capped at the maximum delay', async () => {
      // Prepare
      const { client, sleeps } = setup([{ status: 429, headers: { 'retry-after': '3' } }, { status: 503, headers: { 'retry-after': '120' } }, accepted()]);

      // Act
      const result = await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));

      // Assess
      expect(result.attempts).toBe(3);
      expect(sleeps).toEqual([3000, 8000]);
    });

    it('reads a Retry-After date against the injected clock', async () => {
      // Prepare
      const { client, sleeps } = setup([{ status: 429, headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:02 GMT' } }, accepted()], {
        now: () => Date.parse('2025-01-01T00:00:00.000Z'),
      });

      // Act
      await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));

      // Assess
      expect(sleeps).toEqual([2000]);
    });

    it('falls back to backoff when Retry-After cannot be read', async () => {
      // Prepare
      const { client, sleeps } = setup([{ status: 429, headers: { 'retry-after': 'soon' } }, accepted()]);

      // Act
      await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));

      // Assess
      expect(sleeps).toEqual([375]);
    });

    it.each([
      { random: 0, expected: [250, 500, 1000, 2000, 4000, 4000] },
      { random: 0.5, expected: [375, 750, 1500, 3000, 6000, 6000] },
      { random: 0.75, expected: [437, 875, 1750, 3500, 7000, 7000] },
    ])('backs off exponentially with jitter, capped at 8 s (random=$random)', async ({ random, expected }) => {
      // Prepare
      const { client, sleeps } = setup(
        Array.from({ length: 7 }, () => ({ status: 500 })),
        { random: () => random, maxAttempts: 7 },
      );

      // Act
      const err = await rejection(client.enqueue(pagerDutyResolve(payload)));

      // Assess
      expect(err.attempts).toBe(7);
      expect(sleeps).toEqual(expected);
    });

    it('retries a network error', async () => {
      // Prepare
      const { client, calls, warnings } = setup([new TypeError('fetch failed'), accepted()]);

      // Act
      const result = await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));

      // Assess
      expect(result.attempts).toBe(2);
      expect(calls).toHaveLength(2);
      expect(JSON.stringify(warnings)).toContain('network error: fetch failed');
    });

    it('reports a network failure that outlasts the bound as retryable, without a status', async () => {
      // Prepare
      const { client, calls } = setup(Array.from({ length: 4 }, () => new TypeError('fetch failed')));

      // Act
      const err = await rejection(client.enqueue(pagerDutyTrigger(payload, 'streamfix')));

      // Assess
      expect(err.attempts).toBe(4);
      expect(err.status).toBeUndefined();
      expect(err.retryable).toBe(true);
      expect(err.cause).toBeInstanceOf(TypeError);
      expect(calls).toHaveLength(4);
    });

    it('honours a smaller attempt bound', async () => {
      // Prepare
      const { client, calls } = setup([{ status: 500 }, { status: 500 }, accepted()], { maxAttempts: 2 });

      // Act
      const err = await rejection(client.enqueue(pagerDutyResolve(payload)));

      // Assess
      expect(err.attempts).toBe(2);
      expect(calls).toHaveLength(2);
    });

    it('sends nothing when the routing key cannot be read', async () => {
      // Prepare
      const { client, calls } = setup([accepted()], {
        routingKey: async () => {
          throw new Error('AccessDeniedException');
        },
      });

      // Act
      const err = await rejection(client.enqueue(pagerDutyTrigger(payload, 'streamfix')));

      // Assess
      expect(err.attempts).toBe(0);
      expect(err.message).toContain('routing key unavailable: AccessDeniedException');
      expect(calls).toHaveLength(0);
    });

    it('reads the routing key once per event, not once per attempt', async () => {
      // Prepare
      const { client, keyReads } = setup([{ status: 500 }, { status: 500 }, accepted()]);

      // Act
      await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));

      // Assess
      expect(keyReads()).toBe(1);
    });

    it('redacts the routing key when PagerDuty echoes it back', async () => {
      // Prepare
      const { client, warnings } = setup([
        { status: 500, body: { message: `internal error for ${KEY}` } },
        { status: 400, body: { message: `Invalid routing key ${KEY}`, errors: [`routing_key ${KEY} is unknown`] } },
      ]);

      // Act
      const err = await rejection(client.enqueue(pagerDutyTrigger(payload, 'streamfix')));

      // Assess
      expect(err.message).not.toContain(KEY);
      expect(err.message).toContain(`Invalid routing key ${REDACTED}`);
      expect(JSON.stringify(warnings)).not.toContain(KEY);
      expect(JSON.stringify(warnings)).toContain(REDACTED);
    });

    it('redacts an echoed key before cutting a long body, so no part of it survives', async () => {
      // Prepare: the key straddles the 500-character excerpt limit
      const { client } = setup([{ status: 400, body: 'e'.repeat(480) + KEY + 'e'.repeat(100) }]);

      // Act
      const err = await rejection(client.enqueue(pagerDutyResolve(payload)));

      // Assess
      expect(err.message).not.toContain(KEY.slice(0, 16));
    });
  });

  describe('Method: change', () => {
    it('posts a change event to the change endpoint', async () => {
      // Prepare
      const notice: ChangeNotice = {
        incidentId: 'inc-0002',
        pipeline: 'orders',
        playbook: 'job-failed',
        summary: 'restarted job run 00fabd',
        details: { jobRunId: '00fabd', previousJobRunId: '00fabc' },
      };
      const { client, calls } = setup([{ status: 202, body: { status: 'success', message: 'Change event processed' } }], {
        routingKey: async () => SERVICE_KEY,
      });

      // Act
      const result = await client.change(pagerDutyChange(notice, 'streamfix-eu-west-1'));

      // Assess
      expect(result).toEqual({ attempts: 1, status: 202 });
      expect(calls[0]?.url).toBe('https://events.pagerduty.com/v2/change/enqueue');
      expect(calls[0]?.body).toEqual({
        routing_key: SERVICE_KEY,
        payload: {
          summary: '[streamfix] orders/job-failed: restarted job run 00fabd',
          source: 'streamfix-eu-west-1',
          custom_details: {
            incident_id: 'inc-0002',
            pipeline: 'orders',
            playbook: 'job-failed',
            details: { jobRunId: '00fabd', previousJobRunId: '00fabc' },
          },
        },
      });
    });

    it('retries a change event like an alert event', async () => {
      // Prepare
      const { client, calls } = setup([{ status: 429 }, { status: 202, body: {} }], { routingKey: async () => SERVICE_KEY });

      // Act
      const result = await client.change({ payload: { summary: 'scaled consumers', source: 'streamfix' } });

      // Assess
      expect(result.attempts).toBe(2);
      expect(calls.map((c) => c.url)).toEqual(['https://events.pagerduty.com/v2/change/enqueue', 'https://events.pagerduty.com/v2/change/enqueue']);
    });
  });
});

describe('PagerDuty limits', () => {
  it('does not send a change event with a ruleset or orchestration routing key (it starts with R): it says why, and is not retried', async () => {
    const { client, calls } = setup([]);
    const err = await client.change({ payload: { summary: 'restarted', source: 'streamfix' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerDutyError);
    expect((err as PagerDutyError).message).toContain('ruleset or event orchestration routing key');
    expect((err as PagerDutyError).retryable).toBe(false);
    expect((err as PagerDutyError).message).not.toContain(KEY);
    expect(calls).toHaveLength(0);
  });

  it('keeps every event within 512 KB: oversized details are cut with a note, an event that fits is sent whole', async () => {
    const { client, calls } = setup([accepted(), accepted()]);
    await client.enqueue({
      event_action: 'trigger',
      dedup_key: 'dk',
      payload: { summary: 's', source: 'streamfix', severity: 'error', custom_details: { blob: 'y'.repeat(700_000) } },
    });
    const sent = JSON.stringify(calls[0]!.body);
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(PAGERDUTY_MAX_BODY_BYTES);
    expect((calls[0]!.body.payload as { custom_details: { truncated: string } }).custom_details.truncated).toContain('over PagerDuty');
    await client.enqueue(pagerDutyTrigger(payload, 'streamfix'));
    expect((calls[1]!.body.payload as { custom_details: Record<string, unknown> }).custom_details).toHaveProperty('evidence');
    expect(fitBody({ payload: { summary: 's', custom_details: { a: 1 } } })).toBe(JSON.stringify({ payload: { summary: 's', custom_details: { a: 1 } } }));
  });
});

describe('Function: clip', () => {
  it('keeps text within the limit untouched', () => {
    expect(clip('abc', 3)).toBe('abc');
  });

  it('cuts to the limit with an ellipsis', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
  });

  it('never splits a surrogate pair', () => {
    // Prepare: 'a' then emoji, each two UTF-16 units; a cut at 3 units would split the second one
    const text = `a${'😀'.repeat(5)}`;

    // Act
    const out = clip(text, 5);

    // Assess
    expect(out).toBe('a😀…');
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
