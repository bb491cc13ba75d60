import { emrPipeline } from '../../helpers/pipelines';
import type { EmrPipeline } from '../../../lambdas/config/schema';
import { describe, expect, it } from 'vitest';
import type { AwsAdapters } from '../../../lambdas/adapters';
import type { JobRunSummaryView } from '../../../lambdas/adapters/emr-serverless';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import type { CheckpointFailureSettings } from '../../../lambdas/playbooks/checkpoint-failure/manifest';
import { verifyCheckpointFailure } from '../../../lambdas/playbooks/checkpoint-failure/verify';
import type { PlaybookContext } from '../../../lambdas/core/playbook';
import exampleConfig from '../../../streamfix.config';
import { MemoryS3 } from '../../helpers/memory-s3';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const FIXED = T0 - 120_000;
const config = parseConfig(exampleConfig);
const pipeline = emrPipeline(config.pipelines.orders);

function ctx(runs: Partial<JobRunSummaryView>[], commitAtMs?: number): PlaybookContext<CheckpointFailureSettings, EmrPipeline> {
  const s3 = new MemoryS3();
  if (commitAtMs !== undefined) s3.seed('orders-data-lake', '_checkpoints/streaming/orders/commits/249', 'v1\n{"nextBatchWatermarkMs":0}', commitAtMs);
  const emr = {
    listJobRuns: async () =>
      runs.map((r, i) => ({
        applicationId: 'a',
        jobRunId: `r${i}`,
        name: 'orders-stream',
        state: 'RUNNING',
        createdAtMs: FIXED + i,
        updatedAtMs: FIXED,
        executionRoleArn: 'x',
        ...r,
      })),
  };
  return {
    aws: { s3, emr } as unknown as AwsAdapters,
    clock: new ManualClock(T0),
    pipeline,
    pipelineName: 'orders',
    config,
    settings: pipeline.playbooks['checkpoint-failure'] as CheckpointFailureSettings,
    incidentId: 'i',
    signal: new AbortController().signal,
    history: { actionsInLastHour: async () => 0 },
  };
}
const incident = { startedAtMs: T0 - 600_000, fixedAtMs: FIXED, evidence: { resumeBatch: 249 } };

describe('Function: verifyCheckpointFailure', () => {
  it('is recovered once the restarted run is RUNNING and has committed the batch it resumed at', async () => {
    expect(await verifyCheckpointFailure(ctx([{}], FIXED + 30_000), incident)).toMatchObject({
      status: 'recovered',
      evidence: { resumeBatchCommitted: true, jobRunState: 'RUNNING' },
    });
  });

  it('is pending while the run is RUNNING without that commit, or still starting', async () => {
    expect((await verifyCheckpointFailure(ctx([{}]), incident)).status).toBe('pending');
    // A commit written before the fix is the old one, not proof.
    expect((await verifyCheckpointFailure(ctx([{}], FIXED - 1), incident)).status).toBe('pending');
    expect((await verifyCheckpointFailure(ctx([{ state: 'SCHEDULED' }], FIXED + 1), incident)).status).toBe('pending');
  });

  it('fails when the newest run ended, or no run was started', async () => {
    expect(await verifyCheckpointFailure(ctx([{}, { state: 'FAILED', stateDetails: 'Log file was malformed' }]), incident)).toMatchObject({
      status: 'failed',
      summary: 'run r1 is FAILED: Log file was malformed',
    });
    expect((await verifyCheckpointFailure(ctx([]), incident)).status).toBe('failed');
    expect((await verifyCheckpointFailure(ctx([{ name: 'nightly' }]), incident)).status).toBe('failed');
  });
});
