import {
  ConflictException,
  ResourceNotFoundException,
  SchedulerServiceException,
  ValidationException,
  type CreateScheduleInput,
  type DeleteScheduleInput,
  type GetScheduleInput,
  type GetScheduleOutput,
  type ListSchedulesInput,
} from '@aws-sdk/client-scheduler';
import type { SimContext, SimService } from './context';
import { NotSimulatedError } from './errors';
import type { SimLambda } from './lambda';
import type { SimQueue } from './sqs';

/**
 * EventBridge Scheduler, one-time schedules: `at(yyyy-mm-ddThh:mm:ss)` in UTC. At the due
 * simulated time the target function is invoked with Target.Input parsed as JSON; a schedule
 * with ActionAfterCompletion DELETE then disappears.
 */

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

interface SimSchedule {
  input: CreateScheduleInput;
  arn: string;
  dueMs: number;
  createdMs: number;
  fired: boolean;
  deleted: boolean;
}

export function parseAtExpression(expr: string): number | undefined {
  const m = AT.exec(expr);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

export class SimScheduler implements SimService {
  readonly clientName = 'SchedulerClient';
  readonly service = 'scheduler';
  readonly baseException = SchedulerServiceException;
  readonly operations = {
    CreateSchedule: (i: CreateScheduleInput) => this.create(i),
    DeleteSchedule: (i: DeleteScheduleInput) => {
      const s = this.find(i.Name, i.GroupName);
      s.deleted = true;
      this.schedules.delete(this.key(i.GroupName, i.Name));
      return {};
    },
    GetSchedule: (i: GetScheduleInput): GetScheduleOutput => {
      const s = this.find(i.Name, i.GroupName);
      return {
        Arn: s.arn,
        GroupName: s.input.GroupName ?? 'default',
        Name: s.input.Name,
        ScheduleExpression: s.input.ScheduleExpression,
        ScheduleExpressionTimezone: s.input.ScheduleExpressionTimezone ?? 'UTC',
        State: s.input.State ?? 'ENABLED',
        FlexibleTimeWindow: s.input.FlexibleTimeWindow,
        Target: s.input.Target,
        ActionAfterCompletion: s.input.ActionAfterCompletion ?? 'NONE',
        CreationDate: new Date(s.createdMs),
        LastModificationDate: new Date(s.createdMs),
      };
    },
    ListSchedules: (i: ListSchedulesInput) => ({
      Schedules: [...this.schedules.values()]
        .filter((s) => !i.GroupName || (s.input.GroupName ?? 'default') === i.GroupName)
        .filter((s) => !i.NamePrefix || (s.input.Name ?? '').startsWith(i.NamePrefix))
        .map((s) => ({
          Arn: s.arn,
          Name: s.input.Name,
          GroupName: s.input.GroupName ?? 'default',
          State: s.input.State ?? 'ENABLED',
          CreationDate: new Date(s.createdMs),
          Target: { Arn: s.input.Target?.Arn },
        })),
    }),
  };
  private readonly groups = new Set<string>(['default']);
  private readonly schedules = new Map<string, SimSchedule>();

  constructor(
    private readonly ctx: SimContext,
    private readonly lambda: SimLambda,
    /** Queues a schedule may name as its dead-letter queue. */
    private readonly queues: SimQueue[] = [],
  ) {}

  addGroup(name: string): void {
    this.groups.add(name);
  }

  pending(): { name: string; group: string; dueMs: number; input: string | undefined }[] {
    return [...this.schedules.values()]
      .filter((s) => !s.fired)
      .map((s) => ({ name: s.input.Name!, group: s.input.GroupName ?? 'default', dueMs: s.dueMs, input: s.input.Target?.Input }));
  }

  private key(group: string | undefined, name: string | undefined): string {
    return `${group ?? 'default'}/${name ?? ''}`;
  }

  private find(name: string | undefined, group: string | undefined): SimSchedule {
    const s = this.schedules.get(this.key(group, name));
    if (!s) throw this.ctx.err(ResourceNotFoundException, 404, `Schedule ${name} does not exist.`);
    return s;
  }

  private invalid(message: string): Error {
    return this.ctx.err(ValidationException, 400, message);
  }

  private create(i: CreateScheduleInput) {
    if (!i.Name || !NAME.test(i.Name)) {
      throw this.invalid(
        `1 validation error detected: Value '${i.Name ?? 'null'}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$ and have length between 1 and 64`,
      );
    }
    const group = i.GroupName ?? 'default';
    if (!this.groups.has(group)) throw this.ctx.err(ResourceNotFoundException, 404, `Schedule group ${group} does not exist.`);
    if (!i.FlexibleTimeWindow?.Mode)
      throw this.invalid("1 validation error detected: Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null");
    if (!i.Target?.Arn) throw this.invalid("1 validation error detected: Value null at 'target.arn' failed to satisfy constraint: Member must not be null");
    if (!i.Target.RoleArn)
      throw this.invalid("1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null");
    const expr = i.ScheduleExpression ?? '';
    if (/^(rate|cron)\(/.test(expr)) throw new NotSimulatedError(`recurring schedule expressions are not simulated: ${expr}`);
    const due = parseAtExpression(expr);
    if (due === undefined) throw this.invalid(`Invalid Schedule Expression ${expr}.`);
    const tz = i.ScheduleExpressionTimezone ?? 'UTC';
    if (tz !== 'UTC' && tz !== 'Etc/UTC') throw new NotSimulatedError(`schedule time zone ${tz} is not simulated (use UTC)`);
    if (this.schedules.has(this.key(group, i.Name))) throw this.ctx.err(ConflictException, 409, `Schedule ${i.Name} already exists.`);
    const s: SimSchedule = {
      input: structuredClone(i),
      arn: `arn:aws:scheduler:${this.ctx.region}:${this.ctx.account}:schedule/${group}/${i.Name}`,
      dueMs: due,
      createdMs: this.ctx.clock.now(),
      fired: false,
      deleted: false,
    };
    this.schedules.set(this.key(group, i.Name), s);
    this.ctx.record.event(this.ctx.clock.now(), 'schedule', `${i.Name} created, due ${new Date(due).toISOString()}`);
    // A one-time schedule whose time has passed fires right away.
    this.ctx.clock.at(due, `schedule ${i.Name}`, () => this.fire(s));
    return { ScheduleArn: s.arn };
  }

  private fire(s: SimSchedule): void {
    if (s.deleted || s.fired || (s.input.State ?? 'ENABLED') === 'DISABLED') return;
    s.fired = true;
    const name = s.input.Name!;
    const { record, clock } = this.ctx;
    let payload: unknown = {};
    const raw = s.input.Target?.Input;
    if (raw !== undefined) {
      try {
        payload = JSON.parse(raw);
      } catch {
        record.event(clock.now(), 'invocation-error', `schedule ${name}: Target.Input is not JSON, the invocation fails`);
        return;
      }
    }
    record.event(clock.now(), 'schedule', `${name} fired → ${s.input.Target?.Arn}`);
    if (!this.lambda.invokeAsync(s.input.Target!.Arn!, payload, `scheduler:${name}`)) {
      // The target could not be invoked: after its retry policy, the schedule's dead-letter queue
      // receives the target input with the error in message attributes (EventBridge Scheduler
      // guide, "Configuring a schedule's dead-letter queue").
      const dlq = this.queues.find((q) => q.arn === s.input.Target?.DeadLetterConfig?.Arn);
      dlq?.send(raw ?? '{}', {
        ERROR_CODE: 'ResourceNotFoundException',
        ERROR_MESSAGE: `Function not found: ${s.input.Target!.Arn}`,
        EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttemptsExhausted',
        RETRY_ATTEMPTS: String(s.input.Target?.RetryPolicy?.MaximumRetryAttempts ?? 185),
        SCHEDULE_ARN: s.arn,
        TARGET_ARN: s.input.Target!.Arn!,
      });
    }
    if (s.input.ActionAfterCompletion === 'DELETE') this.schedules.delete(this.key(s.input.GroupName, name));
  }
}
