import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { FunctionFailedError } from '../../lambdas/adapters/lambda';
import { ItemGuardrailStore } from '../../lambdas/guardrails';
import type { Ledger } from '../../lambdas/ledger/ledger';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import type { DeadLetterRecord } from '../../lambdas/ledger/types';
import exampleConfig from '../../streamfix.config';
import { breakerCommand } from '../../cli/breaker';
import { redriveCommand } from '../../cli/redrive';
import { startDynalite } from '../helpers/dynalite';

const config = parseConfig({ ...exampleConfig, escalation: { emails: [] } });
const ONCALL = { arn: 'arn:aws:sts::123456789012:assumed-role/StreamingOncall/jane', account: '123456789012', userId: 'AROA:jane' };
const T0 = Date.parse('2026-11-22T10:00:00Z');

describe('CLI: streamfix breaker and streamfix redrive (ledger on dynalite)', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let ledger: Ledger;
  const io = (out: string[], err: string[]) => ({
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    loadConfig: async () => config,
    callerIdentity: async () => ONCALL,
  });
  const common = () => ['--table', db.tableName, '--region', 'eu-west-1', '--dynamodb-endpoint', db.aws.endpoints!.dynamodb!];
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeAll(async () => {
    db = await startDynalite();
    ledger = dynamoLedger(db.aws, db.tableName);
    // The commands use the default credential chain, as on an operator's machine.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  });
  afterAll(async () => {
    for (const [k, v] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await db.close();
  });

  it('breaker reset closes an open breaker and records who reset it, why, and what it was', async () => {
    // Prepare
    const store = new ItemGuardrailStore(ledger.store);
    await store.writeBreaker('orders#job-failed', {
      consecutiveVerifyFailures: 2,
      openUntilMs: T0 + 3_600_000,
      openedReason: '2 verification(s) failed in a row',
      lastFixAtMs: T0,
    });
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const status = await breakerCommand(['status', '--pipeline', 'orders', '--playbook', 'job-failed', ...common()], io(out, err), () => T0);
    const reset = await breakerCommand(
      ['reset', '--pipeline', 'orders', '--playbook', 'job-failed', '--reason', 'bad node replaced', ...common()],
      io(out, err),
      () => T0 + 1,
    );
    // Assess
    expect([status, reset], err.join('\n')).toEqual([0, 0]);
    expect(out[0]).toContain('open until 2026-11-22T11:00:00.000Z: 2 verification(s) failed in a row');
    expect(await store.readBreaker('orders#job-failed')).toEqual({ consecutiveVerifyFailures: 0 });
    const op = (await ledger.listOperations()).find((o) => o.kind === 'breaker')!;
    expect(op).toMatchObject({
      command: 'reset',
      pipeline: 'orders',
      status: 'done',
      params: { playbook: 'job-failed', reason: 'bad node replaced', requestedBy: ONCALL },
    });
    expect(String(op.result?.before)).toContain('open until');
  });

  it('breaker refuses bad usage naming the argument, with exit code 2', async () => {
    const err: string[] = [];
    expect(await breakerCommand(['reset', '--pipeline', 'orders', '--playbook', 'job-failed', ...common()], io([], err))).toBe(2);
    expect(err[0]).toMatch(/^--reason: required/);
    expect(await breakerCommand(['reset', '--pipeline', 'nope', '--playbook', 'job-failed', '--reason', 'x', ...common()], io([], err))).toBe(2);
    expect(err[1]).toMatch(/^--pipeline: no pipeline "nope"/);
    expect(await breakerCommand(['reset', '--pipeline', 'orders', '--playbook', 'nope', '--reason', 'x', ...common()], io([], err))).toBe(2);
    expect(err[2]).toMatch(/^--playbook: no playbook "nope"/);
  });

  it('redrive sends each pending dead letter to its function, marks it with the answer and who redrove it; a dry run sends nothing', async () => {
    // Prepare
    const dead = (id: string, fn: string): DeadLetterRecord => ({
      id,
      atMs: T0,
      source: 'lambda-on-failure',
      functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${fn}`,
      event: { id: `event-${id}` },
      error: { type: 'Sandbox.Timedout', message: 'Task timed out after 300.00 seconds' },
      status: 'pending',
    });
    await ledger.deadLetters.record(dead('m-1', 'streamfix-job-failed'));
    await ledger.deadLetters.record(dead('m-2', 'streamfix-consumer-lag'));
    const sent: { arn: string; event: unknown }[] = [];
    const invoke = async (arn: string, event: unknown) => {
      sent.push({ arn, event });
      if (arn.endsWith('consumer-lag')) throw new FunctionFailedError(arn, 'Error', 'still failing');
      return { outcome: 'processed', decision: { reason: 'VERIFY_PENDING' } };
    };
    const out: string[] = [];
    // Act
    const dry = await redriveCommand(['--dry-run', ...common()], { ...io(out, []), invoke });
    const sentByDryRun = sent.length;
    const real = await redriveCommand(common(), { ...io(out, []), invoke });
    // Assess
    expect(dry).toBe(0);
    expect(sentByDryRun).toBe(0);
    expect(real).toBe(1); // one failed again
    expect(sent).toEqual([
      { arn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-job-failed', event: { id: 'event-m-1' } },
      { arn: 'arn:aws:lambda:eu-west-1:123456789012:function:streamfix-consumer-lag', event: { id: 'event-m-2' } },
    ]);
    const all = await ledger.deadLetters.list();
    expect(all.find((d) => d.id === 'm-1')).toMatchObject({ status: 'redriven', redrivenBy: ONCALL.arn, redriveOutcome: 'processed VERIFY_PENDING' });
    expect(all.find((d) => d.id === 'm-2')).toMatchObject({ status: 'pending' });
    expect(out.join('\n')).toContain('failed: m-2');
    // Only the one still pending is left, and an unknown id is refused by name.
    const err: string[] = [];
    expect(await redriveCommand(['--id', 'm-1', ...common()], { ...io([], err), invoke })).toBe(2);
    expect(err[0]).toMatch(/^--id: no pending dead letter m-1/);
  });
});
