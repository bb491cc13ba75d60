import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { describeTrigger } from '../../../lambdas/core/events/describe';
import { parseTrigger } from '../../../lambdas/core/events';
import { incidentParts, pauseChangePattern } from '../../../lambdas/core/events/operator';

const JANE = { arn: 'arn:aws:iam::123456789012:user/jane', account: '123456789012', userId: 'AIDAEXAMPLE' };
const ID = 'orders.job-failed.20260101T000101.5cd625';

/** "Amazon EventBridge event examples for Systems Manager", Parameter Store events (Update). */
const parameterChange = (name: string, operation = 'Update') => ({
  version: '0',
  id: '9547ef2d-3b7e-4057-b6cb-5fdf09ee7c8f',
  'detail-type': 'Parameter Store Change',
  source: 'aws.ssm',
  account: '123456789012',
  time: '2026-01-01T00:20:00Z',
  region: 'eu-west-1',
  resources: [`arn:aws:ssm:eu-west-1:123456789012:parameter${name}`],
  detail: { operation, name, type: 'String', description: '' },
});

const rejected = (raw: unknown) => {
  try {
    parseTrigger(raw);
  } catch (e) {
    if (e instanceof InvalidInputError) return e;
  }
  throw new Error('not rejected');
};

describe('Function: parseTrigger (operator inputs)', () => {
  it('parses an approval: the incident, its pipeline and playbook, who, and a dedupe key per answer', () => {
    const t = parseTrigger({ streamfix: 'approve', incidentId: ID, by: JANE, approvalId: 'a1', nonce: 'n-1' });
    expect(t).toEqual({
      kind: 'approval',
      dedupeKey: `approval:${ID}:approve:a1:n-1`,
      verdict: 'approve',
      incidentId: ID,
      pipeline: 'orders',
      playbook: 'job-failed',
      by: JANE,
      approvalId: 'a1',
    });
    expect(describeTrigger(t)).toBe(`approval of request a1 of incident ${ID} by ${JANE.arn}`);
  });

  it('requires a reason to deny, an incident id, and an IAM or STS ARN, naming the field', () => {
    expect(rejected({ streamfix: 'deny', incidentId: ID, by: JANE }).field).toBe('reason');
    expect(rejected({ streamfix: 'approve', incidentId: 'not an id', by: JANE }).field).toBe('incidentId');
    expect(rejected({ streamfix: 'approve', incidentId: ID, by: { arn: 'jane' } }).field).toBe('by.arn');
    expect(rejected({ streamfix: 'approve', incidentId: ID, by: JANE, extra: 1 }).message).toContain('extra');
    expect(rejected({ streamfix: 'approve', incidentId: ID, by: JANE, approvalId: 'first' }).field).toBe('approvalId');
  });

  it("parses a resume payload and a pause parameter's change event", () => {
    expect(parseTrigger({ streamfix: 'resume', pipeline: 'orders', by: JANE, nonce: 'n' })).toEqual({
      kind: 'resume',
      dedupeKey: 'resume:operator:orders:n',
      source: 'operator',
      pipeline: 'orders',
      by: JANE,
    });
    expect(parseTrigger(parameterChange('/streamfix/pause/orders'))).toEqual({
      kind: 'resume',
      dedupeKey: 'resume:ssm:9547ef2d-3b7e-4057-b6cb-5fdf09ee7c8f',
      source: 'parameter-store',
      parameterName: '/streamfix/pause/orders',
    });
    expect(rejected({ ...parameterChange('/x'), detail: { operation: 'Update' } }).field).toBe('detail.name');
    expect(rejected({ streamfix: 'resume', pipeline: 'Orders!' }).field).toBe('pipeline');
  });

  it('still rejects other Systems Manager events', () => {
    expect(rejected({ ...parameterChange('/x'), 'detail-type': 'Parameter Store Policy Action' }).field).toBe('source');
  });
});

describe('Function: incidentParts', () => {
  it("reads the pipeline and playbook from the ledger's incident ids", () => {
    expect(incidentParts(ID)).toEqual({ pipeline: 'orders', playbook: 'job-failed' });
    expect(incidentParts('orders.job-failed.stale.1a2b3c4d')).toEqual({ pipeline: 'orders', playbook: 'job-failed' });
    expect(incidentParts('orders')).toBeUndefined();
  });

  it('builds the rule pattern of the pause parameters', () => {
    expect(pauseChangePattern(['/s/pause'])).toEqual({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: ['/s/pause'] } });
  });
});
