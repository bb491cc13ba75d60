import {
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
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

/** An alarm as DescribeAlarms gives it, with what an alarm event would carry. */
export interface AlarmDetailView extends AlarmStateView {
  arn?: string;
  reason: string;
  /** `StateReasonData`: a JSON string, when CloudWatch gives one. */
  reasonData?: string;
  composite: boolean;
  /** A metric alarm's single metric (absent for metric math and composite alarms). */
  metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; stat: string; periodSeconds: number };
}

/** The fields metric and composite alarms share, with when the state last changed; undefined without a name or state. */
function alarmDetail(a: MetricAlarm | CompositeAlarm, composite: boolean): AlarmDetailView | undefined {
  if (!a.AlarmName || !a.StateValue) return undefined;
  const at = a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp;
  return {
    name: a.AlarmName,
    state: a.StateValue,
    reason: a.StateReason ?? '',
    composite,
    ...(a.AlarmArn ? { arn: a.AlarmArn } : {}),
    ...(a.StateReasonData ? { reasonData: a.StateReasonData } : {}),
    ...(at ? { stateUpdatedMs: at.getTime() } : {}),
  };
}

/** DescribeAlarms takes at most 100 alarm names, and returns at most 100 alarms a page (API_DescribeAlarms). */
const MAX_ALARM_NAMES = 100;

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

  /**
   * The named alarms (metric and composite), following pages. When the state last changed:
   * `StateTransitionedTimestamp` (the state value's change), else `StateUpdatedTimestamp`.
   */
  async describeAlarms(names: string[]): Promise<AlarmDetailView[]> {
    const out: AlarmDetailView[] = [];
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += MAX_ALARM_NAMES) {
      let token: string | undefined;
      do {
        let reply;
        try {
          reply = await this.client.send(
            new DescribeAlarmsCommand({
              AlarmNames: unique.slice(i, i + MAX_ALARM_NAMES),
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              MaxRecords: MAX_ALARM_NAMES,
              NextToken: token,
            }),
          );
        } catch (e) {
          mapAwsError(SERVICE, 'DescribeAlarms', e);
        }
        for (const a of reply.MetricAlarms ?? []) {
          const base = alarmDetail(a, false);
          if (!base) continue;
          out.push({
            ...base,
            ...(a.MetricName && a.Namespace
              ? {
                  metric: {
                    namespace: a.Namespace,
                    metricName: a.MetricName,
                    dimensions: Object.fromEntries((a.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
                    stat: a.Statistic ?? a.ExtendedStatistic ?? 'Average',
                    periodSeconds: a.Period ?? 60,
                  },
                }
              : {}),
          });
        }
        for (const a of reply.CompositeAlarms ?? []) {
          const base = alarmDetail(a, true);
          if (!base) continue;
          out.push({
            ...base,
            ...(a.ActionsSuppressedBy ? { actionsSuppressedBy: a.ActionsSuppressedBy } : {}),
          });
        }
        token = reply.NextToken;
      } while (token);
    }
    return out;
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
