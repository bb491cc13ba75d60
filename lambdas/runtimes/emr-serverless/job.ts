import type { EmrServerlessAdapter, JobRunSummaryView } from '../../adapters/emr-serverless';

/**
 * An EMR Serverless streaming job as streamfix knows it: the runs named `jobName` on the
 * application, all on one Spark checkpoint. What every playbook and operation that looks at the
 * job or acts on it shares: which run states are active or ended, how its active runs are found,
 * and the key its lock, cooldown and budget are held under.
 */

/** Run states in which a run holds (or is about to hold, or is releasing) the checkpoint. */
export const ACTIVE_STATES = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED', 'CANCELLING'];

/** Run states a run ends in. */
export const ENDED_STATES = ['FAILED', 'CANCELLED', 'SUCCESS'];

/** The lock, cooldown and budget key of a job: one streaming job = one checkpoint. */
export const jobResource = (applicationId: string, jobName: string) => `emr-serverless:${applicationId}:${jobName}`;

/**
 * The job's runs that are active now: ListJobRuns of the active states (no time filter: a
 * streaming run may be days old), those named `jobName`. More than one means two runs share the
 * checkpoint.
 */
export async function listActiveRuns(emr: Pick<EmrServerlessAdapter, 'listJobRuns'>, applicationId: string, jobName: string): Promise<JobRunSummaryView[]> {
  return (await emr.listJobRuns(applicationId, { states: ACTIVE_STATES, maxItems: 100 })).filter((r) => r.name === jobName);
}
