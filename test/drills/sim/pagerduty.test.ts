import { describe, expect, it } from 'vitest';
import { PAGERDUTY_CHANGE, PAGERDUTY_ENQUEUE } from '../../../drills/sim/pagerduty';
import { newWorld } from '../helpers';

const KEY = 'R0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
/** A service integration key: change events are accepted with these only. */
const SERVICE_KEY = 'b0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';

function setup() {
  const world = newWorld();
  world.pagerDuty.addRoutingKey(KEY);
  world.pagerDuty.addRoutingKey(SERVICE_KEY);
  const post = async (url: string, body: unknown) => {
    const res = await world.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  };
  return { world, post };
}

const trigger = (over: Record<string, unknown> = {}) => ({
  routing_key: KEY,
  event_action: 'trigger',
  dedup_key: 'streamfix/orders/job-failed/inc-1',
  payload: { summary: 'orders job failed', source: 'streamfix/job-failed', severity: 'error' },
  ...over,
});

describe('Class: SimPagerDuty', () => {
  it('accepts a valid trigger with 202 and the dedup key, and resolves the incident by that key', async () => {
    // Prepare
    const { world, post } = setup();
    // Act
    const t = await post(PAGERDUTY_ENQUEUE, trigger());
    const again = await post(PAGERDUTY_ENQUEUE, trigger());
    const r = await post(PAGERDUTY_ENQUEUE, { routing_key: KEY, event_action: 'resolve', dedup_key: 'streamfix/orders/job-failed/inc-1' });
    // Assess
    expect(t).toEqual({ status: 202, body: { status: 'success', message: 'Event processed', dedup_key: 'streamfix/orders/job-failed/inc-1' } });
    expect(again.status).toBe(202);
    expect(r.status).toBe(202);
    expect([...world.pagerDuty.incidents.values()]).toMatchObject([{ status: 'resolved', severity: 'error', triggers: 2 }]);
  });

  it.each([
    ['a missing routing key', trigger({ routing_key: undefined }), "'routing_key' is missing"],
    ['an unknown routing key', trigger({ routing_key: 'x'.repeat(32) }), 'Invalid routing key'],
    ['an unknown event_action', trigger({ event_action: 'page' }), "'event_action'"],
    ['a severity outside the enum', trigger({ payload: { summary: 's', source: 'x', severity: 'high' } }), "'payload.severity'"],
    ['a trigger without summary', trigger({ payload: { source: 'x', severity: 'info' } }), "'payload.summary'"],
    ['a resolve without dedup_key', { routing_key: KEY, event_action: 'resolve' }, "'dedup_key' is required for resolve"],
    ['a dedup_key over 255 characters', trigger({ dedup_key: 'k'.repeat(256) }), "'dedup_key'"],
  ])('answers 400 "invalid event" for %s', async (_what, body, error) => {
    const { world, post } = setup();
    const res = await post(PAGERDUTY_ENQUEUE, body);
    expect(res.status).toBe(400);
    expect(res.body?.status).toBe('invalid event');
    expect((res.body!.errors as string[]).join(' ')).toContain(error);
    expect(world.pagerDuty.incidents.size).toBe(0);
  });

  it('answers 429 the given number of times, then accepts', async () => {
    const { post, world } = setup();
    world.pagerDuty.failNext(429, 2);
    const statuses = [];
    for (let k = 0; k < 3; k++) statuses.push((await post(PAGERDUTY_ENQUEUE, trigger())).status);
    expect(statuses).toEqual([429, 429, 202]);
  });

  it('accepts change events on a service integration key and never records the routing key', async () => {
    const { post, world } = setup();
    const res = await post(PAGERDUTY_CHANGE, { routing_key: SERVICE_KEY, payload: { summary: 'restarted orders-stream' } });
    expect(res.status).toBe(202);
    expect(world.pagerDuty.events).toMatchObject([{ kind: 'change', summary: 'restarted orders-stream' }]);
    expect(JSON.stringify(world.record.calls)).not.toContain(SERVICE_KEY);
    expect(JSON.stringify(world.pagerDuty.events)).not.toContain(SERVICE_KEY);
  });

  it('refuses change events on a ruleset or orchestration key (R…), and any event over 512 KB', async () => {
    const { post, world } = setup();
    const change = await post(PAGERDUTY_CHANGE, { routing_key: KEY, payload: { summary: 'restarted orders-stream' } });
    expect(change.status).toBe(400);
    expect(JSON.stringify(change.body)).toContain('routing keys');
    const big = await post(
      PAGERDUTY_ENQUEUE,
      trigger({ payload: { summary: 's', source: 'x', severity: 'error', custom_details: { blob: 'z'.repeat(600 * 1024) } } }),
    );
    expect(big.status).toBe(400);
    expect(world.pagerDuty.incidents.size).toBe(0);
  });

  it('answers 404 for another URL', async () => {
    const { post } = setup();
    expect((await post('https://events.pagerduty.com/v1/enqueue', trigger())).status).toBe(404);
  });
});
