import { emrPipeline } from '../../helpers/pipelines';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import type { JobRunView } from '../../../lambdas/adapters/emr-serverless';
import { planJobFailed, type JobFailedEvidence } from '../../../lambdas/runtimes/emr-serverless/restart-plan';
import { restartToken, START_JOB_RUN } from '../../../lambdas/runtimes/emr-serverless/restart';
import { JobFailedReason } from '../../../lambdas/runtimes/restart-judgment';
import type { JobFailedSettings } from '../../../lambdas/playbooks/job-failed/manifest';
import exampleConfig from '../../../streamfix.config';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const config = parseConfig(exampleConfig);
const pipeline = emrPipeline(config.pipelines.orders);
const settings = pipeline.playbooks['job-failed'] as JobFailedSettings;

const run = (over: Partial<JobRunView> = {}): JobRunView => ({
  applicationId: pipeline.job.applicationId,
  jobRunId: '00fr1a2b3c4d5e6f',
  name: 'orders-stream',
  state: 'FAILED',
  stateDetails: 'Job failed: ExecutorLostFailure (executor 3 exited caused by one of the running tasks) Reason: Container killed, exit code 137',
  mode: 'STREAMING',
  createdAtMs: NOW - 5 * HOUR,
  updatedAtMs: NOW - 2 * MIN,
  executionRoleArn: pipeline.job.executionRoleArn,
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py', sparkSubmitParameters: '--conf spark.executor.instances=4' } },
  retryPolicy: { maxFailedAttemptsPerHour: 5 },
  tags: { team: 'streaming' },
  ...over,
});

const evidence = (over: Partial<JobFailedEvidence> = {}): JobFailedEvidence => ({
  run: run(),
  runSource: 'event',
  activeRuns: [],
  checkpoint: { exists: true, lastWriteMs: NOW - 3 * MIN, commitFiles: 120, complete: true },
  restartsLastHour: 0,
  ...over,
});

const plan = (e: JobFailedEvidence, nowMs = NOW, s: JobFailedSettings = settings) =>
  planJobFailed({
    pipelineName: 'orders',
    pipeline,
    settings: s,
    evidence: e,
    nowMs,
    incidentId: 'orders.job-failed.20261122T095800.abc123',
    trigger: {
      kind: 'job-run',
      eventId: 'e1',
      dedupeKey: 'k',
      applicationId: pipeline.job.applicationId,
      jobRunId: '00fr1a2b3c4d5e6f',
      state: 'FAILED',
      atMs: NOW,
    },
  });

describe('Function: planJobFailed', () => {
  it('restarts a failed streaming run with its own driver, configuration and role', () => {
    // Act
    const d = plan(evidence());
    // Assess
    expect(d.kind).toBe('fix');
    if (d.kind !== 'fix') return;
    expect(d.reason).toBe(JobFailedReason.RESTARTABLE);
    expect(d.actions).toHaveLength(1);
    const a = d.actions[0]!;
    expect(a.type).toBe(START_JOB_RUN);
    expect(a.resource).toBe(`emr-serverless:${pipeline.job.applicationId}:orders-stream`);
    expect(a.params).toMatchObject({
      applicationId: pipeline.job.applicationId,
      executionRoleArn: pipeline.job.executionRoleArn,
      name: 'orders-stream',
      mode: 'STREAMING',
      jobDriver: run().jobDriver,
      retryPolicy: { maxFailedAttemptsPerHour: 5 },
      clientToken: restartToken('orders.job-failed.20261122T095800.abc123', '00fr1a2b3c4d5e6f'),
    });
    expect((a.params.tags as Record<string, string>)['streamfix:restart-of']).toBe('00fr1a2b3c4d5e6f');
    expect((a.params.tags as Record<string, string>).team).toBe('streaming');
  });

  it('derives the same clientToken for the same incident and failed run, another for another run', () => {
    expect(restartToken('i', 'r1')).toBe(restartToken('i', 'r1'));
    expect(restartToken('i', 'r1')).not.toBe(restartToken('i', 'r2'));
    expect(restartToken('i', 'r1').length).toBeLessThanOrEqual(64);
  });

  it.each([
    ['AccessDenied: s3://orders-data-lake/jobs/orders_stream.py', JobFailedReason.NOT_RESTARTABLE],
    ['Job failed: entry point s3://orders-data-lake/jobs/orders_stream.py not found', JobFailedReason.NOT_RESTARTABLE],
    ['ModuleNotFoundError: No module named enrich', JobFailedReason.NOT_RESTARTABLE],
    ['Invalid configuration spark.executor.memory=16q', JobFailedReason.NOT_RESTARTABLE],
  ])('escalates a failure a restart cannot fix: %s', (stateDetails, reason) => {
    const d = plan(evidence({ run: run({ stateDetails }) }));
    expect(d.kind).toBe('escalate');
    expect(d.reason).toBe(reason);
    if (d.kind === 'escalate') expect(d.recommendation.command).toContain('aws emr-serverless start-job-run');
  });

  it('leaves a corrupt checkpoint to checkpoint-failure unless that playbook is off', () => {
    // Prepare
    const stateDetails =
      'java.lang.IllegalStateException: Log file was malformed: failed to read correct log version from  in s3://orders-data-lake/_checkpoints/streaming/orders/offsets/42';
    const off = emrPipeline(
      parseConfig({
        ...exampleConfig,
        pipelines: {
          orders: {
            ...exampleConfig.pipelines.orders,
            playbooks: { ...emrPipeline(exampleConfig.pipelines.orders).playbooks, 'checkpoint-failure': { mode: 'off' } },
          },
        },
      }).pipelines.orders,
    );
    const input = {
      pipelineName: 'orders',
      settings,
      evidence: evidence({ run: run({ stateDetails }) }),
      nowMs: NOW,
      incidentId: 'i',
      trigger: { kind: 'job-run' as const, eventId: 'e', dedupeKey: 'k', applicationId: pipeline.job.applicationId, jobRunId: 'r', state: 'FAILED', atMs: NOW },
    };
    // Act
    const handedOver = planJobFailed({ ...input, pipeline });
    const whenOff = planJobFailed({ ...input, pipeline: off });
    // Assess
    expect(handedOver).toMatchObject({ kind: 'ignore', reason: JobFailedReason.HANDLED_BY_CHECKPOINT_FAILURE });
    expect(whenOff).toMatchObject({ kind: 'escalate', reason: JobFailedReason.NOT_RESTARTABLE });
    expect(plan(evidence({ run: run({ stateDetails: 'AccessDenied: s3://orders-data-lake/jobs/orders_stream.py' }) })).reason).toBe(
      JobFailedReason.NOT_RESTARTABLE,
    );
  });

  it('does not restart a run a person cancelled, and restarts one the system cancelled', () => {
    expect(plan(evidence({ run: run({ state: 'CANCELLED', stateDetails: 'Job run cancelled by user' }) })).reason).toBe(JobFailedReason.CANCELLED_BY_PERSON);
    expect(plan(evidence({ run: run({ state: 'CANCELLED', stateDetails: undefined }) })).reason).toBe(JobFailedReason.CANCELLED_BY_PERSON);
    expect(plan(evidence({ run: run({ state: 'CANCELLED', stateDetails: 'Job run timed out after 1440 minutes' }) })).kind).toBe('fix');
  });

  it('never starts a second run while another run of the job is active', () => {
    const d = plan(
      evidence({
        activeRuns: [
          { applicationId: 'a', jobRunId: 'other', name: 'orders-stream', state: 'SCHEDULED', createdAtMs: NOW, updatedAtMs: NOW, executionRoleArn: 'r' },
        ],
      }),
    );
    expect(d).toMatchObject({ kind: 'ignore', reason: JobFailedReason.ANOTHER_RUN_ACTIVE });
  });

  it('ignores runs of other jobs, batch runs and running runs; waits for CANCELLING', () => {
    expect(plan(evidence({ run: run({ name: 'nightly-compaction' }) })).reason).toBe(JobFailedReason.NOT_THIS_JOB);
    expect(plan(evidence({ run: run({ mode: 'BATCH' }) })).reason).toBe(JobFailedReason.NOT_STREAMING);
    expect(plan(evidence({ run: run({ state: 'RUNNING' }) })).reason).toBe(JobFailedReason.RUNNING);
    expect(plan(evidence({ run: run({ state: 'CANCELLING' }) }))).toMatchObject({ kind: 'recheck', afterSeconds: 60 });
  });

  it('escalates when no run is found or the streaming run ended with SUCCESS', () => {
    expect(plan(evidence({ run: undefined, runSource: 'none' })).reason).toBe(JobFailedReason.NO_RUN_FOUND);
    // An application-level alarm fired for another job of a shared application: this job's run is fine.
    const active = {
      applicationId: pipeline.job.applicationId,
      jobRunId: 'mine',
      name: 'orders-stream',
      state: 'RUNNING',
      createdAtMs: NOW - HOUR,
      updatedAtMs: NOW - HOUR,
      executionRoleArn: 'r',
    };
    expect(plan(evidence({ run: undefined, runSource: 'none', activeRuns: [active] }))).toMatchObject({ kind: 'ignore', reason: JobFailedReason.RUNNING });
    expect(plan(evidence({ run: run({ state: 'SUCCESS' }) })).reason).toBe(JobFailedReason.ENDED);
  });

  it('restarts a failure exactly at the age bound and escalates one a millisecond older', () => {
    const bound = settings.bounds.maxFailureAgeMinutes * MIN;
    expect(plan(evidence({ run: run({ updatedAtMs: NOW - bound }) })).kind).toBe('fix');
    expect(plan(evidence({ run: run({ updatedAtMs: NOW - bound - 1 }) })).reason).toBe(JobFailedReason.STALE_FAILURE);
  });

  it('escalates a missing checkpoint, a checkpoint past its age bound, and one past the source retention', () => {
    expect(plan(evidence({ checkpoint: { exists: false, commitFiles: 0, complete: true } })).reason).toBe(JobFailedReason.CHECKPOINT_MISSING);
    const maxAge = settings.bounds.maxCheckpointAgeHours * HOUR;
    expect(plan(evidence({ checkpoint: { exists: true, lastWriteMs: NOW - maxAge, commitFiles: 1, complete: true } })).kind).toBe('fix');
    expect(plan(evidence({ checkpoint: { exists: true, lastWriteMs: NOW - maxAge - 1, commitFiles: 1, complete: true } })).reason).toBe(
      JobFailedReason.CHECKPOINT_TOO_OLD,
    );
    const retention = pipeline.source.retentionHours * HOUR;
    const d = plan(evidence({ checkpoint: { exists: true, lastWriteMs: NOW - retention - 1, commitFiles: 1, complete: true } }));
    expect(d).toMatchObject({ kind: 'escalate', reason: JobFailedReason.BEYOND_RETENTION, severity: 'critical' });
  });

  it('restarts below the hourly budget and escalates at it', () => {
    expect(plan(evidence({ restartsLastHour: settings.maxActionsPerHour - 1 })).kind).toBe('fix');
    expect(plan(evidence({ restartsLastHour: settings.maxActionsPerHour }))).toMatchObject({ kind: 'escalate', reason: JobFailedReason.BUDGET_EXHAUSTED });
  });

  it('carries evidence with units in the names', () => {
    const d = plan(evidence());
    expect(d.evidence).toMatchObject({ checkpointAgeSeconds: 180, restartsLastHour: 0, restartBudgetPerHour: settings.maxActionsPerHour, activeRuns: 0 });
  });
});
