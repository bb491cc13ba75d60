import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createEscalator, createEscalatorFromOptions, parseRoutingKey, type EscalatorDeps } from '../../lambdas/escalation/index';
import type { ChangeNotice, EscalationPayload, ResolvePayload } from '../../lambdas/escalation/types';

const KEY = 'e93facc04764012d7bfb002500d5d1a6';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:streamfix-escalations';
const SECRET_ID = 'streamfix/pagerduty';

const payload: EscalationPayload = {
  incidentId: 'inc-0001',
  dedupKey: 'streamfix/orders/job-failed/inc-0001',
  pipeline: 'orders',
  playbook: 'job-failed',
  severity: 'error',
  decision: 'escalate',
  reason: 'JOB_FAILED_OOM',
  summary: 'Spark job failed 3 times with OutOfMemoryError',
  evidence: { failedRunsCount: 3, executorMemoryGb: 16 },
  actionsTaken: [],
  recommendation: { summary: 'Raise executor memory', command: 'aws emr-serverless start-job-run --application-id 00f1' },
  openedAt: '2025-01-01T00:00:00.000Z',
};
const resolved: ResolvePayload = {
  incidentId: 'inc-0001',
  dedupKey: payload.dedupKey,
  pipeline: 'orders',
  playbook: 'job-failed',
  summary: 'alarm back to OK',
};
const notice: ChangeNotice = {
  incidentId: 'inc-0001',
  pipeline: 'orders',
  playbook: 'job-failed',
  summary: 'restarted job run',
  details: { jobRunId: '00fabd' },
};

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

function scriptedFetch(replies: Reply[], fallback: Reply = { status: 202, body: { status: 'success' } }) {
  const calls: { url: string; body: Record<string, unknown> }[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
    const reply = replies.shift() ?? fallback;
    if (reply instanceof Error) throw reply;
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, ...(reply.headers ? { headers: reply.headers } : {}) });
  }) as typeof fetch;
  return { impl, calls };
}

function spyLogger() {
  const calls: { level: string; args: unknown[] }[] = [];
  const at =
    (level: string) =>
    (...args: unknown[]) => {
      calls.push({ level, args });
    };
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, calls };
}

function setup(opts: { replies?: Reply[]; secret?: string; pagerDuty?: boolean; sns?: EscalatorDeps['sns'] } = {}) {
  const fetch = scriptedFetch(opts.replies ?? []);
  const log = spyLogger();
  const sleeps: number[] = [];
  const publish = vi.fn<EscalatorDeps['sns']['publish']>(async () => 'message-1');
  const getSecretString = vi.fn(async () => opts.secret ?? KEY);
  const escalator = createEscalator({
    topicArn: TOPIC,
    ...(opts.pagerDuty === false ? {} : { pagerDutySecretId: SECRET_ID }),
    sns: opts.sns ?? { publish },
    secrets: { getSecretString },
    fetchImpl: fetch.impl,
    logger: log.logger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    source: 'streamfix-eu-west-1',
  });
  return { escalator, fetchCalls: fetch.calls, log: log.calls, sleeps, publish, getSecretString };
}

describe('Function: createEscalator', () => {
  describe('Method: trigger', () => {
    it("publishes to SNS and triggers PagerDuty under the payload's dedup key", async () => {
      // Prepare
      const { escalator, fetchCalls, publish } = setup();

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results).toEqual([
        { channel: 'sns', ok: true, attempts: 1 },
        { channel: 'pagerduty', ok: true, attempts: 1 },
      ]);
      expect(publish).toHaveBeenCalledTimes(1);
      const [topicArn, subject, message, attributes] = publish.mock.calls[0]!;
      expect(topicArn).toBe(TOPIC);
      expect(subject).toBe('[streamfix] ERROR orders/job-failed: Spark job failed 3 times with OutOfMemoryError');
      expect(message).toContain('  failedRunsCount: 3');
      expect(message).toContain('\naws emr-serverless start-job-run --application-id 00f1\n');
      expect(attributes).toEqual({ event: 'trigger', pipeline: 'orders', playbook: 'job-failed', severity: 'error', reason: 'JOB_FAILED_OOM' });
      expect(fetchCalls).toHaveLength(1);
      expect(fetchCalls[0]?.url).toBe('https://events.pagerduty.com/v2/enqueue');
      expect(fetchCalls[0]?.body).toMatchObject({
        routing_key: KEY,
        event_action: 'trigger',
        dedup_key: payload.dedupKey,
        payload: { source: 'streamfix-eu-west-1', severity: 'error', summary: '[streamfix] orders/job-failed: Spark job failed 3 times with OutOfMemoryError' },
      });
    });

    it('retries PagerDuty after a 429 and reports two attempts', async () => {
      // Prepare
      const { escalator, sleeps } = setup({ replies: [{ status: 429 }] });

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results[1]).toEqual({ channel: 'pagerduty', ok: true, attempts: 2 });
      expect(sleeps).toEqual([250]);
    });

    it('reports PagerDuty as failed after 4 attempts of 5xx, and still delivers to SNS', async () => {
      // Prepare
      const { escalator, fetchCalls, publish, log } = setup({ replies: [{ status: 500 }, { status: 502 }, { status: 503 }, { status: 504 }] });

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results[0]).toEqual({ channel: 'sns', ok: true, attempts: 1 });
      expect(results[1]).toMatchObject({ channel: 'pagerduty', ok: false, attempts: 4 });
      expect(results[1]?.error).toContain('HTTP 504');
      expect(fetchCalls).toHaveLength(4);
      expect(publish).toHaveBeenCalledTimes(1);
      expect(log.some((c) => c.level === 'error' && JSON.stringify(c.args).includes('"channel":"pagerduty"'))).toBe(true);
    });

    it('still triggers PagerDuty when SNS fails', async () => {
      // Prepare
      const { escalator, fetchCalls } = setup({
        sns: {
          publish: async () => {
            throw new ThrottledException({ message: 'Rate exceeded', $metadata: {} });
          },
        },
      });

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results[0]).toEqual({ channel: 'sns', ok: false, attempts: 1, error: 'ThrottledException: Rate exceeded' });
      expect(results[1]).toEqual({ channel: 'pagerduty', ok: true, attempts: 1 });
      expect(fetchCalls).toHaveLength(1);
    });

    it('never rejects, even when both channels fail', async () => {
      // Prepare
      const { escalator } = setup({
        replies: [{ status: 400, body: { message: 'Event object is invalid' } }],
        sns: {
          publish: async () => {
            throw new Error('socket hang up');
          },
        },
      });

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results.map((r) => [r.channel, r.ok, r.attempts])).toEqual([
        ['sns', false, 1],
        ['pagerduty', false, 1],
      ]);
      expect(results[1]?.error).toContain('Event object is invalid');
    });

    it('uses SNS alone when PagerDuty is not configured', async () => {
      // Prepare
      const { escalator, fetchCalls, getSecretString } = setup({ pagerDuty: false });

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results).toEqual([{ channel: 'sns', ok: true, attempts: 1 }]);
      expect(fetchCalls).toHaveLength(0);
      expect(getSecretString).not.toHaveBeenCalled();
    });

    it.each([
      ['a plain string', KEY],
      ['a plain string with surrounding whitespace', `  ${KEY}\n`],
      ['JSON with routingKey', JSON.stringify({ routingKey: KEY })],
      ['JSON with routing_key', JSON.stringify({ routing_key: KEY, note: 'service orders' })],
    ])('reads a routing key stored as %s', async (_, secret) => {
      // Prepare
      const { escalator, fetchCalls } = setup({ secret });

      // Act
      await escalator.trigger(payload);

      // Assess
      expect(fetchCalls[0]?.body.routing_key).toBe(KEY);
    });

    it('reports an unreadable secret without quoting it, and still delivers to SNS', async () => {
      // Prepare
      const { escalator, fetchCalls, log } = setup({ secret: `{"routingKey": ${KEY}` });

      // Act
      const results = await escalator.trigger(payload);

      // Assess
      expect(results[0]).toEqual({ channel: 'sns', ok: true, attempts: 1 });
      expect(results[1]).toMatchObject({ channel: 'pagerduty', ok: false, attempts: 0 });
      expect(results[1]?.error).toContain('not valid JSON');
      expect(fetchCalls).toHaveLength(0);
      expect(JSON.stringify({ results, log })).not.toContain(KEY.slice(0, 8));
    });

    it('reads the secret once for many escalations, even concurrent ones', async () => {
      // Prepare
      const { escalator, getSecretString, fetchCalls } = setup();

      // Act
      await Promise.all([escalator.trigger(payload), escalator.trigger(payload)]);
      await escalator.trigger(payload);
      await escalator.resolve(resolved);

      // Assess
      expect(getSecretString).toHaveBeenCalledTimes(1);
      expect(getSecretString).toHaveBeenCalledWith(SECRET_ID);
      expect(fetchCalls).toHaveLength(4);
    });

    it('reads the secret again after a failed read instead of keeping the failure', async () => {
      // Prepare
      const { escalator, getSecretString } = setup();
      getSecretString.mockRejectedValueOnce(new Error('AccessDeniedException'));

      // Act
      const first = await escalator.trigger(payload);
      const second = await escalator.trigger(payload);

      // Assess
      expect(first[1]).toMatchObject({ channel: 'pagerduty', ok: false, attempts: 0 });
      expect(first[1]?.error).toContain('AccessDeniedException');
      expect(second[1]).toEqual({ channel: 'pagerduty', ok: true, attempts: 1 });
      expect(getSecretString).toHaveBeenCalledTimes(2);
    });
  });

  describe('Method: resolve', () => {
    it('resolves the PagerDuty alert under the dedup key the trigger used, and tells SNS', async () => {
      // Prepare
      const { escalator, fetchCalls, publish } = setup();

      // Act
      await escalator.trigger(payload);
      const results = await escalator.resolve(resolved);

      // Assess
      expect(results).toEqual([
        { channel: 'sns', ok: true, attempts: 1 },
        { channel: 'pagerduty', ok: true, attempts: 1 },
      ]);
      expect(fetchCalls[1]?.url).toBe('https://events.pagerduty.com/v2/enqueue');
      expect(fetchCalls[1]?.body).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: payload.dedupKey });
      expect(fetchCalls[1]?.body.dedup_key).toBe(fetchCalls[0]?.body.dedup_key);
      expect(publish.mock.calls[1]?.[1]).toBe('[streamfix] RESOLVED orders/job-failed: alarm back to OK');
      expect(publish.mock.calls[1]?.[3]).toEqual({ event: 'resolve', pipeline: 'orders', playbook: 'job-failed' });
    });
  });

  describe('Method: change', () => {
    it('sends a PagerDuty change event and an SNS notice', async () => {
      // Prepare
      const { escalator, fetchCalls, publish } = setup();

      // Act
      const results = await escalator.change(notice);

      // Assess
      expect(results.every((r) => r.ok)).toBe(true);
      expect(fetchCalls[0]?.url).toBe('https://events.pagerduty.com/v2/change/enqueue');
      expect(fetchCalls[0]?.body).toEqual({
        routing_key: KEY,
        payload: {
          summary: '[streamfix] orders/job-failed: restarted job run',
          source: 'streamfix-eu-west-1',
          custom_details: { incident_id: 'inc-0001', pipeline: 'orders', playbook: 'job-failed', details: { jobRunId: '00fabd' } },
        },
      });
      expect(publish.mock.calls[0]?.[2]).toContain('  jobRunId: 00fabd');
    });

    it('still notifies SNS when PagerDuty is unreachable', async () => {
      // Prepare
      const { escalator, publish } = setup({ replies: Array.from({ length: 4 }, () => new TypeError('fetch failed')) });

      // Act
      const results = await escalator.change(notice);

      // Assess
      expect(results[0]).toEqual({ channel: 'sns', ok: true, attempts: 1 });
      expect(results[1]).toMatchObject({ channel: 'pagerduty', ok: false, attempts: 4 });
      expect(publish).toHaveBeenCalledTimes(1);
    });
  });
});

describe('Function: parseRoutingKey', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['{}', 'holds no "routingKey"'],
    ['{"routingKey": 42}', 'holds no "routingKey"'],
    ['{"routing_key": ""}', 'holds no "routingKey"'],
    ['{"routingKey": "abc"', 'not valid JSON'],
  ])('rejects %j', (secret, message) => {
    expect(() => parseRoutingKey(secret)).toThrow(message);
  });
});

describe('Function: createEscalatorFromOptions', () => {
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);

  beforeEach(() => {
    sns.reset();
    secrets.reset();
  });

  it('reads the secret through Secrets Manager once over three triggers', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ routingKey: KEY }) });
    const fetch = scriptedFetch([]);
    const escalator = createEscalatorFromOptions(
      { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
      { topicArn: TOPIC, pagerDutySecretId: SECRET_ID },
      fetch.impl,
    );

    // Act
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await escalator.trigger(payload));

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ID });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(3);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toMatchObject({ TopicArn: TOPIC });
    expect(fetch.calls).toHaveLength(3);
    expect(fetch.calls.every((c) => c.body.routing_key === KEY && c.body.payload !== undefined)).toBe(true);
    expect(results.flat().every((r) => r.ok)).toBe(true);
  });

  it('maps a failing SNS call to a failed delivery and still pages', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const fetch = scriptedFetch([]);
    const escalator = createEscalatorFromOptions({ region: 'eu-west-1' }, { topicArn: TOPIC, pagerDutySecretId: SECRET_ID, source: 'prod' }, fetch.impl);

    // Act
    const results = await escalator.trigger(payload);

    // Assess
    expect(results[0]).toMatchObject({ channel: 'sns', ok: false, attempts: 1 });
    expect(results[0]?.error).toContain('TransientAwsError: sns.Publish failed transiently: Rate exceeded');
    expect(results[1]).toEqual({ channel: 'pagerduty', ok: true, attempts: 1 });
    expect((fetch.calls[0]!.body.payload as { source: string }).source).toBe('prod');
  });

  it('leaves PagerDuty out without a secret id', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const fetch = scriptedFetch([]);
    const escalator = createEscalatorFromOptions({ region: 'eu-west-1' }, { topicArn: TOPIC }, fetch.impl);

    // Act
    const results = await escalator.resolve(resolved);

    // Assess
    expect(results).toEqual([{ channel: 'sns', ok: true, attempts: 1 }]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(fetch.calls).toHaveLength(0);
  });
});
