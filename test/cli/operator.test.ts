import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveCommand } from '../../cli/approve';
import type { CliIo } from '../../cli/common';
import { incidentCommand, incidentsCommand } from '../../cli/incidents';
import { pauseCommand } from '../../cli/pause';
import { statusCommand } from '../../cli/status';
import { SimWorld } from '../../drills/sim/world';
import type { AwsClientOptions } from '../../lambdas/adapters/clients';
import { parseConfig } from '../../lambdas/schema';
import { ManualClock } from '../../lambdas/core/clock';
import type { AlarmTrigger } from '../../lambdas/core/trigger';
import { ItemGuardrailStore } from '../../lambdas/guardrails';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import exampleConfig from '../../streamfix.config';
import { startDynalite } from '../helpers/dynalite';

/**
 * The operator commands as a person runs them, in-process: the ledger on dynalite, SSM on the
 * simulated platform, the caller's identity and the function invocations given by the test.
 */

const T0 = Date.parse('2026-11-22T10:00:00Z');
const JANE = { arn: 'arn:aws:iam::123456789012:user/jane', account: '123456789012', userId: 'AIDAEXAMPLEUSERID1234' };
const config = parseConfig({ ...exampleConfig, escalation: { emails: [] } });
let OPEN = '';
const CLOSED = 'orders.job-failed.20261122T080000.d4e5f6';

const alarm = (state: 'ALARM' | 'OK', atMs: number): AlarmTrigger => ({
  kind: 'alarm',
  eventId: 'e',
  dedupeKey: `d-${state}-${atMs}`,
  alarmName: 'streamfix-orders-job-failed-not-running',
  state,
  stateAtMs: atMs,
  reason: 'r',
  composite: false,
  triggeringAlarms: [],
  metrics: [],
});

describe('Operator commands', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let world: SimWorld;
  let aws: AwsClientOptions;
  const clock = new ManualClock(T0);

  /** Runs a command with captured output. */
  const io = (over: Partial<CliIo> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        out: (t: string) => out.push(t),
        err: (t: string) => err.push(t),
        loadConfig: async () => config,
        aws,
        clock,
        callerIdentity: async () => JANE,
        env: {},
        ...over,
      } as CliIo,
    };
  };
  const common = () => ['--table', db.tableName];

  beforeAll(async () => {
    db = await startDynalite();
    world = new SimWorld({ startMs: T0, account: '123456789012', region: 'eu-west-1', jobs: [], applicationIds: [] });
    aws = { ...db.aws, plugins: [world.plugin] };
    const ledger = dynamoLedger(aws, db.tableName);
    // An incident waiting for approval, one resolved this morning, and a notice.
    const opened = await ledger.incidents.openOrJoin('orders', 'job-failed', alarm('ALARM', T0 - 300_000), T0 - 300_000, { requestId: 'r1', untilMs: T0 });
    OPEN = opened.incident.incidentId;
    await ledger.incidents.save(
      {
        ...opened.incident,
        incidentId: opened.incident.incidentId,
        status: 'escalated',
        decision: {
          kind: 'escalate',
          reason: 'APPROVAL_REQUIRED',
          summary: 'approval needed',
          evidence: {},
          severity: 'warning',
          recommendation: { summary: 's', command: `streamfix approve ${OPEN}` },
        },
        approvals: [
          {
            id: 'a1',
            status: 'pending',
            requestedAtMs: T0 - 300_000,
            expiresAtMs: T0 + 1_500_000,
            reason: 'JOB_FAILED_RESTARTABLE',
            summary: 'restart',
            actions: [
              {
                type: 'emr-serverless:StartJobRun',
                resource: 'emr-serverless:00fabcd1234efg5h:orders-stream',
                params: {},
                description: 'StartJobRun orders-stream',
              },
            ],
          },
        ],
      },
      opened.ownership!,
      T0 - 299_000,
      { release: true },
    );
    await ledger.incidents.recordStandalone({
      incidentId: CLOSED,
      pipeline: 'orders',
      playbook: 'job-failed',
      status: 'resolved',
      openedAtMs: T0 - 7_200_000,
      updatedAtMs: T0 - 6_900_000,
      closedAtMs: T0 - 6_900_000,
      recoveredAtMs: T0 - 6_900_000,
      trigger: alarm('ALARM', T0 - 7_200_000),
      decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE', summary: 'restart orders-stream', evidence: {}, actions: [] },
      evidence: { failedRunId: 'run-1' },
      verifyAttempts: 1,
      recheckCount: 0,
      actions: [
        {
          incidentId: CLOSED,
          index: 0,
          actionId: `${CLOSED}#0`,
          status: 'done',
          startedAtMs: T0 - 7_100_000,
          endedAtMs: T0 - 7_099_000,
          action: {
            type: 'emr-serverless:StartJobRun',
            resource: 'emr-serverless:00fabcd1234efg5h:orders-stream',
            description: 'StartJobRun orders-stream',
            params: {},
          },
          outcome: { summary: 'started run-2', before: { activeRuns: 0 }, after: { jobRunId: 'run-2' } },
        },
      ],
    });
    await ledger.appendTimeline(CLOSED, T0 - 7_200_000, 'decision', 'fix JOB_FAILED_RESTARTABLE: restart', { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE' });
    await ledger.appendTimeline(CLOSED, T0 - 6_900_000, 'resolve', 'resolved (VERIFIED): run-2 is RUNNING', { reason: 'VERIFIED' });
    await ledger.incidents.recordStandalone({
      incidentId: 'orders.job-failed.ok.1a2b3c4d',
      pipeline: 'orders',
      playbook: 'job-failed',
      status: 'ignored',
      openedAtMs: T0 - 60_000,
      updatedAtMs: T0 - 60_000,
      trigger: alarm('OK', T0 - 60_000),
      verifyAttempts: 0,
      recheckCount: 0,
    });
    // The job is cooling down after this morning's fix... and an hour-old breaker opened on consumer-lag.
    const store = new ItemGuardrailStore(ledger.store);
    await store.admit(await store.readResource('emr-serverless:00fabcd1234efg5h:orders-stream'), {
      owner: OPEN,
      lockUntilMs: T0 + 30_000,
      reserve: [T0 - 600_000],
      nowMs: T0 - 600_000,
    });
    await store.setCooldown('emr-serverless:00fabcd1234efg5h:orders-stream', T0 + 120_000);
    await store.writeBreaker('orders#consumer-lag', {
      consecutiveVerifyFailures: 2,
      openUntilMs: T0 + 1_800_000,
      openedReason: '2 verification(s) failed in a row',
    });
    world.ssm.set('/streamfix/pause', 'off');
    world.ssm.set('/streamfix/pause/orders', 'broker upgrade (by arn:aws:iam::123456789012:user/bo)');
  });
  afterAll(async () => db?.close());

  describe('Command: streamfix approve / deny', () => {
    it("sends the playbook's function the answer with the caller's identity, and exits 0 when the fix ran", async () => {
      const calls: { fn: string; payload: Record<string, unknown> }[] = [];
      const t = io({
        invoke: async (fn, payload) => {
          calls.push({ fn, payload: payload as Record<string, unknown> });
          return { outcome: 'processed', incidentId: OPEN, decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE', summary: 'restart orders-stream' } };
        },
      });
      expect(await approveCommand('approve', [OPEN, '--request', 'a1'], t.io)).toBe(0);
      expect(calls).toEqual([
        {
          fn: 'streamfix-job-failed',
          payload: { streamfix: 'approve', incidentId: OPEN, by: JANE, approvalId: 'a1', nonce: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        },
      ]);
      expect(t.out.join('\n')).toContain('approved and applied: fix JOB_FAILED_RESTARTABLE');
    });

    it('exits 1 when the engine refused the approval (the plan changed), saying why', async () => {
      const t = io({
        invoke: async () => ({
          outcome: 'processed',
          incidentId: OPEN,
          decision: { kind: 'escalate', reason: 'APPROVAL_MISMATCH', summary: 'approval a1 refused: the situation changed' },
        }),
      });
      expect(await approveCommand('approve', [OPEN], t.io)).toBe(1);
      expect(t.out.join('\n')).toContain('refused: escalate APPROVAL_MISMATCH: approval a1 refused: the situation changed');
    });

    it('denies with a reason (exit 0), and refuses to deny without one (exit 2 naming --reason)', async () => {
      const payloads: unknown[] = [];
      const t = io({
        invoke: async (_fn, p) => {
          payloads.push(p);
          return { outcome: 'processed', decision: { kind: 'ignore', reason: 'APPROVAL_DENIED', summary: 'denied' } };
        },
      });
      expect(await approveCommand('deny', [OPEN, '--reason', 'release rollback in progress'], t.io)).toBe(0);
      expect(payloads[0]).toMatchObject({ streamfix: 'deny', reason: 'release rollback in progress', by: JANE });
      const bad = io();
      expect(await approveCommand('deny', [OPEN], bad.io)).toBe(2);
      expect(bad.err[0]).toMatch(/^--reason: required to deny/);
    });

    it('rejects a malformed id or request (exit 2, naming the argument) and stops without credentials (exit 1), with no stack trace', async () => {
      const a = io();
      expect(await approveCommand('approve', ['nope'], a.io)).toBe(2);
      expect(a.err[0]).toMatch(/^<incident-id>: "nope" is not an incident id/);
      const b = io();
      expect(await approveCommand('approve', [OPEN, '--request', 'first'], b.io)).toBe(2);
      expect(b.err[0]).toMatch(/^--request: expected a request id/);
      const c = io({
        callerIdentity: async () => {
          throw new Error('Could not load credentials from any providers');
        },
      });
      expect(await approveCommand('approve', [OPEN], c.io)).toBe(1);
      expect(c.err.join('\n')).toContain('cannot tell who is running this');
      expect([...a.err, ...b.err, ...c.err].join('\n')).not.toMatch(/\n\s+at /);
    });
  });

  describe('Command: streamfix incidents', () => {
    it('lists the incidents of the last 24 h, newest first, with a request for approval shown, notices left out', async () => {
      const t = io();
      expect(await incidentsCommand(common(), t.io)).toBe(0);
      const lines = t.out.join('\n').split('\n');
      expect(lines[0]).toMatch(/^opened\s+incident\s+status\s+decision\s+actions$/);
      expect(lines[1]).toContain(OPEN);
      expect(lines[1]).toContain('escalated, awaiting approval a1 until 2026-11-22T10:25:00Z');
      expect(lines[2]).toContain(CLOSED);
      expect(lines[2]).toMatch(/resolved\s+fix JOB_FAILED_RESTARTABLE\s+1$/);
      expect(lines).toHaveLength(3);
    });

    it('filters by --since, --status and --pipeline; --json; unknown status or pipeline is a usage error', async () => {
      const recent = io();
      await incidentsCommand([...common(), '--since', '1h', '--json'], recent.io);
      expect((JSON.parse(recent.out[0]!) as { incidentId: string }[]).map((i) => i.incidentId)).toEqual([OPEN]);
      const resolved = io();
      await incidentsCommand([...common(), '--status', 'resolved', '--json'], resolved.io);
      expect((JSON.parse(resolved.out[0]!) as { incidentId: string }[]).map((i) => i.incidentId)).toEqual([CLOSED]);
      const all = io();
      await incidentsCommand([...common(), '--all', '--json'], all.io);
      expect(JSON.parse(all.out[0]!)).toHaveLength(3);
      const bad = io();
      expect(await incidentsCommand([...common(), '--status', 'done'], bad.io)).toBe(2);
      expect(bad.err[0]).toMatch(/^--status: unknown status "done"/);
      const badPipeline = io();
      expect(await incidentsCommand([...common(), '--pipeline', 'payments'], badPipeline.io)).toBe(2);
      expect(badPipeline.err[0]!.split('\n')[0]).toBe('--pipeline: unknown pipeline "payments" (the config has orders)');
      const since = io();
      expect(await incidentsCommand([...common(), '--since', 'yesterday'], since.io)).toBe(2);
      expect(since.err[0]).toMatch(/^--since: expected a duration/);
    });
  });

  describe('Command: streamfix incident', () => {
    it('shows the timeline, decisions, actions with before and after, and the approvals', async () => {
      const t = io();
      expect(await incidentCommand([CLOSED, ...common()], t.io)).toBe(0);
      const text = t.out.join('\n');
      expect(text).toContain(`incident ${CLOSED}`);
      expect(text).toContain('decisions: JOB_FAILED_RESTARTABLE');
      expect(text).toContain('#1 emr-serverless:StartJobRun on emr-serverless:00fabcd1234efg5h:orders-stream: done');
      expect(text).toContain('before {"activeRuns":0}');
      expect(text).toContain('after  {"jobRunId":"run-2"}');
      const open = io();
      await incidentCommand([OPEN, ...common()], open.io);
      expect(open.out.join('\n')).toContain('a1: pending; asked 2026-11-22T09:55:00Z, expires 2026-11-22T10:25:00Z');
    });

    it('--report prints the post-incident record as Markdown; an unknown id exits 1', async () => {
      const t = io();
      expect(await incidentCommand([CLOSED, '--report', ...common()], t.io)).toBe(0);
      expect(t.out[0]).toMatch(/^# Incident orders\.job-failed\.20261122T080000\.d4e5f6/);
      expect(t.out[0]).toContain('## Data loss');
      expect(t.out[0]).toContain('- to fix: 5 min 00 s');
      const missing = io();
      expect(await incidentCommand(['orders.job-failed.20261122T000000.000000', ...common()], missing.io)).toBe(1);
      expect(missing.err[0]).toBe('error: no incident orders.job-failed.20261122T000000.000000 in the ledger table streamfix-test (eu-west-1)');
    });
  });

  describe('Command: streamfix status', () => {
    it('shows modes, pause switches, locks, cooldowns, budget left, breakers and open incidents', async () => {
      const t = io();
      expect(await statusCommand([...common(), '--json'], t.io)).toBe(0);
      const s = JSON.parse(t.out[0]!) as {
        pauseSwitches: Record<string, string>;
        pipelines: {
          pause: string;
          playbooks: { id: string; mode: string; breaker: string }[];
          resources: { resource: string; lock?: unknown; cooldownUntil?: string; actionsLastHour: number; budgetLeft?: number }[];
          openIncidents: { incidentId: string }[];
        }[];
      };
      expect(s.pauseSwitches).toEqual({ '/streamfix/pause': 'off', '/streamfix/pause/orders': 'broker upgrade (by arn:aws:iam::123456789012:user/bo)' });
      const p = s.pipelines[0]!;
      expect(p.pause).toBe('paused: broker upgrade (by arn:aws:iam::123456789012:user/bo)');
      expect(p.playbooks.find((b) => b.id === 'job-failed')).toMatchObject({ mode: 'auto' });
      expect(p.playbooks.find((b) => b.id === 'consumer-lag')!.breaker).toBe(
        'OPEN until 2026-11-22T10:30:00Z: 2 verification(s) failed in a row (streamfix breaker reset)',
      );
      expect(p.resources.find((r) => r.resource === 'emr-serverless:00fabcd1234efg5h:orders-stream')).toEqual({
        // job-failed (3 an hour), consumer-lag (2) and checkpoint-failure (4) act on the job: the smallest budget counts.
        resource: 'emr-serverless:00fabcd1234efg5h:orders-stream',
        lock: { owner: OPEN, until: '2026-11-22T10:00:30Z' },
        cooldownUntil: '2026-11-22T10:02:00Z',
        actionsLastHour: 1,
        budgetLeft: 1,
      });
      expect(p.openIncidents.map((i) => i.incidentId)).toEqual([OPEN]);
      const text = io();
      await statusCommand(common(), text.io);
      expect(text.out[0]).toContain('pipeline orders: paused: broker upgrade');
      expect(text.out[0]).toMatch(
        new RegExp(
          `locked by ${OPEN.replace(/\./g, '\\.')} until 2026-11-22T10:00:30Z\\s+cooling down until 2026-11-22T10:02:00Z\\s+1 action\\(s\\) in the last hour, 1 left`,
        ),
      );
    });
  });

  describe('Command: streamfix pause / resume', () => {
    it("pause writes the reason and who paused to the pipeline's switch; it needs a reason", async () => {
      const t = io();
      expect(await pauseCommand('pause', [...common(), '--pipeline', 'orders', '--reason', 'schema migration'], t.io)).toBe(0);
      expect(world.ssm.value('/streamfix/pause/orders')).toBe('schema migration (by arn:aws:iam::123456789012:user/jane, 2026-11-22T10:00:00Z)');
      const bad = io();
      expect(await pauseCommand('pause', common(), bad.io)).toBe(2);
      expect(bad.err[0]).toMatch(/^--reason: required to pause/);
    });

    it('resume sets the switch off, then asks each playbook function of the pipeline to re-evaluate', async () => {
      const calls: { fn: string; payload: unknown }[] = [];
      const t = io({
        invoke: async (fn, payload) => {
          calls.push({ fn, payload });
          return {
            outcome: 'processed',
            decision: { kind: 'ignore', reason: 'RESUME', summary: 'resumed orders: no alarm in ALARM and no incident held by the pause' },
          };
        },
      });
      expect(await pauseCommand('resume', [...common(), '--pipeline', 'orders'], t.io)).toBe(0);
      expect(world.ssm.value('/streamfix/pause/orders')).toBe('off');
      expect(calls.map((c) => c.fn).sort()).toEqual([
        'streamfix-broker-health',
        'streamfix-checkpoint-failure',
        'streamfix-consumer-lag',
        'streamfix-dlq-spike',
        'streamfix-firehose-delivery',
        'streamfix-job-failed',
      ]);
      expect(calls[0]!.payload).toMatchObject({ streamfix: 'resume', pipeline: 'orders', by: JANE });
      expect(t.out[0]).toBe(
        'resumed orders: /streamfix/pause/orders = off (was: schema migration (by arn:aws:iam::123456789012:user/jane, 2026-11-22T10:00:00Z))',
      );
    });

    it('says when the global switch still pauses the pipeline, and exits 1 when a function could not re-evaluate', async () => {
      world.ssm.set('/streamfix/pause', 'region evacuation');
      const t = io({
        invoke: async (fn) => {
          if (fn.endsWith('job-failed')) throw new Error('Function not found');
          return { outcome: 'processed' };
        },
      });
      expect(await pauseCommand('resume', [...common(), '--pipeline', 'orders'], t.io)).toBe(1);
      const text = t.out.join('\n');
      expect(text).toContain('still paused by /streamfix/pause = region evacuation');
      expect(text).toContain('streamfix-job-failed: failed: Function not found');
      world.ssm.set('/streamfix/pause', 'off');
    });
  });
});
