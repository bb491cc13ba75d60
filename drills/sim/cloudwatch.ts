import {
  CloudWatchServiceException,
  InvalidNextToken,
  InvalidParameterValueException,
  type DescribeAlarmsInput,
  type GetMetricDataInput,
  type GetMetricStatisticsInput,
  type ListMetricsInput,
  type MetricAlarm,
  type PutMetricDataInput,
} from '@aws-sdk/client-cloudwatch';
import type { WiredAlarm } from '../../lambdas/wiring';
import { evaluateAlarm, type AlarmState } from './alarms';
import { listMetrics } from './cloudwatch-list';
import { cwTimestamp, eventTime, type SimContext, type SimService } from './context';
import { NotSimulatedError } from './errors';
import { MetricStore, STATS, type MetricId, type Stat } from './metrics';

/**
 * CloudWatch: the metric store, the stack's alarms (evaluated at every minute boundary, each
 * state change sent as a "CloudWatch Alarm State Change" event), alarm mute rules, and the
 * read/write API.
 *
 * Mute rules as the CloudWatch User Guide describes them ("Configure alarm mute rules";
 * AWS::CloudWatch::AlarmMuteRule: "targeted alarms continue to evaluate metrics and transition
 * between states, but their configured actions ... are muted"): a muted alarm keeps changing
 * state and sending events; each event of an alarm a rule targets carries `muteDetail` with the
 * rule's window ("Alarm events and EventBridge" sample events carry it even for changes outside
 * the window), and nothing announces the window's end.
 */

interface SimAlarm {
  wired: WiredAlarm;
  arn: string;
  state: AlarmState;
  reason: string;
  reasonData?: string;
  stateUpdatedMs: number;
}

const dims = (d: { Name?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((d ?? []).map((x) => [x.Name ?? '', x.Value ?? '']));

export class SimCloudWatch implements SimService {
  readonly clientName = 'CloudWatchClient';
  readonly service = 'cloudwatch';
  readonly baseException = CloudWatchServiceException;
  readonly store = new MetricStore();
  readonly operations = {
    PutMetricData: (i: PutMetricDataInput) => this.putMetricData(i),
    GetMetricData: (i: GetMetricDataInput) => this.getMetricData(i),
    GetMetricStatistics: (i: GetMetricStatisticsInput) => this.getMetricStatistics(i),
    DescribeAlarms: (i: DescribeAlarmsInput) => this.describeAlarms(i),
    ListMetrics: (i: ListMetricsInput) => listMetrics(this.store, this.ctx, i),
  };
  private readonly alarms = new Map<string, SimAlarm>();
  private readonly mutes = new Map<string, { ruleArn: string; startMs: number; endMs: number }>();
  /** Where alarm state change events go (the simulated EventBridge). */
  publish: (event: Record<string, unknown>) => void = () => undefined;

  constructor(private readonly ctx: SimContext) {}

  addAlarm(wired: WiredAlarm): void {
    this.alarms.set(wired.name, {
      wired,
      arn: `arn:aws:cloudwatch:${this.ctx.region}:${this.ctx.account}:alarm:${wired.name}`,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      stateUpdatedMs: this.ctx.clock.now(),
    });
  }

  /** An alarm mute rule targets `alarmName` with this one-time window. */
  muteAlarm(alarmName: string, rule: string, startMs: number, endMs: number): void {
    this.mutes.set(alarmName, { ruleArn: `arn:aws:cloudwatch:${this.ctx.region}:${this.ctx.account}:alarm-mute-rule:${rule}`, startMs, endMs });
  }

  hasAlarm(name: string): boolean {
    return this.alarms.has(name);
  }

  alarmState(name: string): AlarmState | undefined {
    return this.alarms.get(name)?.state;
  }

  /** Sets every alarm to what its data says now, without events: the world has been running for a while. */
  settleAlarms(): void {
    for (const a of this.alarms.values()) {
      const e = evaluateAlarm(a.wired.spec, this.store, this.ctx.clock.now(), a.state);
      Object.assign(a, { state: e.state, reason: e.reason, reasonData: e.reasonData });
    }
  }

  /** Evaluates every alarm; each state change becomes an event. */
  evaluateAlarms(): void {
    const now = this.ctx.clock.now();
    for (const a of this.alarms.values()) {
      const e = evaluateAlarm(a.wired.spec, this.store, now, a.state);
      if (e.state === a.state) continue;
      const previous = { value: a.state, reason: a.reason, ...(a.reasonData ? { reasonData: a.reasonData } : {}), timestamp: cwTimestamp(a.stateUpdatedMs) };
      Object.assign(a, { state: e.state, reason: e.reason, reasonData: e.reasonData, stateUpdatedMs: now });
      const mute = this.mutes.get(a.wired.name);
      const muted = mute !== undefined && mute.startMs <= now && now < mute.endMs;
      this.ctx.record.event(now, 'alarm', `${a.wired.name} ${previous.value} → ${e.state}${muted ? ' (muted)' : ''}`, {
        alarmName: a.wired.name,
        state: e.state,
      });
      const m = a.wired.spec.metric;
      this.publish({
        version: '0',
        id: this.ctx.ids.uuid(),
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        account: this.ctx.account,
        time: eventTime(now),
        region: this.ctx.region,
        resources: [a.arn],
        detail: {
          alarmName: a.wired.name,
          state: { value: e.state, reason: e.reason, reasonData: e.reasonData, timestamp: cwTimestamp(now) },
          previousState: previous,
          configuration: {
            description: a.wired.spec.description,
            // A metric math alarm: the expression returns the data, the metric it reads does not
            // (the event's `configuration.metrics` as CloudWatch sends it for such an alarm).
            metrics: [
              ...(m.math ? [{ id: 'e1', expression: `${m.math}(m1)`, label: `${m.math}(${m.metricName})`, returnData: true }] : []),
              {
                id: m.math ? 'm1' : this.ctx.ids.uuid(),
                metricStat: {
                  metric: { namespace: m.namespace, name: m.metricName, dimensions: { ...m.dimensions } },
                  period: m.periodSeconds,
                  stat: m.statistic,
                },
                returnData: !m.math,
              },
            ],
          },
          ...(mute ? { muteDetail: { mutedByArn: mute.ruleArn, muteWindowStart: cwTimestamp(mute.startMs), muteWindowEnd: cwTimestamp(mute.endMs) } } : {}),
        },
      });
    }
  }

  private putMetricData(i: PutMetricDataInput) {
    const ns = i.Namespace ?? '';
    if (!ns || ns.startsWith('AWS/')) {
      throw this.ctx.err(InvalidParameterValueException, 400, `The value ${ns} for parameter Namespace is invalid.`);
    }
    for (const d of i.MetricData ?? []) {
      const id: MetricId = { namespace: ns, metricName: d.MetricName ?? '', dimensions: dims(d.Dimensions) };
      const at = d.Timestamp ? new Date(d.Timestamp).getTime() : this.ctx.clock.now();
      const unit = d.Unit ?? undefined;
      if (d.StatisticValues) {
        const s = d.StatisticValues;
        this.store.put(id, at, { sampleCount: s.SampleCount ?? 0, sum: s.Sum ?? 0, min: s.Minimum ?? 0, max: s.Maximum ?? 0, ...(unit ? { unit } : {}) });
      } else if (d.Values) {
        d.Values.forEach((v, k) => {
          const n = d.Counts?.[k] ?? 1;
          this.store.put(id, at, { sampleCount: n, sum: v * n, min: v, max: v, ...(unit ? { unit } : {}) });
        });
      } else if (d.Value !== undefined) {
        this.store.putValue(id, at, d.Value, unit);
      }
    }
    return {};
  }

  private stat(s: string | undefined): Stat {
    if (s && (STATS as readonly string[]).includes(s)) return s as Stat;
    throw new NotSimulatedError(`the simulated CloudWatch computes ${STATS.join(', ')}; not ${s}`);
  }

  private getMetricData(i: GetMetricDataInput) {
    const start = new Date(i.StartTime ?? 0).getTime();
    const end = new Date(i.EndTime ?? this.ctx.clock.now()).getTime();
    const descending = (i.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const results = (i.MetricDataQueries ?? []).map((q) => {
      if (!q.MetricStat) throw new NotSimulatedError(`metric math (query ${q.Id}: ${q.Expression}) is not simulated`);
      const m = q.MetricStat.Metric ?? {};
      const id: MetricId = { namespace: m.Namespace ?? '', metricName: m.MetricName ?? '', dimensions: dims(m.Dimensions) };
      let dps = this.store.datapoints(id, this.stat(q.MetricStat.Stat), q.MetricStat.Period ?? 60, start, end);
      if (descending) dps = dps.reverse();
      return {
        Id: q.Id,
        Label: q.Label ?? m.MetricName,
        Timestamps: dps.map((d) => new Date(d.atMs)),
        Values: dps.map((d) => d.value),
        StatusCode: 'Complete' as const,
        Messages: [],
      };
    });
    return { MetricDataResults: results.filter((_, k) => i.MetricDataQueries?.[k]?.ReturnData !== false), Messages: [] };
  }

  private getMetricStatistics(i: GetMetricStatisticsInput) {
    const id: MetricId = { namespace: i.Namespace ?? '', metricName: i.MetricName ?? '', dimensions: dims(i.Dimensions) };
    const start = new Date(i.StartTime ?? 0).getTime();
    const end = new Date(i.EndTime ?? this.ctx.clock.now()).getTime();
    const period = i.Period ?? 60;
    const stats = (i.Statistics ?? []).map((s) => this.stat(s));
    const base = this.store.datapoints(id, 'SampleCount', period, start, end);
    return {
      Label: i.MetricName,
      Datapoints: base.map((b) => ({
        Timestamp: new Date(b.atMs),
        ...Object.fromEntries(stats.map((s) => [s, this.store.datapoint(id, s, period, b.atMs)?.value])),
        Unit: b.unit ?? 'None',
      })),
    };
  }

  private describeAlarms(i: DescribeAlarmsInput) {
    const offset = i.NextToken ? Number.parseInt(i.NextToken, 10) : 0;
    if (Number.isNaN(offset)) throw this.ctx.err(InvalidNextToken, 400, 'The service returned an error with Error Code InvalidNextToken');
    const max = i.MaxRecords ?? 50;
    const all = [...this.alarms.values()]
      .filter((a) => !i.AlarmNames || i.AlarmNames.length === 0 || i.AlarmNames.includes(a.wired.name))
      .filter((a) => !i.AlarmNamePrefix || a.wired.name.startsWith(i.AlarmNamePrefix))
      .filter((a) => !i.StateValue || a.state === i.StateValue)
      .sort((a, b) => (a.wired.name < b.wired.name ? -1 : 1));
    const page = all.slice(offset, offset + max).map((a): MetricAlarm => {
      const s = a.wired.spec;
      return {
        AlarmName: a.wired.name,
        AlarmArn: a.arn,
        AlarmDescription: s.description,
        ActionsEnabled: true,
        OKActions: [],
        AlarmActions: [],
        InsufficientDataActions: [],
        StateValue: a.state,
        StateReason: a.reason,
        ...(a.reasonData ? { StateReasonData: a.reasonData } : {}),
        StateUpdatedTimestamp: new Date(a.stateUpdatedMs),
        StateTransitionedTimestamp: new Date(a.stateUpdatedMs),
        MetricName: s.metric.metricName,
        Namespace: s.metric.namespace,
        Statistic: s.metric.statistic,
        Dimensions: Object.entries(s.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
        Period: s.metric.periodSeconds,
        EvaluationPeriods: s.evaluationPeriods,
        DatapointsToAlarm: s.datapointsToAlarm,
        Threshold: s.threshold,
        ComparisonOperator: s.comparison,
        TreatMissingData: s.treatMissingData,
      };
    });
    const next = offset + max < all.length ? String(offset + max) : undefined;
    return { MetricAlarms: page, CompositeAlarms: [], ...(next ? { NextToken: next } : {}) };
  }
}
