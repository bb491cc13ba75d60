import { EngineReason, type PlannedAction } from '../core/decision';
import { planDifferences } from '../core/plan-match';
import { OK, type GuardVerdict } from './rules';

/**
 * Mode `approve`, as the gate judges it (pure): a fix passes only with a person's approval of
 * the same plan (core/plan-match.ts), given in time.
 */

export interface ApprovalGrant {
  /** The request approved (`a1`, `a2`, …). */
  approvalId: string;
  /** The plan as the person saw it. */
  actions: PlannedAction[];
  /** The approval counts until then (inclusive). */
  expiresAtMs: number;
  /** Who approved (an IAM or STS ARN). */
  by: string;
}

/**
 * The gate's `mode` stage for mode `approve`. `continuing`: a fix already admitted with this
 * approval, finished by a later owner after a crash: its approval was used in time.
 */
export function approvalVerdict(grant: ApprovalGrant | undefined, planned: readonly PlannedAction[], nowMs: number, continuing: boolean): GuardVerdict {
  if (!grant) {
    return { ok: false, reason: EngineReason.APPROVAL_REQUIRED, summary: 'mode is approve: the fix waits for a person to approve it' };
  }
  if (!continuing && nowMs > grant.expiresAtMs) {
    return {
      ok: false,
      reason: EngineReason.APPROVAL_EXPIRED,
      summary: `approval ${grant.approvalId} by ${grant.by} came after its request expired at ${new Date(grant.expiresAtMs).toISOString()}`,
    };
  }
  const diffs = planDifferences(grant.actions, planned);
  if (diffs.length > 0) {
    return {
      ok: false,
      reason: EngineReason.APPROVAL_MISMATCH,
      summary: `approval ${grant.approvalId} by ${grant.by} refused: the situation changed and the plan is not the approved one (${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? `; and ${diffs.length - 5} more` : ''})`,
    };
  }
  return OK;
}
