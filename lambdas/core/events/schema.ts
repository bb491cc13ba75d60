import * as z from 'zod';
import { formatPath } from '../../util/format-path';
import { InvalidInputError } from '../errors';
import { parseAwsTimestamp } from './timestamp';

/**
 * What every event schema shares: the messages of a rejected input ("missing: expected X",
 * "expected X, got Y"), bounded strings, the AWS timestamp, and parsing into an
 * `InvalidInputError` whose `field` is the path of the first problem and whose `issues` list
 * every problem found.
 */

export type Issue = { field: string; message: string };

/** A short, one-line rendering of an input value for error messages. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 60)}…` : v;
    return JSON.stringify(s);
  }
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return `a ${typeof v}`;
}

/** A zod error function: "missing: expected X" or "expected X, got Y". */
export const expected =
  (what: string) =>
  (iss: { input?: unknown }): string =>
    iss.input === undefined ? `missing: expected ${what}` : `expected ${what}, got ${show(iss.input)}`;

export const nonEmptyString = (what = 'a non-empty string') => z.string({ error: expected(what) }).min(1, { error: expected(what) });

/**
 * Every string below is kept: in a DynamoDB key (at most 2,048 bytes) or in a ledger item (at
 * most 400 KB). Each has a bound, AWS's own where it documents one (alarm names 255, state
 * reasons 1,023 and reason data 4,000 characters: PutMetricAlarm / SetAlarmState; EMR Serverless
 * ids 64: JobRun), and a longer value is rejected naming the field.
 */
export const atMost = (max: number) => (iss: { input?: unknown }) =>
  `at most ${max} characters, got ${typeof iss.input === 'string' ? iss.input.length : 'more'}`;
export const boundedString = (what: string, max: number) => nonEmptyString(what).max(max, { error: atMost(max) });
export const boundedText = (max: number) =>
  z
    .string({ error: expected('a string') })
    .max(max, { error: atMost(max) })
    .nullish();
/** Free text with a bound (alarm names, suppressors, run names): long enough for any AWS value. */
export const optionalText = boundedText(2_048);

export const timestamp = (what = 'an ISO-8601 timestamp such as 2019-10-02T17:04:40.985+0000') =>
  z.string({ error: expected(what) }).refine((s) => parseAwsTimestamp(s) !== undefined, { error: expected(what) });

export function reject(issues: Issue[]): never {
  const first = issues[0] ?? { field: '(root)', message: 'invalid input' };
  const more =
    issues.length > 1
      ? ` (and ${issues.length - 1} more: ${issues
          .slice(1)
          .map((i) => i.field)
          .join(', ')})`
      : '';
  throw new InvalidInputError(first.field, `${first.message}${more}`, issues);
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  reject(r.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message })));
}
