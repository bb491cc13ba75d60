/**
 * EMR release labels (`emr-7.2.0`, `emr-7.10.0`) and what each release changes for a streaming
 * job. Pure; shared by the config schema, the manifests (alarm dimensions), the plans and the
 * simulated platform, so every one of them draws the release line in the same place.
 *
 * - Job resiliency (automatic retries of STREAMING runs, attempts, the per-hour thrash limit):
 *   EMR Serverless 7.1.0 and higher (EMR Serverless User Guide, "Job resiliency",
 *   docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/jobs-resiliency.html).
 * - Cancel grace periods (`shutdownGracePeriodInSeconds`; 120 s by default for streaming jobs):
 *   7.9.0 and higher (EMR Serverless User Guide, "EMR Serverless job run cancellation with grace
 *   period", job-cancellation-grace-period.html).
 * - Job metrics on `ApplicationId` + `ApplicationName`; "for release 7.10 and later, the older
 *   metrics will no longer be updated" (EMR Serverless User Guide, "Monitoring EMR Serverless
 *   applications and jobs", app-job-metrics.html; "EMR Serverless 7.10.0" release notes).
 */

export type Release = readonly [major: number, minor: number, patch: number];

const LABEL = /^emr-(\d+)\.(\d+)\.(\d+)(?:-[A-Za-z0-9.]+)?$/;

export const JOB_RESILIENCY_RELEASE: Release = [7, 1, 0];
export const CANCEL_GRACE_PERIOD_RELEASE: Release = [7, 9, 0];
export const METRICS_BY_NAME_RELEASE: Release = [7, 10, 0];

/** `emr-7.10.0` → [7, 10, 0]; undefined when the label is not an EMR release label. */
export function parseRelease(label: string): Release | undefined {
  const m = LABEL.exec(label);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export const isReleaseLabel = (label: string): boolean => parseRelease(label) !== undefined;

/** Whether `label` is `min` or later; a label that does not parse is never "at least". */
export function releaseAtLeast(label: string | undefined, min: Release): boolean {
  const r = label === undefined ? undefined : parseRelease(label);
  if (!r) return false;
  for (let i = 0; i < 3; i++) {
    if (r[i]! !== min[i]!) return r[i]! > min[i]!;
  }
  return true;
}

/** The job metrics' dimension names a release publishes. */
export function jobMetricDimensions(label: string | undefined): 'by-id' | 'by-id-and-name' {
  return releaseAtLeast(label, METRICS_BY_NAME_RELEASE) ? 'by-id-and-name' : 'by-id';
}

/**
 * `ApplicationName` as EMR Serverless publishes it: "If the name isn't provided, or contains
 * non-ASCII characters, it is published as [Unspecified]" (app-job-metrics.html).
 */
export function publishedApplicationName(name: string | undefined): string {
  return name === undefined || name === '' || !/^\p{ASCII}*$/u.test(name) ? '[Unspecified]' : name;
}

/** What a run's retry policy means on its release: does EMR itself retry failed attempts? */
export function emrRetries(run: { releaseLabel?: string; mode?: string; retryPolicy?: { maxFailedAttemptsPerHour?: number } }): boolean {
  if (run.mode !== 'STREAMING' || !releaseAtLeast(run.releaseLabel, JOB_RESILIENCY_RELEASE)) return false;
  // "The default number of retries within one hour is five attempts ... A value of 1 indicates no retries."
  return (run.retryPolicy?.maxFailedAttemptsPerHour ?? 5) > 1;
}
