import { flinkAtLeast, restartsMetric } from '../../lambdas/config/flink-runtime';
import type { SimContext } from './context';
import type { SimKinesis } from './kinesis';
import type { MetricStore } from './metrics';
import type { SimLogs } from './logs';

/**
 * Managed Service for Apache Flink applications as they behave, and the Flink job inside each
 * (DescribeApplication's shapes: docs.aws.amazon.com/managed-flink/latest/apiv2/):
 *
 * - Status: READY → StartApplication → STARTING → RUNNING; UpdateApplication of a RUNNING
 *   application → UPDATING (a snapshot is taken as the job stops when snapshots are on, the job is
 *   restored from it) → RUNNING; StopApplication → STOPPING (snapshot) → READY.
 * - A job failure: Flink's restart strategy restarts the job while the application stays RUNNING
 *   ("Application is restarting"): fixed-delay (10 s) below Flink 1.19, exponential-delay (1 s, ×1.5,
 *   at most 60 s) from 1.19 ("Modifiable Flink configuration properties": "From Flink 1.19 and
 *   later, we use the exponential-delay restart strategy by default"). While it recovers, `downtime`
 *   is the time since the failure; each restart counts in `fullRestarts` (`numRestarts` from 2.2).
 * - A failed operation (an update, scaling or maintenance): with system rollbacks on, MSF rolls
 *   back to the previous version; "if this autorollback fails or you have not opted in, your
 *   application will be placed into the READY state" ("System rollback best practices").
 * - Checkpoints every `CheckpointInterval`: each success sets `lastCheckpointDuration` and
 *   `lastCheckpointSize`; each failure adds 1 to `numberOfFailedCheckpoints` and logs an error.
 * - Metrics every minute in AWS/KinesisAnalytics (dimension Application) while the job exists;
 *   `KPUs` while the application holds its KPUs (RUNNING, UPDATING, AUTOSCALING, MAINTENANCE,
 *   ROLLING_BACK). Logs: JSON lines (`messageType`, `message`, `throwableInformation`).
 */

export interface SimFlinkOperation {
  id: string;
  operation: string;
  status: 'IN_PROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'CANCELLED';
  startMs: number;
  endMs?: number;
  versionFrom?: number;
  versionTo?: number;
  error?: string;
  rollbackOperationId?: string;
}

export interface SimFlinkSnapshot {
  name: string;
  status: 'CREATING' | 'READY' | 'DELETING' | 'FAILED';
  versionId: number;
  createdMs: number;
}

export interface SimFlinkJob {
  startedMs: number;
  restarts: number;
  /** The job is failing/recovering since then (undefined: running). */
  downSinceMs?: number;
  failedCheckpoints: number;
  lastCheckpointDurationMs: number;
  lastCheckpointSizeBytes: number;
  /** Bumped on every change of the job, so timers set for an older state do nothing. */
  epoch: number;
}

export type CheckpointFaultCause = 'kms-denied' | 'timeout' | 'state-too-large';

export interface SimFlinkApp {
  name: string;
  arn: string;
  pipeline: string;
  runtimeEnvironment: string;
  status: string;
  versionId: number;
  createMs: number;
  lastUpdateMs: number;
  parallelism: { configurationType: 'CUSTOM' | 'DEFAULT'; parallelism: number; parallelismPerKPU: number; autoScalingEnabled: boolean };
  checkpoint: { configurationType: 'CUSTOM' | 'DEFAULT'; enabled: boolean; intervalMs: number; minPauseMs: number; timeoutMs: number };
  snapshotsEnabled: boolean;
  rollbackEnabled: boolean;
  encryption?: { keyType: 'CUSTOMER_MANAGED_KEY' | 'AWS_OWNED_KEY'; keyId?: string };
  logGroup?: string;
  operations: SimFlinkOperation[];
  snapshots: SimFlinkSnapshot[];
  job?: SimFlinkJob;
  /** The stream the application reads, when simulated. */
  streamName?: string;
  recordsPerSecondPerSubtask: number;
  stateSizeBytes: number;
  /** The job fails this way after each (re)start, `remaining` more times (Infinity: for good). */
  jobFault?: { error: string; remaining: number; afterMs: number };
  checkpointFault?: { cause: CheckpointFaultCause; untilMs: number };
  rolledBackFrom?: number;
  minute: { maxDowntimeMs: number };
}

const MINUTE = 60_000;
export const START_MS = 60_000;
export const UPDATE_MS = 60_000;
export const STOP_MS = 20_000;
const KPU_STATUSES = new Set(['RUNNING', 'UPDATING', 'AUTOSCALING', 'MAINTENANCE', 'ROLLING_BACK']);

export class FlinkApps {
  readonly apps = new Map<string, SimFlinkApp>();

  constructor(
    private readonly ctx: SimContext,
    private readonly store: MetricStore,
    private readonly logs: SimLogs,
    private readonly kinesis: SimKinesis,
  ) {}

  app(name: string): SimFlinkApp {
    const a = this.apps.get(name);
    if (!a) throw new Error(`no simulated Managed Flink application ${name}`);
    return a;
  }

  add(a: SimFlinkApp): void {
    this.apps.set(a.name, a);
    if (a.logGroup) this.logs.createGroup(a.logGroup);
    if (a.streamName) this.kinesis.readers.set(a.streamName, (i, n) => this.capacity(a, i, n));
  }

  /** Records a second the application reads from shard i of n: each subtask reads its shards (i mod parallelism) at its rate. */
  capacity(a: SimFlinkApp, i: number, n: number): number {
    if (a.status !== 'RUNNING' || !a.job || a.job.downSinceMs !== undefined) return 0;
    const p = a.parallelism.parallelism;
    const subtask = i % p;
    const shardsOfSubtask = Math.ceil((n - subtask) / p);
    return shardsOfSubtask > 0 ? a.recordsPerSecondPerSubtask / shardsOfSubtask : 0;
  }

  /** Applies `change` now: the stream the application reads moves on to now under the old state first. */
  changedNow(change: () => void): void {
    this.kinesis.changed(change);
  }

  streamShards(streamName: string): number | undefined {
    return this.kinesis.streams.get(streamName)?.shards.length;
  }

  /**
   * An operation AWS or a person started fails after `afterMs` in its transient status: with
   * system rollbacks on, a RollbackApplication follows (it succeeds: RUNNING on the previous
   * version; or fails); without, or when the rollback fails, the application is READY.
   */
  failOperation(a: SimFlinkApp, operation: string, error: string, opts: { afterMs: number; rollback: 'succeeds' | 'fails' }): void {
    const transient = operation === 'Scaling' ? 'AUTOSCALING' : operation === 'Maintenance' ? 'MAINTENANCE' : 'UPDATING';
    const op = this.operation(a, operation, { versionFrom: a.versionId, versionTo: a.versionId + 1 });
    if (a.snapshotsEnabled) this.snapshot(a);
    this.changedNow(() => void (a.status = transient));
    this.stopJob(a);
    this.ctx.clock.after(opts.afterMs, `flink ${a.name} ${operation} fails`, () => {
      this.finish(op, 'FAILED', error);
      this.log(a, 'ERROR', `${operation} of ${a.name} failed.`, error);
      if (!a.rollbackEnabled) {
        this.changedNow(() => void (a.status = 'READY'));
        return;
      }
      const rb = this.operation(a, 'RollbackApplication');
      op.rollbackOperationId = rb.id;
      this.changedNow(() => void (a.status = 'ROLLING_BACK'));
      this.ctx.clock.after(60_000, `flink ${a.name} rollback`, () => {
        if (opts.rollback === 'fails') {
          this.finish(rb, 'FAILED', `the rollback of ${a.name} to version ${a.versionId} failed`);
          this.changedNow(() => void (a.status = 'READY'));
          return;
        }
        this.finish(rb, 'SUCCESSFUL');
        a.rolledBackFrom = a.versionId + 1;
        this.changedNow(() => void (a.status = 'RUNNING'));
        this.startJob(a);
      });
    });
  }

  log(a: SimFlinkApp, level: 'ERROR' | 'WARN' | 'INFO', message: string, throwable?: string): void {
    if (!a.logGroup) return;
    const line = {
      applicationARN: a.arn,
      applicationVersionId: String(a.versionId),
      locationInformation: 'org.apache.flink.runtime.executiongraph.ExecutionGraph',
      logger: 'org.apache.flink.runtime.executiongraph.ExecutionGraph',
      message,
      messageSchemaVersion: '1',
      messageType: level,
      threadName: 'flink-akka.actor.default-dispatcher-2',
      ...(throwable ? { throwableInformation: throwable } : {}),
    };
    this.logs.put(a.logGroup, 'kinesis-analytics-log-stream', this.ctx.clock.now(), JSON.stringify(line));
  }

  operation(a: SimFlinkApp, operation: string, extra: Partial<SimFlinkOperation> = {}): SimFlinkOperation {
    const op: SimFlinkOperation = { id: this.ctx.ids.hex(16), operation, status: 'IN_PROGRESS', startMs: this.ctx.clock.now(), ...extra };
    a.operations.unshift(op);
    return op;
  }

  finish(op: SimFlinkOperation, status: SimFlinkOperation['status'], error?: string): void {
    op.status = status;
    op.endMs = this.ctx.clock.now();
    if (error) op.error = error;
  }

  /** A snapshot as a stop or an update takes it (CREATING for a few seconds, then READY). */
  snapshot(a: SimFlinkApp, prefix = 'snapshot'): SimFlinkSnapshot {
    const s: SimFlinkSnapshot = { name: `${prefix}-${this.ctx.ids.hex(8)}`, status: 'CREATING', versionId: a.versionId, createdMs: this.ctx.clock.now() };
    a.snapshots.unshift(s);
    this.ctx.clock.after(5_000, `flink ${a.name} snapshot`, () => void (s.status = 'READY'));
    return s;
  }

  /** The job starts (restored from the newest snapshot, or without state): it runs, or fails by its fault. */
  startJob(a: SimFlinkApp): void {
    this.changedNow(() => {
      const epoch = (a.job?.epoch ?? 0) + 1;
      a.job = {
        startedMs: this.ctx.clock.now(),
        restarts: 0,
        failedCheckpoints: 0,
        lastCheckpointDurationMs: 0,
        lastCheckpointSizeBytes: a.stateSizeBytes,
        epoch,
      };
    });
    this.log(a, 'INFO', `Job ${a.name} (version ${a.versionId}) switched from state INITIALIZING to RUNNING.`);
    this.armJob(a);
  }

  stopJob(a: SimFlinkApp): void {
    this.changedNow(() => void (a.job = undefined));
  }

  private armJob(a: SimFlinkApp): void {
    const job = a.job!;
    const epoch = job.epoch;
    this.scheduleCheckpoint(a, epoch);
    if (a.jobFault && a.jobFault.remaining > 0) {
      this.ctx.clock.after(a.jobFault.afterMs, `flink ${a.name} job fails`, () => {
        if (a.job?.epoch === epoch) this.failJob(a);
      });
    }
  }

  /** The job fails now; Flink's restart strategy brings it back after its delay. */
  failJob(a: SimFlinkApp): void {
    const job = a.job;
    if (!job || job.downSinceMs !== undefined) return;
    const error = a.jobFault?.error ?? 'java.lang.RuntimeException: the job failed';
    if (a.jobFault) a.jobFault.remaining--;
    this.changedNow(() => {
      job.downSinceMs = this.ctx.clock.now();
      job.epoch++;
    });
    this.log(a, 'ERROR', `Job ${a.name} switched from state RUNNING to RESTARTING.`, error);
    const epoch = job.epoch;
    this.ctx.clock.after(this.restartDelayMs(a, job.restarts), `flink ${a.name} restart`, () => {
      if (a.job !== job || job.epoch !== epoch) return;
      this.changedNow(() => {
        a.minute.maxDowntimeMs = Math.max(a.minute.maxDowntimeMs, this.ctx.clock.now() - (job.downSinceMs ?? this.ctx.clock.now()));
        job.restarts++;
        job.downSinceMs = undefined;
        job.epoch++;
      });
      this.armJob(a);
    });
  }

  private restartDelayMs(a: SimFlinkApp, restarts: number): number {
    if (!flinkAtLeast(a.runtimeEnvironment, [1, 19])) return 10_000;
    return Math.min(60_000, 1_000 * 1.5 ** restarts);
  }

  private scheduleCheckpoint(a: SimFlinkApp, epoch: number): void {
    if (!a.checkpoint.enabled) return;
    this.ctx.clock.after(a.checkpoint.intervalMs, `flink ${a.name} checkpoint`, () => {
      const job = a.job;
      if (!job || job.epoch !== epoch || a.status !== 'RUNNING') return;
      this.checkpoint(a, job);
      this.scheduleCheckpoint(a, epoch);
    });
  }

  private checkpoint(a: SimFlinkApp, job: SimFlinkJob): void {
    const now = this.ctx.clock.now();
    const fault = a.checkpointFault && now < a.checkpointFault.untilMs ? a.checkpointFault.cause : undefined;
    const id = Math.floor((now - job.startedMs) / a.checkpoint.intervalMs);
    if (fault === 'state-too-large') a.stateSizeBytes = Math.round(a.stateSizeBytes * 1.25);
    // Writing the state takes ~1 s per 100 MB (plus a second of alignment).
    const duration = Math.round(1_000 + a.stateSizeBytes / 100_000);
    const fail = (message: string, throwable: string) => {
      job.failedCheckpoints++;
      this.log(a, 'ERROR', message, throwable);
    };
    if (fault === 'kms-denied') {
      const key = a.encryption?.keyId ?? 'the application key';
      fail(
        `Checkpoint ${id} of job ${a.name} failed.`,
        `org.apache.flink.runtime.checkpoint.CheckpointException: Asynchronous task checkpoint failed.\nCaused by: software.amazon.awssdk.services.kms.model.KmsException: User: arn:aws:sts::${this.ctx.account}:assumed-role/KinesisAnalyticsServiceRole/${a.name} is not authorized to perform: kms:GenerateDataKey on resource: ${key} because no resource-based policy allows the kms:GenerateDataKey action (Service: Kms, Status Code: 400)`,
      );
      return;
    }
    if (fault === 'timeout' || duration > a.checkpoint.timeoutMs) {
      job.lastCheckpointDurationMs = a.checkpoint.timeoutMs;
      fail(
        `Checkpoint ${id} of job ${a.name} expired before completing.`,
        `org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired before completing.`,
      );
      return;
    }
    job.lastCheckpointDurationMs = duration;
    job.lastCheckpointSizeBytes = a.stateSizeBytes;
  }

  private put(a: SimFlinkApp, atMs: number, metricName: string, value: number, unit: string): void {
    this.store.putValue({ namespace: 'AWS/KinesisAnalytics', metricName, dimensions: { Application: a.name } }, atMs, value, unit);
  }

  /** Publishes the minute that ends at `endMs` (stamped at its start): `downtime` is the minute's longest outage so far. */
  publishMinute(endMs: number): void {
    for (const a of this.apps.values()) this.publish(a, endMs - MINUTE, endMs);
  }

  private publish(a: SimFlinkApp, at: number, endMs: number): void {
    const p = a.parallelism;
    if (KPU_STATUSES.has(a.status)) this.put(a, at, 'KPUs', Math.ceil(p.parallelism / p.parallelismPerKPU), 'Count');
    const job = a.job;
    if (a.status !== 'RUNNING' || !job) {
      a.minute = { maxDowntimeMs: 0 };
      return;
    }
    const downtime = Math.max(a.minute.maxDowntimeMs, job.downSinceMs !== undefined ? endMs - job.downSinceMs : 0);
    this.put(a, at, 'downtime', downtime, 'Milliseconds');
    this.put(a, at, 'uptime', job.downSinceMs === undefined ? endMs - job.startedMs : 0, 'Milliseconds');
    this.put(a, at, restartsMetric(a.runtimeEnvironment), job.restarts, 'Count');
    this.put(a, at, 'numberOfFailedCheckpoints', job.failedCheckpoints, 'Count');
    this.put(a, at, 'lastCheckpointDuration', job.lastCheckpointDurationMs, 'Milliseconds');
    this.put(a, at, 'lastCheckpointSize', job.lastCheckpointSizeBytes, 'Bytes');
    const load = this.load(a);
    this.put(a, at, 'cpuUtilization', Math.round(15 + 80 * load), 'Percent');
    this.put(a, at, 'heapMemoryUtilization', Math.round(40 + 20 * load), 'Percent');
    const s = a.streamName ? this.kinesis.streams.get(a.streamName) : undefined;
    if (s)
      this.put(
        a,
        at,
        'millisBehindLatest',
        Math.max(...s.shards.filter((x) => x.reading !== 'unread').map((x) => this.kinesis.ageMs(s, x)), 0),
        'Milliseconds',
      );
    a.minute = { maxDowntimeMs: 0 };
  }

  /** How busy the subtasks are: what they read over what they could read (1 when behind). */
  private load(a: SimFlinkApp): number {
    const s = a.streamName ? this.kinesis.streams.get(a.streamName) : undefined;
    if (!s || a.job?.downSinceMs !== undefined) return 0;
    const capacity = Math.min(a.parallelism.parallelism, s.shards.length) * a.recordsPerSecondPerSubtask;
    const behind = s.shards.some((x) => x.backlog >= 1 && x.reading === 'read');
    return behind ? 1 : Math.min(1, s.recordsPerSecond / Math.max(1, capacity));
  }

  /** History before the start: the seeded state held steady. */
  backfill(startMs: number, minutes: number): void {
    for (const a of this.apps.values()) for (let k = minutes; k >= 1; k--) this.publish(a, startMs - k * MINUTE, startMs - (k - 1) * MINUTE);
  }
}
