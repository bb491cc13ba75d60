import {
  CloudWatchLogsServiceException,
  InvalidParameterException,
  ResourceNotFoundException,
  type FilterLogEventsRequest,
} from '@aws-sdk/client-cloudwatch-logs';
import type { SimContext, SimService } from './context';
import { NotSimulatedError } from './errors';

/**
 * CloudWatch Logs: log groups and streams written by the simulated services (Firehose's
 * delivery errors), and `FilterLogEvents` over them: time range (both ends inclusive), stream
 * names, plain-text filter terms, `limit` and `nextToken` paging, events oldest first.
 */

interface SimLogEvent {
  timestamp: number;
  ingestionTime: number;
  message: string;
  logStreamName: string;
  eventId: string;
}

const MAX_LIMIT = 10_000;

export class SimLogs implements SimService {
  readonly clientName = 'CloudWatchLogsClient';
  readonly service = 'logs';
  readonly baseException = CloudWatchLogsServiceException;
  readonly operations = {
    FilterLogEvents: (i: FilterLogEventsRequest) => this.filter(i),
  };
  private readonly groups = new Map<string, SimLogEvent[]>();

  constructor(private readonly ctx: SimContext) {}

  createGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, []);
  }

  /** Writes one event as a service would (the group must exist, as for a real writer with logs:PutLogEvents). */
  put(group: string, stream: string, timestampMs: number, message: string): void {
    const events = this.groups.get(group);
    if (!events) throw new Error(`no simulated log group ${group}`);
    events.push({ timestamp: timestampMs, ingestionTime: timestampMs + 1_000, message, logStreamName: stream, eventId: this.ctx.ids.hex(20) });
  }

  count(group: string): number {
    return this.groups.get(group)?.length ?? 0;
  }

  private filter(i: FilterLogEventsRequest) {
    const events = this.groups.get(i.logGroupName ?? '');
    if (!events) throw this.ctx.err(ResourceNotFoundException, 400, 'The specified log group does not exist.');
    if (i.logStreamNames && i.logStreamNamePrefix) {
      // FilterLogEvents: "If you specify a value for both logStreamNamePrefix and logStreamNames, the action returns an InvalidParameterException error."
      throw this.ctx.err(InvalidParameterException, 400, 'logStreamNamePrefix and logStreamNames cannot both be specified.');
    }
    const limit = i.limit ?? MAX_LIMIT;
    if (limit < 1 || limit > MAX_LIMIT) {
      throw this.ctx.err(
        InvalidParameterException,
        400,
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${MAX_LIMIT}`,
      );
    }
    const terms = this.terms(i.filterPattern);
    const matching = events
      .filter((e) => (i.startTime === undefined || e.timestamp >= i.startTime) && (i.endTime === undefined || e.timestamp <= i.endTime))
      .filter((e) => !i.logStreamNames || i.logStreamNames.includes(e.logStreamName))
      .filter((e) => !i.logStreamNamePrefix || e.logStreamName.startsWith(i.logStreamNamePrefix))
      .filter((e) => terms.every((t) => e.message.includes(t)))
      .sort((a, b) => a.timestamp - b.timestamp);
    const start = i.nextToken ? Number.parseInt(i.nextToken, 10) : 0;
    if (Number.isNaN(start)) throw this.ctx.err(InvalidParameterException, 400, 'The specified nextToken is invalid.');
    const page = matching.slice(start, start + limit);
    const more = start + limit < matching.length;
    const streams = [...new Set(events.map((e) => e.logStreamName))].filter(
      (s) => (!i.logStreamNames || i.logStreamNames.includes(s)) && (!i.logStreamNamePrefix || s.startsWith(i.logStreamNamePrefix)),
    );
    return {
      events: page.map((e) => ({ ...e })),
      searchedLogStreams: streams.map((logStreamName) => ({ logStreamName, searchedCompletely: !more })),
      ...(more ? { nextToken: String(start + limit) } : {}),
    };
  }

  /** Plain terms only (`S3.AccessDenied`, `"Access was denied"`); JSON and metric patterns are not simulated. */
  private terms(pattern: string | undefined): string[] {
    if (!pattern?.trim()) return [];
    if (/^\s*[{[]/.test(pattern)) throw new NotSimulatedError(`filter pattern ${pattern} is not simulated (plain terms only)`);
    return [...pattern.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  }
}
