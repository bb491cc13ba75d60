import { classifyFailure } from '../../analysis/job-failure';
import type { FlinkPipeline } from '../../config/schema';
import { escalate, fix, ignore, recheck, type Decision, type Evidence } from '../../core/decision';
import { flinkCommands } from './commands';
import { flinkResource } from './runtime';
import { START_FLINK_APPLICATION, type StartFlinkParams } from './start';
import type { PlanInput } from '../../core/playbook';
import { flinkFailureText, type FlinkJobFailedEvidence } from './failure-evidence';
import { JobFailedReason, type JobRestartSettings } from '../restart-judgment';

/**
 * job-failed on Managed Service for Apache Flink. Pure.
 *
 * Flink restarts a failed job by itself (its restart strategy) while the application stays
 * RUNNING: streamfix watches that, and escalates a restart loop (`restartLoopRestarts` within
 * `restartLoopMinutes`) with the log's first and newest errors, never restarting it again. An
 * application READY after a failed operation (an update, scaling or maintenance whose system
 * rollback failed or was off: "System rollback best practices", MSF Developer Guide) is started
 * from its latest snapshot when the failure is not one a restart cannot fix, snapshots are on, the
 * newest READY snapshot is young enough (and within the source's retention), and the budget
 * allows. Never SKIP_RESTORE_FROM_SNAPSHOT. A person's StopApplication is left alone; an
 * application AWS is changing is watched, and escalated when an operation holds it too long.
 */

export const FlinkJobFailedReason = {
  RESTARTING: 'FLINK_JOB_RESTARTING',
  RESTART_LOOP: 'FLINK_RESTART_LOOP',
  CHANGING: 'FLINK_APPLICATION_CHANGING',
  STUCK: 'FLINK_APPLICATION_STUCK',
  STOPPED_BY_PERSON: 'FLINK_STOPPED_BY_PERSON',
  NOT_RUNNING: 'FLINK_APPLICATION_NOT_RUNNING',
  ROLLED_BACK: 'FLINK_OPERATION_ROLLED_BACK',
  SNAPSHOTS_DISABLED: 'FLINK_SNAPSHOTS_DISABLED',
  SNAPSHOT_MISSING: 'FLINK_SNAPSHOT_MISSING',
  SNAPSHOT_TOO_OLD: 'FLINK_SNAPSHOT_TOO_OLD',
  DELETING: 'FLINK_APPLICATION_DELETING',
} as const;

const R = FlinkJobFailedReason;
type Input = PlanInput<JobRestartSettings, FlinkJobFailedEvidence, FlinkPipeline>;

const TRANSIENT_STATUS = new Set(['UPDATING', 'AUTOSCALING', 'ROLLING_BACK', 'ROLLED_BACK', 'MAINTENANCE', 'STOPPING', 'FORCE_STOPPING']);

const oneLine = (t: string | undefined, max = 300) => {
  const flat = (t ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

function evidenceOf(input: Input): Evidence {
  const { evidence: e, nowMs, settings } = input;
  const f = flinkFailureText(e);
  const snap = e.newestSnapshot;
  return {
    applicationStatus: e.app.status,
    applicationVersionId: e.app.versionId,
    runtimeEnvironment: e.app.runtimeEnvironment,
    snapshotsEnabled: e.app.snapshotsEnabled,
    parallelism: e.app.parallelism ?? null,
    newestSnapshot: snap?.name ?? null,
    newestSnapshotAgeSeconds: snap?.createdMs !== undefined ? Math.round((nowMs - snap.createdMs) / 1000) : null,
    lastOperation: e.operations[0] ? `${e.operations[0].operation} ${e.operations[0].status}` : null,
    failedOperation: e.failedOperation ? `${e.failedOperation.operation} ${e.failedOperation.status}` : null,
    failedOperationError: e.failedOperation?.error?.slice(0, 500) ?? null,
    systemRollback: e.rollback ? `${e.rollback.operation} ${e.rollback.status}` : null,
    restartsMetric: e.metrics.restartsMetric,
    restartsInWindow: e.metrics.restarts,
    restartWindowMinutes: e.metrics.windowMinutes,
    downtimeMs: e.metrics.downtimeMs,
    downtimeMinutes: e.metrics.downtimeMinutes,
    logErrorLines: e.log ? f.errors : null,
    logExceptions: f.exceptions.length > 0 ? f.exceptions.join(',') : null,
    restartsLastHour: e.restartsLastHour,
    restartBudgetPerHour: settings.maxActionsPerHour,
  };
}

/** The failure's lines for a page: the first error (a loop's cause) and the newest one. */
const lineDetail = (e: FlinkJobFailedEvidence) => {
  const f = flinkFailureText(e);
  return {
    firstError: f.first?.slice(0, 2_000) ?? null,
    newestError: f.last?.slice(0, 2_000) ?? null,
    exceptions: f.exceptions,
    operationError: e.failedOperation?.error ?? null,
  };
};

export function planFlinkJobFailed(input: Input): Decision {
  const { evidence: e, settings, pipeline, nowMs } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const ev = evidenceOf(input);
  const status = e.app.status;
  const start = flinkCommands.startFromLatestSnapshot(job);
  const failure = flinkFailureText(e);

  if (status === 'DELETING') {
    return escalate(R.DELETING, `${job.applicationName} is being deleted`, ev, 'error', {
      summary: 'find out who deletes the application; streamfix does nothing to it',
      command: flinkCommands.operations(job),
    });
  }
  if (status === 'STARTING') return recheck(R.CHANGING, `${job.applicationName} is STARTING`, ev, 60);
  if (TRANSIENT_STATUS.has(status)) {
    const op = e.operations.find((o) => o.status === 'IN_PROGRESS');
    const heldMs = op?.startMs !== undefined ? nowMs - op.startMs : undefined;
    if (op && heldMs !== undefined && heldMs >= b.stuckOperationMinutes * 60_000) {
      return escalate(
        R.STUCK,
        `${job.applicationName} has been ${status} for ${Math.round(heldMs / 60_000)} min (operation ${op.operation} ${op.id} in progress)`,
        ev,
        'error',
        {
          summary:
            'the application is stuck in a transient status: roll it back (UPDATING/AUTOSCALING) or force-stop it (which skips the snapshot); never automatic',
          command: `${flinkCommands.rollback(job, e.app.versionId)}  # or: ${flinkCommands.stop(job)} --force`,
        },
      );
    }
    return recheck(R.CHANGING, `${job.applicationName} is ${status}${op ? ` (${op.operation} in progress)` : ''}: AWS is changing it`, ev, 120);
  }
  if (status === 'RUNNING') return planRunning(input, ev, failure.text);
  // READY: stopped. Failed, or stopped by someone?
  const failed = e.failedOperation;
  const rollbackOk = e.rollback?.status === 'SUCCESSFUL';
  if (!failed || rollbackOk) {
    const last = e.operations[0];
    if (last?.operation === 'StopApplication' && last.status === 'SUCCESSFUL') {
      return ignore(R.STOPPED_BY_PERSON, `${job.applicationName} was stopped (StopApplication ${last.id}): not started again`, ev);
    }
    return escalate(
      R.NOT_RUNNING,
      `${job.applicationName} is READY (not running) with no failed operation in the last ${b.maxFailureAgeMinutes} min`,
      ev,
      'warning',
      {
        summary: 'find out why the application is not running; start it from its latest snapshot if it should run',
        command: start,
      },
    );
  }
  const text = [failed.error, failure.text].filter(Boolean).join('\n');
  const cls = classifyFailure(text, b.nonRestartablePatterns);
  if (cls.category === 'persistent') {
    return escalate(
      JobFailedReason.NOT_RESTARTABLE,
      `${failed.operation} of ${job.applicationName} failed in a way a start cannot fix (matches /${cls.label}/i): ${oneLine(failed.error ?? failure.first)}`,
      ev,
      'error',
      {
        summary: 'fix the cause the failure names (code, permissions or configuration), then start the application from its latest snapshot',
        command: start,
        detail: lineDetail(e),
      },
    );
  }
  const refused = startRefused(input, ev, start);
  if (refused) return refused;
  const snap = e.newestSnapshot!;
  const params: StartFlinkParams = {
    applicationName: job.applicationName,
    restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT',
    snapshotName: snap.name,
    versionId: e.app.versionId,
  };
  return fix(
    JobFailedReason.RESTARTABLE,
    `${failed.operation} of ${job.applicationName} failed (${oneLine(failed.error, 200) || 'no error given'})${e.rollback ? `, its rollback too (${e.rollback.status})` : ''}: start it from its latest snapshot ${snap.name}`,
    ev,
    [
      {
        type: START_FLINK_APPLICATION,
        resource: flinkResource(job),
        description: `StartApplication ${job.applicationName} with RESTORE_FROM_LATEST_SNAPSHOT (newest READY snapshot ${snap.name})`,
        params: params as unknown as Record<string, unknown>,
      },
    ],
  );
}

/** RUNNING: Flink's own restarts are watched; a loop is escalated with the log's lines; a failed update rolled back is reported. */
function planRunning(input: Input, ev: Evidence, text: string | undefined): Decision {
  const { evidence: e, settings, pipeline } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const m = e.metrics;
  if (m.restarts >= b.restartLoopRestarts) {
    const cls = classifyFailure(text, b.nonRestartablePatterns);
    const lines = flinkFailureText(e);
    const cause = lines.first ? `: ${oneLine(lines.first)}` : e.log ? ' (no error line in the log)' : " (no log group configured: read the application's log)";
    const reason = cls.category === 'persistent' ? JobFailedReason.NOT_RESTARTABLE : R.RESTART_LOOP;
    return escalate(
      reason,
      `${job.applicationName} restarted ${m.restarts} times in ${m.windowMinutes} min (${m.restartsMetric}), downtime ${m.downtimeMinutes} min: a restart loop${cause}`,
      ev,
      'error',
      {
        summary:
          'the job fails again after every restart: fix the cause its first error names (a restart cannot); stop the application if it should not keep restarting (a graceful stop takes a snapshot)',
        command: flinkCommands.errors(job, input.nowMs - m.windowMinutes * 60_000),
        detail: lineDetail(e),
      },
    );
  }
  if ((m.downtimeMs ?? 0) > 0) {
    return recheck(
      R.RESTARTING,
      `${job.applicationName} is RUNNING with downtime ${m.downtimeMs} ms (${m.restarts} restart(s) in ${m.windowMinutes} min): Flink is restarting the job`,
      ev,
      60,
    );
  }
  if (e.failedOperation && e.rollback?.status === 'SUCCESSFUL') {
    return escalate(
      R.ROLLED_BACK,
      `${e.failedOperation.operation} of ${job.applicationName} failed and the system rolled it back: it runs the previous version (${oneLine(e.failedOperation.error, 200)})`,
      ev,
      'warning',
      {
        summary: 'the application runs, on the previous version: fix what made the change fail before trying it again',
        command: flinkCommands.operations(job),
        detail: lineDetail(e),
      },
    );
  }
  return ignore(
    JobFailedReason.RUNNING,
    `${job.applicationName} is RUNNING with downtime 0 (${m.restarts} restart(s) in ${m.windowMinutes} min, below the loop threshold ${b.restartLoopRestarts})`,
    ev,
  );
}

/** Why a start must not happen now (snapshots, their age, the source's retention, the budget), or undefined. */
function startRefused(input: Input, ev: Evidence, command: string): Decision | undefined {
  const { evidence: e, settings, pipeline, nowMs } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  if (!e.app.snapshotsEnabled) {
    return escalate(R.SNAPSHOTS_DISABLED, `${job.applicationName} has snapshots disabled: a start would run without its state`, ev, 'error', {
      summary:
        'decide whether the application may start without state (data after its last offsets would be re-read or skipped); streamfix never starts it without a snapshot',
      command: flinkCommands.describe(job),
    });
  }
  const snap = e.newestSnapshot;
  if (!snap) {
    return escalate(R.SNAPSHOT_MISSING, `${job.applicationName} has no READY snapshot to restore`, ev, 'error', {
      summary: "without a snapshot a start loses the application's state; restore a backup of it or start deliberately without state",
      command: flinkCommands.snapshots(job),
    });
  }
  const ageH = snap.createdMs !== undefined ? (nowMs - snap.createdMs) / 3_600_000 : Infinity;
  if (ageH > pipeline.source.retentionHours) {
    return escalate(
      JobFailedReason.BEYOND_RETENTION,
      `the newest snapshot ${snap.name} is ${ageH.toFixed(1)} h old, beyond the source's ${pipeline.source.retentionHours} h retention: data after it is gone`,
      ev,
      'critical',
      {
        summary: 'data was lost; decide how to start (from this snapshot, or without state) and what to replay',
        command: flinkCommands.snapshots(job),
      },
    );
  }
  if (ageH > b.maxCheckpointAgeHours) {
    return escalate(R.SNAPSHOT_TOO_OLD, `the newest snapshot ${snap.name} is ${ageH.toFixed(1)} h old (bound ${b.maxCheckpointAgeHours} h)`, ev, 'error', {
      summary: 'a start would re-read a long backlog from that snapshot; confirm it is the one to resume from, then start',
      command,
    });
  }
  if (e.restartsLastHour >= settings.maxActionsPerHour) {
    return escalate(
      JobFailedReason.BUDGET_EXHAUSTED,
      `${e.restartsLastHour} start(s) in the last hour, budget ${settings.maxActionsPerHour}: the application keeps failing`,
      ev,
      'error',
      {
        summary: 'the application fails again after each start; find the cause in its operations and log before starting it again',
        command: flinkCommands.operations(job),
      },
    );
  }
  return undefined;
}
