import { describe, expect, it } from 'vitest';
import { detectCheckpointKind, readFlinkCheckpoints } from '../../../lambdas/analysis/checkpoint/flink';
import { listBatchFiles } from '../../../lambdas/analysis/checkpoint/listing';
import { planRollback } from '../../../lambdas/analysis/checkpoint/rollback-plan';
import { classifyStateKey, latestStateVersion, listStateFiles } from '../../../lambdas/analysis/checkpoint/state';
import { flinkCheckpoints, sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { MemoryS3 } from '../../helpers/memory-s3';

const BUCKET = 'orders-data-lake';
const T0 = Date.parse('2026-11-22T08:00:00Z');
const JOB = 'flink/checkpoints/a1b2c3d4e5f60718293a4b5c6d7e8f90/';
const SAVEPOINTS = 'flink/savepoints/';

function flink(layout: Partial<Parameters<typeof flinkCheckpoints>[0]> = {}): MemoryS3 {
  const s3 = new MemoryS3();
  for (const o of flinkCheckpoints({ prefix: JOB, completed: [41, 42, 43], startMs: T0, savepointsPrefix: SAVEPOINTS, ...layout }))
    s3.seed(BUCKET, o.key, o.body, o.atMs);
  return s3;
}

describe('Function: readFlinkCheckpoints', () => {
  it('finds the latest chk-N with _metadata, the incomplete ones after it, and the savepoints', async () => {
    // Prepare
    const s3 = flink({
      incomplete: [40, 44, 45],
      savepoints: [
        { name: 'savepoint-a1b2c3-5f0e1d2c3b4a', complete: true },
        { name: 'savepoint-a1b2c3-000000000000', complete: false },
      ],
    });
    // Act
    const r = await readFlinkCheckpoints(s3, `s3://${BUCKET}/${JOB}`, { savepointsUri: `s3://${BUCKET}/${SAVEPOINTS}` });
    // Assess
    expect(r.latestCompleted).toMatchObject({ id: 43, complete: true, files: 2, uri: `s3://${BUCKET}/${JOB}chk-43/`, writtenAtMs: T0 + 43 * 60_000 + 500 });
    expect(r).toMatchObject({
      completedCount: 3,
      incompleteAfterLatest: [44, 45],
      incompleteBefore: [40],
      sharedPresent: true,
      taskOwnedPresent: true,
      exists: true,
    });
    expect(r.savepoints.map((s) => [s.name, s.complete])).toEqual([
      ['savepoint-a1b2c3-000000000000', false],
      ['savepoint-a1b2c3-5f0e1d2c3b4a', true],
    ]);
    expect(r.problems.map((p) => p.kind)).toEqual(['failed-since-latest', 'savepoint-incomplete']);
  });

  it('says when no checkpoint ever completed', async () => {
    const r = await readFlinkCheckpoints(flink({ completed: [], incomplete: [1, 2] }), `s3://${BUCKET}/${JOB}`);
    expect(r.latestCompleted).toBeUndefined();
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'no-completed-checkpoint' })]);
  });

  it('tells a Spark checkpoint from a Flink one', async () => {
    const s3 = flink();
    for (const o of sparkCheckpoint({ prefix: 'spark/cp/', batches: 3, startMs: T0 })) s3.seed(BUCKET, o.key, o.body, o.atMs);
    expect(await detectCheckpointKind(s3, `s3://${BUCKET}/${JOB}`)).toBe('flink');
    expect(await detectCheckpointKind(s3, `s3://${BUCKET}/spark/cp/`)).toBe('spark');
    expect(await detectCheckpointKind(s3, `s3://${BUCKET}/nothing/`)).toBe('none');
  });
});

describe('Function: classifyStateKey', () => {
  it.each([
    ['0/3/12.delta', { tie: 'version', n: 12 }],
    ['0/3/20.snapshot', { tie: 'version', n: 20 }],
    ['1/0/left-keyToNumValues/7.delta', { tie: 'version', n: 7 }],
    ['0/3/31.zip', { tie: 'version', n: 31 }],
    ['0/3/31.changelog', { tie: 'version', n: 31 }],
    ['0/3/32_5a1f9e2c-1d2e-4f00-8c9b-7d6e5f4a3b2c.zip', { tie: 'version', n: 32 }],
    ['0/_metadata/v2/31', { tie: 'batch', n: 31 }],
    ['0/_stateSchema/default/31_8c9b7d6e-5f4a', { tie: 'batch', n: 31 }],
    ['0/_metadata/metadata', undefined],
    ['0/3/_metadata/schema', undefined],
    ['0/3/SSTs/000123-5a1f9e2c.sst', undefined],
  ])('%s → %j', (key, expected) => {
    expect(classifyStateKey(key)).toEqual(expected);
  });
});

describe('Function: planRollback', () => {
  const s3 = new MemoryS3();
  for (const o of sparkCheckpoint({ prefix: 'cp/', batches: 30, startMs: T0, statePartitions: 2 })) s3.seed(BUCKET, o.key, o.body, o.atMs);

  it('re-running batch K removes offsets > K, commits ≥ K and state versions > K', async () => {
    // Prepare
    const [offsets, commits, state] = await Promise.all([
      listBatchFiles(s3, BUCKET, 'cp/offsets/'),
      listBatchFiles(s3, BUCKET, 'cp/commits/'),
      listStateFiles(s3, BUCKET, 'cp/'),
    ]);
    // Act
    const plan = planRollback(offsets, commits, state.files, { batchId: 27, rerun: true });
    // Assess
    expect(plan.offsetsRemoved).toEqual([28, 29]);
    expect(plan.commitsRemoved).toEqual([27, 28, 29]);
    expect(plan.resumeBatch).toBe(27);
    // versions 28, 29, 30 (and snapshot 30) of each of the two partitions
    expect(
      plan.deletions
        .filter((d) => d.key.includes('/state/'))
        .map((d) => d.key)
        .sort(),
    ).toEqual(
      ['0/28.delta', '0/29.delta', '0/30.delta', '0/30.snapshot', '1/28.delta', '1/29.delta', '1/30.delta', '1/30.snapshot']
        .map((k) => `cp/state/0/${k}`)
        .sort(),
    );
    expect(latestStateVersion(state.files)).toBe(30);
  });

  it('resuming after batch K keeps commits/K and state version K+1', async () => {
    const [offsets, commits, state] = await Promise.all([
      listBatchFiles(s3, BUCKET, 'cp/offsets/'),
      listBatchFiles(s3, BUCKET, 'cp/commits/'),
      listStateFiles(s3, BUCKET, 'cp/'),
    ]);
    const plan = planRollback(offsets, commits, state.files, { batchId: 28, rerun: false });
    expect(plan).toMatchObject({ offsetsRemoved: [29], commitsRemoved: [29], stateFilesRemoved: 4, resumeBatch: 29 });
  });
});
