import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'logs';

export interface LogEventView {
  timestampMs: number;
  message: string;
  logStreamName?: string;
}

export class LogsAdapter {
  constructor(private readonly client: CloudWatchLogsClient) {}

  static fromOptions(opts: AwsClientOptions): LogsAdapter {
    return new LogsAdapter(withPlugins(new CloudWatchLogsClient(clientConfig(opts)), opts));
  }

  /**
   * Events of a time range, at most `limit` in all (bounded paging). FilterLogEvents answers
   * oldest first, so by default these are the oldest `limit` events of the range; with `newest`
   * the pages are read to the end of the range (at most `maxScanned` events) and the newest
   * `limit` are kept: what "the latest error" needs when the range holds a storm.
   */
  async filterLogEvents(
    logGroupName: string,
    opts: {
      logStreamNames?: string[];
      logStreamNamePrefix?: string;
      startMs: number;
      endMs: number;
      filterPattern?: string;
      limit?: number;
      newest?: boolean;
      maxScanned?: number;
    },
  ): Promise<LogEventView[]> {
    const limit = opts.limit ?? 1_000;
    const maxScanned = opts.newest ? Math.max(limit, opts.maxScanned ?? 50_000) : limit;
    let out: LogEventView[] = [];
    let scanned = 0;
    // The API refuses a limit below 1: asking for nothing is answered without a call.
    if (limit < 1) return out;
    let token: string | undefined;
    do {
      let reply;
      try {
        reply = await this.client.send(
          new FilterLogEventsCommand({
            logGroupName,
            ...(opts.logStreamNames ? { logStreamNames: opts.logStreamNames } : {}),
            ...(opts.logStreamNamePrefix ? { logStreamNamePrefix: opts.logStreamNamePrefix } : {}),
            startTime: opts.startMs,
            endTime: opts.endMs,
            ...(opts.filterPattern ? { filterPattern: opts.filterPattern } : {}),
            limit: Math.min(10_000, maxScanned - scanned),
            nextToken: token,
          }),
        );
      } catch (e) {
        mapAwsError(SERVICE, 'FilterLogEvents', e);
      }
      for (const ev of reply.events ?? []) {
        out.push({ timestampMs: ev.timestamp ?? 0, message: ev.message ?? '', ...(ev.logStreamName ? { logStreamName: ev.logStreamName } : {}) });
      }
      scanned += reply.events?.length ?? 0;
      if (out.length > limit) out = out.slice(-limit);
      token = reply.nextToken;
    } while (token && scanned < maxScanned);
    return out;
  }
}
