import type { FlinkPipeline, StreamfixConfig } from '../lambdas/config';
import type { ExpectationCheck } from './result-types';
import type { FlinkExpectations } from './scenario/flink';
import type { TimelineEntry, WorldSpec } from './scenario/schema';
import type { SimFlinkApp, SimFlinkOperation } from './sim/flink-app';
import { shardIdOf } from './sim/kinesis';
import type { SimWorld } from './sim/world';

/**
 * The drills' Managed Flink and Kinesis side: seeds the applications and streams a scenario
 * describes, carries out their faults, sums each pipeline's application and stream up at the
 * end, and checks `expect.flink`.
 */

export interface FlinkPipelineSummary {
  status?: string;
  parallelism?: number;
  versionId?: number;
  starts?: number;
  updates?: number;
  maxBacklogRecords?: number;
  lostRecords?: number;
}

const MINUTE = 60_000;

function flinkPipeline(config: StreamfixConfig, pipeline: string, path: string): FlinkPipeline {
  const p = config.pipelines[pipeline];
  if (!p) throw new Error(`${path}: unknown pipeline "${pipeline}"`);
  if (p.job.kind !== 'managed-flink') throw new Error(`${path}: pipeline "${pipeline}" runs on ${p.job.kind}, not managed-flink`);
  return p as FlinkPipeline;
}

export function seedFlink(world: SimWorld, w: WorldSpec, config: StreamfixConfig): void {
  const now = world.clock.now();
  w.kinesis.streams.forEach((seed, i) => {
    const path = `world.kinesis.streams[${i}].pipeline`;
    const p = config.pipelines[seed.pipeline];
    if (!p) throw new Error(`${path}: unknown pipeline "${seed.pipeline}"`);
    if (p.source.kind !== 'kinesis') throw new Error(`${path}: pipeline "${seed.pipeline}" does not read from Kinesis`);
    if (p.job.kind !== 'managed-flink')
      throw new Error(`${path}: the simulated stream is read by a Managed Flink application; pipeline "${seed.pipeline}" runs on ${p.job.kind}`);
    world.kinesis.addStream({
      streamName: p.source.streamName,
      shards: seed.shards,
      recordsPerSecond: seed.recordsPerSecond,
      ...(seed.weights ? { weights: seed.weights } : {}),
      retentionHours: seed.retention !== undefined ? seed.retention / 3_600_000 : p.source.retentionHours,
      enhancedMonitoring: seed.enhancedMonitoring,
      readLimitRecordsPerSecond: seed.readLimitRecordsPerSecond,
      lagRecords: seed.lagRecords,
      historyMinutes: Math.ceil(seed.history / MINUTE),
    });
  });
  w.flink.applications.forEach((seed, i) => {
    const p = flinkPipeline(config, seed.pipeline, `world.flink.applications[${i}].pipeline`);
    const job = p.job;
    const stream = p.source.kind === 'kinesis' && world.kinesis.streams.has(p.source.streamName) ? p.source.streamName : undefined;
    const a: SimFlinkApp = {
      name: job.applicationName,
      arn: `arn:aws:kinesisanalytics:${world.opts.region}:${world.opts.account}:application/${job.applicationName}`,
      pipeline: seed.pipeline,
      runtimeEnvironment: job.runtimeEnvironment,
      status: seed.status,
      versionId: seed.versionId,
      createMs: now - seed.startedAgo - 86_400_000,
      lastUpdateMs: now - seed.startedAgo,
      parallelism: {
        configurationType: 'CUSTOM' as const,
        parallelism: seed.parallelism,
        parallelismPerKPU: seed.parallelismPerKPU,
        autoScalingEnabled: seed.autoScalingEnabled,
      },
      checkpoint: {
        configurationType: 'CUSTOM' as const,
        enabled: true,
        intervalMs: seed.checkpointInterval,
        minPauseMs: 5_000,
        timeoutMs: seed.checkpointTimeout,
      },
      snapshotsEnabled: seed.snapshotsEnabled,
      rollbackEnabled: seed.rollbackEnabled,
      ...(seed.kmsKeyArn ? { encryption: { keyType: 'CUSTOMER_MANAGED_KEY' as const, keyId: seed.kmsKeyArn } } : {}),
      ...(job.logGroupName ? { logGroup: job.logGroupName } : {}),
      operations: [] as SimFlinkOperation[],
      snapshots: seed.snapshots.map((age, k) => ({ name: `snapshot-seed-${k}`, status: 'READY' as const, versionId: seed.versionId, createdMs: now - age })),
      ...(stream ? { streamName: stream } : {}),
      recordsPerSecondPerSubtask: seed.recordsPerSecondPerSubtask,
      stateSizeBytes: seed.stateBytes,
      minute: { maxDowntimeMs: 0 },
    };
    world.flink.apps.add(a);
    if (seed.status === 'RUNNING') {
      world.flink.apps.startJob(a);
      a.job!.startedMs = now - seed.startedAgo;
    }
  });
}

export const isFlinkFault = (e: TimelineEntry): boolean =>
  ['fail-flink-job', 'fail-flink-operation', 'stop-flink-application', 'flink-checkpoint-failures', 'kinesis-traffic', 'kinesis-shard-stuck'].some(
    (k) => e[k as keyof TimelineEntry] !== undefined,
  );

export function applyFlinkFault(world: SimWorld, config: StreamfixConfig, e: TimelineEntry, note: string, fault: (text: string) => void): void {
  const appOf = (pipeline: string, what: string) => world.flink.apps.app(flinkPipeline(config, pipeline, what).job.applicationName);
  const streamOf = (pipeline: string, what: string) => {
    const p = config.pipelines[pipeline];
    if (p?.source.kind !== 'kinesis') throw new Error(`${what}: pipeline "${pipeline}" does not read from Kinesis`);
    return world.kinesis.stream(p.source.streamName);
  };
  if (e['fail-flink-job']) {
    const f = e['fail-flink-job'];
    const a = appOf(f.pipeline, 'fail-flink-job');
    a.jobFault = { error: f.error, remaining: f.times ?? Infinity, afterMs: f.after };
    world.flink.apps.failJob(a);
    fault(`fail-flink-job ${a.name}: the job fails${f.times ? ` ${f.times} time(s)` : ' after every restart'}: ${f.error.split('\n')[0]}${note}`);
  } else if (e['fail-flink-operation']) {
    const f = e['fail-flink-operation'];
    const a = appOf(f.pipeline, 'fail-flink-operation');
    world.flink.apps.failOperation(a, f.operation, f.error, { afterMs: f.after, rollback: f.rollback });
    fault(
      `fail-flink-operation ${a.name}: ${f.operation} fails after ${f.after / 1000} s${a.rollbackEnabled ? `, its rollback ${f.rollback === 'succeeds' ? 'succeeds' : 'fails'}` : ' (no system rollback)'}: ${f.error}${note}`,
    );
  } else if (e['stop-flink-application']) {
    const a = appOf(e['stop-flink-application'].pipeline, 'stop-flink-application');
    world.flink.stopByPerson(a);
    fault(`stop-flink-application ${a.name}: a person stops it${note}`);
  } else if (e['flink-checkpoint-failures']) {
    const f = e['flink-checkpoint-failures'];
    const a = appOf(f.pipeline, 'flink-checkpoint-failures');
    a.checkpointFault = { cause: f.cause, untilMs: f.for !== undefined ? world.clock.now() + f.for : Infinity };
    fault(`flink-checkpoint-failures ${a.name}: checkpoints fail (${f.cause})${f.for !== undefined ? ` for ${f.for / 1000} s` : ''}${note}`);
  } else if (e['kinesis-traffic']) {
    const f = e['kinesis-traffic'];
    const s = streamOf(f.pipeline, 'kinesis-traffic');
    world.kinesis.changed(() => {
      s.recordsPerSecond = f.recordsPerSecond;
      if (f.weights) {
        if (f.weights.length !== s.shards.length) throw new Error(`kinesis-traffic: ${f.weights.length} weights for ${s.shards.length} shards`);
        const total = f.weights.reduce((a, b) => a + b, 0);
        s.shards.forEach((x, k) => (x.weight = f.weights![k]! / total));
      }
    });
    fault(`kinesis-traffic ${s.streamName}: producers write ${f.recordsPerSecond} records/s${note}`);
  } else if (e['kinesis-shard-stuck']) {
    const f = e['kinesis-shard-stuck'];
    const s = streamOf(f.pipeline, 'kinesis-shard-stuck');
    const shard = s.shards[f.shard];
    if (!shard) throw new Error(`kinesis-shard-stuck.shard: ${s.streamName} has shards 0..${s.shards.length - 1}, not ${f.shard}`);
    world.kinesis.changed(() => void (shard.reading = f.how));
    fault(
      `kinesis-shard-stuck ${s.streamName} ${shardIdOf(f.shard)}: ${f.how === 'stuck' ? 'read at the same position from now on' : 'no longer read at all'}${note}`,
    );
  }
}

export function flinkSummary(world: SimWorld, config: StreamfixConfig): Record<string, FlinkPipelineSummary> {
  const out: Record<string, FlinkPipelineSummary> = {};
  world.kinesis.changed(() => undefined);
  for (const [pipeline, p] of Object.entries(config.pipelines)) {
    const a = p.job.kind === 'managed-flink' ? world.flink.apps.apps.get(p.job.applicationName) : undefined;
    const s = p.source.kind === 'kinesis' ? world.kinesis.streams.get(p.source.streamName) : undefined;
    if (!a && !s) continue;
    const c = a ? world.flink.accepted.get(a.name) : undefined;
    out[pipeline] = {
      ...(a ? { status: a.status, parallelism: a.parallelism.parallelism, versionId: a.versionId, starts: c?.starts ?? 0, updates: c?.updates ?? 0 } : {}),
      ...(s
        ? { maxBacklogRecords: Math.round(Math.max(...s.shards.map((x) => x.backlog))), lostRecords: Math.round(s.shards.reduce((n, x) => n + x.lost, 0)) }
        : {}),
    };
  }
  return out;
}

export function flinkChecks(x: FlinkExpectations, actual: Record<string, FlinkPipelineSummary> | undefined): ExpectationCheck[] {
  const out: ExpectationCheck[] = [];
  for (const [pipeline, want] of Object.entries(x ?? {})) {
    const t = actual?.[pipeline];
    const path = `expect.flink.${pipeline}`;
    if (!t) {
      out.push({ path, expected: 'a simulated Managed Flink application or Kinesis stream', actual: 'none', ok: false });
      continue;
    }
    const eq = (k: 'status' | 'parallelism' | 'starts' | 'updates', v: unknown) =>
      out.push({ path: `${path}.${k}`, expected: v as never, actual: (t[k] ?? 'none') as never, ok: t[k] === v });
    if (want.status !== undefined) eq('status', want.status);
    if (want.parallelism !== undefined) eq('parallelism', want.parallelism);
    if (want.starts !== undefined) eq('starts', want.starts);
    if (want.updates !== undefined) eq('updates', want.updates);
    if (want.maxBacklogRecords !== undefined)
      out.push({
        path: `${path}.maxBacklogRecords`,
        expected: `≤ ${want.maxBacklogRecords}`,
        actual: t.maxBacklogRecords ?? 'no stream',
        ok: t.maxBacklogRecords !== undefined && t.maxBacklogRecords <= want.maxBacklogRecords,
      });
    if (want.lostRecords !== undefined)
      out.push({ path: `${path}.lostRecords`, expected: want.lostRecords, actual: t.lostRecords ?? 'no stream', ok: t.lostRecords === want.lostRecords });
  }
  return out;
}
