import { runbookUrl } from '../config/operator';
import type { IncidentRecord } from '../ledger/types';
import type { EngineDeps } from './run';
import { incidentReport, reportKey } from './report';

/** `s3://bucket/prefix/` → bucket and key prefix (the config schema checked its shape). */
function splitS3Uri(uri: string): { bucket: string; prefix: string } {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return { bucket: rest.slice(0, slash), prefix: rest.slice(slash + 1) };
}

/**
 * Whether a closed incident gets a report: it was resolved, recommended a fix, acted, paged or
 * asked for approval. One that another playbook's event merely touched and that ended as
 * `ignored` with none of these (e.g. "not a checkpoint failure") does not.
 */
export const worthReporting = (inc: IncidentRecord): boolean =>
  inc.status === 'resolved' || inc.status === 'recommended' || (inc.actions ?? []).length > 0 || inc.dedupKey !== undefined || (inc.approvals ?? []).length > 0;

/**
 * Writes a closed incident's post-incident report under the configured prefix (config
 * `reports.s3`), as `<prefix><incident id>.md`. A report that cannot be written is logged and
 * noted on the incident's timeline; it never changes the incident.
 */
export async function writeReport(d: EngineDeps, inc: IncidentRecord): Promise<void> {
  const target = d.config.reports?.s3;
  if (target === undefined || !worthReporting(inc)) return;
  const { bucket, prefix } = splitS3Uri(target);
  const key = reportKey(prefix, inc.incidentId);
  try {
    const timeline = await d.ledger.listTimeline(inc.incidentId);
    const url = runbookUrl(d.config.runbookBaseUrl, inc.playbook);
    const md = incidentReport({ incident: inc, timeline, ...(url ? { runbookUrl: url } : {}) });
    await d.aws.s3.putObject(bucket, key, md, 'text/markdown; charset=utf-8');
    await d.ledger.appendTimeline(inc.incidentId, d.clock.now(), 'note', `post-incident report written to s3://${bucket}/${key}`);
  } catch (e) {
    d.logger.warn('post-incident report not written', { error: e as Error, incidentId: inc.incidentId, bucket, key });
    await d.ledger
      .appendTimeline(inc.incidentId, d.clock.now(), 'note', `post-incident report not written to s3://${bucket}/${key}: ${(e as Error).message}`)
      .catch(() => undefined);
  }
}
