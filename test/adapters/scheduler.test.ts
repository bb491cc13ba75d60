import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  SchedulerServiceException,
  type CreateScheduleCommandOutput,
  type DeleteScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { atExpression, scheduleName, SchedulerAdapter } from '../../lambdas/adapters/scheduler';
import { AwsRequestError, TransientAwsError } from '../../lambdas/core/errors';
import { recordedError, reply } from './aws-fixtures';

const SVC = 'scheduler';
const VALID_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
/** Years 1970 to 9999: the range an at() expression can write. */
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** Any sequence of UTF-16 code units, lone surrogates included. */
const utf16String = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 }).map((units) => String.fromCharCode(...units));

const scheduler = mockClient(SchedulerClient);
const adapter = new SchedulerAdapter(new SchedulerClient({ region: 'eu-west-1' }));

const err = (name: string) => recordedError(SchedulerServiceException, SVC, name);

const params = {
  name: 'streamfix-orders-job-failed-verify-01JPBX4T2Q8M',
  groupName: 'streamfix',
  atMs: Date.UTC(2025, 2, 14, 9, 52, 7),
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed',
  roleArn: 'arn:aws:iam::123456789012:role/streamfix-scheduler-invoke',
  input: '{"kind":"verify","incidentId":"01JPBX4T2Q8M","pipeline":"orders"}',
};

beforeEach(() => {
  scheduler.reset();
});

afterAll(() => {
  scheduler.restore();
});

describe('Function: atExpression', () => {
  it('writes the UTC time to the second, without milliseconds or zone', () => {
    // Act & Assess
    expect(atExpression(Date.UTC(2025, 2, 14, 9, 52, 7))).toBe('at(2025-03-14T09:52:07)');
  });

  it('rounds a fractional second up so the schedule never fires early', () => {
    // Act & Assess
    expect(atExpression(Date.UTC(2025, 2, 14, 9, 52, 7, 1))).toBe('at(2025-03-14T09:52:08)');
    expect(atExpression(Date.UTC(2025, 11, 31, 23, 59, 59, 999))).toBe('at(2026-01-01T00:00:00)');
  });

  it('holds the format and never names a second before the given time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LAST_MS }), (ms) => {
        // Act
        const expr = atExpression(ms);

        // Assess
        const m = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expr);
        expect(m).not.toBeNull();
        const firesAtMs = Date.parse(`${m![1]}Z`);
        expect(firesAtMs).toBeGreaterThanOrEqual(ms);
        expect(firesAtMs - ms).toBeLessThan(1000);
      }),
    );
  });

  it('throws on a time that is not a number', () => {
    // Act & Assess
    expect(() => atExpression(Number.NaN)).toThrow(RangeError);
  });
});

describe('Function: scheduleName', () => {
  it('keeps a name that is already valid as it is', () => {
    // Act & Assess
    expect(scheduleName(['streamfix', 'orders', 'job-failed', 'verify', '01JPBX4T2Q8M'])).toBe('streamfix-orders-job-failed-verify-01JPBX4T2Q8M');
  });

  it('replaces characters a schedule name cannot hold and tells the results apart', () => {
    // Act
    const slash = scheduleName(['orders/eu', 'verify']);
    const colon = scheduleName(['orders:eu', 'verify']);

    // Assess
    expect(slash).toMatch(/^orders-eu-verify-[0-9a-f]{12}$/);
    expect(colon).toMatch(/^orders-eu-verify-[0-9a-f]{12}$/);
    expect(slash).not.toBe(colon);
  });

  it('keeps a readable head and a hash when the name is too long', () => {
    // Prepare
    const parts = ['streamfix', 'customer-orders-enrichment-eu-west-1-production', 'job-failed', 'verify', '01JPBX4T2Q8M'];

    // Act
    const name = scheduleName(parts);

    // Assess
    expect(name).toHaveLength(64);
    expect(name.startsWith('streamfix-customer-orders-enrichment-eu-west-1-pro')).toBe(true);
    expect(name).toMatch(/-[0-9a-f]{12}$/);
    expect(scheduleName([...parts.slice(0, -1), '01JPBX4T2Q8N'])).not.toBe(name);
  });

  it('names an empty list with its hash alone', () => {
    // Act & Assess
    expect(scheduleName([])).toMatch(/^[0-9a-f]{12}$/);
  });

  it('always returns a valid name, the same for the same parts', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 8 }), (parts) => {
        // Act
        const name = scheduleName(parts);

        // Assess
        expect(name).toMatch(VALID_NAME);
        expect(scheduleName([...parts])).toBe(name);
      }),
    );
  });

  it('always returns a valid name for any UTF-16 input, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.array(utf16String, { maxLength: 8 }), (parts) => {
        // Act & Assess
        expect(scheduleName(parts)).toMatch(VALID_NAME);
      }),
    );
  });

  it('gives different names to parts that join differently', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.array(fc.string(), { maxLength: 5 }), (a, b) => {
        // Prepare
        fc.pre(a.join('-') !== b.join('-'));

        // Act & Assess
        expect(scheduleName(a)).not.toBe(scheduleName(b));
      }),
    );
  });
});

describe('Class: SchedulerAdapter', () => {
  describe('Method: createOneTimeSchedule', () => {
    it('creates a one-time UTC schedule that deletes itself after it fired', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).resolves(reply<CreateScheduleCommandOutput>(SVC, 'CreateSchedule'));

      // Act
      const outcome = await adapter.createOneTimeSchedule({ ...params, clientToken: 'streamfix-01JPBX4T2Q8M-verify-1' });

      // Assess
      expect(outcome).toBe('created');
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toEqual({
        Name: 'streamfix-orders-job-failed-verify-01JPBX4T2Q8M',
        GroupName: 'streamfix',
        ScheduleExpression: 'at(2025-03-14T09:52:07)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed',
          RoleArn: 'arn:aws:iam::123456789012:role/streamfix-scheduler-invoke',
          Input: '{"kind":"verify","incidentId":"01JPBX4T2Q8M","pipeline":"orders"}',
          RetryPolicy: { MaximumRetryAttempts: 3 },
        },
        ClientToken: 'streamfix-01JPBX4T2Q8M-verify-1',
      });
    });

    it('leaves the client token out when none is given', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).resolves(reply<CreateScheduleCommandOutput>(SVC, 'CreateSchedule'));

      // Act
      await adapter.createOneTimeSchedule(params);

      // Assess
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input).not.toHaveProperty('ClientToken');
    });

    it("answers 'exists' when a schedule of that name already exists", async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).rejects(err('ConflictException'));

      // Act & Assess
      expect(await adapter.createOneTimeSchedule(params)).toBe('exists');
    });

    it('throws an AwsRequestError with its code on a ValidationException', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).rejects(err('ValidationException'));

      // Act & Assess
      await expect(adapter.createOneTimeSchedule(params)).rejects.toSatisfy(
        (e) => e instanceof AwsRequestError && e.code === 'ValidationException' && e.operation === 'CreateSchedule',
      );
    });

    it('throws a TransientAwsError when throttled', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).rejects(err('ThrottlingException'));

      // Act & Assess
      await expect(adapter.createOneTimeSchedule(params)).rejects.toBeInstanceOf(TransientAwsError);
    });
  });

  describe('Method: deleteSchedule', () => {
    it('deletes the schedule in its group', async () => {
      // Prepare
      scheduler.on(DeleteScheduleCommand).resolves(reply<DeleteScheduleCommandOutput>(SVC, 'DeleteSchedule'));

      // Act
      await adapter.deleteSchedule(params.name, 'streamfix');

      // Assess
      expect(scheduler.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
        Name: params.name,
        GroupName: 'streamfix',
      });
    });

    it('resolves when the schedule is already gone', async () => {
      // Prepare
      scheduler.on(DeleteScheduleCommand).rejects(err('ResourceNotFoundException'));

      // Act & Assess
      await expect(adapter.deleteSchedule(params.name, 'streamfix')).resolves.toBeUndefined();
    });

    it('throws a TransientAwsError when throttled', async () => {
      // Prepare
      scheduler.on(DeleteScheduleCommand).rejects(err('ThrottlingException'));

      // Act & Assess
      await expect(adapter.deleteSchedule(params.name, 'streamfix')).rejects.toBeInstanceOf(TransientAwsError);
    });
  });
});
