import type { StartJobRunRequest } from '@aws-sdk/client-emr-serverless';
import type { KnownJob, SimContext } from './context';
import type { SimEmrServerless } from './emr';
import { ACTIVE_STATES, type SimJobRun } from './emr-state';

/**
 * The referee watches the simulated EMR Serverless, independently of the engine, for what a
 * restart must never do: two runs of one job active at once (two writers on one checkpoint),
 * a StartJobRun while a run of that job is still active, a run started with an execution
 * role other than the job's, or a run started without the session policy (executionIamPolicy)
 * of the job's previous run: it would get the role's full permissions (API_StartJobRun).
 */
export class Referee {
  private readonly reportedPairs = new Set<string>();

  constructor(
    private readonly ctx: SimContext,
    private readonly emr: SimEmrServerless,
    private readonly jobs: readonly KnownJob[],
  ) {
    emr.onStart((run, input) => this.checkStart(run, input));
    emr.onStateChange((run, _previous, seeded) => {
      if (!seeded) this.checkConcurrent(run);
    });
  }

  private expectedRole(run: SimJobRun): string | undefined {
    const known = this.jobs.find((j) => j.applicationId === run.applicationId && j.jobName === run.name);
    if (known) return known.executionRoleArn;
    const first = this.emr
      .allRuns()
      .filter((r) => r.applicationId === run.applicationId && r.name === run.name && r.jobRunId !== run.jobRunId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
    return first?.executionRole;
  }

  private checkStart(run: SimJobRun, input: StartJobRunRequest): void {
    const at = this.ctx.clock.now();
    const jobName = run.name ?? '(unnamed)';
    const others = this.emr.activeRuns(run.applicationId, run.name).filter((r) => r.jobRunId !== run.jobRunId);
    if (others.length > 0) {
      this.ctx.record.violation({
        atMs: at,
        kind: 'start-while-active',
        applicationId: run.applicationId,
        jobName,
        jobRunIds: [run.jobRunId, ...others.map((r) => r.jobRunId)],
        detail: `StartJobRun for ${jobName} while ${others.map((r) => `${r.jobRunId} (${r.state})`).join(', ')} is still active`,
      });
    }
    this.checkSessionPolicy(run, input, jobName);
    const role = this.expectedRole(run);
    if (role !== undefined && input.executionRoleArn !== role) {
      this.ctx.record.violation({
        atMs: at,
        kind: 'wrong-execution-role',
        applicationId: run.applicationId,
        jobName,
        jobRunIds: [run.jobRunId],
        detail: `${run.jobRunId} of ${jobName} started with execution role ${input.executionRoleArn}, the job's is ${role}`,
      });
    }
  }

  private checkSessionPolicy(run: SimJobRun, input: StartJobRunRequest, jobName: string): void {
    const previous = this.emr
      .allRuns()
      .filter((r) => r.applicationId === run.applicationId && r.name === run.name && r.jobRunId !== run.jobRunId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    const had = previous?.executionIamPolicy;
    if (!previous || !had) return;
    if (JSON.stringify(input.executionIamPolicy ?? null) === JSON.stringify(had)) return;
    this.ctx.record.violation({
      atMs: this.ctx.clock.now(),
      kind: 'session-policy-dropped',
      applicationId: run.applicationId,
      jobName,
      jobRunIds: [run.jobRunId, previous.jobRunId],
      detail: `${run.jobRunId} of ${jobName} started without the executionIamPolicy of ${previous.jobRunId}: it runs with the role's full permissions`,
    });
  }

  private checkConcurrent(run: SimJobRun): void {
    if (!ACTIVE_STATES.has(run.state)) return;
    for (const other of this.emr.activeRuns(run.applicationId, run.name)) {
      if (other.jobRunId === run.jobRunId) continue;
      const key = [run.jobRunId, other.jobRunId].sort().join('|');
      if (this.reportedPairs.has(key)) continue;
      this.reportedPairs.add(key);
      this.ctx.record.violation({
        atMs: this.ctx.clock.now(),
        kind: 'two-active-runs',
        applicationId: run.applicationId,
        jobName: run.name ?? '(unnamed)',
        jobRunIds: [other.jobRunId, run.jobRunId],
        detail: `${other.jobRunId} (${other.state}) and ${run.jobRunId} (${run.state}) of ${run.name ?? '(unnamed)'} are active at once: two runs on one checkpoint`,
      });
    }
  }
}
