import type { StreamfixConfig } from '../lambdas/config';
import type { Ledger } from '../lambdas/ledger/ledger';
import type { IncidentRecord } from '../lambdas/ledger/types';
import { personArn } from './scenario/approvals';
import type { TimelineEntry } from './scenario/schema';
import type { SimWorld } from './sim/world';

/**
 * Timeline entries `approve` and `deny`: the person's answer reaches the playbook's function as
 * `streamfix approve|deny` sends it (an asynchronous invocation from the operator), aimed at the
 * newest incident of the pipeline and playbook that asked for approval.
 */

export const isApprovalEntry = (e: TimelineEntry): boolean => e.approve !== undefined || e.deny !== undefined;

/** The newest incident of `pipeline`/`playbook` that asked for approval. */
export function askingIncident(incidents: readonly IncidentRecord[], pipeline: string, playbook: string): IncidentRecord | undefined {
  return incidents
    .filter((i) => i.pipeline === pipeline && i.playbook === playbook && (i.approvals ?? []).length > 0)
    .sort((a, b) => a.openedAtMs - b.openedAtMs)
    .pop();
}

export async function applyApprovalEntry(
  world: SimWorld,
  config: StreamfixConfig,
  e: TimelineEntry,
  note: string,
  fault: (text: string) => void,
  functionArn: (playbook: string) => string,
  ledger: Ledger | undefined,
): Promise<void> {
  const f = e.approve ?? e.deny!;
  const verdict = e.approve ? 'approve' : 'deny';
  if (!ledger) return fault(`${verdict}: this drill has no ledger to find the incident in${note}`);
  const inc = askingIncident(await ledger.listIncidents(), f.pipeline, f.playbook);
  if (!inc) return fault(`${verdict} ${f.pipeline}/${f.playbook}: no incident asked for approval${note}`);
  const by = personArn(f.by, config.account ?? world.ctx.account);
  const reason = e.deny?.reason;
  fault(`${verdict} ${inc.incidentId} by ${by}${reason ? `: ${reason}` : ''}${note}`);
  const payload = { streamfix: verdict, incidentId: inc.incidentId, by: { arn: by }, ...(reason ? { reason } : {}), nonce: world.ids.uuid() };
  world.lambda.invokeAsync(functionArn(f.playbook), payload, 'operator');
}
