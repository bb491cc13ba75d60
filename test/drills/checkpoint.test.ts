import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../drills/result';
import { runScenario } from '../../drills/runner';
import { loadScenario, validateScenario } from '../../drills/scenario/load';
import { seedCheckpoint } from '../../drills/sim/checkpoint';
import { backupTag } from '../../lambdas/analysis/checkpoint';
import { SimWorld } from '../../drills/sim/world';

const SCENARIOS = join(process.cwd(), 'drills/scenarios');
const run = async (name: string): Promise<DrillResult> => runScenario(await loadScenario(join(SCENARIOS, `${name}.yaml`)));
const CP = 's3://orders-data-lake/_checkpoints/streaming/orders/';
const PREFIX = '_checkpoints/streaming/orders/';

describe('Drills: checkpoint scenarios', () => {
  it('corrupt last batch: backed up, rolled back to after batch 120, restarted, verified', { timeout: 120_000 }, async () => {
    // Act
    const r = await run('checkpoint-corrupt-last-batch');
    // Assess
    expect(r.failures).toEqual([]);
    const inc = r.incidents.find((i) => i.playbook === 'checkpoint-failure')!;
    expect(inc.actions.map((a) => [a.operation, a.status])).toEqual([
      ['Backup', 'done'],
      ['EnsureJobStopped', 'done'],
      ['Rollback', 'done'],
      ['StartJobRun', 'done'],
    ]);
    expect(inc.actions[0]!.params).toMatchObject({
      checkpoint: CP,
      backup: `s3://orders-data-lake/_checkpoints/streaming/orders_backup_20260101T000111Z-${backupTag(inc.incidentId)}/`,
    });
    expect(inc.actions[2]!.params).toMatchObject({ rerun: false, expectLatestBatch: (inc.actions[2]!.params.batchId as number) + 1 });
    expect(r.calls.CopyObject).toBeGreaterThan(200);
    expect(r.guardrailViolations).toEqual([]);
  });

  it.each([
    ['checkpoint-access-denied', 'CHECKPOINT_ACCESS_DENIED', 's3:PutObject on arn:aws:s3:::orders-data-lake/_checkpoints/streaming/orders/*'],
    ['checkpoint-kms-denied', 'CHECKPOINT_KMS_DENIED', 'arn:aws:kms:eu-west-1:123456789012:key/0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098'],
    ['checkpoint-deep-corruption', 'CHECKPOINT_CORRUPTION_DEEP', 'damaged beyond its latest batch'],
  ])('%s: escalates (%s) naming %s, and changes nothing', { timeout: 120_000 }, async (name, reason, names) => {
    const r = await run(name);
    expect(r.failures).toEqual([]);
    const inc = r.incidents.find((i) => i.playbook === 'checkpoint-failure')!;
    expect(inc.decision).toMatchObject({ kind: 'escalate', reason });
    expect(inc.decision!.summary).toContain(names);
    expect(inc.actions).toEqual([]);
    expect(r.calls.CopyObject ?? 0).toBe(0);
    expect(r.calls.DeleteObjects ?? 0).toBe(0);
  });
});

describe('Class: CheckpointGuard', () => {
  const world = () => {
    const w = new SimWorld({
      startMs: Date.parse('2026-01-01T00:00:00Z'),
      account: '123456789012',
      region: 'eu-west-1',
      applicationIds: ['00fabcd1234efg5h'],
      jobs: [
        {
          pipeline: 'orders',
          applicationId: '00fabcd1234efg5h',
          jobName: 'orders-stream',
          executionRoleArn: 'arn:aws:iam::123456789012:role/r',
          checkpoint: CP,
          topic: 'orders.raw',
          partitions: 3,
        },
      ],
    });
    seedCheckpoint(w.s3, w.ctx, {
      uri: CP,
      topic: 'orders.raw',
      partitions: 3,
      batches: 20,
      lastBatchAgeSeconds: 30,
      batchIntervalSeconds: 60,
      lastBatchCommitted: false,
      recordsPerBatch: 600,
    });
    return w;
  };

  it('reads a healthy checkpoint, including one whose newest batch is not committed yet', () => {
    expect(world().checkpointGuard.unreadable(CP)).toBeUndefined();
  });

  it.each([
    ['offsets/19', '', 'Incomplete log file (s3://'],
    ['offsets/19', 'v3\n{}\n{}', 'UnsupportedLogVersion: maximum supported log version is v1, but encountered v3'],
    ['offsets/19', 'x\n{}', 'Log file was malformed'],
    ['offsets/18', 'v1\n{"batchWatermarkMs":0}\n{"orders.raw":{"0":1', 'Log file was malformed'],
    ['commits/18', '', 'Incomplete log file in the offset commit log'],
  ])("fails on %s written as %j with Spark's message", (key, body, message) => {
    const w = world();
    w.s3.put('orders-data-lake', `${PREFIX}${key}`, body);
    expect(w.checkpointGuard.unreadable(CP)).toContain(message);
  });

  it('fails when offsets/N-1 is missing', () => {
    const w = world();
    w.s3.operations.DeleteObject({ Bucket: 'orders-data-lake', Key: `${PREFIX}offsets/18` } as never);
    expect(w.checkpointGuard.unreadable(CP)).toContain("batch 18 doesn't exist");
  });

  it('answers GetBucketEncryption with the configured key, else SSE-S3', () => {
    const w = world();
    const get = (
      w.s3.operations as unknown as Record<
        string,
        (i: { Bucket: string }) => { ServerSideEncryptionConfiguration: { Rules: { ApplyServerSideEncryptionByDefault: unknown }[] } }
      >
    ).GetBucketEncryption!;
    expect(get({ Bucket: 'orders-data-lake' }).ServerSideEncryptionConfiguration.Rules[0]!.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    w.checkpointGuard.bucketKeys.set('orders-data-lake', 'arn:aws:kms:eu-west-1:123456789012:key/k');
    expect(get({ Bucket: 'orders-data-lake' }).ServerSideEncryptionConfiguration.Rules[0]!.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: 'arn:aws:kms:eu-west-1:123456789012:key/k',
    });
  });
});

describe('Scenario format: corrupt-checkpoint', () => {
  it('rejects an unknown field, naming its path', async () => {
    const doc = {
      version: 1,
      name: 'x',
      description: 'x',
      configFile: 'configs/checkpoint-orders.yaml',
      runFor: '1m',
      timeline: [{ at: '10s', 'corrupt-checkpoint': { pipeline: 'orders', files: 2 } }],
    };
    await expect(validateScenario(join(SCENARIOS, 'x.yaml'), doc)).rejects.toThrow(/timeline\[0\]\.corrupt-checkpoint.*files/);
  });
});
