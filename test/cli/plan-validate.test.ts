import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/common';
import { planCommand } from '../../cli/plan';
import { validateCommand } from '../../cli/validate';
import { buildWorld } from '../../drills/build-world';
import { BUILTIN_SCENARIOS_DIR } from '../../drills/cli';
import { loadScenario } from '../../drills/scenario/load';
import type { SimWorld } from '../../drills/sim/world';
import { createAwsAdapters } from '../../lambdas/adapters';
import type { AwsClientOptions } from '../../lambdas/adapters/clients';
import { readOnlyPlugin, ReadOnlyViolationError } from '../../lambdas/adapters/read-only';
import type { StreamfixConfig } from '../../lambdas/config';
import { parseConfig, type StreamfixConfigInput } from '../../lambdas/schema';
import { buildWiring } from '../../lambdas/wiring';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import exampleConfig from '../../streamfix.config';
import { startDynalite } from '../helpers/dynalite';
import { emrPipeline } from '../helpers/pipelines';

/**
 * `streamfix plan` and `streamfix validate --live` against the simulated platform (the built-in
 * job-crashed world) and dynalite; `streamfix validate` on each broken config the README shows.
 */

const capture = (over: Partial<CliIo> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {}, ...over } as CliIo };
};

const MUTATING = /^(Start|Cancel|Put|Copy|Delete|Update|Create|Reboot|Publish|Send|Tag)/;

describe('Command: streamfix plan', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let world: SimWorld;
  let aws: AwsClientOptions;
  let config: StreamfixConfig;

  beforeAll(async () => {
    const loaded = await loadScenario(join(BUILTIN_SCENARIOS_DIR, 'job-crashed.yaml'));
    config = loaded.config;
    world = buildWorld(loaded.scenario, config, {
      account: '123456789012',
      region: 'eu-west-1',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix-escalations',
      schedulerGroup: 'streamfix',
    });
    for (const w of buildWiring(config, { account: '123456789012', region: 'eu-west-1', partition: 'aws' }))
      for (const a of w.alarms) world.cloudwatch.addAlarm(a);
    db = await startDynalite(`${config.name}-ledger`);
    aws = { ...db.aws, plugins: [world.plugin] };
    // The job crashed a minute ago.
    const job = emrPipeline(config.pipelines.orders).job;
    const run = world.emr.activeRuns(job.applicationId, job.jobName)[0]!;
    world.emr.failRun(run.jobRunId, 'Job failed, please check complete logs in configured logging destination. ExitCode: 137. ExecutorLostFailure');
    await world.clock.advance(60_000);
  });
  afterAll(async () => db?.close());

  it('diagnoses and plans against the account, judges the fix with the guardrails, and writes nothing', async () => {
    const before = world.record.calls.length;
    const t = capture({ loadConfig: async () => config, aws, clock: world.clock });
    expect(await planCommand(['--pipeline', 'orders', '--playbook', 'job-failed', '--json'], t.io)).toBe(0);
    const r = JSON.parse(t.out[0]!) as {
      readOnly: boolean;
      playbooks: {
        playbook: string;
        decision: { kind: string; reason: string; actions: { type: string }[] };
        evidence: Record<string, unknown>;
        guardrails: unknown;
        subject: string;
      }[];
    };
    expect(r.readOnly).toBe(true);
    expect(r.playbooks[0]).toMatchObject({
      playbook: 'job-failed',
      decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE', actions: [{ type: 'emr-serverless:StartJobRun' }] },
      guardrails: { ok: true },
    });
    expect(r.playbooks[0]!.subject).toContain('as if it went to ALARM now');
    const calls = world.record.calls.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => MUTATING.test(c.operation))).toEqual([]);
    expect(await dynamoLedger(aws, `${config.name}-ledger`).listIncidents()).toEqual([]);
    expect(world.record.calls.filter((c) => c.operation === 'StartJobRun')).toEqual([]);
  });

  it('prints evidence, decision and verdict for every playbook of the pipeline; an unknown playbook is a usage error', async () => {
    const t = capture({ loadConfig: async () => config, aws, clock: world.clock });
    expect(await planCommand(['--pipeline', 'orders'], t.io)).toBe(0);
    const text = t.out.join('\n');
    expect(text).toContain('plan for orders (read-only: nothing is written)');
    expect(text).toContain('job-failed (mode auto)');
    expect(text).toContain('decision: fix JOB_FAILED_RESTARTABLE');
    expect(text).toContain('guardrails: the fix would pass every guardrail now');
    const bad = capture({ loadConfig: async () => config, aws, clock: world.clock });
    expect(await planCommand(['--pipeline', 'orders', '--playbook', 'nope'], bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/^--playbook: "nope" is not a playbook of pipeline orders/);
    const none = capture({ loadConfig: async () => config, aws, clock: world.clock });
    expect(await planCommand([], none.io)).toBe(2);
    expect(none.err[0]).toMatch(/^--pipeline: required/);
  });

  it('the read-only plugin refuses every write before it is sent', async () => {
    const s3 = createAwsAdapters({ ...aws, plugins: [readOnlyPlugin(), world.plugin] }).s3;
    await expect(s3.putObject('orders-data-lake', 'x', 'y')).rejects.toBeInstanceOf(ReadOnlyViolationError);
    expect(world.s3.object('orders-data-lake', 'x')).toBeUndefined();
  });
});

describe('Command: streamfix validate', () => {
  const run = async (input: StreamfixConfigInput, args: string[] = [], aws?: AwsClientOptions) => {
    const t = capture({
      loadConfig: async () => parseConfig(input),
      ...(aws ? { aws } : {}),
    });
    const code = await validateCommand(['x.ts', ...args], t.io);
    return { code, out: t.out.join('\n'), err: t.err.join('\n') };
  };
  const example = exampleConfig as unknown as Record<string, unknown> & { pipelines: Record<string, Record<string, unknown>> };
  const orders = example.pipelines.orders!;

  it('accepts the example config, listing what it names and the size of each role', async () => {
    const r = await run(example as StreamfixConfigInput);
    expect(r.code).toBe(0);
    expect(r.out).toContain('x.ts: valid (1 pipeline(s), 6 playbook function(s))');
    expect(r.out).toMatch(/streamfix-job-failed: [\d,]+ \(inline\)/);
  });

  /**
   * Each broken config of the README ("Check a config"), as a change to the example: validate
   * names the path, and the README shows that very line.
   */
  // Table cells escape their pipes.
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8').replaceAll('\\|', '|');
  const broken: [string, () => StreamfixConfigInput, string][] = [
    [
      'a missing application id',
      () =>
        ({ ...example, pipelines: { orders: { ...orders, job: { ...(orders.job as object), applicationId: undefined } } } }) as unknown as StreamfixConfigInput,
      'pipelines.orders.job.applicationId: Required',
    ],
    [
      'a checkpoint without its trailing slash',
      () =>
        ({
          ...example,
          pipelines: { orders: { ...orders, job: { ...(orders.job as object), checkpoint: 's3://orders-data-lake/_checkpoints/streaming/orders' } } },
        }) as unknown as StreamfixConfigInput,
      'pipelines.orders.job.checkpoint: must be s3://bucket/prefix/ ending with a slash',
    ],
    [
      'a mode that does not exist',
      () => ({ ...example, pipelines: { orders: { ...orders, playbooks: { 'job-failed': { mode: 'manual' } } } } }) as unknown as StreamfixConfigInput,
      'pipelines.orders.playbooks.job-failed.mode: Invalid option: expected one of "auto"|"approve"|"recommend"|"off"',
    ],
    [
      'a cluster name that is not the one in its ARN',
      () =>
        ({
          ...example,
          pipelines: { orders: { ...orders, source: { ...(orders.source as object), clusterName: 'orders-cluster' } } },
        }) as unknown as StreamfixConfigInput,
      'pipelines.orders.source.clusterName: "orders-cluster" is not the name in the cluster ARN ("order-processing")',
    ],
    [
      'a role in another account',
      () =>
        ({
          ...example,
          pipelines: {
            orders: { ...orders, job: { ...(orders.job as object), executionRoleArn: 'arn:aws:iam::210987654321:role/EmrServerlessJobExecutionRole' } },
          },
        }) as unknown as StreamfixConfigInput,
      "pipelines.orders.job.executionRoleArn: is in account 210987654321, the config's account is 123456789012",
    ],
    [
      'two pipelines on one job',
      () =>
        ({
          ...example,
          pipelines: { orders: orders, returns: { ...orders, dlq: { s3: 's3://orders-data-lake/dlq/returns/' } } },
        }) as unknown as StreamfixConfigInput,
      "pipelines.returns.job.jobName: the job orders-stream on 00fabcd1234efg5h is also pipeline orders's",
    ],
    [
      'a route to a pipeline that does not exist',
      () => ({ ...example, routes: [{ alarmName: 'orders-lag-composite', pipeline: 'order', playbook: 'consumer-lag' }] }) as unknown as StreamfixConfigInput,
      'routes[0].pipeline: unknown pipeline "order"',
    ],
  ];

  it.each(broken)('rejects %s, naming the path, as the README says', async (_what, make, line) => {
    let r: { code: number; out: string; err: string };
    try {
      r = await run(make());
    } catch (e) {
      // A schema error is thrown while loading: validate prints it from its own loader.
      const t = capture({ loadConfig: async () => parseConfig(make()) });
      const code = await validateCommand(['x.ts'], t.io);
      r = { code, out: t.out.join('\n'), err: t.err.join('\n') };
      void e;
    }
    expect(r.code).toBe(1);
    expect(r.out).toContain(line);
    expect(readme).toContain(line);
  });

  it('a missing file is a usage error naming it (exit 2), with no stack trace', async () => {
    const t = capture();
    expect(await validateCommand(['no-such.config.ts'], t.io)).toBe(2);
    expect(t.err[0]).toMatch(/^config-file: config file not found: .*no-such\.config\.ts/);
    expect(t.err.join('\n')).not.toMatch(/\n\s+at /);
  });

  describe('--live', () => {
    let world: SimWorld;
    let config: StreamfixConfig;
    beforeAll(async () => {
      const loaded = await loadScenario(join(BUILTIN_SCENARIOS_DIR, 'firehose-buffer-too-small.yaml'));
      config = loaded.config;
      world = buildWorld(loaded.scenario, config, {
        account: '123456789012',
        region: 'eu-west-1',
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:t',
        schedulerGroup: 'g',
      });
      await world.clock.advance(180_000);
    });
    const live = async (c: StreamfixConfig) => {
      const t = capture({
        loadConfig: async () => c,
        aws: { region: 'eu-west-1', plugins: [world.plugin], credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
      });
      const code = await validateCommand(['x.ts', '--live', '--json'], t.io);
      return { code, report: JSON.parse(t.out[0]!) as { valid: boolean; findings: { level: string; path: string; message: string }[] } };
    };

    it('finds every resource of the drill world, and writes nothing', async () => {
      const before = world.record.calls.length;
      const r = await live(config);
      expect(r.report.findings.filter((f) => f.level === 'error')).toEqual([]);
      expect(r.code).toBe(0);
      expect(world.record.calls.slice(before).filter((c) => MUTATING.test(c.operation))).toEqual([]);
      expect(world.record.calls.slice(before).map((c) => c.operation)).toEqual(
        expect.arrayContaining(['DescribeClusterV2', 'GetApplication', 'DescribeDeliveryStream', 'ListObjectsV2', 'ListMetrics']),
      );
    });

    it('names each resource the account does not have', async () => {
      const wrong = parseConfig({
        ...config,
        pipelines: {
          orders: {
            ...config.pipelines.orders!,
            sink: { kind: 'firehose', deliveryStreamName: 'order-firehose-v2' },
            job: { ...config.pipelines.orders!.job, applicationId: '00nosuchapp0000' },
          },
        },
      } as StreamfixConfigInput);
      const r = await live(wrong);
      expect(r.code).toBe(1);
      const errors = r.report.findings.filter((f) => f.level === 'error').map((f) => f.path);
      expect(errors).toEqual(expect.arrayContaining(['pipelines.orders.job.applicationId', 'pipelines.orders.sink.deliveryStreamName']));
    });
  });
});
