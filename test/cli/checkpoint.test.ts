import { emrPipeline } from '../helpers/pipelines';
import { EMRServerlessClient, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkpointCommand, checkpointPayloadFromArgs } from '../../cli/checkpoint';
import { S3Adapter } from '../../lambdas/adapters/s3';
import { listAll, mapLimit, readSparkCheckpoint } from '../../lambdas/analysis/checkpoint';
import { parseConfig } from '../../lambdas/schema';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import exampleConfig from '../../streamfix.config';
import { sparkCheckpoint, endOffsets } from '../helpers/checkpoint-layout';
import { startDynalite } from '../helpers/dynalite';
import { startSerialS3rver } from '../helpers/s3rver-serial';

/**
 * `streamfix checkpoint …` as a user runs it: in-process, default credential chain, against
 * s3rver (S3) and dynalite (the ledger) started here, on a checkpoint laid out as Spark writes
 * it with a corrupt newest batch. EMR Serverless (is the job running?) is mocked.
 */
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const CP = `s3://${BUCKET}/${PREFIX}`;
const T0 = Date.parse('2026-11-22T08:00:00Z');
const config = parseConfig({ ...exampleConfig, escalation: { emails: [] } });
const emr = mockClient(EMRServerlessClient);
const ONCALL = { arn: 'arn:aws:iam::123456789012:user/jane', account: '123456789012', userId: 'AIDAEXAMPLEUSERID1234' };

describe('Command: streamfix checkpoint', () => {
  let s3rver: Awaited<ReturnType<typeof startSerialS3rver>>;
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let s3: S3Adapter;
  const saved = { ...process.env };

  beforeAll(async () => {
    [s3rver, db] = await Promise.all([startSerialS3rver([BUCKET]), startDynalite()]);
    s3 = S3Adapter.fromOptions(s3rver.aws);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    const objects = sparkCheckpoint({ prefix: PREFIX, batches: 30, startMs: T0, statePartitions: 2, lastCommitted: false });
    await mapLimit(objects, 16, (o) => s3.putObject(BUCKET, o.key, o.body));
    await s3.putObject(BUCKET, `${PREFIX}offsets/29`, ''); // the newest batch's offsets file is empty
  });
  afterAll(async () => {
    process.env = saved;
    emr.restore();
    await Promise.all([s3rver?.close(), db?.close()]);
  });
  beforeEach(() => {
    emr.reset();
    emr.on(ListJobRunsCommand).resolves({ jobRuns: [] });
  });

  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkpointCommand(
      [
        ...args,
        '--pipeline',
        'orders',
        '--region',
        'eu-west-1',
        '--s3-endpoint',
        s3rver.endpoint,
        '--dynamodb-endpoint',
        db.aws.endpoints!.dynamodb!,
        '--table',
        db.tableName,
      ],
      { out: (t) => out.push(t), err: (t) => err.push(t), loadConfig: async () => config, callerIdentity: async () => ONCALL },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  let backupUri = '';

  it('inspect: reports the corrupt newest batch, the last good one and the options', async () => {
    const r = await run('inspect', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as {
      outcome: string;
      result: { verdict: string; rollback: unknown; report: { lastGoodBatch: number; problems: { kind: string }[] }; lastGoodStartingOffsets: string };
    };
    expect(res.outcome).toBe('done');
    expect(res.result).toMatchObject({
      verdict: 'latest-batch',
      rollback: { batchId: 28, rerun: false },
      report: { lastGoodBatch: 28, problems: [{ kind: 'offsets-empty' }] },
    });
    expect(JSON.parse(res.result.lastGoodStartingOffsets)).toEqual(endOffsets(28, 3));
    const text = await run('inspect');
    expect(text.out).toContain('last good 28');
    expect(text.out).toContain('streamfix checkpoint --pipeline orders rollback --to-batch 28 --keep-commit --confirm');
  });

  it('rollback without --confirm is refused, naming the field, and changes nothing', async () => {
    const r = await run('rollback', '--to-batch', '28', '--keep-commit', '--request-id', 'r0');
    expect(r.code).toBe(1);
    expect(r.out).toContain('confirm: rollback changes');
    expect(await s3.headObject(BUCKET, `${PREFIX}offsets/29`)).toBeDefined();
  });

  it('rollback while a run of the job is active is refused and recorded as refused in the ledger', async () => {
    emr.on(ListJobRunsCommand).resolves({
      jobRuns: [
        {
          applicationId: emrPipeline(config.pipelines.orders).job.applicationId,
          id: 'live01',
          name: 'orders-stream',
          state: 'RUNNING',
          stateDetails: '',
          createdAt: new Date(T0),
          updatedAt: new Date(T0),
          executionRole: 'r',
          arn: 'a',
          createdBy: 'c',
          releaseLabel: 'emr-7.1.0',
          type: 'SPARK',
        },
      ],
    });
    const r = await run('rollback', '--to-batch', '28', '--keep-commit', '--confirm', '--request-id', 'r1');
    expect(r.code).toBe(1);
    expect(r.out).toContain('pipeline: run live01 of orders-stream is RUNNING: stop the job first');
    const rec = await dynamoLedger(db.aws, db.tableName).getOperation('checkpoint-ops.orders.rollback.r1');
    expect(rec).toMatchObject({ status: 'refused', summary: expect.stringContaining('run live01'), requestedBy: ONCALL });
    expect(await s3.headObject(BUCKET, `${PREFIX}offsets/29`)).toBeDefined();
  });

  it('backup: copies and verifies; the same request id returns the done operation', async () => {
    const r = await run('backup', '--request-id', 'b1', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as { result: { backupUri: string; objects: number; verified: boolean } };
    backupUri = res.result.backupUri;
    expect(backupUri).toMatch(/^s3:\/\/orders-data-lake\/_checkpoints\/streaming\/orders_backup_\d{8}T\d{6}Z-[0-9a-f]{8}\/$/);
    expect(res.result).toMatchObject({ objects: (await listAll(s3, BUCKET, PREFIX)).objects.length, verified: true });
    expect(r.err).toContain('backup: ');
    const again = await run('backup', '--request-id', 'b1');
    expect(again.out).toContain('already done');
  });

  it('rollback --confirm with a verified backup removes the corrupt batch; the checkpoint reads clean', async () => {
    const r = await run('rollback', '--to-batch', '28', '--keep-commit', '--confirm', '--backup', backupUri, '--request-id', 'r2');
    expect(r.code).toBe(0);
    expect(r.out).toContain('the job resumes at batch 29');
    expect(await readSparkCheckpoint(s3, CP)).toMatchObject({ latestPlannedBatch: 28, lastGoodBatch: 28, problems: [] });
  });

  it('reset --to last-good deletes the checkpoint after a new verified backup and prints the startingOffsets to use', async () => {
    const r = await run('reset', '--to', 'last-good', '--confirm', '--request-id', 'x1');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`startingOffsets=${JSON.stringify(endOffsets(28, 3))}`);
    expect((await listAll(s3, BUCKET, PREFIX)).objects).toEqual([]);
  });

  it('restore --from-backup puts the first backup back exactly', async () => {
    const r = await run('restore', '--from-backup', backupUri, '--confirm', '--request-id', 's1');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`restored ${CP} from ${backupUri}`);
    expect(await readSparkCheckpoint(s3, CP)).toMatchObject({ latestPlannedBatch: 29, lastGoodBatch: 28, problems: [{ kind: 'offsets-empty' }] });
  });

  it('records every operation in the ledger', async () => {
    const ops = await dynamoLedger(db.aws, db.tableName).listOperations();
    const byId = Object.fromEntries(ops.map((o) => [o.operationId, o.status]));
    expect(byId).toMatchObject({
      'checkpoint-ops.orders.backup.b1': 'done',
      'checkpoint-ops.orders.rollback.r1': 'refused',
      'checkpoint-ops.orders.rollback.r2': 'done',
      'checkpoint-ops.orders.reset.x1': 'done',
      'checkpoint-ops.orders.restore.s1': 'done',
    });
  });

  it('exits 2 on bad arguments, with the usage', async () => {
    expect((await run('rollback', '--to-batch', 'last')).code).toBe(2);
    expect((await run('compact')).err).toContain('usage: streamfix checkpoint');
    expect(checkpointPayloadFromArgs('reset', { pipeline: 'orders', to: 'timestamp', timestamp: '2026-11-22T00:00:00Z', confirm: true }, T0)).toEqual({
      command: 'reset',
      pipeline: 'orders',
      requestId: '20261122T080000Z',
      confirm: true,
      to: 'timestamp',
      timestamp: '2026-11-22T00:00:00Z',
    });
  });
});
