import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS_DIR } from '../../drills/cli';
import { runScenario } from '../../drills/runner';
import { loadScenario, validateScenario } from '../../drills/scenario/load';
import type { SimWorld } from '../../drills/sim/world';

/**
 * The operator's loop end to end on the simulated platform, beyond what the scenarios' own
 * expectations say: what the page carries, where the report lands, when the action ran.
 */
const run = async (name: string) => {
  let world: SimWorld | undefined;
  const r = await runScenario(await loadScenario(join(BUILTIN_SCENARIOS_DIR, `${name}.yaml`)), { onWorld: (w) => (world = w) });
  return { r, world: world! };
};

describe('Drill: approval-in-time', () => {
  it('pages the plan with the approve/deny commands, the expiry and the runbook; records who approved; writes the report on close', {
    timeout: 60_000,
  }, async () => {
    const { r, world } = await run('approval-in-time');
    expect(r.verdict).toBe('PASS');
    const inc = r.incidents.find((i) => i.playbook === 'job-failed')!;
    expect(inc.approvals).toEqual([{ id: 'a1', status: 'approved', by: 'arn:aws:iam::123456789012:user/jane' }]);
    expect(inc.approvedBy).toBe('arn:aws:iam::123456789012:user/jane');

    const page = world.pagerDuty.events.find((e) => e.kind === 'trigger')!.body as {
      payload: { class: string; custom_details: { incident_id: string; recommendation: { command: string; detail: Record<string, unknown> } } };
      links: { href: string }[];
    };
    expect(page.payload.class).toBe('APPROVAL_REQUIRED');
    expect(page.payload.custom_details.recommendation.command).toBe(`streamfix approve ${inc.incidentId}`);
    expect(page.payload.custom_details.recommendation.detail).toMatchObject({
      approvalId: 'a1',
      expiresAt: '2026-01-01T00:31:01.000Z',
      deny: `streamfix deny ${inc.incidentId} --reason "<why>"`,
      plan: [{ type: 'emr-serverless:StartJobRun', resource: 'emr-serverless:00fabcd1234efg5h:orders-stream' }],
    });
    expect(page.links.map((l) => l.href)).toEqual([
      'https://wiki.example.com/streaming/runbooks/job-failed',
      expect.stringContaining('#dashboards/dashboard/streamfix-orders'),
    ]);
    const sns = world.sns.messages.find((m) => m.attributes.event === 'trigger')!;
    expect(sns.message).toContain(`streamfix approve ${inc.incidentId}`);
    expect(sns.message).toContain('runbook: job-failed: https://wiki.example.com/streaming/runbooks/job-failed');

    const report = world.s3.object('orders-data-lake', `streamfix/reports/${inc.incidentId}.md`);
    expect(report?.body.toString('utf8')).toContain('| a1 |');
    expect(report?.body.toString('utf8')).toContain('arn:aws:iam::123456789012:user/jane');
    // The checkpoint-failure incident that only said "not mine" gets no report.
    expect(world.s3.keys('orders-data-lake', 'streamfix/reports/')).toEqual([`streamfix/reports/${inc.incidentId}.md`]);
  });
});

describe('Drill: paused-then-resumed', () => {
  it('changes nothing while paused and restarts the job once, after the resume', { timeout: 60_000 }, async () => {
    const { r, world } = await run('paused-then-resumed');
    expect(r.verdict).toBe('PASS');
    const resumedAt = Date.parse('2026-01-01T00:20:00Z');
    const starts = world.record.calls.filter((c) => c.operation === 'StartJobRun');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.atMs).toBeGreaterThanOrEqual(resumedAt);
    // The restart came from the re-evaluation of the alarm still in ALARM (DescribeAlarms), started by the parameter's change.
    expect(world.record.calls.some((c) => c.operation === 'DescribeAlarms' && c.atMs >= resumedAt && c.atMs <= starts[0]!.atMs && c.seq < starts[0]!.seq)).toBe(
      true,
    );
  });
});

describe('Drill: an approval given twice', () => {
  it('acts once: the second answer finds the request already approved (APPROVAL_NOT_PENDING)', { timeout: 60_000 }, async () => {
    const file = join(BUILTIN_SCENARIOS_DIR, 'approval-in-time.yaml');
    const doc = parseYaml(await readFile(file, 'utf8')) as { timeline: unknown[]; expect: Record<string, unknown> };
    doc.timeline.push({ at: '4m', note: 'a second engineer approves too', approve: { pipeline: 'orders', playbook: 'job-failed', by: 'bo' } });
    const r = await runScenario(await validateScenario(file, doc));
    expect(r.verdict).toBe('PASS');
    const inc = r.incidents.find((i) => i.playbook === 'job-failed')!;
    expect(inc.decisions.map((d) => d.reason)).toContain('APPROVAL_NOT_PENDING');
    expect(inc.approvedBy).toBe('arn:aws:iam::123456789012:user/jane');
    expect(r.calls.StartJobRun).toBe(1);
  });
});
