import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import type { Decision } from '../../../lambdas/core/decision';
import type { FlinkJobFailedEvidence } from '../../../lambdas/runtimes/managed-flink/failure-evidence';
import { FlinkJobFailedReason, planFlinkJobFailed } from '../../../lambdas/runtimes/managed-flink/restart-plan';
import type { JobFailedSettings } from '../../../lambdas/playbooks/job-failed/manifest';
import { JobFailedReason } from '../../../lambdas/runtimes/restart-judgment';
import { startFlinkApplicationAction, START_FLINK_APPLICATION } from '../../../lambdas/runtimes/managed-flink/start';
import { emrAndFlink } from '../../fixtures/cdk/emr-and-flink';
import { emrPipeline, flinkPipeline } from '../../helpers/pipelines';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const config = parseConfig(emrAndFlink);
const pipeline = flinkPipeline(config.pipelines.clicks);
const settings = pipeline.playbooks['job-failed'] as JobFailedSettings;
const R = FlinkJobFailedReason;

const failedMaintenance = {
  id: 'op-maint',
  operation: 'Maintenance',
  status: 'FAILED',
  startMs: NOW - 8 * MIN,
  endMs: NOW - 5 * MIN,
  error: 'Maintenance failed: insufficient capacity in the Availability Zone',
};

/** READY after a failed maintenance (no system rollback), a snapshot 30 minutes old. */
const evidence = (over: Partial<FlinkJobFailedEvidence> = {}): FlinkJobFailedEvidence => ({
  runtime: 'managed-flink',
  app: { status: 'READY', versionId: 7, runtimeEnvironment: 'FLINK-1_20', snapshotsEnabled: true, parallelism: 4 },
  newestSnapshot: { name: 'snapshot-a1', status: 'READY', versionId: 7, createdMs: NOW - 30 * MIN },
  operations: [failedMaintenance],
  failedOperation: failedMaintenance,
  metrics: { restartsMetric: 'fullRestarts', restarts: 0, downtimeMs: null, downtimeMinutes: 0, windowMinutes: 15 },
  log: [],
  restartsLastHour: 0,
  ...over,
});

const plan = (e: FlinkJobFailedEvidence, s: JobFailedSettings = settings, nowMs = NOW): Decision =>
  planFlinkJobFailed({
    pipelineName: 'clicks',
    pipeline,
    settings: s,
    evidence: e,
    nowMs,
    incidentId: 'clicks.job-failed.20261122T100000.abc123',
    trigger: { kind: 'sweep', dedupeKey: 'k' },
  });

const withBounds = (b: Partial<JobFailedSettings['bounds']>): JobFailedSettings => ({ ...settings, bounds: { ...settings.bounds, ...b } });

describe('Function: planFlinkJobFailed', () => {
  describe('an application READY after a failed operation', () => {
    it('starts it from its latest snapshot, never skipping the restore', () => {
      // Act
      const d = plan(evidence());
      // Assess
      expect(d).toMatchObject({ kind: 'fix', reason: JobFailedReason.RESTARTABLE });
      if (d.kind !== 'fix') return;
      expect(d.actions).toEqual([expect.objectContaining({ type: START_FLINK_APPLICATION, resource: 'kinesisanalytics:clicks-enricher' })]);
      const params = startFlinkApplicationAction.params.parse(d.actions[0]!.params);
      expect(params).toEqual({ applicationName: 'clicks-enricher', restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT', snapshotName: 'snapshot-a1', versionId: 7 });
      expect(startFlinkApplicationAction.checkBounds(params, { pipeline, settings })).toEqual([]);
      expect(d.evidence).toMatchObject({ applicationStatus: 'READY', failedOperation: 'Maintenance FAILED', newestSnapshotAgeSeconds: 1_800 });
    });

    it('cannot be made to skip the restore: the parameters refuse SKIP_RESTORE_FROM_SNAPSHOT, the bounds another application or an EMR pipeline', () => {
      const ok = { applicationName: 'clicks-enricher', restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT', snapshotName: 's', versionId: 1 };
      expect(startFlinkApplicationAction.params.safeParse({ ...ok, restoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' }).success).toBe(false);
      expect(
        startFlinkApplicationAction.checkBounds({ ...ok, restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT', applicationName: 'other' }, { pipeline, settings }),
      ).toEqual(['applicationName other is not the configured clicks-enricher']);
      const orders = emrPipeline(config.pipelines.orders);
      expect(startFlinkApplicationAction.checkBounds({ ...ok, restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' }, { pipeline: orders, settings })).toEqual([
        'job.kind emr-serverless: this action is for managed-flink jobs only',
      ]);
    });

    it('starts it when the system rollback failed too', () => {
      const rollback = { id: 'op-rb', operation: 'RollbackApplication', status: 'FAILED', startMs: NOW - 5 * MIN, endMs: NOW - 4 * MIN };
      expect(plan(evidence({ rollback })).kind).toBe('fix');
    });

    it('escalates a failure a start cannot fix, with the failure', () => {
      const failed = { ...failedMaintenance, operation: 'UpdateApplication', error: 'java.lang.ClassNotFoundException: com.example.clicks.EnrichJob' };
      const d = plan(evidence({ failedOperation: failed, operations: [failed] }));
      expect(d).toMatchObject({ kind: 'escalate', reason: JobFailedReason.NOT_RESTARTABLE, severity: 'error' });
      expect(d.summary).toContain('ClassNotFoundException');
    });

    it('never starts without snapshots, or without a READY snapshot', () => {
      expect(plan(evidence({ app: { ...evidence().app, snapshotsEnabled: false } }))).toMatchObject({ kind: 'escalate', reason: R.SNAPSHOTS_DISABLED });
      const { newestSnapshot: _none, ...noSnapshot } = evidence();
      expect(plan(noSnapshot)).toMatchObject({ kind: 'escalate', reason: R.SNAPSHOT_MISSING });
    });

    it('starts from a snapshot exactly as old as the source retention, and escalates one a millisecond older as lost data', () => {
      const at = (ageMs: number) => evidence({ newestSnapshot: { name: 'snapshot-a1', status: 'READY', versionId: 7, createdMs: NOW - ageMs } });
      expect(plan(at(24 * HOUR), withBounds({ maxCheckpointAgeHours: 48 })).kind).toBe('fix');
      expect(plan(at(24 * HOUR + 1), withBounds({ maxCheckpointAgeHours: 48 }))).toMatchObject({
        kind: 'escalate',
        reason: JobFailedReason.BEYOND_RETENTION,
        severity: 'critical',
      });
    });

    it('holds the snapshot age bound to the millisecond', () => {
      const at = (ageMs: number) => evidence({ newestSnapshot: { name: 'snapshot-a1', status: 'READY', versionId: 7, createdMs: NOW - ageMs } });
      expect(plan(at(2 * HOUR), withBounds({ maxCheckpointAgeHours: 2 })).kind).toBe('fix');
      expect(plan(at(2 * HOUR + 1), withBounds({ maxCheckpointAgeHours: 2 }))).toMatchObject({ kind: 'escalate', reason: R.SNAPSHOT_TOO_OLD });
    });

    it('starts within the budget and escalates once it is used', () => {
      expect(plan(evidence({ restartsLastHour: settings.maxActionsPerHour - 1 })).kind).toBe('fix');
      expect(plan(evidence({ restartsLastHour: settings.maxActionsPerHour }))).toMatchObject({ kind: 'escalate', reason: JobFailedReason.BUDGET_EXHAUSTED });
    });
  });

  describe('an application READY for another reason', () => {
    it('leaves an application a person stopped alone', () => {
      const stop = { id: 'op-stop', operation: 'StopApplication', status: 'SUCCESSFUL', startMs: NOW - 10 * MIN, endMs: NOW - 9 * MIN };
      const { failedOperation: _f, ...e } = evidence({ operations: [stop] });
      expect(plan(e)).toMatchObject({ kind: 'ignore', reason: R.STOPPED_BY_PERSON });
    });

    it('escalates a READY application with no failed operation, with the start command', () => {
      const { failedOperation: _f, ...e } = evidence({ operations: [] });
      const d = plan(e);
      expect(d).toMatchObject({ kind: 'escalate', reason: R.NOT_RUNNING, severity: 'warning' });
      if (d.kind === 'escalate') expect(d.recommendation.command).toContain('RESTORE_FROM_LATEST_SNAPSHOT');
    });
  });

  describe('a RUNNING application', () => {
    const running = (restarts: number, downtimeMs: number, log: FlinkJobFailedEvidence['log'] = []) => {
      const { failedOperation: _f, ...e } = evidence({
        app: { ...evidence().app, status: 'RUNNING' },
        operations: [],
        metrics: { restartsMetric: 'fullRestarts', restarts, downtimeMs, downtimeMinutes: downtimeMs > 0 ? 1 : 0, windowMinutes: 15 },
        log,
      });
      return e;
    };
    const npe = [
      { atMs: NOW - 9 * MIN, level: 'ERROR', text: 'Job clicks switched from RUNNING to RESTARTING.\njava.lang.NullPointerException: referrer is null' },
      {
        atMs: NOW - MIN,
        level: 'ERROR',
        text: 'Job clicks switched from RUNNING to RESTARTING.\norg.apache.flink.runtime.JobException: Recovery is suppressed',
      },
    ];

    it('watches Flink restart the job below the loop threshold, and escalates the loop at it with the first and newest errors', () => {
      expect(plan(running(settings.bounds.restartLoopRestarts - 1, 4_000, npe))).toMatchObject({ kind: 'recheck', reason: R.RESTARTING });
      const d = plan(running(settings.bounds.restartLoopRestarts, 4_000, npe));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.RESTART_LOOP, severity: 'error' });
      if (d.kind !== 'escalate') return;
      expect(d.summary).toContain('NullPointerException');
      expect(d.recommendation.detail).toMatchObject({
        firstError: expect.stringContaining('NullPointerException'),
        newestError: expect.stringContaining('Recovery is suppressed'),
      });
      expect(d.recommendation.command).toContain('aws logs filter-log-events --log-group-name /aws/kinesis-analytics/clicks-enricher');
    });

    it('names a loop a restart cannot fix as such', () => {
      const cnf = [{ atMs: NOW - MIN, level: 'ERROR', text: 'java.lang.ClassNotFoundException: com.example.Missing' }];
      expect(plan(running(5, 1_000, cnf))).toMatchObject({ kind: 'escalate', reason: JobFailedReason.NOT_RESTARTABLE });
    });

    it('ignores a job that Flink restarted and that runs again', () => {
      expect(plan(running(1, 0))).toMatchObject({ kind: 'ignore', reason: JobFailedReason.RUNNING });
    });

    it('reports a failed change the system rolled back', () => {
      const failed = { ...failedMaintenance, operation: 'UpdateApplication' };
      const rollback = { id: 'op-rb', operation: 'RollbackApplication', status: 'SUCCESSFUL', startMs: NOW - 5 * MIN, endMs: NOW - 4 * MIN };
      expect(plan({ ...running(0, 0), failedOperation: failed, rollback })).toMatchObject({ kind: 'escalate', reason: R.ROLLED_BACK, severity: 'warning' });
    });
  });

  describe('an application AWS is changing', () => {
    const changing = (heldMs: number) =>
      evidence({
        app: { ...evidence().app, status: 'UPDATING' },
        operations: [{ id: 'op-up', operation: 'UpdateApplication', status: 'IN_PROGRESS', startMs: NOW - heldMs }],
      });

    it('watches it, and escalates an operation that holds it past stuckOperationMinutes', () => {
      const stuck = settings.bounds.stuckOperationMinutes * MIN;
      expect(plan(changing(stuck - 1))).toMatchObject({ kind: 'recheck', reason: R.CHANGING });
      const d = plan(changing(stuck));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.STUCK });
      if (d.kind === 'escalate')
        expect(d.recommendation.command).toContain('rollback-application --application-name clicks-enricher --current-application-version-id 7');
    });

    it('watches a starting application and escalates one being deleted', () => {
      expect(plan(evidence({ app: { ...evidence().app, status: 'STARTING' } }))).toMatchObject({ kind: 'recheck' });
      expect(plan(evidence({ app: { ...evidence().app, status: 'DELETING' } }))).toMatchObject({ kind: 'escalate', reason: R.DELETING });
    });
  });
});
