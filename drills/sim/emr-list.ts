import { ValidationException, type JobRunState, type JobRunSummary } from '@aws-sdk/client-emr-serverless';
import type { SdkErrorFactory } from './errors';
import type { SimJobRun } from './emr-state';

/** ListJobRuns: newest first, filtered by states / createdAt / mode, paged with an opaque nextToken. */

export interface ListJobRunsInput {
  applicationId?: string;
  nextToken?: string;
  maxResults?: number;
  createdAtAfter?: Date;
  createdAtBefore?: Date;
  states?: JobRunState[];
  mode?: 'BATCH' | 'STREAMING';
}

const encodeToken = (tag: string, offset: number) => Buffer.from(`${tag}-${JSON.stringify({ o: offset })}`).toString('base64');

function decodeToken(tag: string, token: string): number | undefined {
  const s = Buffer.from(token, 'base64').toString('utf8');
  if (!s.startsWith(`${tag}-`)) return undefined;
  try {
    const o = (JSON.parse(s.slice(tag.length + 1)) as { o?: unknown }).o;
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One page of a List* answer: `maxResults` 1–50 (default 50) and an opaque `nextToken` that only
 * the same operation (`tag`) accepts, as ListJobRuns and ListJobRunAttempts page.
 */
export function pageOf<T>(
  items: readonly T[],
  i: { maxResults?: number; nextToken?: string },
  err: SdkErrorFactory,
  tag: string,
): { page: T[]; nextToken?: string } {
  const max = i.maxResults ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 50) {
    throw err(
      ValidationException,
      400,
      `1 validation error detected: Value ${max} at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50`,
    );
  }
  const offset = i.nextToken === undefined ? 0 : decodeToken(tag, i.nextToken);
  if (offset === undefined) throw err(ValidationException, 400, 'Invalid pagination token.');
  const next = offset + max < items.length ? encodeToken(tag, offset + max) : undefined;
  return { page: items.slice(offset, offset + max), ...(next ? { nextToken: next } : {}) };
}

export function summary(r: SimJobRun): JobRunSummary {
  return {
    applicationId: r.applicationId,
    id: r.jobRunId,
    ...(r.name !== undefined ? { name: r.name } : {}),
    mode: r.mode ?? 'BATCH',
    arn: r.arn,
    createdBy: r.createdBy,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    executionRole: r.executionRole,
    state: r.state,
    stateDetails: r.stateDetails ?? '',
    releaseLabel: r.releaseLabel,
    type: 'Spark',
    attempt: r.attempt ?? 1,
    ...(r.attemptCreatedAt ? { attemptCreatedAt: new Date(r.attemptCreatedAt) } : {}),
    ...(r.attemptUpdatedAt ? { attemptUpdatedAt: new Date(r.attemptUpdatedAt) } : {}),
  };
}

export function listJobRuns(runs: SimJobRun[], i: ListJobRunsInput, err: SdkErrorFactory): { jobRuns: JobRunSummary[]; nextToken?: string } {
  const states = i.states && i.states.length > 0 ? new Set(i.states) : undefined;
  const after = i.createdAtAfter ? new Date(i.createdAtAfter).getTime() : undefined;
  const before = i.createdAtBefore ? new Date(i.createdAtBefore).getTime() : undefined;
  const matching = runs
    .filter((r) => !states || states.has(r.state))
    .filter((r) => after === undefined || r.createdAt.getTime() >= after)
    .filter((r) => before === undefined || r.createdAt.getTime() <= before)
    .filter((r) => !i.mode || (r.mode ?? 'BATCH') === i.mode)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.jobRunId < b.jobRunId ? 1 : -1));
  const { page, nextToken } = pageOf(matching, i, err, 'AAMA');
  return { jobRuns: page.map(summary), ...(nextToken ? { nextToken } : {}) };
}
