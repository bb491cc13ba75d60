import { describe, expect, it } from 'vitest';
import { jobResource } from '../../../lambdas/runtimes/emr-serverless/job';
import { restartToken } from '../../../lambdas/runtimes/emr-serverless/restart';
import { RESTART_WITH_PARAMETERS, restartWithParametersAction, type RestartWithParametersParams } from '../../../lambdas/runtimes/emr-serverless/scale';
import { ConsumerLagReason as R } from '../../../lambdas/playbooks/consumer-lag/plan';
import { readExecutorSettings } from '../../../lambdas/runtimes/emr-serverless/spark-conf';
import { evidence, HOUR, INCIDENT, job, lag, MIN, NOW, pipeline, plan, run, settings, summary, withBounds } from './evidence';

const paramsOf = (d: ReturnType<typeof plan>) => {
  if (d.kind !== 'fix') throw new Error(`expected a fix, got ${d.kind} ${d.reason}`);
  expect(d.actions).toHaveLength(1);
  return d.actions[0]!.params as unknown as RestartWithParametersParams;
};

describe('Function: planConsumerLag (a run is active)', () => {
  describe('the job', () => {
    it('escalates two active runs of the job as critical and does nothing', () => {
      const second = summary(run({ jobRunId: '00second00000002', state: 'SCHEDULED' }));
      const d = plan(evidence({ job: { ...evidence().job, activeRuns: [summary(run()), second] } }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.TWO_RUNS, severity: 'critical' });
    });

    it('waits for a cancelling run and for a starting one', () => {
      expect(plan(evidence({}, run({ state: 'CANCELLING' })))).toMatchObject({ kind: 'recheck', reason: R.JOB_CANCELLING, afterSeconds: 60 });
      for (const state of ['SUBMITTED', 'PENDING', 'SCHEDULED', 'QUEUED']) {
        expect(plan(evidence({}, run({ state })))).toMatchObject({ kind: 'recheck', reason: R.JOB_STARTING, afterSeconds: 120 });
      }
    });

    it('escalates a run that is not a streaming Spark run', () => {
      expect(plan(evidence({}, run({ mode: 'BATCH' }))).reason).toBe(R.NOT_STREAMING_SPARK);
    });
  });

  describe('what the window says', () => {
    it('escalates when no lag metric exists for the group', () => {
      expect(plan(evidence({ lag: lag({ level: 'none', trend: 'unknown', totalLag: null }) }))).toMatchObject({
        kind: 'escalate',
        reason: R.NO_DATA,
        severity: 'warning',
      });
    });

    it('escalates rewound offsets before anything else, even with a slow sink', () => {
      const e = evidence({ lag: lag({ status: 'REWIND', groupStatus: 'ERR', trend: 'rewound' }) });
      e.sink!.freshnessSeconds = 5_000;
      expect(plan(e)).toMatchObject({ kind: 'escalate', reason: R.REWOUND, severity: 'error' });
    });

    it('ignores a caught-up group and rechecks a draining one after the window', () => {
      expect(plan(evidence({ lag: lag({ trend: 'caught-up', totalLag: 0 }) }))).toMatchObject({ kind: 'ignore', reason: R.CAUGHT_UP });
      const d = plan(evidence({ lag: lag({ status: 'OK', trend: 'catching-up', drainSeconds: 600 }) }));
      expect(d).toMatchObject({ kind: 'recheck', reason: R.CATCHING_UP, afterSeconds: 15 * 60 });
      expect(d.summary).toContain('~10 min');
    });

    it('rechecks a window too incomplete to judge', () => {
      expect(plan(evidence({ lag: lag({ trend: 'unknown', complete: 0.4 }) }))).toMatchObject({ kind: 'recheck', reason: R.WINDOW_INCOMPLETE });
    });
  });

  describe('sink backpressure', () => {
    const sink = (freshnessSeconds: number, throttledRecords: number, incomingRecords = 99_000) =>
      evidence({ sink: { deliveryStreamName: 'order-firehose', freshnessSeconds, throttledRecords, incomingRecords } });
    const bound = settings.bounds.sinkMaxFreshnessSeconds;

    it('escalates naming the sink when DataFreshness is one second above the bound, not at it', () => {
      expect(plan(sink(bound, 0)).reason).toBe(R.SCALE_OUT);
      const d = plan(sink(bound + 1, 0));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.SINK_BACKPRESSURE, evidence: { sink: 'order-firehose', sinkFreshnessSeconds: bound + 1 } });
      expect(d.summary).toContain('order-firehose');
    });

    it('escalates when more than 1% of the records are throttled, not at 1%', () => {
      expect(plan(sink(60, 1_000, 99_000)).reason).toBe(R.SCALE_OUT);
      expect(plan(sink(60, 1_001, 99_000))).toMatchObject({ kind: 'escalate', reason: R.SINK_BACKPRESSURE, evidence: { sinkThrottledRecords: 1_001 } });
    });

    it('escalates a stalled consumer behind a slow sink instead of restarting it', () => {
      const e = evidence({
        lag: lag({ status: 'STALL', groupStatus: 'ERR', trend: 'stalled' }),
        sink: { deliveryStreamName: 'order-firehose', freshnessSeconds: 3_600, throttledRecords: 0, incomingRecords: 0 },
      });
      expect(plan(e).reason).toBe(R.SINK_BACKPRESSURE);
    });
  });

  describe('a stalled or stopped consumer while the run is RUNNING', () => {
    const stalled = (over = {}) => evidence({ lag: lag({ status: 'STALL', groupStatus: 'ERR', trend: 'stalled' }), ...over });

    it.each(['stalled', 'stopped'] as const)('restarts a %s run with the same parameters, on the job resource', (trend) => {
      const d = plan(evidence({ lag: lag({ trend, status: trend === 'stalled' ? 'STALL' : 'STOP', groupStatus: 'ERR' }) }));
      expect(d).toMatchObject({ kind: 'fix', reason: R.STALLED });
      if (d.kind !== 'fix') return;
      expect(d.actions[0]).toMatchObject({ type: RESTART_WITH_PARAMETERS, resource: jobResource(job.applicationId, job.jobName) });
      const p = paramsOf(d);
      expect(p).toMatchObject({
        jobRunId: '00running0000001',
        previousSparkSubmitParameters: run().jobDriver.sparkSubmit!.sparkSubmitParameters,
        shutdownGracePeriodSeconds: 60,
        cancelWaitSeconds: 240,
      });
      expect(p.executors).toBeUndefined();
      expect(p.start).toMatchObject({
        clientToken: restartToken(INCIDENT, '00running0000001'),
        executionRoleArn: job.executionRoleArn,
        mode: 'STREAMING',
        jobDriver: run().jobDriver,
      });
      expect(p.start.tags).toMatchObject({ team: 'streaming', 'streamfix:incident': INCIDENT, 'streamfix:restart-of': '00running0000001' });
      expect(restartWithParametersAction.checkBounds(p, { pipeline, settings })).toEqual([]);
    });

    it('judges a run exactly minRunAgeMinutes old and waits for one a millisecond younger', () => {
      const age = settings.bounds.minRunAgeMinutes * MIN;
      expect(plan(stalled({}), NOW).kind).toBe('fix');
      const young = run({ createdAtMs: NOW - age + 1 });
      const d = plan({ ...stalled(), job: { activeRuns: [summary(young)], run: young, executors: readExecutorSettings(young.jobDriver) } });
      expect(d).toMatchObject({ kind: 'recheck', reason: R.RUN_TOO_YOUNG, afterSeconds: 60 });
      const exact = run({ createdAtMs: NOW - age });
      expect(plan({ ...stalled(), job: { activeRuns: [summary(exact)], run: exact, executors: readExecutorSettings(exact.jobDriver) } }).kind).toBe('fix');
    });

    it('restarts a consumer that has not moved for stallMinutes, waits on one still for 2 minutes, scales one that moves', () => {
      const still = (noProgressMinutes: number | null) => plan(evidence({ lag: lag({ noProgressMinutes }) }));
      const stall = settings.bounds.stallMinutes;
      expect(still(stall)).toMatchObject({ kind: 'fix', reason: R.STALLED });
      expect(still(stall).summary).toContain(`not moving for ${stall} min`);
      expect(still(stall - 1)).toMatchObject({ kind: 'recheck', reason: R.NOT_MOVING, afterSeconds: 60 });
      expect(still(2)).toMatchObject({ kind: 'recheck', reason: R.NOT_MOVING, afterSeconds: (stall - 2) * 60 });
      expect(still(1).reason).toBe(R.SCALE_OUT);
      expect(still(null).reason).toBe(R.SCALE_OUT);
    });

    it('restarts with one action left in the budget and escalates with none', () => {
      expect(plan(stalled({ actionsLastHour: settings.maxActionsPerHour - 1 })).kind).toBe('fix');
      expect(plan(stalled({ actionsLastHour: settings.maxActionsPerHour }))).toMatchObject({ kind: 'escalate', reason: R.BUDGET_EXHAUSTED });
    });
  });

  describe('falling behind', () => {
    it('scales ×2 for a 1.6× traffic increase (need 1.6 × headroom 1.25), restarting from the checkpoint', () => {
      const d = plan(evidence());
      expect(d).toMatchObject({ kind: 'fix', reason: R.SCALE_OUT, evidence: { targetExecutors: 8, wantedScaleFactor: 2 } });
      const p = paramsOf(d);
      expect(p.executors).toEqual({ setting: 'spark.executor.instances', from: 4, to: 8 });
      expect(p.start.jobDriver.sparkSubmit.sparkSubmitParameters).toBe(
        run().jobDriver.sparkSubmit!.sparkSubmitParameters!.replace('instances=4', 'instances=8'),
      );
      expect(restartWithParametersAction.checkBounds(p, { pipeline, settings })).toEqual([]);
    });

    it('asks for the measured need, at least one more executor, and takes the whole factor without rates', () => {
      const target = (incomingRecordsPerSecond: number | null, processedRecordsPerSecond: number | null) =>
        paramsOf(plan(evidence({ throughput: { incomingRecordsPerSecond, processedRecordsPerSecond } }))).executors!.to;
      expect(target(1_050, 1_000)).toBe(6); // 1.05 × 1.25 = 1.3125 → ceil(5.25)
      expect(target(500, 1_000)).toBe(5); // need below 1: one more
      expect(target(null, 1_000)).toBe(8);
      expect(target(2_000, 0)).toBe(8);
    });

    it('scales maxExecutors when dynamic allocation caps the job, never above maxExecutors', () => {
      const r = run({ jobDriver: { sparkSubmit: { entryPoint: 's3://x/y.py', sparkSubmitParameters: '--conf spark.dynamicAllocation.maxExecutors=15' } } });
      const p = paramsOf(plan(evidence({ lag: lag({ partitions: 200 }) }, r)));
      expect(p.executors).toEqual({ setting: 'spark.dynamicAllocation.maxExecutors', from: 15, to: 20 });
      expect(p.start.jobDriver.sparkSubmit.sparkSubmitParameters).toBe('--conf spark.dynamicAllocation.maxExecutors=20');
    });

    it('escalates at the scale bound with the add-partitions recommendation', () => {
      const r = run({ jobDriver: { sparkSubmit: { entryPoint: 's3://x/y.py', sparkSubmitParameters: '--conf spark.dynamicAllocation.maxExecutors=20' } } });
      const many = lag({ partitions: 200 });
      const d = plan(evidence({ lag: many }, r));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.AT_SCALE_BOUND, severity: 'error' });
      if (d.kind === 'escalate') {
        expect(d.recommendation.command).toContain('kafka-topics.sh');
        expect(d.recommendation.command).toContain('--alter --topic orders.raw --partitions 400');
        expect(d.recommendation.summary).toContain('maxExecutors');
      }
      // One below the bound still scales, to the bound.
      const below = run({ jobDriver: { sparkSubmit: { entryPoint: 's3://x/y.py', sparkSubmitParameters: '--conf spark.dynamicAllocation.maxExecutors=19' } } });
      expect(paramsOf(plan(evidence({ lag: many }, below))).executors!.to).toBe(20);
      // A factor that cannot add a whole executor is a bound too.
      expect(plan(evidence(), NOW, withBounds({ maxScaleFactor: 1.2 })).reason).toBe(R.AT_SCALE_BOUND);
      expect(paramsOf(plan(evidence(), NOW, withBounds({ maxScaleFactor: 1.25 }))).executors!.to).toBe(5);
    });

    it('escalates when every partition already has a task, and scales with one partition more', () => {
      // 4 executors × 4 cores = 16 tasks.
      expect(plan(evidence({ lag: lag({ partitions: 16 }) }))).toMatchObject({ kind: 'escalate', reason: R.PARTITION_BOUND });
      expect(plan(evidence({ lag: lag({ partitions: 17 }) })).reason).toBe(R.SCALE_OUT);
      expect(plan(evidence({ lag: lag({ partitions: 16, partitionsTruncated: true }) })).reason).toBe(R.SCALE_OUT);
    });

    it('escalates a job whose executors are not capped', () => {
      const r = run({ jobDriver: { sparkSubmit: { entryPoint: 's3://x/y.py', sparkSubmitParameters: '--conf spark.executor.memory=8g' } } });
      expect(plan(evidence({}, r))).toMatchObject({
        kind: 'escalate',
        reason: R.NOT_CAPPED,
        evidence: { executorSetting: 'spark.dynamicAllocation.maxExecutors', executors: null },
      });
    });

    it('escalates skew instead of scaling', () => {
      const d = plan(evidence({ lag: lag({ skew: { skewed: true, hotPartitions: ['17'], hotLagShare: 0.93, othersHealthy: true } }) }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.SKEW, severity: 'warning', evidence: { hotPartitions: '17', hotPartitionsLagPercent: 93 } });
      expect(d.summary).toContain('17');
    });

    it('escalates when the budget is used up instead of scaling', () => {
      expect(plan(evidence({ actionsLastHour: 2 }))).toMatchObject({ kind: 'escalate', reason: R.BUDGET_EXHAUSTED });
    });

    it('carries the numbers with their units', () => {
      const d = plan(evidence());
      expect(d.evidence).toMatchObject({
        lagTrend: 'falling-behind',
        maxLagRecords: 9_000,
        totalLagRecords: 240_000,
        lagSlopeRecordsPerSecond: 155.56,
        timeLagSeconds: 420,
        incomingRecordsPerSecond: 2_000,
        processedRecordsPerSecond: 1_250,
        sinkFreshnessSeconds: 120,
        sinkThrottledPercent: 0,
        executors: 4,
        coresPerExecutor: 4,
        jobRunState: 'RUNNING',
        partitionsWithData: 48,
      });
      expect(run().createdAtMs).toBe(NOW - 2 * HOUR);
    });
  });
});
