import { LagTrend } from '../../analysis/lag-trend';
import type { FlinkPipeline } from '../../config/schema';
import { escalate, fix, ignore, recheck, type Decision, type Evidence } from '../../core/decision';
import { flinkCommands } from '../../runtimes/managed-flink/commands';
import { flinkResource } from '../../runtimes/managed-flink/runtime';
import { SCALE_FLINK_APPLICATION, type ScaleFlinkParams } from '../../runtimes/managed-flink/scale';
import { planFlinkJobFailed } from '../../runtimes/managed-flink/restart-plan';
import { jobRestartSettingsOf } from '../../runtimes/restart-judgment';
import type { PlanInput } from '../../core/playbook';
import type { FlinkConsumerLagEvidence } from './flink-diagnose';
import { kinesisEvidence, planKinesisSource } from './kinesis';
import type { ConsumerLagSettings } from './manifest';
import { ConsumerLagReason } from './plan';
import { addPartitionsCommand, describeGroupCommand, sinkThrottledPercent } from './plan-support';

/**
 * consumer-lag on Managed Service for Apache Flink. Pure. The same judgment as on EMR: the job
 * first (not running → job-failed's Flink judgment, with this playbook's budget; starting,
 * restarting or changing → look again), the source's own problems (a Kinesis shard not read,
 * throttled reads), then the lag window of a running application: rewound, a slow sink, caught
 * up, catching up. A job that falls behind on its own is scaled only when autoscaling is off (with
 * it on, MSF scales up to ParallelismPerKPU × its KPU limit itself: watched, and escalated at that
 * ceiling), within [parallelism + 1, min(maxParallelism, parallelism × maxScaleFactor)], and never
 * above the source's partitions or shards: there, only more shards or partitions help.
 */

export const FlinkLagReason = {
  AUTOSCALING: 'LAG_FLINK_AUTOSCALING',
  JOB_RESTARTING: 'LAG_FLINK_JOB_RESTARTING',
  PARTITIONS_UNKNOWN: 'LAG_PARTITIONS_UNKNOWN',
  SATURATED: 'LAG_FLINK_SATURATED',
  SNAPSHOTS_DISABLED: 'LAG_FLINK_SNAPSHOTS_DISABLED',
} as const;

const R = ConsumerLagReason;
const F = FlinkLagReason;
type Input = PlanInput<ConsumerLagSettings, FlinkConsumerLagEvidence, FlinkPipeline>;

function evidenceOf(input: Input): Evidence {
  const { evidence: e, settings } = input;
  const l = e.lag;
  const ms = l.unit === 'milliseconds';
  const bottleneck = e.operators[0];
  return {
    applicationStatus: e.app.status,
    applicationVersionId: e.app.versionId,
    parallelism: e.app.parallelism,
    currentParallelism: e.app.currentParallelism,
    parallelismPerKPU: e.app.parallelismPerKPU,
    autoScalingEnabled: e.app.autoScalingEnabled,
    snapshotsEnabled: e.app.snapshotsEnabled,
    maxParallelismBound: settings.bounds.maxParallelism,
    lagSource: e.lagSource,
    lagTrend: l.trend,
    lagStatus: l.status,
    lagMetricsLevel: l.level,
    windowMinutes: l.windowMinutes,
    windowCompletePercent: Math.round(l.complete * 100),
    partitionsWithData: l.partitions,
    [ms ? 'iteratorAgeMs' : 'maxLagRecords']: l.maxLag,
    ...(ms ? {} : { totalLagRecords: l.totalLag }),
    drainSeconds: l.drainSeconds,
    noProgressMinutes: l.noProgressMinutes,
    incomingRecordsPerSecond: e.throughput.incomingRecordsPerSecond === null ? null : Number(e.throughput.incomingRecordsPerSecond.toFixed(1)),
    cpuPercent: e.resources.cpuPercent,
    heapPercent: e.resources.heapPercent,
    downtimeMs: e.resources.downtimeMs,
    jobAgeSeconds: e.jobAgeMs === null ? null : Math.round(e.jobAgeMs / 1000),
    busiestOperator: bottleneck?.operator ?? null,
    busiestOperatorBusyMsPerSecond: bottleneck?.busyTimeMsPerSecond ?? null,
    mostBackPressuredOperator:
      [...e.operators].sort((a, b) => (b.backPressuredTimeMsPerSecond ?? -1) - (a.backPressuredTimeMsPerSecond ?? -1))[0]?.operator ?? null,
    sink: e.sink?.deliveryStreamName ?? null,
    sinkFreshnessSeconds: e.sink?.freshnessSeconds ?? null,
    actionsLastHour: e.actionsLastHour,
    ...kinesisEvidence(e.kinesis),
  };
}

/** The source's partitions (Kafka, when MSK publishes them per partition) or open shards (Kinesis); null when unknown. */
export function sourcePartitions(e: FlinkConsumerLagEvidence): number | null {
  if (e.kinesis) return e.kinesis.openShards;
  return e.lag.level === 'partition' && !e.lag.partitionsTruncated ? e.lag.partitions : null;
}

export function planFlinkConsumerLag(input: Input): Decision {
  const { evidence: e, settings, pipeline, pipelineName } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const ev = evidenceOf(input);
  const status = e.app.status;
  if (status !== 'RUNNING') return planNotRunning(input, ev);
  const source = planKinesisSource(e.kinesis, b, ev, `application ${job.applicationName}`);
  if (source) return source;
  if ((e.resources.downtimeMs ?? 0) > 0) {
    return recheck(
      F.JOB_RESTARTING,
      `${job.applicationName} is RUNNING with downtime ${e.resources.downtimeMs} ms: its job is restarting (job-failed watches it); no scaling meanwhile`,
      ev,
      120,
    );
  }
  const l = e.lag;
  const lagText = l.unit === 'records' ? `${l.totalLag ?? l.maxLag ?? '?'} records behind` : `${l.maxLag ?? '?'} ms behind`;
  if (e.jobAgeMs !== null && e.jobAgeMs < b.minRunAgeMinutes * 60_000) {
    return recheck(
      R.RUN_TOO_YOUNG,
      `${job.applicationName}'s job started ${Math.round(e.jobAgeMs / 1000)} s ago: too young to judge (${l.trend}; a restarted job reads its backlog first)`,
      ev,
      Math.max(60, Math.ceil((b.minRunAgeMinutes * 60_000 - e.jobAgeMs) / 1000)),
    );
  }
  if (l.level === 'none') {
    return escalate(R.NO_DATA, `no lag metric for ${job.applicationName} in the last ${l.windowMinutes} min while it is RUNNING`, ev, 'warning', {
      summary: "neither the source nor the application publishes lag: check the source metrics and the application's metrics level",
      command: describeGroupCommand(pipeline),
    });
  }
  if (l.trend === LagTrend.Rewound) {
    return escalate(
      R.REWOUND,
      `the consumer's position moved backwards in the window (${lagText}): it was restored from an older snapshot or its offsets were reset`,
      ev,
      'error',
      {
        summary: 'find out who restored or reset the application before anything acts; records are re-read',
        command: flinkCommands.operations(job),
      },
    );
  }
  const sink = e.sink;
  const throttled = sinkThrottledPercent(e);
  if (sink && ((sink.freshnessSeconds ?? 0) > b.sinkMaxFreshnessSeconds || throttled > b.sinkMaxThrottledPercent)) {
    return escalate(
      R.SINK_BACKPRESSURE,
      `the sink ${sink.deliveryStreamName} is the bottleneck (DataFreshness ${sink.freshnessSeconds ?? '?'} s, ${throttled.toFixed(2)}% throttled): more parallelism would only push harder`,
      ev,
      'error',
      {
        summary: `fix delivery of Firehose stream ${sink.deliveryStreamName} first (the firehose-delivery playbook covers it)`,
        command: `aws firehose describe-delivery-stream --delivery-stream-name ${sink.deliveryStreamName}`,
      },
    );
  }
  const saturated = (e.resources.cpuPercent ?? 0) > b.cpuAlarmPercent || (e.resources.heapPercent ?? 0) > b.heapAlarmPercent;
  if (l.trend === LagTrend.CaughtUp) {
    if (saturated) {
      return escalate(
        F.SATURATED,
        `${job.applicationName} keeps up (${lagText}) but runs at CPU ${e.resources.cpuPercent ?? '?'}% / heap ${e.resources.heapPercent ?? '?'}%`,
        ev,
        'warning',
        {
          summary: 'nothing is behind yet: give the application more parallelism (or turn autoscaling on) before it falls behind; not changed automatically',
          command: flinkCommands.parallelism(job, e.app.versionId, Math.min(b.maxParallelism, (e.app.parallelism ?? 1) * 2)),
        },
      );
    }
    return ignore(R.CAUGHT_UP, `${job.applicationName} is caught up (${lagText})`, ev);
  }
  if (l.trend === LagTrend.CatchingUp) {
    const eta = l.drainSeconds !== null ? `, drained in ~${Math.ceil(l.drainSeconds / 60)} min at this pace` : '';
    return recheck(R.CATCHING_UP, `lag is shrinking (${lagText}${eta}); no action`, ev, l.windowMinutes * 60);
  }
  if (l.trend === LagTrend.Unknown)
    return recheck(
      R.WINDOW_INCOMPLETE,
      `only ${Math.round(l.complete * 100)}% of the ${l.windowMinutes}-minute window has samples: not enough to judge`,
      ev,
      300,
    );
  const still = l.noProgressMinutes !== null && l.noProgressMinutes >= b.stallMinutes;
  if (l.trend === LagTrend.Stalled || l.trend === LagTrend.Stopped || still) {
    const op = e.operators[0];
    return escalate(
      R.STALLED,
      `${job.applicationName} is RUNNING but its position does not move (${lagText}${op ? `; busiest operator ${op.operator} at ${op.busyTimeMsPerSecond} ms/s` : ''})`,
      ev,
      'error',
      {
        summary:
          "a running job that reads nothing: look for a stuck operator (backpressure, busy time) and its exceptions; a stop (with a snapshot) and start is a person's call",
        command: flinkCommands.errors(job, input.nowMs - l.windowMinutes * 60_000),
      },
    );
  }
  if (l.skew.skewed) {
    const hot = l.skew.hotPartitions.length > 0 ? `partition(s) ${l.skew.hotPartitions.join(', ')}` : 'one partition';
    return escalate(
      R.SKEW,
      `${hot} hold ${Math.round(l.skew.hotLagShare * 100)}% of the lag while the others keep up: a hot key; more parallelism will not help`,
      ev,
      'warning',
      {
        summary: 'find the hot key and spread it; scaling the application does not speed up one partition',
        command: describeGroupCommand(pipeline),
      },
    );
  }
  return planScale(input, ev, lagText, pipelineName);
}

function planScale(input: Input, ev: Evidence, lagText: string, pipelineName: string): Decision {
  const { evidence: e, settings, pipeline } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const current = e.app.parallelism;
  const partitions = sourcePartitions(e);
  const behind = `${job.applicationName} falls behind (${lagText})`;
  if (e.app.autoScalingEnabled) {
    const ceiling = (e.app.parallelismPerKPU ?? 1) * b.maxKPUs;
    if ((e.app.currentParallelism ?? 0) < ceiling) {
      return recheck(
        F.AUTOSCALING,
        `${behind} with autoscaling on at parallelism ${e.app.currentParallelism ?? '?'} of ${ceiling}: MSF scales it; watched`,
        ev,
        600,
      );
    }
    return escalate(
      R.AT_SCALE_BOUND,
      `${behind} with autoscaling at its ceiling (${e.app.currentParallelism} = ParallelismPerKPU ${e.app.parallelismPerKPU ?? 1} × ${b.maxKPUs} KPUs)`,
      ev,
      'error',
      {
        summary: "the application's KPU limit is reached: request a limit increase (never automatic), or add shards/partitions if the source bounds it",
        command: flinkCommands.describe(job),
      },
    );
  }
  if (current === null) {
    return escalate(R.NOT_CAPPED, `${behind} but its parallelism is not readable`, ev, 'warning', {
      summary: "read the application's parallelism configuration",
      command: flinkCommands.describe(job),
    });
  }
  if (partitions === null) {
    return escalate(
      F.PARTITIONS_UNKNOWN,
      `${behind} at parallelism ${current}, but the source's partitions are unknown: parallelism is never raised blind`,
      ev,
      'warning',
      {
        summary: 'turn on per-partition lag metrics (MSK PER_TOPIC_PER_PARTITION monitoring) so the partition bound can be checked, or scale by hand',
        command: flinkCommands.parallelism(job, e.app.versionId, Math.min(b.maxParallelism, current * 2)),
      },
    );
  }
  if (current >= partitions) {
    return escalate(
      R.PARTITION_BOUND,
      `${behind} at parallelism ${current}, already at the source's ${partitions} ${e.kinesis ? 'shards' : 'partitions'}: more parallelism would idle`,
      ev,
      'error',
      {
        summary: `add ${e.kinesis ? 'shards to the stream' : 'partitions to the topic'} (never automatic), then raise the parallelism`,
        command: addPartitionsCommand(pipeline, partitions),
      },
    );
  }
  const cap = Math.min(b.maxParallelism, Math.floor(current * b.maxScaleFactor), partitions);
  const { incomingRecordsPerSecond: inRate, processedRecordsPerSecond: outRate } = e.throughput;
  const wanted = inRate !== null && outRate !== null && outRate > 0 ? (inRate / outRate) * b.scaleHeadroom : b.maxScaleFactor;
  const target = Math.min(cap, Math.max(current + 1, Math.ceil(current * wanted - 1e-9)));
  if (target <= current) {
    return escalate(R.AT_SCALE_BOUND, `${behind} at parallelism ${current}, already at the bound ${cap} (maxParallelism ${b.maxParallelism})`, ev, 'error', {
      summary: `raise pipelines.${pipelineName}.playbooks.consumer-lag.bounds.maxParallelism, or add shards/partitions`,
      command: addPartitionsCommand(pipeline, partitions),
    });
  }
  if (!e.app.snapshotsEnabled) {
    return escalate(F.SNAPSHOTS_DISABLED, `${behind}, but snapshots are disabled: an update restarts the application without its state`, ev, 'error', {
      summary: 'turn snapshots on before changing the running application, or accept losing its state and update it by hand',
      command: flinkCommands.parallelism(job, e.app.versionId, target),
    });
  }
  if (e.actionsLastHour >= settings.maxActionsPerHour) {
    return escalate(
      R.BUDGET_EXHAUSTED,
      `${behind}, but ${e.actionsLastHour} action(s) on it in the last hour use the budget of ${settings.maxActionsPerHour}`,
      ev,
      'error',
      {
        summary:
          "the application was restarted or rescaled already this hour and the lag is back: find the bottleneck (operators' busy and back-pressured time) before acting again",
        command: flinkCommands.operations(job),
      },
    );
  }
  const params: ScaleFlinkParams = { applicationName: job.applicationName, fromParallelism: current, toParallelism: target, sourcePartitions: partitions };
  return fix(
    R.SCALE_OUT,
    `${behind} with a healthy sink and no skew: parallelism ${current} → ${target} (source ${partitions} ${e.kinesis ? 'shards' : 'partitions'}, bound ${cap})`,
    { ...ev, targetParallelism: target, wantedScaleFactor: Number(wanted.toFixed(2)) },
    [
      {
        type: SCALE_FLINK_APPLICATION,
        resource: flinkResource(job),
        description: `UpdateApplication ${job.applicationName} on its current version: parallelism ${current} → ${target}`,
        params: params as unknown as Record<string, unknown>,
      },
    ],
  );
}

/** Not RUNNING: job-failed's Flink judgment decides, with this playbook's budget (as on EMR). */
function planNotRunning(input: Input, ev: Evidence): Decision {
  const { evidence: e, pipeline, settings } = input;
  const job = pipeline.job;
  if (!e.notRunning) return recheck(R.JOB_STARTING, `${job.applicationName} is ${e.app.status}`, ev, 120);
  const jf = { ...jobRestartSettingsOf(pipeline), maxActionsPerHour: settings.maxActionsPerHour };
  const d = planFlinkJobFailed({ ...input, settings: jf, evidence: { ...e.notRunning, restartsLastHour: e.actionsLastHour } });
  const merged = { ...d.evidence, ...ev };
  const why = `${job.applicationName} is ${e.app.status} and the lag grows`;
  switch (d.kind) {
    case 'fix':
      return fix(R.JOB_NOT_RUNNING, `${why}: ${d.summary}`, merged, d.actions);
    case 'ignore':
      return escalate(R.JOB_STOPPED, `${why}; not started automatically: ${d.summary}`, merged, 'warning', {
        summary: 'start the application again when it should run; until then the lag keeps growing',
        command: flinkCommands.startFromLatestSnapshot(job),
      });
    case 'escalate':
      return escalate(d.reason, `${why}: ${d.summary}`, merged, d.severity, d.recommendation);
    case 'recheck':
      return recheck(d.reason, `${why}: ${d.summary}`, merged, d.afterSeconds);
  }
}
