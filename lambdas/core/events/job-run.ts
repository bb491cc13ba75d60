import * as z from 'zod';
import type { JobRunTrigger } from '../trigger';
import { boundedString, boundedText, expected, nonEmptyString, optionalText, parseWith, timestamp } from './schema';
import { parseAwsTimestamp } from './timestamp';

/**
 * EventBridge "EMR Serverless Job Run State Change" and "EMR Serverless Job Run Retry", parsed
 * into a JobRunTrigger. Unknown fields are accepted; only what streamfix reads is validated.
 */

export const JOB_RUN_STATE_CHANGE = 'EMR Serverless Job Run State Change';
export const JOB_RUN_RETRY = 'EMR Serverless Job Run Retry';
export const EMR_SERVERLESS_SOURCE = 'aws.emr-serverless';

const jobRunEventSchema = z
  .looseObject({
    id: boundedString('the event id (a non-empty string)', 128),
    time: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:42Z').nullish(),
    detail: z.looseObject(
      {
        jobRunId: boundedString('the job run id (a non-empty string)', 64),
        applicationId: boundedString('the application id (a non-empty string)', 64),
        state: boundedString('a job run state such as FAILED', 32),
        previousState: boundedText(32),
        stateDetails: boundedText(16_384),
        jobRunName: boundedText(256),
        name: boundedText(256),
        updatedAt: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:42.299487Z').nullish(),
      },
      { error: expected('an object (the job run state change)') },
    ),
  })
  .superRefine((e, ctx) => {
    if (e.detail.updatedAt == null && e.time == null) {
      ctx.addIssue({
        code: 'custom',
        message: 'missing: expected an ISO-8601 timestamp (neither detail.updatedAt nor time is present)',
        path: ['time'],
      });
    }
  });

const attemptNumber = z
  .number({ error: expected('an attempt number (a whole number ≥ 1)') })
  .int({ error: expected('an attempt number (a whole number ≥ 1)') })
  .min(1, { error: expected('an attempt number (a whole number ≥ 1)') });

/** EMR Serverless User Guide, "Automating EMR Serverless with Amazon EventBridge": "Job run retry event". */
const jobRunRetrySchema = z.looseObject({
  id: nonEmptyString('the event id (a non-empty string)'),
  time: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:42Z'),
  detail: z.looseObject(
    {
      jobRunId: nonEmptyString('the job run id (a non-empty string)'),
      applicationId: nonEmptyString('the application id (a non-empty string)'),
      jobRunName: optionalText,
      previousAttempt: attemptNumber,
      previousAttemptState: nonEmptyString("the previous attempt's state such as FAILED"),
      previousAttemptEndedAt: timestamp('an ISO-8601 timestamp such as 2022-05-31T21:07:30.325900Z').nullish(),
      newAttempt: attemptNumber,
    },
    { error: expected('an object (the job run retry)') },
  ),
});

export const jobRunDedupeKey = (applicationId: string, jobRunId: string, state: string): string => `job-run:${applicationId}:${jobRunId}:${state}`;

export const jobRunRetryDedupeKey = (applicationId: string, jobRunId: string, newAttempt: number): string =>
  `job-run-retry:${applicationId}:${jobRunId}:${newAttempt}`;

export function parseJobRunRetry(raw: unknown): JobRunTrigger {
  const e = parseWith(jobRunRetrySchema, raw);
  const d = e.detail;
  const trigger: JobRunTrigger = {
    kind: 'job-run',
    eventId: e.id,
    dedupeKey: jobRunRetryDedupeKey(d.applicationId, d.jobRunId, d.newAttempt),
    applicationId: d.applicationId,
    jobRunId: d.jobRunId,
    state: 'RETRY',
    atMs: parseAwsTimestamp(e.time) as number,
    retry: {
      previousAttempt: d.previousAttempt,
      previousAttemptState: d.previousAttemptState,
      newAttempt: d.newAttempt,
      ...(d.previousAttemptEndedAt != null ? { previousAttemptEndedAtMs: parseAwsTimestamp(d.previousAttemptEndedAt) as number } : {}),
    },
  };
  if (d.jobRunName != null) trigger.jobRunName = d.jobRunName;
  return trigger;
}

export function parseJobRun(raw: unknown): JobRunTrigger {
  const e = parseWith(jobRunEventSchema, raw);
  const d = e.detail;
  // The schema guarantees one of them is present and parses.
  const atMs = parseAwsTimestamp((d.updatedAt ?? e.time) as string) as number;
  const trigger: JobRunTrigger = {
    kind: 'job-run',
    eventId: e.id,
    dedupeKey: jobRunDedupeKey(d.applicationId, d.jobRunId, d.state),
    applicationId: d.applicationId,
    jobRunId: d.jobRunId,
    state: d.state,
    atMs,
  };
  const name = d.jobRunName ?? d.name;
  if (name != null) trigger.jobRunName = name;
  if (d.previousState != null) trigger.previousState = d.previousState;
  if (d.stateDetails != null) trigger.stateDetails = d.stateDetails;
  return trigger;
}
