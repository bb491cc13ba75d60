import type { StreamfixConfig } from '../config/schema';
import type { Playbook } from '../core/playbook';
import { StreamfixError, UnroutableEventError } from '../core/errors';
import type { Trigger } from '../core/trigger';

/**
 * AWS's documented job run events name no run: "EMR Serverless Job Run State Change" and "Job
 * Run Retry" carry jobRunId and applicationId only (EMR Serverless User Guide, "Automating EMR
 * Serverless with Amazon EventBridge", sample events). When this playbook has several pipelines
 * on the event's application with different job names, one GetJobRun learns the run's name, so
 * the event goes to its own pipeline only: never a fan-out to every pipeline of the application.
 * With one candidate (or one job name) there is nothing to learn and no call is made; the
 * playbook's own diagnosis reads the run anyway.
 */

export interface RunNameReader {
  getJobRun(applicationId: string, jobRunId: string): Promise<{ name?: string }>;
}

/** The job names of this playbook's pipelines on `applicationId`. */
function candidateNames(config: StreamfixConfig, applicationId: string): Set<string> {
  const names = new Set<string>();
  for (const p of Object.values(config.pipelines)) if (p.job.kind === 'emr-serverless' && p.job.applicationId === applicationId) names.add(p.job.jobName);
  return names;
}

/** Whether routing `t` needs the run's name first. Pure. */
export function needsRunName(t: Trigger, config: StreamfixConfig, playbook: Pick<Playbook, 'routeJobRun'>): boolean {
  return t.kind === 'job-run' && t.jobRunName === undefined && playbook.routeJobRun !== undefined && candidateNames(config, t.applicationId).size > 1;
}

/**
 * The trigger with `jobRunName` filled in when routing needs it (one GetJobRun), else as it was.
 * A transient failure is thrown as it is (the invocation is retried); any other failure to read
 * the run makes the event unroutable, with the reason.
 */
export async function withRunName(t: Trigger, config: StreamfixConfig, playbook: Pick<Playbook, 'routeJobRun'>, emr: () => RunNameReader): Promise<Trigger> {
  if (t.kind !== 'job-run' || !needsRunName(t, config, playbook)) return t;
  let name: string | undefined;
  try {
    name = (await emr().getJobRun(t.applicationId, t.jobRunId)).name;
  } catch (e) {
    if (e instanceof StreamfixError && e.retryable) throw e;
    throw new UnroutableEventError(
      'detail.jobRunId',
      `the event names no run and run ${t.jobRunId} could not be read to learn its name: ${(e as Error).message}`,
    );
  }
  if (name === undefined) {
    throw new UnroutableEventError('detail.jobRunId', `run ${t.jobRunId} has no name: it is none of the named jobs on application ${t.applicationId}`);
  }
  return { ...t, jobRunName: name };
}
