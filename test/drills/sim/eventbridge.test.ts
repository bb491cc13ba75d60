import { describe, expect, it } from 'vitest';
import { alarmRulePattern } from '../../../lambdas/wiring';
import { InvalidPatternError, matchesPattern } from '../../../drills/sim/pattern';
import { T0, newWorld } from '../helpers';

const jobEvent = (state: string) => ({
  source: 'aws.emr-serverless',
  'detail-type': 'EMR Serverless Job Run State Change',
  detail: { applicationId: 'app1', state, tags: ['a', 'b'], attempt: 3 },
});

const jobRule = {
  source: ['aws.emr-serverless'],
  'detail-type': ['EMR Serverless Job Run State Change'],
  detail: { applicationId: ['app1'], state: ['FAILED', 'CANCELLED'] },
};

describe('Function: matchesPattern', () => {
  it('matches exact values listed in arrays, in nested detail objects', () => {
    expect(matchesPattern(jobRule, jobEvent('FAILED'))).toBe(true);
    expect(matchesPattern(jobRule, jobEvent('RUNNING'))).toBe(false);
    expect(matchesPattern(jobRule, { ...jobEvent('FAILED'), detail: { applicationId: 'app2', state: 'FAILED' } })).toBe(false);
    expect(matchesPattern(jobRule, { source: 'aws.emr-serverless', 'detail-type': 'EMR Serverless Job Run State Change' })).toBe(false);
  });

  it('matches the alarm rule of a playbook by alarm name only', () => {
    const p = alarmRulePattern(['a1', 'a2']);
    const alarm = (name: string) => ({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', detail: { alarmName: name } });
    expect(matchesPattern(p, alarm('a2'))).toBe(true);
    expect(matchesPattern(p, alarm('a3'))).toBe(false);
    expect(matchesPattern(p, { ...alarm('a1'), 'detail-type': 'CloudWatch Alarm Configuration Change' })).toBe(false);
  });

  it('supports prefix, suffix, anything-but, exists, numeric, equals-ignore-case, $or and array event values', () => {
    const e = jobEvent('FAILED');
    expect(matchesPattern({ detail: { state: [{ prefix: 'FAI' }] } }, e)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ suffix: 'LED' }] } }, e)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': ['FAILED'] }] } }, e)).toBe(false);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': ['RUNNING'] }] } }, e)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, e)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ exists: false }] } }, e)).toBe(false);
    expect(matchesPattern({ detail: { attempt: [{ numeric: ['>', 2, '<=', 3] }] } }, e)).toBe(true);
    expect(matchesPattern({ detail: { attempt: [{ numeric: ['>', 3] }] } }, e)).toBe(false);
    expect(matchesPattern({ detail: { state: [{ 'equals-ignore-case': 'failed' }] } }, e)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['b'] } }, e)).toBe(true);
    expect(matchesPattern({ $or: [{ detail: { state: ['RUNNING'] } }, { detail: { applicationId: ['app1'] } }] }, e)).toBe(true);
  });

  it('rejects a pattern value that is neither an array nor an object, naming its path', () => {
    expect(() => matchesPattern({ detail: { state: 'FAILED' } }, jobEvent('FAILED'))).toThrow(InvalidPatternError);
    expect(() => matchesPattern({ detail: { state: 'FAILED' } }, jobEvent('FAILED'))).toThrow('detail.state');
  });
});

describe('Class: SimEventBridge', () => {
  function setup(handler: (event: unknown) => Promise<unknown>) {
    const world = newWorld();
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:f';
    const starts: { atMs: number; overlapping: number }[] = [];
    let running = 0;
    world.lambda.register({
      name: 'f',
      arn,
      timeoutMs: 300_000,
      container: () => async (event) => {
        running++;
        starts.push({ atMs: world.clock.now(), overlapping: running });
        try {
          await new Promise((r) => setTimeout(r, 5));
          return await handler(event);
        } finally {
          running--;
        }
      },
    });
    world.eventBridge.addRule({ name: 'r', pattern: jobRule, targetArn: arn });
    return { world, starts };
  }

  it('delivers a matching event after the delivery delay, and ignores others', async () => {
    const { world, starts } = setup(async () => ({ outcome: 'processed' }));
    world.eventBridge.put(jobEvent('FAILED'));
    world.eventBridge.put(jobEvent('RUNNING'));
    await world.clock.runUntil(T0 + 999);
    expect(starts).toEqual([]);
    await world.clock.runUntil(T0 + 1_000);
    expect(starts.map((s) => s.atMs)).toEqual([T0 + 1_000]);
  });

  it('duplicates the next delivery concurrently when told, all copies overlapping', async () => {
    const { world, starts } = setup(async () => ({ outcome: 'processed' }));
    world.eventBridge.duplicateDeliveries({ times: 3, concurrent: true, count: 1 });
    world.eventBridge.put(jobEvent('FAILED'));
    world.eventBridge.put(jobEvent('CANCELLED'));
    await world.clock.runUntil(T0 + 10_000);
    expect(starts).toHaveLength(4);
    expect(starts.slice(0, 3).map((s) => s.overlapping)).toEqual([1, 2, 3]);
  });

  it('retries a handler that throws like Lambda async invoke: after 1 and 2 minutes, then gives up', async () => {
    const { world, starts } = setup(async () => {
      throw new Error('boom');
    });
    world.eventBridge.put(jobEvent('FAILED'));
    await world.clock.runUntil(T0 + 3_600_000);
    expect(starts.map((s) => s.atMs - T0)).toEqual([1_000, 61_000, 181_000]);
    expect(world.record.invocations.map((i) => [i.attempt, i.error?.message])).toEqual([
      [1, 'boom'],
      [2, 'boom'],
      [3, 'boom'],
    ]);
    // Lambda's retries keep the attempt's request id.
    expect(new Set(world.record.invocations.map((i) => i.requestId)).size).toBe(1);
    expect(world.record.events.filter((e) => e.kind === 'invocation-error').pop()?.text).toContain('retries used up, event dropped');
  });
});
