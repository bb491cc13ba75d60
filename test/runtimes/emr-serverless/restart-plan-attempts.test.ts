import { emrPipeline } from '../../helpers/pipelines';
import { describe, expect, it } from 'vitest';
import type { JobRunView } from '../../../lambdas/adapters/emr-serverless';
import { parseConfig } from '../../../lambdas/schema';
import { REPLACE_WITH_MEMORY, replaceWithMemoryAction } from '../../../lambdas/runtimes/emr-serverless/replace-with-memory';
import type { JobFailedSettings } from '../../../lambdas/playbooks/job-failed/manifest';
import { planJobFailed, type JobFailedEvidence } from '../../../lambdas/runtimes/emr-serverless/restart-plan';
import { START_JOB_RUN } from '../../../lambdas/runtimes/emr-serverless/restart';
import { JobFailedReason } from '../../../lambdas/runtimes/restart-judgment';
import type { AttemptFailure } from '../../../lambdas/runtimes/emr-serverless/attempts';
import exampleConfig from '../../../streamfix.config';

/**
 * job-failed on releases with job resiliency: EMR retries, streamfix watches; a crash loop is
 * escalated (or, out of memory with a bound, fixed) before EMR gives up; after EMR gives up only
 * transient failures are restarted. Thresholds tested on both sides.
 */

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const MIN = 60_000;
const config = parseConfig(exampleConfig);
const pipeline = emrPipeline(config.pipelines.orders);
const base = pipeline.playbooks['job-failed'] as JobFailedSettings;
const withBounds = (b: Partial<JobFailedSettings['bounds']>, over: Partial<JobFailedSettings> = {}): JobFailedSettings => ({
  ...base,
  ...over,
  bounds: { ...base.bounds, ...b },
});

const OOM = 'Job failed. ExitCode: 1. Last few exceptions: java.lang.OutOfMemoryError: Java heap space at org.apache.spark.sql.execution.UnsafeRow';
const LOST = 'ExecutorLostFailure (executor 3 exited caused by one of the running tasks) Reason: Container from a bad node exited with code 137';
const NPE = 'org.apache.spark.SparkException: Task failed while writing rows: java.lang.NullPointerException at OrdersParser.parse';

const run = (over: Partial<JobRunView> = {}): JobRunView => ({
  applicationId: pipeline.job.applicationId,
  jobRunId: '00frun0000000001',
  name: 'orders-stream',
  state: 'SUBMITTED',
  mode: 'STREAMING',
  releaseLabel: 'emr-7.2.0',
  createdAtMs: NOW - 5 * 60 * MIN,
  updatedAtMs: NOW - MIN,
  executionRoleArn: pipeline.job.executionRoleArn,
  executionIamPolicy: { policyArns: ['arn:aws:iam::123456789012:policy/orders-session'] },
  jobDriver: {
    sparkSubmit: {
      entryPoint: 's3://orders-data-lake/jobs/orders_stream.py',
      sparkSubmitParameters: '--conf spark.executor.memory=16g --conf spark.executor.cores=4',
    },
  },
  retryPolicy: { maxFailedAttemptsPerHour: 5 },
  attempt: 4,
  ...over,
});

/** Failed attempts, newest first, each `text`, ending one minute apart. */
const failures = (...texts: string[]): AttemptFailure[] =>
  texts.map((text, k) => ({ attempt: texts.length - k, endedAtMs: NOW - (k + 1) * MIN, text, source: 'driver-log:s3' }));

const evidence = (r: JobRunView, f: AttemptFailure[], over: Partial<JobFailedEvidence> = {}): JobFailedEvidence => ({
  run: r,
  runSource: 'event',
  activeRuns: [],
  checkpoint: { exists: true, lastWriteMs: NOW - 3 * MIN, commitFiles: 120, complete: true },
  restartsLastHour: 0,
  history: { attempts: [], failures: f },
  retry: { previousAttempt: (r.attempt ?? 2) - 1, previousAttemptState: 'FAILED', newAttempt: r.attempt ?? 2 },
  ...over,
});

const plan = (e: JobFailedEvidence, s: JobFailedSettings = base) =>
  planJobFailed({
    pipelineName: 'orders',
    pipeline,
    settings: s,
    evidence: e,
    nowMs: NOW,
    incidentId: 'orders.job-failed.20261122T095900.abc123',
    trigger: {
      kind: 'job-run',
      eventId: 'e1',
      dedupeKey: 'k',
      applicationId: pipeline.job.applicationId,
      jobRunId: '00frun0000000001',
      state: 'RETRY',
      atMs: NOW,
    },
  });

describe('Function: planJobFailed (job resiliency)', () => {
  describe('while EMR retries', () => {
    it('watches a run whose attempts fail for transient reasons, however many', () => {
      const d = plan(evidence(run(), failures(LOST, LOST, LOST, LOST)));
      expect(d).toMatchObject({ kind: 'ignore', reason: JobFailedReason.EMR_RETRYING });
      expect(d.evidence).toMatchObject({ attemptsFailedLastHour: 4, latestFailureClass: 'transient:lost-node', maxFailedAttemptsPerHour: 5 });
    });

    it('watches crashLoopAttempts − 1 equal non-transient failures, escalates at crashLoopAttempts with every attempt', () => {
      expect(plan(evidence(run(), failures(NPE, NPE)))).toMatchObject({ kind: 'ignore', reason: JobFailedReason.EMR_RETRYING });
      expect(plan(evidence(run(), failures(NPE, NPE, LOST)))).toMatchObject({ kind: 'ignore' });
      const d = plan(evidence(run(), failures(NPE, NPE, NPE)));
      expect(d).toMatchObject({ kind: 'escalate', reason: JobFailedReason.CRASH_LOOP, severity: 'error' });
      if (d.kind !== 'escalate') return;
      expect(d.summary).toContain('3 attempts');
      expect((d.recommendation.detail!.attempts as unknown[]).length).toBe(3);
      expect(plan(evidence(run(), failures(NPE, NPE)), withBounds({ crashLoopAttempts: 2 }))).toMatchObject({ reason: JobFailedReason.CRASH_LOOP });
    });

    it('leaves attempts failing on the checkpoint to checkpoint-failure, unless that playbook is off', () => {
      const corrupt = `java.lang.IllegalStateException: Incomplete log file in ${pipeline.job.checkpoint}offsets/120`;
      expect(plan(evidence(run(), failures(corrupt, corrupt, corrupt)))).toMatchObject({
        kind: 'ignore',
        reason: JobFailedReason.HANDLED_BY_CHECKPOINT_FAILURE,
      });
      const off = {
        ...pipeline,
        playbooks: { ...pipeline.playbooks, 'checkpoint-failure': { ...pipeline.playbooks['checkpoint-failure'], mode: 'off' as const } },
      };
      const d = planJobFailed({
        pipelineName: 'orders',
        pipeline: off,
        settings: base,
        evidence: evidence(run(), failures(corrupt, corrupt, corrupt)),
        nowMs: NOW,
        incidentId: 'i',
        trigger: {
          kind: 'job-run',
          eventId: 'e1',
          dedupeKey: 'k',
          applicationId: pipeline.job.applicationId,
          jobRunId: '00frun0000000001',
          state: 'RETRY',
          atMs: NOW,
        },
      });
      expect(d).toMatchObject({ kind: 'escalate', reason: JobFailedReason.CRASH_LOOP });
    });

    it('escalates an out-of-memory loop with the memory to give and the exact commands, without a memory bound', () => {
      const d = plan(evidence(run(), failures(OOM, OOM, OOM)));
      expect(d).toMatchObject({
        kind: 'escalate',
        reason: JobFailedReason.CRASH_LOOP,
        evidence: { memorySetting: 'spark.executor.memory', memoryFromGiB: 16, memoryToGiB: 24 },
      });
      if (d.kind !== 'escalate') return;
      expect(d.recommendation.command).toContain('aws emr-serverless cancel-job-run --application-id');
      expect(d.recommendation.command).toContain('spark.executor.memory=24g');
      expect(d.recommendation.command).toContain('--execution-iam-policy');
      expect(d.recommendation.summary).toContain('set bounds.memory');
    });

    it('replaces the run by one with more memory (within the bound, every StartJobRun field kept) when a memory bound is set', () => {
      const s = withBounds({ memory: { maxExecutorGiB: 20, maxDriverGiB: 16, factor: 1.5 } });
      const d = plan(evidence(run(), failures(OOM, OOM, OOM)), s);
      expect(d).toMatchObject({ kind: 'fix', reason: JobFailedReason.CRASH_LOOP_MEMORY });
      if (d.kind !== 'fix') return;
      const a = d.actions[0]!;
      expect(a.type).toBe(REPLACE_WITH_MEMORY);
      expect(a.params).toMatchObject({ jobRunId: '00frun0000000001', memory: { setting: 'spark.executor.memory', fromGiB: 16, toGiB: 20 } });
      const params = replaceWithMemoryAction.params.parse(a.params);
      expect(params.start.executionIamPolicy).toEqual({ policyArns: ['arn:aws:iam::123456789012:policy/orders-session'] });
      expect(params.start.jobDriver.sparkSubmit.sparkSubmitParameters).toBe('--conf spark.executor.memory=20g --conf spark.executor.cores=4');
      expect(replaceWithMemoryAction.checkBounds(params, { pipeline, settings: s } as never)).toEqual([]);
      expect(replaceWithMemoryAction.checkBounds({ ...params, memory: { ...params.memory, toGiB: 21 } }, { pipeline, settings: s } as never).join()).toContain(
        'over the bound of 20 GiB',
      );
      expect(replaceWithMemoryAction.checkBounds(params, { pipeline, settings: base } as never).join()).toContain('no memory bound');
    });

    it('escalates instead when the memory is at its bound, or the budget is spent', () => {
      const s = withBounds({ memory: { maxExecutorGiB: 16, maxDriverGiB: 16, factor: 1.5 } });
      expect(plan(evidence(run(), failures(OOM, OOM, OOM)), s)).toMatchObject({ kind: 'escalate', reason: JobFailedReason.CRASH_LOOP });
      const roomy = withBounds({ memory: { maxExecutorGiB: 64, maxDriverGiB: 16, factor: 1.5 } });
      expect(plan(evidence(run(), failures(OOM, OOM, OOM), { restartsLastHour: 3 }), roomy)).toMatchObject({
        kind: 'escalate',
        reason: JobFailedReason.CRASH_LOOP,
      });
    });
  });

  describe('after EMR gave up', () => {
    const failed = (over: Partial<JobRunView> = {}) => run({ state: 'FAILED', attempt: 5, stateDetails: LOST.slice(0, 256), ...over });

    it('restarts a run whose attempts all failed for transient reasons, carrying its session policy', () => {
      const d = plan(evidence(failed(), failures(LOST, LOST, 'Insufficient capacity for the requested workers', LOST, LOST), { retry: undefined }));
      expect(d).toMatchObject({ kind: 'fix', reason: JobFailedReason.RETRIES_EXHAUSTED_TRANSIENT });
      if (d.kind !== 'fix') return;
      expect(d.actions[0]!.type).toBe(START_JOB_RUN);
      expect(d.actions[0]!.params).toMatchObject({
        executionIamPolicy: { policyArns: ['arn:aws:iam::123456789012:policy/orders-session'] },
        retryPolicy: { maxFailedAttemptsPerHour: 5 },
      });
    });

    it('escalates with the attempt history when one attempt failed otherwise, and names the memory for out-of-memory', () => {
      const d = plan(evidence(failed(), failures(LOST, NPE, LOST, LOST, LOST), { retry: undefined }));
      expect(d).toMatchObject({ kind: 'escalate', reason: JobFailedReason.RETRIES_EXHAUSTED });
      expect(d.summary).toContain('NullPointerException');
      const oom = plan(evidence(failed(), failures(OOM, OOM, OOM, OOM, OOM), { retry: undefined }));
      expect(oom).toMatchObject({ kind: 'escalate', reason: JobFailedReason.RETRIES_EXHAUSTED });
      if (oom.kind === 'escalate') expect(oom.recommendation.command).toContain('spark.executor.memory=24g');
    });

    it('keeps the budget for a transient restart', () => {
      expect(plan(evidence(failed(), failures(LOST, LOST, LOST, LOST, LOST), { retry: undefined, restartsLastHour: 3 }))).toMatchObject({
        kind: 'escalate',
        reason: JobFailedReason.BUDGET_EXHAUSTED,
      });
    });
  });

  describe('runs without retries behave as before', () => {
    it.each([
      ['below 7.1.0', { releaseLabel: 'emr-7.0.0' }],
      ['maxFailedAttemptsPerHour 1', { retryPolicy: { maxFailedAttemptsPerHour: 1 } }],
    ])('restarts a %s run that failed with a non-transient unknown error once', (_what, over) => {
      const r = run({ state: 'FAILED', attempt: 1, stateDetails: NPE, ...over });
      expect(plan(evidence(r, failures(NPE), { retry: undefined }))).toMatchObject({ kind: 'fix', reason: JobFailedReason.RESTARTABLE });
    });

    it('classifies from the driver log, not the 256 characters of stateDetails', () => {
      const full = `Job failed, please check complete logs. ExitCode: 1. ${'x'.repeat(240)} Entry point s3://b/main.py not found: NoSuchKey`;
      const r = run({ state: 'FAILED', attempt: 1, stateDetails: full.slice(0, 256), retryPolicy: { maxFailedAttemptsPerHour: 1 } });
      expect(plan(evidence(r, [], { retry: undefined }))).toMatchObject({ kind: 'fix', reason: JobFailedReason.RESTARTABLE });
      expect(plan(evidence(r, failures(full), { retry: undefined }))).toMatchObject({ kind: 'escalate', reason: JobFailedReason.NOT_RESTARTABLE });
    });
  });
});
