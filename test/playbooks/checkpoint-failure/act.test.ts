import { emrPipeline } from '../../helpers/pipelines';
import { describe, expect, it } from 'vitest';
import type { AwsAdapters } from '../../../lambdas/adapters';
import type { JobRunSummaryView } from '../../../lambdas/adapters/emr-serverless';
import { BACKUP_MANIFEST, readSparkCheckpoint } from '../../../lambdas/analysis/checkpoint';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import { AwsRequestError } from '../../../lambdas/core/errors';
import { backupCheckpointAction, ensureJobStoppedAction, rollbackCheckpointAction } from '../../../lambdas/playbooks/checkpoint-failure/act';
import type { CheckpointFailureSettings } from '../../../lambdas/playbooks/checkpoint-failure/manifest';
import type { ActionContext } from '../../../lambdas/core/playbook';
import exampleConfig from '../../../streamfix.config';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { MemoryS3 } from '../../helpers/memory-s3';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const config = parseConfig(exampleConfig);
const pipeline = emrPipeline(config.pipelines.orders);
const settings = pipeline.playbooks['checkpoint-failure'] as CheckpointFailureSettings;
const CP = pipeline.job.checkpoint;
const BACKUP = 's3://orders-data-lake/_checkpoints/streaming/orders_backup_20261122T095900Z/';
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const p = { pipeline, settings };

/** A fake EMR whose runs move from one state to the next on each listing. */
function fakeEmr(script: JobRunSummaryView[][], cancel: (id: string) => Promise<void> = async () => undefined) {
  const calls = { list: 0, cancel: [] as string[] };
  return {
    calls,
    emr: {
      listJobRuns: async () => script[Math.min(calls.list++, script.length - 1)]!,
      cancelJobRun: async (_app: string, id: string) => {
        calls.cancel.push(id);
        await cancel(id);
      },
    },
  };
}

function ctx(aws: Partial<Record<keyof AwsAdapters, unknown>>, clock = new ManualClock(T0)): ActionContext<CheckpointFailureSettings> {
  return {
    aws: aws as AwsAdapters,
    clock,
    signal: new AbortController().signal,
    settings,
    pipeline,
    pipelineName: 'orders',
    config,
    incidentId: 'i',
    actionId: 'i#0',
    history: { actionsInLastHour: async () => 0 },
  };
}

const runView = (state: string, id = 'run1'): JobRunSummaryView => ({
  applicationId: pipeline.job.applicationId,
  jobRunId: id,
  name: 'orders-stream',
  state,
  createdAtMs: T0,
  updatedAtMs: T0,
  executionRoleArn: pipeline.job.executionRoleArn,
});

function corruptWorld(): MemoryS3 {
  const s3 = new MemoryS3({ now: () => T0 });
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 40, startMs: T0 - 3_600_000, statePartitions: 2, lastCommitted: false }))
    s3.seed(BUCKET, o.key, o.body, o.atMs);
  s3.seed(BUCKET, `${PREFIX}offsets/39`, '', T0 - 60_000);
  return s3;
}

describe('Action: checkpoint:Backup', () => {
  const params = { checkpoint: CP, backup: BACKUP, by: 'i', maxObjects: 1_000, maxBytes: 1_000_000 };

  it('accepts the configured checkpoint and its sibling backup prefix within the bounds', () => {
    expect(backupCheckpointAction.checkBounds(params, p)).toEqual([]);
  });

  it.each([
    [
      { checkpoint: 's3://orders-data-lake/_checkpoints/streaming/payments/' },
      'checkpoint s3://orders-data-lake/_checkpoints/streaming/payments/ is not the configured',
    ],
    [{ backup: 's3://orders-data-lake/_checkpoints/streaming/orders/backup/' }, 'is not a <checkpoint>_backup_<UTC timestamp>[-<tag>]/ prefix'],
    [{ backup: 's3://other-bucket/_checkpoints/streaming/orders_backup_20261122T095900Z/' }, 'is not a <checkpoint>_backup_<UTC timestamp>[-<tag>]/ prefix'],
    [{ maxObjects: settings.bounds.maxBackupObjects + 1 }, 'maxObjects'],
    [{ maxBytes: settings.bounds.maxBackupGiB * 1024 ** 3 + 1 }, 'maxBytes'],
  ])('refuses %j', (over, message) => {
    expect(backupCheckpointAction.checkBounds({ ...params, ...over }, p).join('; ')).toContain(message);
  });

  it('copies, verifies and seals; run again it keeps the sealed copy', async () => {
    // Prepare
    const s3 = corruptWorld();
    // Act
    const first = await backupCheckpointAction.execute(params, ctx({ s3 }));
    const copies = s3.requests.copy;
    const second = await backupCheckpointAction.execute(params, ctx({ s3 }));
    // Assess
    const objects = s3.keys(BUCKET, PREFIX).length;
    expect(first.after).toEqual({ backupObjects: objects, backupBytes: expect.any(Number), verified: true });
    expect(s3.keys(BUCKET, '_checkpoints/streaming/orders_backup_20261122T095900Z/')).toContain(
      `_checkpoints/streaming/orders_backup_20261122T095900Z/${BACKUP_MANIFEST}`,
    );
    expect(second.summary).toContain('already holds a verified copy');
    expect(s3.requests.copy).toBe(copies);
  });

  it('fails, naming the bound, on a checkpoint with more objects than allowed', async () => {
    await expect(backupCheckpointAction.execute({ ...params, maxObjects: 10 }, ctx({ s3: corruptWorld() }))).rejects.toThrow('more than 10 objects');
  });
});

describe('Action: emr-serverless:EnsureJobStopped', () => {
  const params = { applicationId: pipeline.job.applicationId, jobName: 'orders-stream', gracePeriodSeconds: 60, waitSeconds: 30 };

  it('refuses another job, another application, and waits or grace periods over the bounds', () => {
    const v = ensureJobStoppedAction.checkBounds({ ...params, applicationId: 'other', jobName: 'x', gracePeriodSeconds: 3_601, waitSeconds: 241 }, p);
    expect(v).toHaveLength(4);
    expect(ensureJobStoppedAction.checkBounds(params, p)).toEqual([]);
  });

  it('does nothing when no run is active', async () => {
    const { emr, calls } = fakeEmr([[]]);
    expect((await ensureJobStoppedAction.execute(params, ctx({ emr }))).summary).toBe('no run of orders-stream is active');
    expect(calls.cancel).toEqual([]);
  });

  it('cancels an active run and waits for it to leave the active states', async () => {
    // Prepare
    const { emr, calls } = fakeEmr([
      [runView('RUNNING'), runView('RUNNING', 'other-job-run')].map((r, i) => (i ? { ...r, name: 'nightly' } : r)),
      [runView('CANCELLING')],
      [runView('CANCELLING')],
      [],
    ]);
    const clock = new ManualClock(T0);
    // Act
    const out = await ensureJobStoppedAction.execute(params, ctx({ emr }, clock));
    // Assess
    expect(calls.cancel).toEqual(['run1']);
    expect(out.after).toEqual({ activeRuns: 0, waitedSeconds: 10 });
  });

  it('fails when the run is still active after waitSeconds', async () => {
    const { emr } = fakeEmr([[runView('RUNNING')], [runView('CANCELLING')]]);
    await expect(ensureJobStoppedAction.execute(params, ctx({ emr }))).rejects.toThrow('run1 CANCELLING still active after 30 s');
  });

  it('takes a run that ended between the listing and the cancel as stopped', async () => {
    const { emr } = fakeEmr([[runView('RUNNING')], []], async () => {
      throw new AwsRequestError('emr-serverless', 'CancelJobRun', 'ValidationException', { cause: new Error('Job run is in a terminal state') });
    });
    expect((await ensureJobStoppedAction.execute(params, ctx({ emr }))).after).toMatchObject({ activeRuns: 0 });
  });
});

describe('Action: checkpoint:Rollback', () => {
  const params = { checkpoint: CP, backup: BACKUP, batchId: 38, rerun: false, expectLatestBatch: 39 };

  it('allows removing one batch and refuses more than maxRollbackBatches, or none', () => {
    expect(rollbackCheckpointAction.checkBounds(params, p)).toEqual([]);
    expect(rollbackCheckpointAction.checkBounds({ ...params, batchId: 39, rerun: true }, p)).toEqual([]);
    expect(rollbackCheckpointAction.checkBounds({ ...params, batchId: 37 }, p).join()).toContain('removes 2 batches, over the bound 1');
    expect(rollbackCheckpointAction.checkBounds({ ...params, batchId: 39 }, p).join()).toContain('removes no batch');
    expect(rollbackCheckpointAction.checkBounds({ ...params, checkpoint: 's3://x-bucket/cp/' }, p).join()).toContain('not the configured');
  });

  it('refuses to delete without a sealed backup, then rolls back once it exists', async () => {
    // Prepare
    const s3 = corruptWorld();
    // Act
    const refused = await rollbackCheckpointAction.execute(params, ctx({ s3 })).catch((e: unknown) => e);
    await backupCheckpointAction.execute({ checkpoint: CP, backup: BACKUP, by: 'i', maxObjects: 10_000, maxBytes: 10_000_000 }, ctx({ s3 }));
    const done = await rollbackCheckpointAction.execute(params, ctx({ s3 }));
    // Assess
    expect((refused as Error).message).toContain('not a verified backup');
    expect(done.after).toMatchObject({ latestPlannedBatch: 38, latestCommittedBatch: 38, resumeBatch: 39 });
    const after = await readSparkCheckpoint(s3, CP);
    expect(after).toMatchObject({ latestPlannedBatch: 38, lastGoodBatch: 38, problems: [] });
    expect(s3.keys(BUCKET, `${PREFIX}state/0/0/40`)).toEqual([]);
  });
});
