import { describe, expect, it } from 'vitest';
import { answerRefusal, grantFor } from '../../lambdas/engine/approval';
import type { Run } from '../../lambdas/engine/run';
import type { PlannedAction } from '../../lambdas/core/decision';
import { baselineKey, planDifferences } from '../../lambdas/core/plan-match';
import { approvalVerdict, type ApprovalGrant } from '../../lambdas/guardrails/approval';
import type { ApprovalRecord } from '../../lambdas/ledger/types';

const T0 = Date.parse('2026-11-22T10:00:00Z');

const hints = (over: Record<string, unknown> = {}): PlannedAction => ({
  type: 'firehose:UpdateDestination',
  resource: 'firehose:order-firehose',
  description: 'raise buffering',
  params: {
    deliveryStreamName: 'order-firehose',
    versionId: '1',
    sizeInMBs: 8,
    previousSizeInMBs: 1,
    intervalInSeconds: 60,
    previousIntervalInSeconds: 60,
    ...over,
  },
});
const scale = (to: number, from = 4, extra: Record<string, unknown> = {}): PlannedAction => ({
  type: 'emr-serverless:RestartJobRunWithParameters',
  resource: 'emr-serverless:app:job',
  description: 'scale',
  params: { jobRunId: 'run-1', executors: { setting: 'spark.dynamicAllocation.maxExecutors', from, to }, notBeforeMs: T0, ...extra },
});

describe('Function: planDifferences', () => {
  it('finds nothing between a plan and itself', () => {
    expect(planDifferences([hints()], [hints()])).toEqual([]);
  });

  it('refuses another number of actions, another type, another resource', () => {
    expect(planDifferences([hints()], [])).toEqual(['the approved plan had 1 action(s), the plan now has 0']);
    expect(planDifferences([hints()], [{ ...hints(), type: 'x:Y' }])[0]).toContain('approved firehose:UpdateDestination, now x:Y');
    expect(planDifferences([hints()], [{ ...hints(), resource: 'firehose:other' }])[0]).toContain('approved on firehose:order-firehose, now on firehose:other');
  });

  it('refuses a changed identifier (the stream changed: another VersionId)', () => {
    expect(planDifferences([hints()], [hints({ versionId: '2' })])).toEqual(['action 1 (firehose:UpdateDestination) params.versionId: approved "1", now "2"']);
  });

  it('accepts a number with a baseline anywhere between the baseline and the approved value, ends included', () => {
    for (const to of [4, 5, 8]) expect(planDifferences([scale(8)], [scale(to)]), `to ${to}`).toEqual([]);
    expect(planDifferences([hints()], [hints({ sizeInMBs: 1 })])).toEqual([]);
    expect(planDifferences([hints()], [hints({ sizeInMBs: 5 })])).toEqual([]);
  });

  it('refuses a number beyond the approved change, or on the other side of the baseline', () => {
    expect(planDifferences([scale(8)], [scale(9)])).toEqual([
      'action 1 (emr-serverless:RestartJobRunWithParameters) params.executors.to: 9 is outside the approved change 4 → 8',
    ]);
    expect(planDifferences([scale(8)], [scale(3)])[0]).toContain('3 is outside the approved change 4 → 8');
    expect(planDifferences([hints()], [hints({ sizeInMBs: 9 })])[0]).toContain('9 is outside the approved change 1 → 8');
  });

  it('refuses a changed baseline (someone scaled by hand meanwhile), and a number without one that moved', () => {
    expect(planDifferences([scale(8)], [scale(8, 5)])[0]).toContain('params.executors.from: approved 4, now 5');
    expect(planDifferences([hints()], [hints({ previousIntervalInSeconds: 120, intervalInSeconds: 120 })])).toHaveLength(2);
  });

  it("ignores the plan's own times (…Ms), and names a field only one of the plans has", () => {
    expect(planDifferences([scale(8)], [scale(8, 4, { notBeforeMs: T0 + 60_000 })])).toEqual([]);
    expect(planDifferences([scale(8)], [scale(8, 4, { extra: 'x' })])[0]).toContain('params.extra: not in the approved plan, now "x"');
  });

  it('knows the baseline names', () => {
    expect([baselineKey('to'), baselineKey('toGiB'), baselineKey('sizeInMBs')]).toEqual(['from', 'fromGiB', 'previousSizeInMBs']);
  });
});

describe('Function: approvalVerdict', () => {
  const grant: ApprovalGrant = { approvalId: 'a1', actions: [hints()], expiresAtMs: T0 + 1_800_000, by: 'arn:aws:iam::123456789012:user/jane' };

  it('refuses without an approval: APPROVAL_REQUIRED', () => {
    expect(approvalVerdict(undefined, [hints()], T0, false)).toMatchObject({ ok: false, reason: 'APPROVAL_REQUIRED' });
  });

  it('admits the approved plan up to the millisecond of its expiry, and not one after', () => {
    expect(approvalVerdict(grant, [hints()], grant.expiresAtMs, false)).toEqual({ ok: true });
    expect(approvalVerdict(grant, [hints()], grant.expiresAtMs + 1, false)).toMatchObject({ ok: false, reason: 'APPROVAL_EXPIRED' });
  });

  it('lets a later owner finish a fix admitted in time (continuing), whatever the time', () => {
    expect(approvalVerdict(grant, [hints()], grant.expiresAtMs + 3_600_000, true)).toEqual({ ok: true });
  });

  it('refuses another plan: APPROVAL_MISMATCH, saying what differs', () => {
    const v = approvalVerdict(grant, [hints({ versionId: '2' })], T0, false);
    expect(v).toMatchObject({ ok: false, reason: 'APPROVAL_MISMATCH', summary: expect.stringContaining('params.versionId: approved "1", now "2"') });
  });
});

describe('Function: answerRefusal', () => {
  const req = (id: string, status: ApprovalRecord['status'], over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
    id,
    status,
    requestedAtMs: T0,
    expiresAtMs: T0 + 1_000,
    reason: 'R',
    summary: 's',
    actions: [hints()],
    ...over,
  });
  const t = (approvalId?: string) => ({ incidentId: 'orders.job-failed.x.1', ...(approvalId ? { approvalId } : {}) });

  it('accepts an answer to the newest pending request, or to a named pending one', () => {
    expect(answerRefusal([req('a1', 'superseded'), req('a2', 'pending')], t())).toBeUndefined();
    expect(answerRefusal([req('a1', 'pending')], t('a1'))).toBeUndefined();
  });

  it('refuses an answer to nothing, to an unknown request, or to one already answered or replaced', () => {
    expect(answerRefusal([], t())).toBe('incident orders.job-failed.x.1 has no request for approval');
    expect(answerRefusal([req('a1', 'pending')], t('a7'))).toBe('incident orders.job-failed.x.1 has no request a7');
    expect(answerRefusal([req('a1', 'denied', { answeredBy: 'arn:aws:iam::1:user/bo' })], t())).toBe(
      'request a1 of incident orders.job-failed.x.1 is denied by arn:aws:iam::1:user/bo',
    );
    expect(answerRefusal([req('a1', 'superseded', { outcome: 'replaced by request a2' }), req('a2', 'pending')], t('a1'))).toContain(
      'is superseded (replaced by request a2)',
    );
  });
});

describe('Function: grantFor', () => {
  const rec = (id: string, status: ApprovalRecord['status']): ApprovalRecord => ({
    id,
    status,
    requestedAtMs: T0,
    expiresAtMs: T0 + 1_000,
    reason: 'R',
    summary: 's',
    actions: [hints()],
    answeredBy: 'arn:aws:iam::1:user/jane',
    answeredAtMs: T0,
  });
  const run = (status: string, approvals: ApprovalRecord[], fixAdmitted = false) => ({ inc: { status, approvals, fixAdmitted } }) as unknown as Run;

  it('carries an approval a lock or a cooldown held back into the recheck that looks again', () => {
    expect(grantFor(run('rechecking', [rec('a1', 'accepted')]))).toMatchObject({ approvalId: 'a1', expiresAtMs: T0 + 1_000, by: 'arn:aws:iam::1:user/jane' });
  });

  it("gives a crashed owner's admitted approval to the worker that finishes the fix, and nothing without an approval", () => {
    expect(grantFor(run('acting', [rec('a1', 'approved')], true))).toMatchObject({ approvalId: 'a1' });
    expect(grantFor(run('escalated', [rec('a1', 'pending'), rec('a2', 'denied')]))).toBeUndefined();
    expect(grantFor(run('acting', [rec('a1', 'accepted')], false))).toMatchObject({ approvalId: 'a1' });
  });
});
