import { describe, expect, it } from 'vitest';
import { dashboardUrl, pageLinks } from '../../lambdas/escalation/links';
import { pagerDutyTrigger, snsMessage } from '../../lambdas/escalation/format';
import type { EscalationPayload } from '../../lambdas/escalation/types';

const payload = (links?: EscalationPayload['links']): EscalationPayload => ({
  incidentId: 'orders.job-failed.x.1',
  dedupKey: 'k',
  pipeline: 'orders',
  playbook: 'job-failed',
  severity: 'warning',
  decision: 'escalate',
  reason: 'APPROVAL_REQUIRED',
  summary: 'approval needed',
  evidence: {},
  actionsTaken: [],
  recommendation: { summary: 'approve', command: 'streamfix approve orders.job-failed.x.1' },
  openedAt: '2026-01-01T00:00:00Z',
  ...(links ? { links } : {}),
});

describe('Function: pageLinks', () => {
  it("links the playbook's runbook (base URL or {playbook} placeholder) and the pipeline's dashboard", () => {
    expect(
      pageLinks({ prefix: 'sfx', region: 'eu-west-1', runbookBaseUrl: 'https://wiki.example.com/runbooks/', pipeline: 'orders', playbook: 'job-failed' }),
    ).toEqual([
      { href: 'https://wiki.example.com/runbooks/job-failed', text: 'runbook: job-failed' },
      { href: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/sfx-orders', text: 'dashboard: orders' },
    ]);
    expect(
      pageLinks({
        prefix: 'sfx',
        region: 'eu-west-1',
        runbookBaseUrl: 'https://git.example.com/ops/{playbook}.md',
        pipeline: 'orders',
        playbook: 'consumer-lag',
      })[0]!.href,
    ).toBe('https://git.example.com/ops/consumer-lag.md');
    expect(pageLinks({ prefix: 'sfx', region: 'eu-west-1', pipeline: 'orders', playbook: 'job-failed' })).toEqual([
      { href: dashboardUrl('eu-west-1', 'sfx-orders'), text: 'dashboard: orders' },
    ]);
  });
});

describe('Pages with links', () => {
  it('carry them as PagerDuty links and as a Links section of the SNS message; none when there are none', () => {
    const links = [{ href: 'https://wiki.example.com/runbooks/job-failed', text: 'runbook: job-failed' }];
    expect(pagerDutyTrigger(payload(links), 'streamfix/job-failed').links).toEqual(links);
    expect(snsMessage(payload(links)).message).toContain('Links\n  runbook: job-failed: https://wiki.example.com/runbooks/job-failed');
    expect(pagerDutyTrigger(payload(), 'streamfix/job-failed').links).toBeUndefined();
    expect(snsMessage(payload()).message).not.toContain('Links\n');
  });
});
