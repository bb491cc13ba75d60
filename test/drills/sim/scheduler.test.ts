import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { parseAtExpression } from '../../../drills/sim/scheduler';
import { T0, newWorld, simClient } from '../helpers';

const FN = 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed';

function setup() {
  const world = newWorld();
  world.scheduler.addGroup('streamfix-follow-ups');
  const received: { event: unknown; atMs: number }[] = [];
  world.lambda.register({
    name: 'streamfix-job-failed',
    arn: FN,
    timeoutMs: 300_000,
    container: () => async (event) => void received.push({ event, atMs: world.clock.now() }),
  });
  return { world, received, scheduler: simClient(world, SchedulerClient) };
}

const create = (over: Record<string, unknown> = {}) =>
  new CreateScheduleCommand({
    Name: 'streamfix-inc-verify-1',
    GroupName: 'streamfix-follow-ups',
    ScheduleExpression: 'at(2026-01-01T00:02:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: FN, RoleArn: 'arn:aws:iam::123456789012:role/scheduler', Input: '{"source":"streamfix","kind":"follow-up"}' },
    ...over,
  } as never);

describe('Class: SimScheduler', () => {
  it('invokes the target with the parsed Input at the due time, not before, then deletes the schedule', async () => {
    // Prepare
    const { world, received, scheduler } = setup();
    await scheduler.send(create());
    // Act
    await world.clock.runUntil(T0 + 119_999);
    // Assess
    expect(received).toEqual([]);
    await world.clock.runUntil(T0 + 120_000);
    expect(received).toEqual([{ event: { source: 'streamfix', kind: 'follow-up' }, atMs: T0 + 120_000 }]);
    await expect(scheduler.send(new DeleteScheduleCommand({ Name: 'streamfix-inc-verify-1', GroupName: 'streamfix-follow-ups' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('refuses a second schedule with the same name with ConflictException', async () => {
    const { scheduler } = setup();
    await scheduler.send(create());
    await expect(scheduler.send(create())).rejects.toBeInstanceOf(ConflictException);
  });

  it.each([
    ['a name with a slash', { Name: 'inc/verify' }, 'name'],
    ['a name longer than 64', { Name: 'x'.repeat(65) }, 'name'],
    ['a malformed at() expression', { ScheduleExpression: 'at(2026-01-01 00:02:00)' }, 'Invalid Schedule Expression'],
    ['an impossible date', { ScheduleExpression: 'at(2026-02-30T00:00:00)' }, 'Invalid Schedule Expression'],
    ['no flexible time window', { FlexibleTimeWindow: undefined }, 'flexibleTimeWindow'],
  ])('throws ValidationException for %s', async (_what, over, text) => {
    const { scheduler } = setup();
    const err = await scheduler.send(create(over)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as Error).message).toContain(text);
  });

  it('throws ResourceNotFoundException for a group that does not exist', async () => {
    const { scheduler } = setup();
    await expect(scheduler.send(create({ GroupName: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('a deleted schedule never fires', async () => {
    const { world, received, scheduler } = setup();
    await scheduler.send(create());
    await scheduler.send(new DeleteScheduleCommand({ Name: 'streamfix-inc-verify-1', GroupName: 'streamfix-follow-ups' }));
    await world.clock.runUntil(T0 + 600_000);
    expect(received).toEqual([]);
  });
});

describe('Function: parseAtExpression', () => {
  it('reads at(yyyy-mm-ddThh:mm:ss) as UTC', () => {
    expect(parseAtExpression('at(2026-01-01T00:02:00)')).toBe(T0 + 120_000);
    expect(parseAtExpression('at(2026-01-01T24:00:00)')).toBeUndefined();
    expect(parseAtExpression('rate(5 minutes)')).toBeUndefined();
  });
});
