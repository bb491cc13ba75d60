import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StreamfixConfig } from '../../../lambdas/config';
import { loadScenario } from '../../../drills/scenario/load';
import type { DrillResult } from '../../../drills/result';
import type { IncidentResult } from '../../../drills/result-types';
import { SimWorld } from '../../../drills/sim/world';
import { checkRun } from '../../../drills/proof/invariants';
import { DEFAULT_CHAOS } from '../../../drills/proof/chaos';
import { DEFAULT_SCENARIO_DIR, GOALS, proveRun, runProof } from '../../../drills/proof/proof';
import { KeyedRandom, runSeed } from '../../../drills/proof/rng';

// The short form of `npm run proof`: a few scenarios of different playbooks, two runs each, a
// fixed seed. Every goal figure must be 0 and the faults must really have been injected.
describe('fault-injection proof (short form)', () => {
  it('holds every invariant under injected faults, kills and perturbed deliveries', async () => {
    const report = await runProof({
      runs: 2,
      seed: 7,
      scenarios: ['job-crashed', 'lag-stalled-consumer', 'firehose-buffer-too-small', 'checkpoint-corrupt-last-batch'],
    });
    const o = report.overall;
    const bad = report.runs.filter((r) => GOALS.some((g) => r.figures[g] > 0)).map((r) => `${r.scenario}#${r.run} seed ${r.seed}: ${r.details.join(' | ')}`);
    expect(bad).toEqual([]);
    for (const g of GOALS) expect(o.figures[g], g).toBe(0);
    expect(o.drills).toBe(8);
    expect(Object.keys(report.byPlaybook).sort()).toEqual(['checkpoint-failure', 'consumer-lag', 'firehose-delivery', 'job-failed']);
    // Faults were injected below the SDK's retry layer, and the SDK retried them.
    const injected =
      o.faults.ThrottlingException + o.faults.InternalServerError + o.faults.ServiceUnavailable + o.faults.TimeoutError + o.faults.TimeoutAfterEffect;
    expect(injected).toBeGreaterThan(0);
    expect(o.faults.ThrottlingException).toBeGreaterThan(0);
    expect(o.retries).toBeGreaterThan(0);
    expect(Object.values(o.deliveries).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // At least one invocation was killed and its redelivery finished the work.
    expect(o.kills).toBeGreaterThan(0);
    expect(o.resumed).toBeGreaterThan(0);
  }, 120_000);

  // Lambda's own failures at every point of a fix, by timeout and by crash: each kill is retried
  // on Lambda's schedule (same request id) and the retry finishes the fix, under injected faults.
  it.each([
    ['mid-diagnosis', 'timeout'],
    ['mid-diagnosis', 'crash'],
    ['before-action', 'timeout'],
    ['before-action', 'crash'],
    ['after-action', 'timeout'],
    ['after-action', 'crash'],
  ] as const)(
    'holds every invariant when job-failed is killed %s by %s, and the fix is finished',
    async (point, how) => {
      const loaded = await loadScenario(resolve(DEFAULT_SCENARIO_DIR, 'job-crashed.yaml'));
      const timeline = [
        { at: 30_000, 'kill-invocation': { playbook: 'job-failed', point, how } },
        ...loaded.scenario.timeline,
      ] as typeof loaded.scenario.timeline;
      const r = await proveRun({ ...loaded, scenario: { ...loaded.scenario, timeline } }, 0, 13, { ...DEFAULT_CHAOS, killRate: 0 });
      expect(r.details).toEqual([]);
      for (const g of GOALS) expect(r.figures[g], g).toBe(0);
      expect(r.timelineKills).toHaveLength(1);
      expect(r.timelineKills[0]!.resumed).toBe(true);
      expect(r.decisions.fix).toBeGreaterThanOrEqual(1);
    },
    60_000,
  );

  it('is reproducible: the same seed injects the same faults', async () => {
    const a = await runProof({ runs: 1, seed: 11, scenarios: ['job-crashed'] });
    const b = await runProof({ runs: 1, seed: 11, scenarios: ['job-crashed'] });
    expect(b.runs[0]!.faults).toEqual(a.runs[0]!.faults);
    expect(b.runs[0]!.kills.map((k) => k.at)).toEqual(a.runs[0]!.kills.map((k) => k.at));
    expect(runSeed(11, 'job-crashed', 0)).not.toBe(runSeed(12, 'job-crashed', 0));
    expect(new KeyedRandom(3).draw('x')).toBe(new KeyedRandom(3).draw('x'));
  }, 60_000);
});

describe('proof invariants', () => {
  let config: StreamfixConfig;
  beforeAll(async () => {
    config = (await loadScenario(resolve(DEFAULT_SCENARIO_DIR, 'job-crashed.yaml'))).config;
  });
  const incident = (over: Partial<IncidentResult> = {}): IncidentResult => ({
    incidentId: 'i-1',
    pipeline: 'orders',
    playbook: 'job-failed',
    status: 'verifying',
    openedAtSeconds: 0,
    trigger: 'job run FAILED',
    decisions: [{ atSeconds: 1, kind: 'fix', reason: 'R', summary: 's' }],
    actions: [],
    calls: {},
    verified: false,
    escalations: [],
    ...over,
  });
  const result = (incidents: IncidentResult[]): DrillResult =>
    ({ incidents, guardrailViolations: [], startedAt: '2026-01-01T00:00:00.000Z' }) as unknown as DrillResult;
  const world = () => new SimWorld({ startMs: Date.parse('2026-01-01T00:00:00Z'), account: '123456789012', region: 'eu-west-1', jobs: [], applicationIds: [] });

  it('counts two effective StartJobRun for one fix decision as a duplicate, and a clientToken replay as none', () => {
    const w = world();
    w.record.invocations.push({
      invocationId: 'f-1',
      functionName: 'f',
      source: 'eventbridge:r',
      attempt: 1,
      requestId: 'req-1',
      startedAtMs: 0,
      endedAtMs: 1,
      result: { incidentId: 'i-1' },
      payload: {},
    });
    const start = (id: string, token: string) =>
      w.record.call({
        atMs: 1,
        service: 'emr-serverless',
        operation: 'StartJobRun',
        input: { applicationId: 'a', name: 'orders', clientToken: token },
        output: { jobRunId: id },
        invocationId: 'f-1',
        functionName: 'f',
      });
    start('run-1', 't1');
    start('run-1', 't1');
    expect(checkRun(w, result([incident()]), config, [], 10).duplicateActions).toBe(0);
    start('run-2', 't2');
    const f = checkRun(w, result([incident()]), config, [], 10);
    expect(f.duplicateActions).toBe(1);
    expect(f.details.join()).toContain('StartJobRun');
  });

  it('counts an incident left acting, and one verifying with no follow-up scheduled, as unended', () => {
    const w = world();
    expect(
      checkRun(
        w,
        result([incident({ status: 'acting' }), incident({ incidentId: 'i-2' }), incident({ incidentId: 'i-3', status: 'escalated' })]),
        config,
        [],
        10,
      ).unended,
    ).toBe(2);
    w.record.call({
      atMs: 1,
      service: 'scheduler',
      operation: 'CreateSchedule',
      input: { ScheduleExpression: 'at(2026-01-01T01:00:00)', Target: { Input: '{"incidentId":"i-2"}' } },
      output: {},
      invocationId: 'f-1',
    });
    expect(checkRun(w, result([incident({ incidentId: 'i-2' })]), config, [], Date.parse('2026-01-01T00:30:00Z')).unended).toBe(0);
  });
});
