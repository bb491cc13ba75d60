import { describe, expect, it } from 'vitest';
import type { JobRunSummaryView } from '../../../lambdas/adapters/emr-serverless';
import { ACTIVE_STATES, ENDED_STATES, jobResource, listActiveRuns } from '../../../lambdas/runtimes/emr-serverless/job';

const summary = (jobRunId: string, name: string | undefined, state: string): JobRunSummaryView =>
  ({ applicationId: 'app-1', jobRunId, name, state, createdAtMs: 0, updatedAtMs: 0 }) as JobRunSummaryView;

describe('the EMR Serverless job', () => {
  it('lists the active states (CANCELLING included: the run still holds the checkpoint) apart from the ended ones', () => {
    expect(ACTIVE_STATES).toEqual(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED', 'CANCELLING']);
    expect(ENDED_STATES.filter((s) => ACTIVE_STATES.includes(s))).toEqual([]);
  });

  it("finds its active runs by name among the application's, asking for the active states only", async () => {
    const calls: unknown[] = [];
    const emr = {
      listJobRuns: async (applicationId: string, opts: unknown) => {
        calls.push([applicationId, opts]);
        return [
          summary('r1', 'orders', 'RUNNING'),
          summary('r2', 'payments', 'RUNNING'),
          summary('r3', undefined, 'PENDING'),
          summary('r4', 'orders', 'CANCELLING'),
        ];
      },
    };
    expect((await listActiveRuns(emr, 'app-1', 'orders')).map((r) => r.jobRunId)).toEqual(['r1', 'r4']);
    expect(calls).toEqual([['app-1', { states: ACTIVE_STATES, maxItems: 100 }]]);
    expect(await listActiveRuns(emr, 'app-1', 'absent')).toEqual([]);
  });

  it('keys its lock, cooldown and budget by application and job name', () => {
    expect(jobResource('app-1', 'orders')).toBe('emr-serverless:app-1:orders');
    expect(jobResource('app-1', 'orders')).not.toBe(jobResource('app-2', 'orders'));
  });
});
