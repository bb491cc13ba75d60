import * as z from 'zod';
import { s3UriSchema } from './s3-uri';

/**
 * Config parts of the operator's loop: where the runbooks live (a link in every alarm
 * description and every page) and where the post-incident reports go.
 */

/**
 * The runbooks' address: `https://wiki.example.com/streamfix/runbooks` gives
 * `…/runbooks/job-failed` for the job-failed playbook; a `{playbook}` placeholder puts the
 * playbook id where it stands (`https://github.com/acme/ops/blob/main/runbooks/{playbook}.md`).
 */
export const runbookBaseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://wiki.example.com/runbooks' })
  .max(512, 'at most 512 characters (it goes into every alarm description, at most 1,024)');

export const reportsSchema = z
  .object({
    /** The post-incident report of every incident that closes is written under this prefix, as `<incident id>.md`. */
    s3: s3UriSchema,
  })
  .strict();

export type ReportsConfig = z.output<typeof reportsSchema>;

/** The runbook link of a playbook, when a base URL is configured. */
export function runbookUrl(base: string | undefined, playbook: string): string | undefined {
  if (base === undefined) return undefined;
  if (base.includes('{playbook}')) return base.replaceAll('{playbook}', playbook);
  return `${base.replace(/\/+$/, '')}/${playbook}`;
}
