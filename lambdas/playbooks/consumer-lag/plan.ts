import { escalate, fix, ignore, recheck, type Decision, type Evidence } from '../../core/decision';
import { LagTrend } from '../../analysis/lag-trend';
import { jobRestartSettingsOf } from '../../runtimes/restart-judgment';
import { planJobFailed } from '../../runtimes/emr-serverless/restart-plan';
import type { EmrPipeline } from '../../config/schema';
import type { PlanInput } from '../../core/playbook';
import type { ConsumerLagEvidence } from './diagnose';
import { planKinesisSource } from './kinesis';
import type { ConsumerLagSettings } from './manifest';
import {
  addPartitionsCommand,
  describeGroupCommand,
  getRunCommand,
  lagEvidence,
  replaceRunAction,
  restartCommand,
  scaleTarget,
  sinkThrottledPercent,
} from './plan-support';

export const ConsumerLagReason = {
  CATCHING_UP: 'LAG_CATCHING_UP',
  CAUGHT_UP: 'LAG_CAUGHT_UP',
  WINDOW_INCOMPLETE: 'LAG_WINDOW_INCOMPLETE',
  NO_DATA: 'LAG_DATA_MISSING',
  JOB_NOT_RUNNING: 'LAG_JOB_NOT_RUNNING',
  JOB_STOPPED: 'LAG_JOB_STOPPED',
  JOB_STARTING: 'LAG_JOB_STARTING',
  JOB_CANCELLING: 'LAG_JOB_CANCELLING',
  TWO_RUNS: 'LAG_TWO_RUNS_ACTIVE',
  REWOUND: 'LAG_OFFSETS_REWOUND',
  SINK_BACKPRESSURE: 'LAG_SINK_BACKPRESSURE',
  RUN_TOO_YOUNG: 'LAG_RUN_STARTED_RECENTLY',
  STALLED: 'LAG_CONSUMER_STALLED',
  SKEW: 'LAG_PARTITION_SKEW',
  NOT_CAPPED: 'LAG_EXECUTORS_NOT_CAPPED',
  PARTITION_BOUND: 'LAG_PARTITIONS_BOUND',
  AT_SCALE_BOUND: 'LAG_AT_SCALE_BOUND',
  BUDGET_EXHAUSTED: 'LAG_BUDGET_EXHAUSTED',
  SCALE_OUT: 'LAG_SCALE_OUT',
  NOT_STREAMING_SPARK: 'LAG_RUN_NOT_STREAMING_SPARK',
  NOT_MOVING: 'LAG_CONSUMER_NOT_MOVING',
} as const;

const R = ConsumerLagReason;
const MIN = 60_000;
const STARTING = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'QUEUED'];
/** No progress for this long is not yet a stall, but too unclear to scale on: hung and slow look alike. */
const NOT_MOVING_MINUTES = 2;

/**
 * Pure. The job first (not running → job-failed's restart; starting or cancelling → look
 * again), then the lag window of a RUNNING job: rewound offsets and a slow sink escalate,
 * catching up waits, a stalled or stopped consumer is restarted, and a job that falls behind
 * on its own is scaled within bounds — unless the lag sits on a few partitions or the job is
 * already at its bound, which only a person can change.
 */
export function planConsumerLag(input: PlanInput<ConsumerLagSettings, ConsumerLagEvidence, EmrPipeline>): Decision {
  const { evidence: e, settings, pipeline, nowMs, incidentId, pipelineName } = input;
  const b = settings.bounds;
  const job = pipeline.job;
  const ev = lagEvidence(e, b);
  const active = e.job.activeRuns;

  if (active.length === 0) return planNotRunning(input, ev);
  if (active.length > 1) {
    return escalate(
      R.TWO_RUNS,
      `${active.length} runs of ${job.jobName} are active (${active.map((r) => `${r.jobRunId} ${r.state}`).join(', ')}): two runs on one checkpoint`,
      ev,
      'critical',
      {
        summary: 'cancel every run but one by hand; streamfix never acts while two runs share a checkpoint',
        command: `aws emr-serverless list-job-runs --application-id ${job.applicationId} --states RUNNING SUBMITTED PENDING SCHEDULED QUEUED`,
      },
    );
  }
  const a = active[0]!;
  if (a.state === 'CANCELLING') return recheck(R.JOB_CANCELLING, `run ${a.jobRunId} is CANCELLING`, ev, 60);
  if (STARTING.includes(a.state)) return recheck(R.JOB_STARTING, `run ${a.jobRunId} is ${a.state}: the job is starting`, ev, 120);

  const source = planKinesisSource(e.kinesis, b, ev, `run ${a.jobRunId} of ${job.jobName}`);
  if (source) return source;
  const l = e.lag;
  const lagText = l.unit === 'records' ? `${l.totalLag ?? '?'} records behind` : `iterator age ${l.maxLag ?? '?'} ms`;
  if (l.level === 'none') {
    return escalate(R.NO_DATA, `no lag metric for ${sourceName(input)} in the last ${l.windowMinutes} min while run ${a.jobRunId} is RUNNING`, ev, 'warning', {
      summary: 'MSK publishes lag only for a STABLE or EMPTY group with committed offsets: check the group is not rebalancing and commits offsets',
      command: describeGroupCommand(pipeline),
    });
  }
  if (l.trend === LagTrend.Rewound) {
    return escalate(R.REWOUND, `the consumer's position moved backwards in the window (${lagText}): offsets were reset`, ev, 'error', {
      summary: "someone reset the group's offsets or the checkpoint: find out who and why before anything restarts; records may be re-read",
      command: describeGroupCommand(pipeline),
    });
  }
  const sink = e.sink;
  const throttled = sinkThrottledPercent(e);
  const slowSink = sink && ((sink.freshnessSeconds ?? 0) > b.sinkMaxFreshnessSeconds || throttled > b.sinkMaxThrottledPercent);
  if (sink && slowSink) {
    return escalate(
      R.SINK_BACKPRESSURE,
      `the sink ${sink.deliveryStreamName} is the bottleneck (DataFreshness ${sink.freshnessSeconds ?? '?'} s, ${throttled.toFixed(2)}% throttled): more executors would only push harder`,
      ev,
      'error',
      {
        summary: `fix delivery of Firehose stream ${sink.deliveryStreamName} first (the firehose-delivery playbook covers it); no scaling while the sink pushes back`,
        command: `aws firehose describe-delivery-stream --delivery-stream-name ${sink.deliveryStreamName}`,
      },
    );
  }
  if (l.trend === LagTrend.CaughtUp) return ignore(R.CAUGHT_UP, `${sourceName(input)} is caught up (${lagText})`, ev);
  if (l.trend === LagTrend.CatchingUp) {
    const eta = l.drainSeconds !== null ? `, drained in ~${Math.ceil(l.drainSeconds / 60)} min at this pace` : '';
    return recheck(R.CATCHING_UP, `lag is shrinking (${lagText}${eta}); no action`, ev, l.windowMinutes * 60);
  }
  const run = e.job.run;
  const ageMs = nowMs - (run?.createdAtMs ?? a.createdAtMs);
  if (ageMs < b.minRunAgeMinutes * MIN) {
    return recheck(
      R.RUN_TOO_YOUNG,
      `run ${a.jobRunId} started ${Math.round(ageMs / 1000)} s ago: too young to judge (${l.trend})`,
      ev,
      Math.max(60, Math.ceil((b.minRunAgeMinutes * MIN - ageMs) / 1000)),
    );
  }
  if (l.trend === LagTrend.Unknown) {
    return recheck(
      R.WINDOW_INCOMPLETE,
      `only ${Math.round(l.complete * 100)}% of the ${l.windowMinutes}-minute window has samples: not enough to judge`,
      ev,
      300,
    );
  }
  if (!run?.jobDriver.sparkSubmit || run.mode !== 'STREAMING') {
    return escalate(R.NOT_STREAMING_SPARK, `run ${a.jobRunId} is not a STREAMING Spark run (${run?.mode ?? 'unknown mode'}); lag is ${l.trend}`, ev, 'error', {
      summary: 'streamfix only restarts or rescales streaming Spark runs: look at the job by hand',
      command: getRunCommand(job.applicationId, a.jobRunId),
    });
  }
  const budgetLeft = e.actionsLastHour < settings.maxActionsPerHour;
  // Burrow's STALL needs a whole window without progress; a position still for stallMinutes is enough.
  const still = l.noProgressMinutes !== null && l.noProgressMinutes >= b.stallMinutes;
  if (l.trend === LagTrend.Stalled || l.trend === LagTrend.Stopped || (l.trend === LagTrend.FallingBehind && still)) {
    const how = l.trend === LagTrend.FallingBehind ? `not moving for ${l.noProgressMinutes} min` : l.trend;
    if (!budgetLeft) return overBudget(input, ev, `the consumer is ${how} while run ${run.jobRunId} is RUNNING`);
    return fix(R.STALLED, `the consumer is ${how} (${lagText}) while run ${run.jobRunId} is RUNNING: restart the hung run from its checkpoint`, ev, [
      replaceRunAction(run, pipeline, incidentId, b),
    ]);
  }
  if (l.noProgressMinutes !== null && l.noProgressMinutes >= NOT_MOVING_MINUTES) {
    return recheck(
      R.NOT_MOVING,
      `the consumer has not moved for ${l.noProgressMinutes} min (${lagText}): hung or in a long batch; look again before restarting or scaling`,
      ev,
      (b.stallMinutes - l.noProgressMinutes) * 60,
    );
  }
  // Falling behind with a healthy sink: where is the bottleneck?
  if (l.skew.skewed) {
    const hot = l.skew.hotPartitions.length > 0 ? `partition(s) ${l.skew.hotPartitions.join(', ')}` : 'one partition';
    return escalate(
      R.SKEW,
      `${hot} hold ${Math.round(l.skew.hotLagShare * 100)}% of the lag while the others keep up: a hot key or a skewed producer; more executors will not help`,
      ev,
      'warning',
      {
        summary: 'find the hot key (per-partition lag, producer keys) and spread it; scaling the job does not speed up one partition',
        command: describeGroupCommand(pipeline),
      },
    );
  }
  const x = e.job.executors;
  if (!x || x.executors === undefined) {
    return escalate(
      R.NOT_CAPPED,
      `the job falls behind (${lagText}) but ${x?.setting ?? 'its executor setting'} is not set: executors are not what limits it`,
      ev,
      'warning',
      {
        summary: 'the job is not capped by an executor count: look for the bottleneck in the job (Spark UI: batch duration, skew, GC) or add partitions',
        command: getRunCommand(job.applicationId, run.jobRunId),
      },
    );
  }
  const partitions = l.level === 'partition' && !l.partitionsTruncated ? l.partitions : null;
  if (partitions !== null && partitions > 0 && x.executors * x.coresPerExecutor >= partitions) {
    return escalate(
      R.PARTITION_BOUND,
      `${x.executors} executors × ${x.coresPerExecutor} cores already read all ${partitions} partitions in parallel: more executors would idle`,
      ev,
      'error',
      {
        summary: 'add partitions to the topic (never automatic: it remaps keys and breaks per-key ordering), then scale',
        command: addPartitionsCommand(pipeline, partitions),
      },
    );
  }
  const { target, cap, wantedFactor } = scaleTarget(x.executors, e, b);
  if (target <= x.executors) {
    return escalate(
      R.AT_SCALE_BOUND,
      `the job falls behind (${lagText}) at ${x.setting}=${x.executors}, already at the scale bound ${cap} (maxExecutors ${b.maxExecutors})`,
      ev,
      'error',
      {
        summary: `add partitions to the topic (never automatic), or raise pipelines.${pipelineName}.playbooks.consumer-lag.bounds.maxExecutors`,
        command: addPartitionsCommand(pipeline, partitions),
      },
    );
  }
  if (!budgetLeft) return overBudget(input, ev, `the job falls behind at ${x.setting}=${x.executors}`);
  const scaled: Evidence = { ...ev, targetExecutors: target, wantedScaleFactor: Number(wantedFactor.toFixed(2)) };
  return fix(
    R.SCALE_OUT,
    `the job falls behind (${lagText}) with a healthy sink and no skew: restart it from its checkpoint with ${x.setting} ${x.executors} → ${target}`,
    scaled,
    [replaceRunAction(run, pipeline, incidentId, b, { settings: x, to: target })],
  );
}

const sourceName = (input: PlanInput<ConsumerLagSettings, ConsumerLagEvidence, EmrPipeline>): string => {
  const s = input.pipeline.source;
  return s.kind === 'msk' ? `group ${s.consumerGroup} on ${s.topic}` : `stream ${s.streamName}`;
};

function overBudget(input: PlanInput<ConsumerLagSettings, ConsumerLagEvidence, EmrPipeline>, ev: Evidence, what: string): Decision {
  const e = input.evidence;
  return escalate(
    R.BUDGET_EXHAUSTED,
    `${what}, but ${e.actionsLastHour} action(s) on the job in the last hour use the budget of ${input.settings.maxActionsPerHour}`,
    ev,
    'error',
    {
      summary: 'the job was restarted or rescaled already this hour and the lag is back: find the cause before acting again',
      command: describeGroupCommand(input.pipeline),
    },
  );
}

/**
 * No run of the job is active: job-failed's judgment decides (its restartable / not
 * restartable / cancelled-by-a-person rules, checkpoint age and retention), with this
 * playbook's budget. Its restart becomes this playbook's fix with the same action and resource.
 */
function planNotRunning(input: PlanInput<ConsumerLagSettings, ConsumerLagEvidence, EmrPipeline>, ev: Evidence): Decision {
  const { evidence: e, pipeline, settings } = input;
  const jfSettings = { ...jobRestartSettingsOf(pipeline), maxActionsPerHour: settings.maxActionsPerHour };
  const d = planJobFailed({
    ...input,
    settings: jfSettings,
    evidence: {
      ...(e.job.lastEnded ? { run: e.job.lastEnded } : {}),
      runSource: e.job.lastEnded ? 'newest-run' : 'none',
      activeRuns: [],
      checkpoint: e.job.checkpoint ?? { exists: false, commitFiles: 0, complete: true },
      restartsLastHour: e.actionsLastHour,
      ...(e.job.lastEndedHistory ? { history: e.job.lastEndedHistory } : {}),
    },
  });
  const merged = { ...d.evidence, ...ev };
  const why = `no run of ${pipeline.job.jobName} is active and the lag grows`;
  switch (d.kind) {
    case 'fix':
      return fix(R.JOB_NOT_RUNNING, `${why}: ${d.summary}`, merged, d.actions);
    case 'ignore':
      return escalate(R.JOB_STOPPED, `${why}; not restarted automatically: ${d.summary}`, merged, 'warning', {
        summary: 'start the job again when it should run; until then the lag keeps growing',
        command: restartCommand(e.job.lastEnded, pipeline.job.applicationId),
      });
    case 'escalate':
      return escalate(d.reason, `${why}: ${d.summary}`, merged, d.severity, d.recommendation);
    case 'recheck':
      return recheck(d.reason, `${why}: ${d.summary}`, merged, d.afterSeconds);
  }
}
