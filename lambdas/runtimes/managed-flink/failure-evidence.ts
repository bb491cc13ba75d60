import type { FlinkOperationDetail, FlinkOperationView, FlinkSnapshotView } from '../../adapters/managed-flink';
import { counterIncrease, failureLines, latest, trailingMinutesAbove, type FlinkLogLine } from '../../analysis/flink-metrics';
import { restartsMetric } from '../../config/flink-runtime';
import type { FlinkPipeline } from '../../config/schema';
import type { Trigger } from '../../core/trigger';
import { readFlinkApplication, readFlinkLog, readFlinkMetrics } from './read';
import { flinkResource } from './runtime';
import type { PlaybookContext } from '../../core/playbook';
import type { JobRestartSettings } from '../restart-judgment';

/**
 * job-failed's evidence on Managed Service for Apache Flink: the application (status, version,
 * snapshots enabled, parallelism), its newest READY snapshot, its recent operations with the
 * newest failed one described (its error, its system rollback), the restarts and downtime of the
 * last `restartLoopMinutes`, and the error lines of the application's log in that window.
 */

export interface FlinkJobFailedEvidence {
  runtime: 'managed-flink';
  app: {
    status: string;
    versionId: number;
    runtimeEnvironment: string;
    snapshotsEnabled: boolean;
    parallelism?: number;
  };
  newestSnapshot?: FlinkSnapshotView;
  /** Newest first. */
  operations: FlinkOperationView[];
  failedOperation?: FlinkOperationDetail;
  rollback?: FlinkOperationDetail;
  metrics: {
    /** `fullRestarts` or `numRestarts`, as the runtime publishes it. */
    restartsMetric: string;
    /** Restarts counted in the window. */
    restarts: number;
    /** The newest downtime datapoint (ms), null when none was published (not running). */
    downtimeMs: number | null;
    /** Minutes in a row, up to now, with downtime above 0. */
    downtimeMinutes: number;
    windowMinutes: number;
  };
  /** The log's error lines of the window; absent when no log group is configured. */
  log?: FlinkLogLine[];
  restartsLastHour: number;
}

export async function diagnoseFlinkJobFailed(ctx: PlaybookContext<JobRestartSettings, FlinkPipeline>, _trigger: Trigger): Promise<FlinkJobFailedEvidence> {
  const job = ctx.pipeline.job;
  const b = ctx.settings.bounds;
  const nowMs = ctx.clock.now();
  const windowStart = nowMs - b.restartLoopMinutes * 60_000;
  const restarts = restartsMetric(job.runtimeEnvironment);
  const [reading, series, log, restartsLastHour] = await Promise.all([
    readFlinkApplication(ctx.aws.flink, job, { nowMs, lookbackMinutes: b.maxFailureAgeMinutes }),
    readFlinkMetrics(
      ctx.aws.cloudwatch,
      job,
      [
        { name: 'downtime', stat: 'Maximum' },
        { name: restarts, stat: 'Maximum' },
      ],
      windowStart,
      nowMs,
    ),
    readFlinkLog(ctx.aws.logs, job, windowStart, nowMs),
    ctx.history.actionsInLastHour(flinkResource(job)),
  ]);
  const downtime = series.downtime ?? [];
  const a = reading.app;
  const current = a.parallelism.currentParallelism ?? a.parallelism.parallelism;
  return {
    runtime: 'managed-flink',
    app: {
      status: a.status,
      versionId: a.versionId,
      runtimeEnvironment: a.runtimeEnvironment,
      snapshotsEnabled: a.snapshotsEnabled,
      ...(current !== undefined ? { parallelism: current } : {}),
    },
    ...(reading.newestSnapshot ? { newestSnapshot: reading.newestSnapshot } : {}),
    operations: reading.operations.slice(0, 5),
    ...(reading.failedOperation ? { failedOperation: reading.failedOperation } : {}),
    ...(reading.rollback ? { rollback: reading.rollback } : {}),
    metrics: {
      restartsMetric: restarts,
      restarts: counterIncrease(series[restarts] ?? []),
      downtimeMs: latest(downtime)?.value ?? null,
      downtimeMinutes: trailingMinutesAbove(downtime, 0),
      windowMinutes: b.restartLoopMinutes,
    },
    ...(log ? { log } : {}),
    restartsLastHour,
  };
}

/** The failure lines as pages show them: the first and the newest error, and the exceptions seen. */
export function flinkFailureText(e: Pick<FlinkJobFailedEvidence, 'log' | 'failedOperation'>): {
  text?: string;
  first?: string;
  last?: string;
  errors: number;
  exceptions: string[];
} {
  const f = failureLines(e.log ?? []);
  const op = e.failedOperation?.error;
  const first = f.first?.text;
  const last = f.last?.text;
  const text = [op, first, last !== first ? last : undefined].filter((x): x is string => x !== undefined && x.length > 0).join('\n');
  return { ...(text ? { text } : {}), ...(first ? { first } : {}), ...(last ? { last } : {}), errors: f.errors, exceptions: f.exceptions };
}
