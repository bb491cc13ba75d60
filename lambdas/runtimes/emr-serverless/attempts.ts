import type { EmrServerlessAdapter, JobRunAttemptView, JobRunView } from '../../adapters/emr-serverless';
import type { LogsAdapter } from '../../adapters/logs';
import type { S3Adapter } from '../../adapters/s3';
import type { EmrServerlessJob } from '../../config/schema';
import { readFailureText, type FailureTextSource } from './failure-text';

/**
 * A run's attempts (EMR Serverless 7.1.0+ job resiliency: each retry is a new attempt of the
 * same run; ListJobRunAttempts) and the failure text of each attempt that failed in the last
 * hour, the window EMR's thrash limit counts in (maxFailedAttemptsPerHour).
 */

export const ATTEMPT_WINDOW_MS = 3_600_000;
/** Failed attempts whose logs are read, newest first. */
const MAX_TEXTS = 10;

export interface AttemptFailure {
  attempt: number;
  endedAtMs: number;
  text?: string;
  source: FailureTextSource;
  note?: string;
}

export interface AttemptHistory {
  /** Every attempt, oldest first (the run itself as attempt 1 when it never retried). */
  attempts: JobRunAttemptView[];
  /** The attempts that FAILED within the hour before `nowMs`, newest first, with their text. */
  failures: AttemptFailure[];
}

type Aws = { emr: EmrServerlessAdapter; s3: S3Adapter; logs: LogsAdapter };

export async function readAttemptHistory(aws: Aws, job: EmrServerlessJob, run: JobRunView, nowMs: number): Promise<AttemptHistory> {
  const attempts: JobRunAttemptView[] =
    (run.attempt ?? 1) > 1
      ? await aws.emr.listJobRunAttempts(run.applicationId, run.jobRunId)
      : [
          {
            attempt: run.attempt ?? 1,
            state: run.state,
            ...(run.stateDetails ? { stateDetails: run.stateDetails } : {}),
            createdAtMs: run.attemptCreatedAtMs ?? run.createdAtMs,
            updatedAtMs: run.attemptUpdatedAtMs ?? run.updatedAtMs,
          },
        ];
  const failed = attempts
    .filter((a) => a.state === 'FAILED' && nowMs - a.updatedAtMs < ATTEMPT_WINDOW_MS)
    .sort((a, b) => b.attempt - a.attempt)
    .slice(0, MAX_TEXTS);
  const failures = await Promise.all(
    failed.map(async (a): Promise<AttemptFailure> => {
      const t = await readFailureText(aws, job, run, {
        attempt: a.attempt,
        ...(a.stateDetails ? { stateDetails: a.stateDetails } : {}),
        endedAtMs: a.updatedAtMs,
      });
      return { attempt: a.attempt, endedAtMs: a.updatedAtMs, ...t };
    }),
  );
  return { attempts, failures };
}
