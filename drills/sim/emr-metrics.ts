import type { JobRunState } from '@aws-sdk/client-emr-serverless';
import type { SimCloudWatch } from './cloudwatch';
import { jobMetricDimensions, publishedApplicationName } from '../../lambdas/config/release';
import type { SimEmrServerless } from './emr';

/**
 * EMR Serverless job-level metrics in `AWS/EMRServerless`, one datapoint per minute:
 * `RunningJobs` (the most runs RUNNING at once during the minute), `FailedJobs`,
 * `CancelledJobs` and `SuccessJobs` (runs that reached that state in the minute; a failed
 * *attempt* that EMR retries is not a failed job).
 *
 * Dimensions by release, as "Monitoring EMR Serverless applications and jobs"
 * (docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/app-job-metrics.html) gives them:
 * the job-level metrics carry `ApplicationId` and `ApplicationName` ("[Unspecified]" for an
 * application without an ASCII name); "for release 7.10 and later, the older metrics will no
 * longer be updated", so an application on 7.10+ publishes only the new dimension set, one
 * below 7.10 only the older one (`ApplicationId` alone).
 */

interface Minute {
  running: number;
  maxRunning: number;
  FailedJobs: number;
  CancelledJobs: number;
  SuccessJobs: number;
}

const ENDED: Partial<Record<JobRunState, 'FailedJobs' | 'CancelledJobs' | 'SuccessJobs'>> = {
  FAILED: 'FailedJobs',
  CANCELLED: 'CancelledJobs',
  SUCCESS: 'SuccessJobs',
};

export class EmrMetrics {
  private readonly apps = new Map<string, Minute>();

  constructor(
    private readonly emr: SimEmrServerless,
    private readonly cw: SimCloudWatch,
    applicationIds: string[],
  ) {
    for (const id of applicationIds) this.apps.set(id, { running: 0, maxRunning: 0, FailedJobs: 0, CancelledJobs: 0, SuccessJobs: 0 });
    emr.onStateChange((run, previous) => {
      const m = this.apps.get(run.applicationId);
      if (!m) return;
      if (run.state === 'RUNNING') m.running++;
      if (previous === 'RUNNING') m.running--;
      m.maxRunning = Math.max(m.maxRunning, m.running);
      const counter = ENDED[run.state];
      if (counter) m[counter]++;
    });
  }

  private put(applicationId: string, atMs: number, name: string, value: number): void {
    this.cw.store.putValue({ namespace: 'AWS/EMRServerless', metricName: name, dimensions: this.dimensions(applicationId) }, atMs, value, 'Count');
  }

  private dimensions(applicationId: string): Record<string, string> {
    const app = this.emr.application(applicationId);
    if (jobMetricDimensions(app?.releaseLabel) === 'by-id') return { ApplicationId: applicationId };
    return { ApplicationId: applicationId, ApplicationName: publishedApplicationName(app?.name) };
  }

  /** History before the drill starts: the state the world is seeded in, held steady for `minutes`. */
  backfill(startMs: number, minutes: number): void {
    for (const [id, m] of this.apps) {
      for (let k = minutes; k >= 1; k--) {
        const at = startMs - k * 60_000;
        this.put(id, at, 'RunningJobs', m.running);
        for (const name of ['FailedJobs', 'CancelledJobs', 'SuccessJobs']) this.put(id, at, name, 0);
      }
    }
  }

  /** Called at each minute boundary `endMs`: publishes the minute that just ended. */
  publishMinute(endMs: number): void {
    const at = endMs - 60_000;
    for (const [id, m] of this.apps) {
      this.put(id, at, 'RunningJobs', m.maxRunning);
      this.put(id, at, 'FailedJobs', m.FailedJobs);
      this.put(id, at, 'CancelledJobs', m.CancelledJobs);
      this.put(id, at, 'SuccessJobs', m.SuccessJobs);
      Object.assign(m, { maxRunning: m.running, FailedJobs: 0, CancelledJobs: 0, SuccessJobs: 0 });
    }
  }
}
