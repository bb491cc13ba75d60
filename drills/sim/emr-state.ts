import type { JobRun, JobRunState } from '@aws-sdk/client-emr-serverless';

/**
 * The shape of a simulated EMR Serverless job run and its state sets, shared by the simulator
 * (emr.ts) and its parts (emr-run, emr-list, emr-attempts, emr-events, emr-crash-loops …), which
 * therefore do not import emr.ts. States as the EMR Serverless User Guide lists them ("Job run
 * states", job-states.html).
 */

export const ACTIVE_STATES: ReadonlySet<JobRunState> = new Set(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED']);
export const TERMINAL_STATES: ReadonlySet<JobRunState> = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);
/** The states that hold one of the application's concurrent run slots. */
export const HOLDS_SLOT: ReadonlySet<JobRunState> = new Set(['PENDING', 'SCHEDULED', 'RUNNING', 'CANCELLING']);

export interface EmrTimings {
  pendingAfterMs: number;
  scheduledAfterMs: number;
  runningAfterMs: number;
  /** Releasing the run's resources once it stops (after any shutdown grace period). */
  cancelAfterMs: number;
}

export const DEFAULT_EMR_TIMINGS: EmrTimings = { pendingAfterMs: 1_000, scheduledAfterMs: 2_000, runningAfterMs: 10_000, cancelAfterMs: 10_000 };

/** A job run as GetJobRun returns it; every field is always set by the simulator. */
export type SimJobRun = JobRun & { applicationId: string; jobRunId: string; state: JobRunState; createdAt: Date; updatedAt: Date };

/** `seeded`: the run was put into the world by the scenario, not started through the API. */
export type StateListener = (run: SimJobRun, previous: JobRunState | undefined, seeded: boolean) => void;
