import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressBar, formatBytes } from '../../cli/progress-bar';
import { replayCommand, replayPayloadFromArgs } from '../../cli/replay';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import { config, envelope, idOf, startEnv, type Env } from '../operations/dlq-replay/helpers';

const firehose = mockClient(FirehoseClient);
const ONCALL = { arn: 'arn:aws:sts::123456789012:assumed-role/StreamingOncall/jane', account: '123456789012', userId: 'AROAEXAMPLEROLEID1234:jane' };

describe('Command: streamfix replay', () => {
  let env: Env;
  const saved = { ...process.env };
  beforeAll(async () => {
    env = await startEnv();
    // The CLI uses the default credential chain: s3rver's own keys (dynalite takes any).
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    await env.put(
      'dlq/orders/2026/11/22/11/a.jsonl',
      Array.from({ length: 40 }, (_, i) => envelope(i)),
    );
  });
  afterAll(async () => {
    process.env = saved;
    await env?.close();
  });

  const run = async (...extra: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const bar: string[] = [];
    const code = await replayCommand(
      [
        '--pipeline',
        'orders',
        '--error-types',
        'timeout,parse_error',
        '--target',
        'firehose',
        '--region',
        'eu-west-1',
        '--s3-endpoint',
        env.aws.endpoints!.s3!,
        '--dynamodb-endpoint',
        env.aws.endpoints!.dynamodb!,
        '--table',
        env.tableName,
        ...extra,
      ],
      {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        progress: { write: (s) => bar.push(s), isTTY: false },
        loadConfig: async () => config,
        callerIdentity: async () => ONCALL,
      },
    );
    return { code, out: out.join('\n'), err: err.join('\n'), bar: bar.join('') };
  };

  it('is a dry run unless --execute, and says so', async () => {
    const r = await run();
    expect(r.out).toContain('dry run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('dry run: 16 record(s) match (parse_error 8, timeout 8), would go to firehose:order-firehose');
    expect(r.out).toContain('add --execute to send');
    expect(r.bar).toContain('100%');
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  it('with --execute sends the selected records once, and a second run sends nothing more', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: { Records: unknown[] }) => ({ FailedPutCount: 0, RequestResponses: input.Records.map(() => ({ RecordId: 'ok' })) }));
    const first = await run('--execute');
    expect(first.code).toBe(0);
    expect(first.out).toContain('16 record(s) delivered to firehose:order-firehose');
    expect(first.bar).toMatch(/16 sent/);
    const again = await run('--execute', '--json');
    const parsed = JSON.parse(again.out) as { operationId: string };
    expect(parsed).toMatchObject({ outcome: 'done', requestedBy: ONCALL, result: { recordsDelivered: 0, recordsDeliveredTotal: 16 } });
    // The operation record keeps who asked (STS GetCallerIdentity of the CLI's credentials).
    expect(await dynamoLedger(env.aws, env.tableName).getOperation(parsed.operationId)).toMatchObject({ requestedBy: ONCALL, params: { requestedBy: ONCALL } });
    const ids = firehose.commandCalls(PutRecordBatchCommand).flatMap((c) => c.args[0].input.Records!.map((x) => idOf(x.Data!)));
    expect(ids.sort((a, b) => a - b)).toEqual([0, 2, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 30, 32, 35, 37]);
  });

  it('exits 1 naming the field when the config does not allow what was asked', async () => {
    const r = await run('--prefix', 's3://elsewhere/dlq/');
    expect(r.code).toBe(1);
    expect(r.out).toContain('refused: source.s3');
    // The outcome is said once.
    expect(r.out).not.toContain('refused: refused:');
  });

  it('does not run when it cannot tell who is running it (exit 2)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await replayCommand(['--pipeline', 'orders', '--region', 'eu-west-1', '--table', env.tableName], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      progress: { write: () => true, isTTY: false },
      loadConfig: async () => config,
      callerIdentity: async () => {
        throw new Error('The security token included in the request is expired');
      },
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('cannot tell who is running this (STS GetCallerIdentity: The security token included in the request is expired)');
    expect(out).toEqual([]);
  });

  it('exits 2 on an unknown option, with the usage', async () => {
    const r = await run('--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: streamfix replay');
  });

  it('turns arguments into the operation payload', () => {
    expect(replayPayloadFromArgs({ pipeline: 'orders', where: ['a=1', 'b~x'], 'max-records': '10', execute: true, from: '2026-11-22T10:00:00Z' })).toEqual({
      command: 'replay',
      pipeline: 'orders',
      source: { kind: 'dlq' },
      from: '2026-11-22T10:00:00Z',
      where: ['a=1', 'b~x'],
      target: {},
      dryRun: false,
      confirm: true,
      maxRecords: 10,
    });
    expect(() => replayPayloadFromArgs({ pipeline: 'orders', rate: 'fast' })).toThrow('--rate');
  });
});

describe('Class: ProgressBar', () => {
  it('redraws in place on a terminal, at most every 100 ms', () => {
    const chunks: string[] = [];
    let now = 0;
    const bar = new ProgressBar({ write: (s) => chunks.push(s), isTTY: true, columns: 200 }, () => now, { width: 10 });
    bar.update({ done: 1, total: 4, label: 'a' });
    now = 50;
    bar.update({ done: 2, total: 4, label: 'b' });
    now = 150;
    bar.update({ done: 3, total: 4, label: 'c' });
    bar.finish({ done: 4, total: 4, label: 'd' });
    expect(chunks).toEqual(['\r[###.......]  25% a\u001b[K', '\r[########..]  75% c\u001b[K', '\r[##########] 100% d\u001b[K', '\n']);
    expect(formatBytes(1_610_612_736)).toBe('1.5 GiB');
  });
});
