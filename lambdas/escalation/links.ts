import { runbookUrl } from '../config/operator';
import { dashboardName } from '../core/names';

/**
 * The links a page carries (PagerDuty's `links`, lines of the SNS message): the playbook's
 * runbook when `runbookBaseUrl` is configured, and the pipeline's CloudWatch dashboard (the
 * stack makes one per pipeline, lib/dashboard.ts).
 */
export interface PageLink {
  href: string;
  text: string;
}

/** The console address of a dashboard ("Amazon CloudWatch User Guide": dashboards are opened at `#dashboards/dashboard/<name>`). */
export const dashboardUrl = (region: string, name: string): string =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;

export function pageLinks(p: { prefix: string; region: string; runbookBaseUrl?: string | undefined; pipeline: string; playbook: string }): PageLink[] {
  const out: PageLink[] = [];
  const runbook = runbookUrl(p.runbookBaseUrl, p.playbook);
  if (runbook) out.push({ href: runbook, text: `runbook: ${p.playbook}` });
  if (p.region !== '') out.push({ href: dashboardUrl(p.region, dashboardName(p.prefix, p.pipeline)), text: `dashboard: ${p.pipeline}` });
  return out;
}
