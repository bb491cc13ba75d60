import type { JobRunState } from '@aws-sdk/client-emr-serverless';
import type { SimCloudWatch } from './cloudwatch';
import type { SimEmrServerless } from './emr';

/**
 * EMR Serverless application metrics in `AWS/EMRServerless` (dimension ApplicationId), one
 * datapoint per minute: `RunningJobs` (the most runs RUNNING at once during the minute),
 * `FailedJobs`, `CancelledJobs` and `SuccessJobs` (runs that reached that state in the minute).
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
    emr: SimEmrServerless,
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
    this.cw.store.putValue({ namespace: 'AWS/EMRServerless', metricName: name, dimensions: { ApplicationId: applicationId } }, atMs, value, 'Count');
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
