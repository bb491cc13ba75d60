import { ValidationException, type JobRunAttemptSummary, type JobRunState } from '@aws-sdk/client-emr-serverless';
import { emrRetries } from '../../lambdas/config/release';
import type { SdkErrorFactory } from './errors';
import { pageOf, summary } from './emr-list';
import type { SimJobRun } from './emr-state';

/**
 * Job resiliency as the EMR Serverless User Guide describes it ("Job resiliency",
 * docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/jobs-resiliency.html): from release
 * 7.1.0 a STREAMING run whose attempt fails is retried by EMR itself, from its checkpoint, as a
 * new *attempt* of the same job run ("it also indexes the job with an attempt number"); the
 * thrash prevention stops retrying once `retryPolicy.maxFailedAttemptsPerHour` attempts
 * (default 5, 1–10; "a value of 1 indicates no retries") failed within an hour, and only then
 * does the run reach FAILED. Each retry is announced by an "EMR Serverless Job Run Retry" event.
 */

export const STATE_DETAILS_MAX = 256;
const HOUR_MS = 3_600_000;

/**
 * `stateDetails` as the API returns it: "Length Constraints: Minimum length of 1. Maximum
 * length of 256." (API_JobRun, docs.aws.amazon.com/emr-serverless/latest/APIReference/API_JobRun.html).
 * The full text is only in the driver log.
 */
export const cutStateDetails = (text: string): string => text.slice(0, STATE_DETAILS_MAX);

/** One attempt of a job run, as GetJobRun with `attempt` and ListJobRunAttempts describe it. */
export interface SimAttempt {
  attempt: number;
  state: JobRunState;
  stateDetails: string;
  createdAt: Date;
  updatedAt: Date;
  endedAt?: Date;
}

export const newAttempt = (attempt: number, at: Date, state: JobRunState = 'SUBMITTED', stateDetails = ''): SimAttempt => ({
  attempt,
  state,
  stateDetails,
  createdAt: at,
  updatedAt: at,
});

/**
 * After attempt `failed` of `run` failed at `nowMs`: does EMR start another attempt? Only on a
 * release with job resiliency, for a STREAMING run whose policy retries, while fewer than
 * `maxFailedAttemptsPerHour` attempts (this one included) failed in the last hour.
 */
export function retriesAfterFailure(run: SimJobRun, attempts: readonly SimAttempt[], nowMs: number): boolean {
  if (!emrRetries(run)) return false;
  const max = run.retryPolicy?.maxFailedAttemptsPerHour ?? 5;
  const failedInHour = attempts.filter((a) => a.state === 'FAILED' && a.endedAt !== undefined && nowMs - a.endedAt.getTime() < HOUR_MS).length;
  return failedInHour < max;
}

/** GetJobRun with `attempt`: the run as it was during that attempt (the latest when omitted). */
export function runAtAttempt(run: SimJobRun, attempts: readonly SimAttempt[], attempt: number | undefined, err: SdkErrorFactory): SimJobRun {
  const view = structuredClone(run);
  if (attempt === undefined || attempt === run.attempt) return view;
  const a = attempts.find((x) => x.attempt === attempt);
  if (!Number.isInteger(attempt) || attempt < 1 || !a) {
    throw err(ValidationException, 400, `Job run ${run.jobRunId} has no attempt ${attempt} (latest attempt: ${run.attempt ?? 1}).`);
  }
  return Object.assign(view, {
    state: a.state,
    stateDetails: a.stateDetails,
    attempt: a.attempt,
    attemptCreatedAt: new Date(a.createdAt),
    attemptUpdatedAt: new Date(a.updatedAt),
    ...(a.endedAt ? { endedAt: new Date(a.endedAt) } : {}),
  });
}

/**
 * ListJobRunAttempts (API_ListJobRunAttempts): `maxResults` 1–50, an opaque `nextToken`, each
 * attempt as a JobRunAttemptSummary (API_JobRunAttemptSummary): the run's summary with the
 * attempt's own times, state and details, and the run's creation as `jobCreatedAt`.
 */
export function listAttempts(
  run: SimJobRun,
  attempts: readonly SimAttempt[],
  i: { maxResults?: number; nextToken?: string },
  err: SdkErrorFactory,
): { jobRunAttempts: JobRunAttemptSummary[]; nextToken?: string } {
  const { page, nextToken } = pageOf(attempts, i, err, 'AAMB');
  const { attemptCreatedAt: _created, attemptUpdatedAt: _updated, ...base } = summary(run);
  const jobRunAttempts = page.map(
    (a): JobRunAttemptSummary => ({
      ...base,
      jobCreatedAt: new Date(run.createdAt),
      createdAt: new Date(a.createdAt),
      updatedAt: new Date(a.updatedAt),
      state: a.state,
      stateDetails: a.stateDetails,
      attempt: a.attempt,
    }),
  );
  return { jobRunAttempts, ...(nextToken ? { nextToken } : {}) };
}
