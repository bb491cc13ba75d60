import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import type { Decision } from '../../../lambdas/core/decision';
import type { FlinkConsumerLagEvidence } from '../../../lambdas/playbooks/consumer-lag/flink-diagnose';
import { jobAge } from '../../../lambdas/playbooks/consumer-lag/flink-diagnose';
import { FlinkLagReason, planFlinkConsumerLag } from '../../../lambdas/playbooks/consumer-lag/flink-plan';
import type { KinesisSourceReading } from '../../../lambdas/playbooks/consumer-lag/kinesis';
import type { ConsumerLagSettings } from '../../../lambdas/playbooks/consumer-lag/manifest';
import { ConsumerLagReason } from '../../../lambdas/playbooks/consumer-lag/plan';
import { scaleFlinkApplicationAction, SCALE_FLINK_APPLICATION, type ScaleFlinkParams } from '../../../lambdas/runtimes/managed-flink/scale';
import { START_FLINK_APPLICATION } from '../../../lambdas/runtimes/managed-flink/start';
import { emrAndFlink } from '../../fixtures/cdk/emr-and-flink';
import { flinkPipeline } from '../../helpers/pipelines';
import { HOUR, lag, MIN, NOW } from './evidence';

const config = parseConfig(emrAndFlink);
const clicks = flinkPipeline(config.pipelines.clicks);
const ledger = flinkPipeline(config.pipelines.ledger);
const settings = clicks.playbooks['consumer-lag'] as ConsumerLagSettings;
const R = ConsumerLagReason;
const F = FlinkLagReason;

const kinesis = (over: Partial<KinesisSourceReading> = {}): KinesisSourceReading => ({
  streamName: 'clicks-events',
  retentionHours: 24,
  openShards: 8,
  shardLevelMetrics: [],
  shards: { level: 'stream', openShards: 8, shardsWithData: 0, stuck: [], suspect: [], othersMaxAgeMs: null },
  throttledMinutes: 0,
  throttledReads: 0,
  job: { phase: 'running', status: 'RUNNING', id: 'version 3', parallelism: 2 },
  ...over,
});

/** clicks at parallelism 2 over 8 shards, autoscaling off, falling behind with a healthy (absent) sink. */
const evidence = (over: Partial<FlinkConsumerLagEvidence> = {}): FlinkConsumerLagEvidence => ({
  runtime: 'managed-flink',
  lag: lag({ level: 'topic', unit: 'milliseconds', partitions: null, maxLag: 1_000_000, totalLag: 1_000_000, offsetsFrom: 'iterator-age' }),
  timeLagSeconds: null,
  throughput: { incomingRecordsPerSecond: 3_200, processedRecordsPerSecond: 2_000 },
  sink: null,
  actionsLastHour: 0,
  app: { status: 'RUNNING', versionId: 3, parallelism: 2, currentParallelism: 2, parallelismPerKPU: 1, autoScalingEnabled: false, snapshotsEnabled: true },
  job: { phase: 'running', status: 'RUNNING', id: 'version 3', parallelism: 2 },
  lagSource: 'source',
  resources: { cpuPercent: 95, heapPercent: 60, downtimeMs: 0 },
  jobAgeMs: 2 * HOUR,
  operators: [],
  kinesis: kinesis(),
  ...over,
});

const plan = (e: FlinkConsumerLagEvidence, s: ConsumerLagSettings = settings, pipeline = clicks): Decision =>
  planFlinkConsumerLag({
    pipelineName: pipeline === clicks ? 'clicks' : 'ledger',
    pipeline,
    settings: s,
    evidence: e,
    nowMs: NOW,
    incidentId: 'clicks.consumer-lag.20261122T095500.c0ffee',
    trigger: { kind: 'sweep', dedupeKey: 'k' },
  });

const withBounds = (b: Partial<ConsumerLagSettings['bounds']>): ConsumerLagSettings => ({ ...settings, bounds: { ...settings.bounds, ...b } });

describe('Function: planFlinkConsumerLag', () => {
  describe('a RUNNING application that falls behind on its own', () => {
    it('raises its parallelism to what the rates ask, capped by maxScaleFactor, with UpdateApplication', () => {
      // Act: 3,200 in ÷ 2,000 out × 1.25 headroom = 2 → 2 × 2 = 4, the maxScaleFactor cap.
      const d = plan(evidence());
      // Assess
      expect(d).toMatchObject({ kind: 'fix', reason: R.SCALE_OUT });
      if (d.kind !== 'fix') return;
      expect(d.actions).toEqual([expect.objectContaining({ type: SCALE_FLINK_APPLICATION, resource: 'kinesisanalytics:clicks-enricher' })]);
      const params = scaleFlinkApplicationAction.params.parse(d.actions[0]!.params);
      expect(params).toEqual({ applicationName: 'clicks-enricher', fromParallelism: 2, toParallelism: 4, sourcePartitions: 8 });
      expect(scaleFlinkApplicationAction.checkBounds(params, { pipeline: clicks, settings })).toEqual([]);
      expect(d.evidence).toMatchObject({ targetParallelism: 4, openShards: 8 });
    });

    it('never goes above the shards: the target stops at them, and at them it escalates "add shards"', () => {
      const six = evidence({ kinesis: kinesis({ openShards: 3 }) });
      const d = plan(six, withBounds({ maxScaleFactor: 4 }));
      expect(d.kind === 'fix' && scaleFlinkApplicationAction.params.parse(d.actions[0]!.params).toParallelism).toBe(3);
      const at = plan(evidence({ app: { ...evidence().app, parallelism: 8, currentParallelism: 8 } }));
      expect(at).toMatchObject({ kind: 'escalate', reason: R.PARTITION_BOUND, severity: 'error' });
      if (at.kind === 'escalate') expect(at.recommendation.command).toContain('aws kinesis update-shard-count --stream-name clicks-events');
    });

    it('escalates at maxParallelism', () => {
      expect(plan(evidence(), withBounds({ maxParallelism: 2 }))).toMatchObject({ kind: 'escalate', reason: R.AT_SCALE_BOUND });
      const d = plan(evidence(), withBounds({ maxParallelism: 3 }));
      expect(d.kind === 'fix' && scaleFlinkApplicationAction.params.parse(d.actions[0]!.params).toParallelism).toBe(3);
    });

    it('holds every scaling bound on the parameters themselves', () => {
      const p: ScaleFlinkParams = { applicationName: 'clicks-enricher', fromParallelism: 2, toParallelism: 4, sourcePartitions: 8 };
      const bounds = (over: Partial<typeof p>, s = settings) => scaleFlinkApplicationAction.checkBounds({ ...p, ...over }, { pipeline: clicks, settings: s });
      expect(bounds({ toParallelism: 5 })).toEqual(['toParallelism 5 is over 2 × maxScaleFactor 2 = 4']);
      expect(bounds({ toParallelism: 4, sourcePartitions: 3 })).toEqual(["toParallelism 4 is above the source's 3 partitions/shards"]);
      expect(bounds({ sourcePartitions: null })).toEqual([
        "sourcePartitions is unknown: parallelism is never raised without knowing the source's partitions or shards",
      ]);
      expect(bounds({ toParallelism: 2 })).toEqual(['toParallelism 2 is not above fromParallelism 2']);
      expect(bounds({}, withBounds({ maxParallelism: 3 }))).toEqual(['toParallelism 4 is over the bound maxParallelism 3']);
      expect(bounds({ applicationName: 'x' })).toEqual(['applicationName x is not the configured clicks-enricher']);
    });

    it('watches autoscaling below its ceiling and escalates at it', () => {
      const auto = (current: number) => evidence({ app: { ...evidence().app, autoScalingEnabled: true, currentParallelism: current, parallelismPerKPU: 1 } });
      expect(plan(auto(63), withBounds({ maxKPUs: 64 }))).toMatchObject({ kind: 'recheck', reason: F.AUTOSCALING });
      expect(plan(auto(64), withBounds({ maxKPUs: 64 }))).toMatchObject({ kind: 'escalate', reason: R.AT_SCALE_BOUND });
    });

    it('refuses an update that would drop the state, and scales only within the budget', () => {
      expect(plan(evidence({ app: { ...evidence().app, snapshotsEnabled: false } }))).toMatchObject({ kind: 'escalate', reason: F.SNAPSHOTS_DISABLED });
      expect(plan(evidence({ actionsLastHour: settings.maxActionsPerHour - 1 })).kind).toBe('fix');
      expect(plan(evidence({ actionsLastHour: settings.maxActionsPerHour }))).toMatchObject({ kind: 'escalate', reason: R.BUDGET_EXHAUSTED });
    });

    it('never scales blind on Kafka: unknown partitions escalate, known ones bound the target', () => {
      const kafka = (partitions: number | null, level: 'partition' | 'topic') =>
        evidence({
          kinesis: undefined as never,
          lag: lag({ level, partitions, partitionsTruncated: false, unit: 'records' }),
          app: { ...evidence().app, parallelism: 4, currentParallelism: 4 },
        });
      const { kinesis: _k, ...unknown } = kafka(null, 'topic');
      expect(plan(unknown, settings, ledger)).toMatchObject({ kind: 'escalate', reason: F.PARTITIONS_UNKNOWN });
      const { kinesis: _k2, ...known } = kafka(6, 'partition');
      const d = plan(known, settings, ledger);
      expect(d.kind === 'fix' && scaleFlinkApplicationAction.params.parse(d.actions[0]!.params)).toMatchObject({ toParallelism: 6, sourcePartitions: 6 });
    });
  });

  describe('before any scaling', () => {
    it('judges a job younger than minRunAgeMinutes too young, to the millisecond', () => {
      expect(plan(evidence({ jobAgeMs: settings.bounds.minRunAgeMinutes * MIN - 1 }))).toMatchObject({ kind: 'recheck', reason: R.RUN_TOO_YOUNG });
      expect(plan(evidence({ jobAgeMs: settings.bounds.minRunAgeMinutes * MIN })).kind).toBe('fix');
    });

    it('waits while the job restarts (downtime above 0)', () => {
      expect(plan(evidence({ resources: { cpuPercent: 10, heapPercent: 40, downtimeMs: 12_000 } }))).toMatchObject({
        kind: 'recheck',
        reason: F.JOB_RESTARTING,
      });
    });

    it('waits for catching up, ignores caught up, and warns of a saturated application that keeps up', () => {
      expect(plan(evidence({ lag: lag({ ...evidence().lag, trend: 'catching-up' }) }))).toMatchObject({ kind: 'recheck', reason: R.CATCHING_UP });
      expect(
        plan(evidence({ lag: lag({ ...evidence().lag, trend: 'caught-up' }), resources: { cpuPercent: 40, heapPercent: 40, downtimeMs: 0 } })),
      ).toMatchObject({ kind: 'ignore', reason: R.CAUGHT_UP });
      expect(
        plan(
          evidence({
            lag: lag({ ...evidence().lag, trend: 'caught-up' }),
            resources: { cpuPercent: settings.bounds.cpuAlarmPercent + 1, heapPercent: 40, downtimeMs: 0 },
          }),
        ),
      ).toMatchObject({ kind: 'escalate', reason: F.SATURATED, severity: 'warning' });
    });

    it('escalates rewound offsets, a stalled job and a hot key without scaling', () => {
      expect(plan(evidence({ lag: lag({ ...evidence().lag, trend: 'rewound' }) }))).toMatchObject({ kind: 'escalate', reason: R.REWOUND });
      expect(plan(evidence({ lag: lag({ ...evidence().lag, trend: 'stalled' }) }))).toMatchObject({ kind: 'escalate', reason: R.STALLED });
      expect(plan(evidence({ lag: lag({ ...evidence().lag, noProgressMinutes: settings.bounds.stallMinutes }) }))).toMatchObject({
        kind: 'escalate',
        reason: R.STALLED,
      });
      expect(
        plan(evidence({ lag: lag({ ...evidence().lag, skew: { skewed: true, hotPartitions: ['3'], hotLagShare: 0.9, othersHealthy: true } }) })),
      ).toMatchObject({ kind: 'escalate', reason: R.SKEW });
    });

    it('escalates a slow sink instead of scaling', () => {
      const sink = {
        deliveryStreamName: 'clicks-delivery',
        freshnessSeconds: settings.bounds.sinkMaxFreshnessSeconds + 1,
        throttledRecords: 0,
        incomingRecords: 10,
      };
      expect(plan(evidence({ sink }))).toMatchObject({ kind: 'escalate', reason: R.SINK_BACKPRESSURE });
    });
  });

  describe('the Kinesis source', () => {
    const stuck = { shardId: 'shardId-000000000002', how: 'growing' as const, ageMs: 30 * MIN, minutes: 30, retentionLeftHours: 23.5 };

    it('names a shard not read, its age and the retention left, and pages critical when the records are lost soon', () => {
      const d = plan(
        evidence({ kinesis: kinesis({ shards: { level: 'shard', openShards: 8, shardsWithData: 8, stuck: [stuck], suspect: [], othersMaxAgeMs: 200 } }) }),
      );
      expect(d).toMatchObject({ kind: 'escalate', reason: 'LAG_SHARD_NOT_READ', severity: 'error' });
      expect(d.summary).toContain('shardId-000000000002');
      expect(d.summary).toContain('23.5 h of retention left');
      const soon = { ...stuck, retentionLeftHours: settings.bounds.criticalRetentionHours };
      expect(
        plan(evidence({ kinesis: kinesis({ shards: { level: 'shard', openShards: 8, shardsWithData: 8, stuck: [soon], suspect: [], othersMaxAgeMs: 200 } }) })),
      ).toMatchObject({ severity: 'critical' });
    });

    it('watches a shard that has grown alone for a short while instead of scaling', () => {
      const w = { ...stuck, minutes: 3 };
      expect(
        plan(evidence({ kinesis: kinesis({ shards: { level: 'shard', openShards: 8, shardsWithData: 8, stuck: [], suspect: [w], othersMaxAgeMs: 200 } }) })),
      ).toMatchObject({ kind: 'recheck', reason: 'LAG_SHARD_AGE_GROWING' });
    });

    it('escalates reads throttled every minute of the alarm window, and only then', () => {
      expect(plan(evidence({ kinesis: kinesis({ throttledMinutes: settings.bounds.alarmMinutes, throttledReads: 40 }) }))).toMatchObject({
        kind: 'escalate',
        reason: 'LAG_SOURCE_READS_THROTTLED',
      });
      expect(plan(evidence({ kinesis: kinesis({ throttledMinutes: settings.bounds.alarmMinutes - 1, throttledReads: 40 }) })).kind).toBe('fix');
    });
  });

  describe('an application that is not running', () => {
    it("applies job-failed's judgment with this playbook's budget: a start from the latest snapshot", () => {
      const failed = { id: 'op', operation: 'Maintenance', status: 'FAILED', startMs: NOW - 9 * MIN, endMs: NOW - 6 * MIN, error: 'insufficient capacity' };
      const notRunning = {
        runtime: 'managed-flink' as const,
        app: { status: 'READY', versionId: 3, runtimeEnvironment: 'FLINK-1_20', snapshotsEnabled: true, parallelism: 2 },
        newestSnapshot: { name: 'snap', status: 'READY', versionId: 3, createdMs: NOW - HOUR },
        operations: [failed],
        failedOperation: failed,
        metrics: { restartsMetric: 'fullRestarts', restarts: 0, downtimeMs: null, downtimeMinutes: 0, windowMinutes: 15 },
        restartsLastHour: 0,
      };
      const e = evidence({ app: { ...evidence().app, status: 'READY' }, notRunning });
      const d = plan(e);
      expect(d).toMatchObject({ kind: 'fix', reason: R.JOB_NOT_RUNNING });
      if (d.kind === 'fix') expect(d.actions[0]!.type).toBe(START_FLINK_APPLICATION);
      expect(plan({ ...e, actionsLastHour: settings.maxActionsPerHour })).toMatchObject({ kind: 'escalate', reason: 'BUDGET_EXHAUSTED' });
    });

    it('looks again at an application that is starting', () => {
      expect(plan(evidence({ app: { ...evidence().app, status: 'STARTING' } }))).toMatchObject({ kind: 'recheck', reason: R.JOB_STARTING });
    });
  });
});

describe('Function: jobAge', () => {
  it('reads the newest uptime, else the end of the newest start, update or rollback', () => {
    expect(jobAge([{ atMs: NOW - 2 * MIN, value: 300_000 }], [], NOW)).toBe(360_000);
    const ops = [
      { id: 'b', operation: 'UpdateApplication', status: 'SUCCESSFUL', startMs: NOW - 4 * MIN, endMs: NOW - 3 * MIN },
      { id: 'a', operation: 'StartApplication', status: 'SUCCESSFUL', startMs: NOW - HOUR, endMs: NOW - HOUR + MIN },
    ];
    expect(jobAge([], ops, NOW)).toBe(3 * MIN);
    expect(jobAge([], [], NOW)).toBeNull();
  });
});
