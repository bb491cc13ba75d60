import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { withPlugins } from '../../lambdas/adapters/clients';
import { builtinScenarios, drillCommand } from '../../drills/cli';
import type { DrillResult } from '../../drills/result';
import { runScenario } from '../../drills/runner';
import { loadScenario, validateScenario } from '../../drills/scenario/load';

const byName = async () => {
  const out = new Map<string, DrillResult>();
  for (const file of await builtinScenarios()) {
    const r = await runScenario(await loadScenario(file));
    out.set(r.scenario, r);
  }
  return out;
};

describe('Built-in drills', () => {
  it('every built-in scenario passes, with the key facts in its result', { timeout: 120_000 }, async () => {
    // Act
    const results = await byName();
    // Assess
    expect([...results.keys()]).toEqual(
      expect.arrayContaining(['bad-entry-point', 'budget-exhausted', 'cancelled-by-person', 'duplicate-deliveries', 'job-crashed']),
    );
    for (const r of results.values()) {
      expect({ scenario: r.scenario, verdict: r.verdict, failures: r.failures }).toEqual({ scenario: r.scenario, verdict: 'PASS', failures: [] });
      expect(r.guardrailViolations).toEqual([]);
      expect(r.expectations.length).toBeGreaterThan(3);
    }

    const crashed = results.get('job-crashed')!;
    // checkpoint-failure also receives the FAILED event, and records that it is not its case.
    const jobFailed = (r: typeof crashed) => r.incidents.filter((i) => i.playbook === 'job-failed');
    expect(crashed.incidents.filter((i) => i.playbook === 'checkpoint-failure').map((i) => i.decision?.reason)).toEqual(['NOT_A_CHECKPOINT_FAILURE']);
    crashed.incidents = jobFailed(crashed);
    expect(crashed.incidents).toHaveLength(1);
    expect(crashed.incidents[0]).toMatchObject({
      decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE' },
      verified: true,
      resolution: { reason: 'VERIFIED' },
      escalations: [],
    });
    expect(crashed.incidents[0]!.actions).toMatchObject([
      {
        operation: 'StartJobRun',
        status: 'done',
        params: { executionRoleArn: 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole', mode: 'STREAMING', name: 'orders-stream' },
      },
    ]);
    expect(crashed.incidents[0]!.timeToRecoverSeconds).toBeLessThanOrEqual(300);
    expect(crashed.calls.StartJobRun).toBe(1);
    expect(crashed.jobs.orders).toMatchObject({ state: 'RUNNING', runs: 2 });

    expect(jobFailed(results.get('cancelled-by-person')!).every((i) => i.decision?.reason === 'JOB_CANCELLED_BY_PERSON')).toBe(true);
    expect(results.get('cancelled-by-person')!.calls.StartJobRun).toBeUndefined();

    const bad = results.get('bad-entry-point')!;
    expect(jobFailed(bad)[0]).toMatchObject({ decision: { kind: 'escalate', reason: 'JOB_FAILURE_NOT_RESTARTABLE' }, status: 'escalated' });
    expect(bad.pagerduty).toMatchObject({ triggered: 1, resolved: 0, incidents: [{ severity: 'error', status: 'triggered' }] });

    const budget = results.get('budget-exhausted')!;
    expect(budget.calls.StartJobRun ?? 0).toBeLessThanOrEqual(3);
    expect(['BUDGET_EXHAUSTED', 'BREAKER_OPEN', 'VERIFY_FAILED']).toContain(jobFailed(budget).at(-1)!.decision?.reason);

    const dup = results.get('duplicate-deliveries')!;
    expect(dup.calls.StartJobRun).toBe(1);
    expect(dup.invocations.byOutcome.duplicate).toBeGreaterThanOrEqual(2);
  });
});

describe('Function: runScenario', () => {
  const scenarioDoc = async () => parseYaml(await readFile(join(process.cwd(), 'drills/scenarios/job-crashed.yaml'), 'utf8')) as Record<string, unknown>;

  it('fails a scenario whose expectations do not hold, naming each failed path', async () => {
    const doc = await scenarioDoc();
    doc.expect = { incidents: [{ pipeline: 'orders', playbook: 'job-failed', decision: 'escalate', actions: { StartJobRun: 0 } }], calls: { StartJobRun: 0 } };
    const r = await runScenario(await validateScenario(join(process.cwd(), 'drills/scenarios/x.yaml'), doc));
    expect(r.verdict).toBe('FAIL');
    expect(r.failures).toHaveLength(3);
    expect(r.failures.join('\n')).toMatch(/expect\.incidents\[0\]\(.+\)\.decision: expected "escalate", got "fix"/);
    expect(r.failures).toContain('expect.calls.StartJobRun: expected 0, got 1');
  });

  it('checks decisionsInclude in order: a reason recorded once does not match twice', async () => {
    const doc = await scenarioDoc();
    const run = async (decisionsInclude: string[]) => {
      doc.expect = { incidents: [{ pipeline: 'orders', playbook: 'job-failed', decisionsInclude }] };
      return runScenario(await validateScenario(join(process.cwd(), 'drills/scenarios/x.yaml'), doc));
    };
    expect((await run(['JOB_FAILED_RESTARTABLE'])).verdict).toBe('PASS');
    const twice = await run(['JOB_FAILED_RESTARTABLE', 'JOB_FAILED_RESTARTABLE']);
    expect(twice.verdict).toBe('FAIL');
    expect(twice.failures.join('\n')).toMatch(
      /\.decisionsInclude: expected \["JOB_FAILED_RESTARTABLE","JOB_FAILED_RESTARTABLE"\], got \["JOB_FAILED_RESTARTABLE"\]/,
    );
  });

  it('catches a careless engine that restarts on every event: the referee sees two runs on one checkpoint', async () => {
    const doc = await scenarioDoc();
    doc.timeline = [{ at: '30s', 'duplicate-deliveries': { times: 2, concurrent: true } }, ...(doc.timeline as unknown[])];
    const loaded = await validateScenario(join(process.cwd(), 'drills/scenarios/x.yaml'), doc);
    // One counter for every container: each call gets its own token, so none is an idempotent replay.
    let n = 0;
    const r = await runScenario(loaded, {
      createHandler: (_id, deps) => {
        const emr = withPlugins(
          new EMRServerlessClient({ region: deps.aws.region, ...(deps.aws.credentials ? { credentials: deps.aws.credentials } : {}) }),
          deps.aws,
        );
        return async (event) => {
          const d = (event as { detail?: { state?: string } }).detail;
          if (d?.state !== 'FAILED') return { outcome: 'rejected' };
          await emr.send(
            new StartJobRunCommand({
              applicationId: '00fabcd1234efg5h',
              executionRoleArn: 'arn:aws:iam::123456789012:role/Other',
              name: 'orders-stream',
              mode: 'STREAMING',
              clientToken: `naive-${n++}`,
              jobDriver: { sparkSubmit: { entryPoint: 's3://x/main.py' } },
            }),
          );
          return { outcome: 'processed' };
        };
      },
    });
    expect(r.verdict).toBe('FAIL');
    expect(new Set(r.guardrailViolations.map((v) => v.kind))).toEqual(new Set(['start-while-active', 'two-active-runs', 'wrong-execution-role']));
    expect(r.failures.some((f) => f.startsWith('expect.guardrailViolations'))).toBe(true);
  });
});

describe('Fault paths through the engine', () => {
  const configFile = join(process.cwd(), 'drills/scenarios/configs/orders.yaml');
  const failAt60 = { at: '60s', 'fail-job-run': { pipeline: 'orders', stateDetails: 'ExitCode: 137 ExecutorLostFailure' } };

  it('a lost FAILED event is backed up by the failed-runs alarm: one restart, verified', async () => {
    const r = await runScenario(
      await validateScenario('dropped.yaml', {
        version: 1,
        name: 'dropped',
        description: 'd',
        configFile,
        runFor: '10m',
        timeline: [{ at: '30s', 'drop-native-events': { count: 1, states: ['FAILED'] } }, failAt60],
        expect: { incidents: [{ pipeline: 'orders', playbook: 'job-failed', decision: 'fix', verified: true, actions: { StartJobRun: 1 } }] },
      }),
    );
    expect(r.failures).toEqual([]);
    expect(r.timeline.some((l) => l.kind === 'event-dropped')).toBe(true);
    expect(r.incidents[0]!.trigger).toBe('alarm streamfix-orders-job-failed-failed-runs ALARM');
    expect(r.incidents[0]!.timeToRecoverSeconds).toBeGreaterThan(120);
  });

  it('a paused pipeline is not restarted, and PagerDuty throttling is retried in simulated time', async () => {
    const r = await runScenario(
      await validateScenario('paused.yaml', {
        version: 1,
        name: 'paused',
        description: 'd',
        configFile,
        runFor: '10m',
        timeline: [
          { at: '10s', pause: { pipeline: 'orders', reason: 'maintenance window' } },
          { at: '20s', 'pagerduty-errors': { status: 429, count: 2 } },
          failAt60,
        ],
        expect: {
          incidents: [{ pipeline: 'orders', playbook: 'job-failed', decision: 'escalate', reason: 'PAUSED' }],
          calls: { StartJobRun: 0 },
          pagerduty: { triggered: 1 },
        },
      }),
    );
    expect(r.failures).toEqual([]);
    expect(r.calls.enqueue).toBe(3);
  });
});

describe('Command: streamfix drill', () => {
  it('prints the machine result with --json and exits 1 when an expectation fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamfix-drill-'));
    const doc = parseYaml(await readFile(join(process.cwd(), 'drills/scenarios/cancelled-by-person.yaml'), 'utf8')) as Record<string, unknown>;
    doc.configFile = join(process.cwd(), 'drills/scenarios/configs/orders.yaml');
    await writeFile(join(dir, 'ok.yaml'), stringify(doc));
    await writeFile(join(dir, 'bad.yaml'), stringify({ ...doc, name: 'bad', expect: { calls: { StartJobRun: 1 } } }));
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };

    expect(await drillCommand([join(dir, 'ok.yaml'), '--json'], io)).toBe(0);
    const json = JSON.parse(out.join('')) as { passed: boolean; results: DrillResult[] };
    expect(json.passed).toBe(true);
    expect(json.results[0]).toMatchObject({ scenario: 'cancelled-by-person', verdict: 'PASS' });

    out.length = 0;
    expect(await drillCommand([join(dir, 'bad.yaml')], io)).toBe(1);
    expect(out.join('\n')).toContain('FAIL bad: 1 of 1 expectation(s) failed');
    expect(out.join('\n')).toMatch(/\+00:01:00 {2}fault {7}cancel-job-run orders/);

    out.length = 0;
    expect(await drillCommand([join(dir, 'missing.yaml')], io)).toBe(2);
    expect(out.join('\n')).toContain('cannot read');
  });
});
