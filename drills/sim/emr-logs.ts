import { gzipSync } from 'node:zlib';
import { releaseAtLeast, JOB_RESILIENCY_RELEASE } from '../../lambdas/config/release';
import type { SimContext } from './context';
import type { SimJobRun } from './emr-state';
import type { SimLogs } from './logs';
import type { SimS3 } from './s3';
import { splitS3Uri } from '../../lambdas/util/s3-uri';

/**
 * Where a job run's driver writes its log, as the EMR Serverless User Guide lays it out
 * ("Storing logs", docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/logging.html, and
 * "Job resiliency" → "Logging with retry policy"):
 * - S3 (`monitoringConfiguration.s3MonitoringConfiguration.logUri`):
 *   `<logUri>/applications/<applicationId>/jobs/<jobId>/SPARK_DRIVER/stderr.gz`, gzip;
 * - CloudWatch Logs (`cloudWatchLoggingConfiguration.enabled`): group `logGroupName` (default
 *   `/aws/emr-serverless`), stream `<logStreamNamePrefix>/applications/<applicationId>/jobs/<jobId>/<worker-type>`;
 * - from 7.1.0, for every streaming job (and batch jobs with retries) the job part gains
 *   `/attempts/<attemptNumber>/`, so each attempt has its own logs.
 * The simulator writes the full failure text there; the run's `stateDetails` keeps 256 characters.
 * This layout is the simulator's own, written independently of streamfix's log reader.
 */

export const DEFAULT_EMR_LOG_GROUP = '/aws/emr-serverless';

interface Monitoring {
  s3MonitoringConfiguration?: { logUri?: string };
  cloudWatchLoggingConfiguration?: { enabled?: boolean; logGroupName?: string; logStreamNamePrefix?: string };
}

const usesAttemptPrefix = (run: SimJobRun): boolean =>
  releaseAtLeast(run.releaseLabel, JOB_RESILIENCY_RELEASE) && (run.mode === 'STREAMING' || (run.retryPolicy?.maxAttempts ?? 1) > 1);

/** `applications/<app>/jobs/<id>[/attempts/<n>]`, without slashes at the ends. */
function jobPart(run: SimJobRun, attempt: number): string {
  return `applications/${run.applicationId}/jobs/${run.jobRunId}${usesAttemptPrefix(run) ? `/attempts/${attempt}` : ''}`;
}

/** The lines a Spark driver leaves when its streaming query dies with `failure`. */
function driverLines(run: SimJobRun, attempt: number, failure: string, atMs: number): string[] {
  const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(2, 19).replace(/-/g, '/');
  return [
    `${ts(atMs - 60_000)} INFO SparkContext: Running Spark version 3.5.1-amzn-0`,
    `${ts(atMs - 60_000)} INFO SparkContext: Submitted application: ${run.name ?? run.jobRunId} (attempt ${attempt})`,
    `${ts(atMs - 30_000)} INFO MicroBatchExecution: Streaming query made progress`,
    `${ts(atMs)} ERROR MicroBatchExecution: Query ${run.name ?? run.jobRunId} terminated with error`,
    ...failure.split('\n'),
    `${ts(atMs)} INFO ShutdownHookManager: Shutdown hook called`,
  ];
}

export class DriverLogs {
  constructor(
    private readonly ctx: SimContext,
    private readonly s3: SimS3,
    private readonly logs: SimLogs,
  ) {}

  /** Writes attempt `attempt`'s driver log, ending with `failure`, wherever the run logs. */
  write(run: SimJobRun, attempt: number, failure: string): void {
    const now = this.ctx.clock.now();
    const mc = (run.configurationOverrides?.monitoringConfiguration ?? {}) as Monitoring;
    const lines = driverLines(run, attempt, failure, now);
    const logUri = mc.s3MonitoringConfiguration?.logUri;
    const at = logUri === undefined ? undefined : splitS3Uri(logUri);
    if (at) {
      const prefix = at.prefix === '' ? '' : `${at.prefix.replace(/\/+$/, '')}/`;
      this.s3.createBucket(at.bucket);
      this.s3.put(at.bucket, `${prefix}${jobPart(run, attempt)}/SPARK_DRIVER/stderr.gz`, gzipSync(Buffer.from(`${lines.join('\n')}\n`, 'utf8')), {
        contentType: 'application/x-gzip',
      });
    }
    const cw = mc.cloudWatchLoggingConfiguration;
    if (cw?.enabled) {
      const group = cw.logGroupName ?? DEFAULT_EMR_LOG_GROUP;
      const stream = `${cw.logStreamNamePrefix ? cw.logStreamNamePrefix.replace(/\/+$/, '') : ''}/${jobPart(run, attempt)}/SPARK_DRIVER/stderr`;
      this.logs.createGroup(group);
      // Real-time driver logging: one event per line, the failure's lines last.
      lines.forEach((line, k) => this.logs.put(group, stream, now - (lines.length - k), line));
    }
  }
}
