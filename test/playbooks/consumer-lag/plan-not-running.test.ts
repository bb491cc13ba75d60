import { emrPipeline } from '../../helpers/pipelines';
import { describe, expect, it } from 'vitest';
import { startJobRunAction } from '../../../lambdas/runtimes/emr-serverless/start-run';
import { jobResource } from '../../../lambdas/runtimes/emr-serverless/job';
import { restartToken, START_JOB_RUN } from '../../../lambdas/runtimes/emr-serverless/restart';
import { JobFailedReason } from '../../../lambdas/runtimes/restart-judgment';
import type { ConsumerLagEvidence } from '../../../lambdas/playbooks/consumer-lag/diagnose';
import { ConsumerLagReason as R } from '../../../lambdas/playbooks/consumer-lag/plan';
import { parseConfig } from '../../../lambdas/schema';
import exampleConfig from '../../../streamfix.config';
import { evidence, HOUR, INCIDENT, job, lag, MIN, NOW, pipeline, plan, run, settings } from './evidence';

const crashed = run({ jobRunId: '00crashed000001', state: 'FAILED', stateDetails: 'ExecutorLostFailure: exit code 137', updatedAtMs: NOW - 10 * MIN });

/** No run active; the newest ended run and the checkpoint as diagnosed. */
const notRunning = (over: Partial<ConsumerLagEvidence['job']> = {}, rest: Partial<ConsumerLagEvidence> = {}) =>
  evidence({
    lag: lag({ status: 'STOP', groupStatus: 'ERR', trend: 'stopped' }),
    job: { activeRuns: [], lastEnded: crashed, checkpoint: { exists: true, lastWriteMs: NOW - 11 * MIN, commitFiles: 90, complete: true }, ...over },
    ...rest,
  });

describe('Function: planConsumerLag (no run active)', () => {
  it("restarts the job from its checkpoint with job-failed's action, resource and idempotency token", () => {
    // Act
    const d = plan(notRunning());
    // Assess
    expect(d).toMatchObject({ kind: 'fix', reason: R.JOB_NOT_RUNNING });
    if (d.kind !== 'fix') return;
    const a = d.actions[0]!;
    expect(a.type).toBe(START_JOB_RUN);
    expect(a.resource).toBe(jobResource(job.applicationId, job.jobName));
    expect(a.params).toMatchObject({
      clientToken: restartToken(INCIDENT, '00crashed000001'),
      executionRoleArn: job.executionRoleArn,
      mode: 'STREAMING',
      jobDriver: crashed.jobDriver,
    });
    expect(startJobRunAction.checkBounds(startJobRunAction.params.parse(a.params), { pipeline, settings })).toEqual([]);
    expect(d.evidence).toMatchObject({ lagTrend: 'stopped', activeRuns: 0, jobRunState: 'FAILED', checkpointExists: true });
    expect(d.summary).toContain('no run of orders-stream is active');
  });

  it('restarts whatever the lag window says: the job should run', () => {
    expect(plan(notRunning({}, { lag: lag({ level: 'none', trend: 'unknown' }) })).reason).toBe(R.JOB_NOT_RUNNING);
  });

  it('escalates instead of restarting a run a person cancelled', () => {
    const d = plan(
      notRunning({
        lastEnded: run({ jobRunId: '00cancel0000001', state: 'CANCELLED', stateDetails: 'Job run cancelled by user', updatedAtMs: NOW - 5 * MIN }),
      }),
    );
    expect(d).toMatchObject({ kind: 'escalate', reason: R.JOB_STOPPED, severity: 'warning' });
    if (d.kind === 'escalate') expect(d.recommendation.command).toContain('aws emr-serverless start-job-run');
  });

  it("passes job-failed's escalations on: not restartable, no run, missing checkpoint, beyond retention", () => {
    expect(plan(notRunning({ lastEnded: { ...crashed, stateDetails: 'AccessDenied: s3://orders-data-lake/jobs/orders_stream.py' } })).reason).toBe(
      JobFailedReason.NOT_RESTARTABLE,
    );
    const { lastEnded: _x, ...withoutRun } = notRunning().job;
    expect(plan(evidence({ job: withoutRun })).reason).toBe(JobFailedReason.NO_RUN_FOUND);
    expect(plan(notRunning({ checkpoint: { exists: false, commitFiles: 0, complete: true } })).reason).toBe(JobFailedReason.CHECKPOINT_MISSING);
    expect(plan(notRunning({ checkpoint: { exists: true, lastWriteMs: NOW - 169 * HOUR, commitFiles: 3, complete: true } }))).toMatchObject({
      reason: JobFailedReason.BEYOND_RETENTION,
      severity: 'critical',
    });
  });

  it("uses this playbook's budget: one restart left restarts, none left escalates", () => {
    expect(plan(notRunning({}, { actionsLastHour: settings.maxActionsPerHour - 1 })).kind).toBe('fix');
    expect(plan(notRunning({}, { actionsLastHour: settings.maxActionsPerHour }))).toMatchObject({ kind: 'escalate', reason: JobFailedReason.BUDGET_EXHAUSTED });
  });

  it("follows the pipeline's job-failed rules (its failure age bound)", () => {
    const strict = parseConfig({
      ...exampleConfig,
      pipelines: { orders: { ...exampleConfig.pipelines.orders, playbooks: { 'job-failed': { bounds: { maxFailureAgeMinutes: 5 } } } } },
    });
    const p = emrPipeline(strict.pipelines.orders);
    expect(plan(notRunning(), NOW, settings, p).reason).toBe(JobFailedReason.STALE_FAILURE);
    expect(plan(notRunning(), NOW, settings).kind).toBe('fix');
  });

  it('waits when the last run is still cancelling without being listed active', () => {
    expect(plan(notRunning({ lastEnded: { ...crashed, state: 'CANCELLING' } }))).toMatchObject({ kind: 'recheck', reason: JobFailedReason.CANCELLING });
  });
});
