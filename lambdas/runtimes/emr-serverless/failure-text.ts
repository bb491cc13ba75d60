import { createGunzip } from 'node:zlib';
import type { JobRunView } from '../../adapters/emr-serverless';
import type { LogsAdapter } from '../../adapters/logs';
import type { S3Adapter } from '../../adapters/s3';
import type { EmrServerlessJob } from '../../config/schema';
import { JOB_RESILIENCY_RELEASE, releaseAtLeast } from '../../config/release';
import { splitS3Uri } from '../../util/s3-uri';

/**
 * The full text of a failed attempt, from its driver log: `stateDetails` keeps only 256
 * characters (API_JobRun), often cutting the exception that names the cause. The log is where
 * the EMR Serverless User Guide puts it ("Storing logs", logging.html; "Job resiliency" →
 * "Logging with retry policy"):
 * - S3: `<logUri>/applications/<applicationId>/jobs/<jobId>/[attempts/<n>/]SPARK_DRIVER/stderr.gz`;
 * - CloudWatch Logs: group `logGroupName` (default `/aws/emr-serverless`), streams
 *   `<logStreamNamePrefix>/applications/<applicationId>/jobs/<jobId>/[attempts/<n>/]<worker type>`;
 * the `attempts/<n>/` part from release 7.1.0, for streaming jobs and batch jobs with retries.
 * Only the locations the config names (`job.driverLogs`) are read: the function's role holds
 * exactly those. Any problem reading falls back to stateDetails, with a note; never an error.
 */

export type FailureTextSource = 'driver-log:s3' | 'driver-log:cloudwatch' | 'stateDetails' | 'none';

export interface FailureText {
  text?: string;
  source: FailureTextSource;
  /** Why the driver log was not used, when it was not. */
  note?: string;
}

export const DEFAULT_EMR_LOG_GROUP = '/aws/emr-serverless';
/** Compressed bytes read at most from one stderr.gz (EMR rotates these files at 128 MB). */
const MAX_LOG_BYTES = 32 * 1024 * 1024;
/** What is kept of the end of a log, and of the failure taken from it. */
const TAIL_CHARS = 256 * 1024;
const FAILURE_CHARS = 4_000;

interface Monitoring {
  s3MonitoringConfiguration?: { logUri?: string };
  cloudWatchLoggingConfiguration?: { enabled?: boolean; logGroupName?: string; logStreamNamePrefix?: string };
}

const withSlash = (p: string) => (p.endsWith('/') ? p : `${p}/`);

/** `applications/<app>/jobs/<id>[/attempts/<n>]` for this run and attempt. */
export function jobLogPath(run: Pick<JobRunView, 'applicationId' | 'jobRunId' | 'releaseLabel' | 'mode' | 'retryPolicy'>, attempt: number): string {
  const attempts = releaseAtLeast(run.releaseLabel, JOB_RESILIENCY_RELEASE) && (run.mode === 'STREAMING' || (run.retryPolicy?.maxAttempts ?? 1) > 1);
  return `applications/${run.applicationId}/jobs/${run.jobRunId}${attempts ? `/attempts/${attempt}` : ''}`;
}

export interface DriverLogLocations {
  s3?: { bucket: string; key: string };
  cloudWatch?: { group: string; streamPrefix: string };
  /** Why a location the run logs to is not read. */
  notes: string[];
}

/** Where this attempt's driver log is that the config allows streamfix to read. Pure. */
export function driverLogLocations(run: JobRunView, attempt: number, allowed: EmrServerlessJob['driverLogs']): DriverLogLocations {
  const mc = (run.configurationOverrides?.monitoringConfiguration ?? {}) as Monitoring;
  const out: DriverLogLocations = { notes: [] };
  const logUri = mc.s3MonitoringConfiguration?.logUri;
  if (logUri) {
    const at = splitS3Uri(logUri);
    if (!allowed?.s3 || !withSlash(logUri).startsWith(allowed.s3)) out.notes.push(`the run logs to ${logUri}, which job.driverLogs.s3 does not name`);
    else if (at) out.s3 = { bucket: at.bucket, key: `${at.prefix ? withSlash(at.prefix) : ''}${jobLogPath(run, attempt)}/SPARK_DRIVER/stderr.gz` };
  }
  const cw = mc.cloudWatchLoggingConfiguration;
  if (cw?.enabled) {
    const group = cw.logGroupName ?? DEFAULT_EMR_LOG_GROUP;
    if (allowed?.cloudWatchLogGroup !== group) out.notes.push(`the run logs to log group ${group}, which job.driverLogs.cloudWatchLogGroup does not name`);
    else
      out.cloudWatch = {
        group,
        streamPrefix: `${cw.logStreamNamePrefix ? cw.logStreamNamePrefix.replace(/\/+$/, '') : ''}/${jobLogPath(run, attempt)}/SPARK_DRIVER`,
      };
  }
  if (!logUri && !cw?.enabled) out.notes.push('the run keeps its logs in managed storage only');
  return out;
}

/** The failure at the end of a driver log: from its last ERROR line on (at most 4,000 characters). Pure. */
export function failureFromLog(tail: string): string | undefined {
  const lines = tail.replace(/\s+$/, '').split('\n');
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\bERROR\b/.test(lines[i]!)) {
      start = i;
      break;
    }
  }
  const text = (start >= 0 ? lines.slice(start) : lines.slice(-50)).join('\n').trim();
  if (text === '') return undefined;
  return text.length > FAILURE_CHARS ? text.slice(0, FAILURE_CHARS) : text;
}

async function s3Tail(s3: S3Adapter, bucket: string, key: string): Promise<string | undefined> {
  const body = await s3.getObjectStream(bucket, key);
  if (!body) return undefined;
  const gunzip = createGunzip();
  let tail = '';
  let read = 0;
  const done = new Promise<void>((resolve, reject) => {
    gunzip.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    });
    gunzip.on('end', resolve);
    gunzip.on('error', reject);
  });
  for await (const chunk of body) {
    read += chunk.byteLength;
    if (read > MAX_LOG_BYTES) throw new Error(`${key} is larger than ${MAX_LOG_BYTES} bytes`);
    if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
  }
  gunzip.end();
  await done;
  return tail;
}

/** The attempt's failure text: the driver log when the config lets streamfix read it, else `stateDetails`. */
export async function readFailureText(
  aws: { s3: S3Adapter; logs: LogsAdapter },
  job: EmrServerlessJob,
  run: JobRunView,
  attempt: { attempt: number; stateDetails?: string; endedAtMs: number },
): Promise<FailureText> {
  const fallback = (note: string): FailureText =>
    attempt.stateDetails ? { text: attempt.stateDetails, source: 'stateDetails', note } : { source: 'none', note };
  const where = driverLogLocations(run, attempt.attempt, job.driverLogs);
  const notes = [...where.notes];
  if (where.s3) {
    try {
      const tail = await s3Tail(aws.s3, where.s3.bucket, where.s3.key);
      const text = tail === undefined ? undefined : failureFromLog(tail);
      if (text) return { text, source: 'driver-log:s3' };
      notes.push(`s3://${where.s3.bucket}/${where.s3.key} ${tail === undefined ? 'does not exist' : 'names no failure'}`);
    } catch (e) {
      notes.push(`s3://${where.s3.bucket}/${where.s3.key} could not be read: ${(e as Error).message}`);
    }
  }
  if (where.cloudWatch) {
    try {
      const events = await aws.logs.filterLogEvents(where.cloudWatch.group, {
        logStreamNamePrefix: where.cloudWatch.streamPrefix,
        startMs: attempt.endedAtMs - 10 * 60_000,
        endMs: attempt.endedAtMs + 60_000,
        limit: 5_000,
      });
      const text = failureFromLog(
        events
          .sort((a, b) => a.timestampMs - b.timestampMs)
          .map((e) => e.message)
          .join('\n'),
      );
      if (text) return { text, source: 'driver-log:cloudwatch' };
      notes.push(`log group ${where.cloudWatch.group} has no failure under ${where.cloudWatch.streamPrefix}`);
    } catch (e) {
      notes.push(`log group ${where.cloudWatch.group} could not be read: ${(e as Error).message}`);
    }
  }
  return fallback(notes.join('; '));
}
