import { createHash } from 'node:crypto';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConflictError, NotFoundError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'scheduler';
const NAME_MAX_LENGTH = 64;
const HASH_LENGTH = 12;
const NOT_NAME_CHAR = /[^0-9A-Za-z\-_.]/gu;

export interface OneTimeScheduleParams {
  name: string;
  groupName: string;
  atMs: number;
  targetArn: string;
  roleArn: string;
  /** The target's input (for a Lambda target: the event, as JSON). */
  input: string;
  clientToken?: string;
  /** SQS queue ARN that receives the event when the schedule cannot invoke its target. */
  deadLetterArn?: string;
}

/**
 * A schedule name (`[0-9a-zA-Z-_.]{1,64}`) built from `parts`, the same for the same parts.
 * Parts are joined with `-` and every other character becomes `-`. When that lost information
 * (a character was replaced) or the name is too long, a hash of the original parts is appended
 * to a readable head, so `['a/b']` and `['a:b']` do not name the same schedule.
 */
export function scheduleName(parts: string[]): string {
  const raw = parts.join('-');
  const clean = raw.replace(NOT_NAME_CHAR, '-');
  if (clean === raw && clean.length > 0 && clean.length <= NAME_MAX_LENGTH) return clean;
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, HASH_LENGTH);
  const head = clean.slice(0, NAME_MAX_LENGTH - HASH_LENGTH - 1);
  return head.length > 0 ? `${head}-${hash}` : hash;
}

/**
 * The `at(yyyy-mm-ddThh:mm:ss)` expression for `ms`, read in UTC (pair it with
 * ScheduleExpressionTimezone 'UTC'). The expression has whole seconds; a fractional second is
 * rounded up so the schedule never fires before `ms`.
 */
export function atExpression(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`schedule time is not a finite number: ${ms}`);
  const wholeSecondMs = Math.ceil(ms / 1000) * 1000;
  return `at(${new Date(wholeSecondMs).toISOString().slice(0, 19)})`;
}

export class SchedulerAdapter {
  constructor(private readonly client: SchedulerClient) {}

  static fromOptions(opts: AwsClientOptions): SchedulerAdapter {
    return new SchedulerAdapter(withPlugins(new SchedulerClient(clientConfig(opts)), opts));
  }

  /**
   * A schedule that invokes the target once at `atMs` and then deletes itself. Creating a name
   * that already exists answers 'exists': a retried invocation does not schedule twice.
   */
  async createOneTimeSchedule(p: OneTimeScheduleParams): Promise<'created' | 'exists'> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: p.name,
          GroupName: p.groupName,
          ScheduleExpression: atExpression(p.atMs),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: p.targetArn,
            RoleArn: p.roleArn,
            Input: p.input,
            RetryPolicy: { MaximumRetryAttempts: 3 },
            // After its retries, the follow-up goes to this queue instead of being lost (EventBridge
            // Scheduler guide, "Configuring a schedule's dead-letter queue").
            ...(p.deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: p.deadLetterArn } } : {}),
          },
          ...(p.clientToken !== undefined ? { ClientToken: p.clientToken } : {}),
        }),
      );
      return 'created';
    } catch (e) {
      try {
        mapAwsError(SERVICE, 'CreateSchedule', e);
      } catch (mapped) {
        if (mapped instanceof ConflictError) return 'exists';
        throw mapped;
      }
    }
  }

  /** Deleting a schedule that is already gone (it fired and deleted itself) is not an error. */
  async deleteSchedule(name: string, groupName: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));
    } catch (e) {
      try {
        mapAwsError(SERVICE, 'DeleteSchedule', e);
      } catch (mapped) {
        if (mapped instanceof NotFoundError) return;
        throw mapped;
      }
    }
  }
}
