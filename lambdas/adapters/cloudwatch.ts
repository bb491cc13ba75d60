import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, ListMetricsCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { AwsRequestError, TransientAwsError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'cloudwatch';
/** GetMetricData accepts at most 500 queries per request. */
const MAX_QUERIES = 500;

export interface MetricQuery {
  /** Unique within one call; `[a-z][a-zA-Z0-9_]*` as GetMetricData requires. */
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat: string;
  periodSeconds: number;
}

/** One series, oldest point first. */
export interface MetricSeries {
  timestampsMs: number[];
  values: number[];
}

export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/** An alarm's state now, as DescribeAlarms gives it (metric or composite alarm). */
export interface AlarmStateView {
  name: string;
  state: string;
  /** CompositeAlarm.ActionsSuppressedBy: `WaitPeriod`, `ExtensionPeriod`, `Alarm` or `None`. */
  actionsSuppressedBy?: string;
  stateUpdatedMs?: number;
}

export class CloudWatchAdapter {
  constructor(private readonly client: CloudWatchClient) {}

  static fromOptions(opts: AwsClientOptions): CloudWatchAdapter {
    return new CloudWatchAdapter(withPlugins(new CloudWatchClient(clientConfig(opts)), opts));
  }

  /** One alarm by name, metric or composite; undefined when no alarm has that name. */
  async describeAlarm(name: string): Promise<AlarmStateView | undefined> {
    let reply;
    try {
      // AlarmTypes: without it DescribeAlarms returns metric alarms only.
      reply = await this.client.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    } catch (e) {
      mapAwsError(SERVICE, 'DescribeAlarms', e);
    }
    const metric = reply.MetricAlarms?.find((a) => a.AlarmName === name);
    const composite = reply.CompositeAlarms?.find((a) => a.AlarmName === name);
    const a = metric ?? composite;
    if (!a?.StateValue) return undefined;
    return {
      name,
      state: a.StateValue,
      ...(composite?.ActionsSuppressedBy ? { actionsSuppressedBy: composite.ActionsSuppressedBy } : {}),
      ...(a.StateUpdatedTimestamp ? { stateUpdatedMs: a.StateUpdatedTimestamp.getTime() } : {}),
    };
  }

  /** Series by query id, each sorted by time ascending; a query with no data gets empty arrays. */
  async getMetricData(queries: MetricQuery[], startMs: number, endMs: number): Promise<Record<string, MetricSeries>> {
    const out: Record<string, MetricSeries> = {};
    for (const q of queries) out[q.id] = { timestampsMs: [], values: [] };
    for (let i = 0; i < queries.length; i += MAX_QUERIES) {
      const chunk: MetricDataQuery[] = queries.slice(i, i + MAX_QUERIES).map((q) => ({
        Id: q.id,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: q.namespace,
            MetricName: q.metricName,
            Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: q.periodSeconds,
          Stat: q.stat,
        },
      }));
      let token: string | undefined;
      do {
        let reply;
        try {
          reply = await this.client.send(
            new GetMetricDataCommand({
              MetricDataQueries: chunk,
              StartTime: new Date(startMs),
              EndTime: new Date(endMs),
              ScanBy: 'TimestampAscending',
              NextToken: token,
            }),
          );
        } catch (e) {
          mapAwsError(SERVICE, 'GetMetricData', e);
        }
        for (const r of reply.MetricDataResults ?? []) {
          const series = r.Id ? out[r.Id] : undefined;
          if (!series) continue;
          // A query CloudWatch could not answer is not "no data": say so instead of an empty series.
          failIfUnanswered(r.Id!, r.StatusCode, r.Messages);
          const ts = r.Timestamps ?? [];
          const vs = r.Values ?? [];
          for (let k = 0; k < Math.min(ts.length, vs.length); k++) {
            series.timestampsMs.push(ts[k]!.getTime());
            series.values.push(vs[k]!);
          }
        }
        token = reply.NextToken;
      } while (token);
    }
    for (const s of Object.values(out)) sortSeries(s);
    return out;
  }

  /** Metrics that exist with (at least) the given dimensions, following pages up to `max`. */
  async listMetrics(namespace: string, metricName: string, dimensions: Record<string, string>, max = 5_000): Promise<MetricRef[]> {
    const out: MetricRef[] = [];
    let token: string | undefined;
    do {
      let reply;
      try {
        reply = await this.client.send(
          new ListMetricsCommand({
            Namespace: namespace,
            MetricName: metricName,
            Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
            NextToken: token,
          }),
        );
      } catch (e) {
        mapAwsError(SERVICE, 'ListMetrics', e);
      }
      for (const m of reply.Metrics ?? []) {
        out.push({
          namespace: m.Namespace ?? namespace,
          metricName: m.MetricName ?? metricName,
          dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
        });
      }
      token = reply.NextToken;
    } while (token && out.length < max);
    return out.slice(0, max);
  }
}

function failIfUnanswered(id: string, status: string | undefined, messages: { Code?: string; Value?: string }[] | undefined): void {
  if (status !== 'Forbidden' && status !== 'InternalError') return;
  const cause = new Error(`query ${id}: ${status}${messages?.length ? `: ${messages.map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ')}` : ''}`);
  if (status === 'InternalError') throw new TransientAwsError(SERVICE, 'GetMetricData', { cause });
  throw new AwsRequestError(SERVICE, 'GetMetricData', 'Forbidden', { cause });
}

function sortSeries(s: MetricSeries): void {
  const idx = s.timestampsMs.map((_, i) => i).sort((a, b) => s.timestampsMs[a]! - s.timestampsMs[b]!);
  s.timestampsMs = idx.map((i) => s.timestampsMs[i]!);
  s.values = idx.map((i) => s.values[i]!);
}
