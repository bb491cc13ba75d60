import type { StreamfixConfig } from '../lambdas/config';
import { emrJobOf } from './jobs';
import { readExecutorSettings } from '../lambdas/runtimes/emr-serverless/spark-conf';
import type { ExpectationCheck } from './result-types';
import type { MskExpectations } from './scenario/msk';
import type { Scenario, TimelineEntry, WorldSpec } from './scenario/schema';
import type { ClusterStateName } from './sim/msk-cluster';
import type { SimWorld } from './sim/world';

/**
 * The drills' MSK side: seeds the clusters and the topics a scenario describes (read by the
 * pipelines' jobs), carries out its traffic, hung-consumer, broker and cluster-state faults,
 * sums up each pipeline's topic and cluster at the end, and checks `expect.msk`.
 */

export interface MskTopicSummary {
  totalLagRecords?: number;
  maxLagRecords?: number;
  recordsPerSecond?: number;
  /** The capping executor setting of the job's newest run. */
  executors?: number;
  /** The pipeline's cluster: brokers up at the end, of how many, and RebootBroker calls MSK accepted. */
  brokersUp?: number;
  brokers?: number;
  reboots?: number;
}

interface ClusterRef {
  pipeline?: string | undefined;
  clusterArn?: string | undefined;
}

/** A cluster's ARN and name from a `pipeline` or `clusterArn` reference; `path` names the field in errors. */
function resolveCluster(ref: ClusterRef, config: StreamfixConfig, path: string): { arn: string; name: string; brokers?: number } {
  if (ref.pipeline !== undefined) {
    const p = config.pipelines[ref.pipeline];
    if (!p) throw new Error(`${path}.pipeline: unknown pipeline "${ref.pipeline}"`);
    if (p.source.kind !== 'msk') throw new Error(`${path}.pipeline: pipeline "${ref.pipeline}" does not read from MSK`);
    return { arn: p.source.clusterArn, name: p.source.clusterName, brokers: p.source.brokers };
  }
  const arn = ref.clusterArn!;
  const owner = Object.values(config.pipelines).find((p) => p.source.kind === 'msk' && p.source.clusterArn === arn);
  if (owner?.source.kind === 'msk') return { arn, name: owner.source.clusterName, brokers: owner.source.brokers };
  return { arn, name: /:cluster\/([^/]+)\//.exec(arn)?.[1] ?? arn };
}

/** The clusters a scenario starts with: those it lists, or a healthy one per pipeline reading from MSK. */
function clusterSeeds(w: WorldSpec, config: StreamfixConfig) {
  return (
    w.msk.clusters ??
    Object.entries(config.pipelines)
      .filter(([, p]) => p.source.kind === 'msk')
      .map(([pipeline]) => ({ pipeline, state: 'ACTIVE' as const }))
  );
}

function seedClusters(world: SimWorld, w: WorldSpec, config: StreamfixConfig): void {
  clusterSeeds(w, config).forEach((seed, i) => {
    const path = `world.msk.clusters[${i}]`;
    const c = resolveCluster(seed, config, path);
    const brokers = ('brokers' in seed ? seed.brokers : undefined) ?? c.brokers ?? 3;
    const known = world.kafka.clusters.get(c.arn);
    if (known) {
      if (known.brokers.length !== brokers) throw new Error(`${path}.brokers: cluster ${c.name} is already simulated with ${known.brokers.length} brokers`);
      return;
    }
    world.kafka.addCluster({ arn: c.arn, name: c.name, brokers, state: seed.state });
  });
}

export function seedMsk(world: SimWorld, w: WorldSpec, config: StreamfixConfig): void {
  seedClusters(world, w, config);
  w.msk.topics.forEach((seed, i) => {
    const p = config.pipelines[seed.pipeline];
    if (!p) throw new Error(`world.msk.topics[${i}].pipeline: unknown pipeline "${seed.pipeline}"`);
    if (p.source.kind !== 'msk') throw new Error(`world.msk.topics[${i}].pipeline: pipeline "${seed.pipeline}" does not read from MSK`);
    const cluster = world.kafka.clusters.get(p.source.clusterArn);
    if (seed.brokers !== undefined && cluster && cluster.brokers.length !== seed.brokers) {
      throw new Error(`world.msk.topics[${i}].brokers: ${seed.brokers}, but the pipeline's cluster ${cluster.name} has ${cluster.brokers.length} brokers`);
    }
    const brokers = seed.brokers ?? cluster?.brokers.length ?? 3;
    if (seed.replicationFactor !== undefined && seed.replicationFactor > brokers) {
      // Kafka refuses to create such a topic ("replication factor larger than available brokers").
      throw new Error(`world.msk.topics[${i}].replicationFactor: ${seed.replicationFactor} is larger than the ${brokers} brokers`);
    }
    // The simulated topic is read by an EMR Serverless job's runs.
    const job = emrJobOf(config, seed.pipeline, `world.msk.topics[${i}].pipeline`);
    const m = job.processedRecordsMetric;
    const sink = p.sink?.deliveryStreamName;
    world.msk.addTopic({
      pipeline: seed.pipeline,
      clusterName: p.source.clusterName,
      topic: p.source.topic,
      consumerGroup: p.source.consumerGroup,
      applicationId: job.applicationId,
      jobName: job.jobName,
      partitions: seed.partitions,
      brokers,
      ...(seed.replicationFactor !== undefined ? { replicationFactor: seed.replicationFactor } : {}),
      ...(seed.minInSyncReplicas !== undefined ? { minInSyncReplicas: seed.minInSyncReplicas } : {}),
      recordsPerSecond: seed.recordsPerSecond,
      ...(seed.weights ? { weights: seed.weights } : {}),
      recordsPerSecondPerCore: seed.recordsPerSecondPerCore,
      lagRecords: seed.lagRecords,
      perPartitionMetrics: seed.perPartitionMetrics,
      perBrokerMetrics: seed.perBrokerMetrics,
      ...(m ? { processedMetric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions } } : {}),
      ...(sink !== undefined && world.firehose.streams.has(sink) ? { sinkStream: sink } : {}),
      historyMinutes: Math.ceil(seed.history / 60_000),
    });
  });
}

export const isMskFault = (e: TimelineEntry): boolean =>
  e['msk-traffic'] !== undefined || e['stall-consumer'] !== undefined || e['broker-down'] !== undefined || e['cluster-state'] !== undefined;

/**
 * The broker and cluster entries of a timeline against the clusters the scenario starts with:
 * a broker the cluster does not have, or a cluster that is not simulated, is an issue naming the entry.
 */
export function mskTimelineIssues(s: Scenario, config: StreamfixConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const brokersOf = new Map<string, number>();
  clusterSeeds(s.world, config).forEach((seed, i) => {
    try {
      const c = resolveCluster(seed, config, `world.msk.clusters[${i}]`);
      if (!brokersOf.has(c.arn)) brokersOf.set(c.arn, ('brokers' in seed ? seed.brokers : undefined) ?? c.brokers ?? 3);
    } catch (e) {
      issues.push({ path: `world.msk.clusters[${i}]`, message: (e as Error).message });
    }
  });
  s.timeline.forEach((e, i) => {
    for (const key of ['broker-down', 'cluster-state'] as const) {
      const f = e[key];
      if (!f) continue;
      const path = `timeline[${i}].${key}`;
      try {
        const c = resolveCluster(f, config, path);
        const n = brokersOf.get(c.arn);
        if (n === undefined) issues.push({ path, message: `cluster ${c.name} is not simulated (add it to world.msk.clusters)` });
        else if (key === 'broker-down' && e['broker-down']!.broker > n)
          issues.push({ path: `${path}.broker`, message: `cluster ${c.name} has brokers 1..${n}, not ${e['broker-down']!.broker}` });
      } catch (err) {
        issues.push({ path, message: (err as Error).message.replace(`${path}.`, '') });
      }
    }
  });
  return issues;
}

/** Carries out one MSK timeline entry; `fault` writes it to the record. */
export function applyMskFault(world: SimWorld, config: StreamfixConfig, e: TimelineEntry, note: string, fault: (text: string) => void): void {
  if (e['msk-traffic']) {
    const f = e['msk-traffic'];
    const t = world.msk.topic(f.pipeline);
    world.msk.changed(() => {
      t.recordsPerSecond = f.recordsPerSecond;
      if (f.weights) {
        if (f.weights.length !== t.partitions) throw new Error(`msk-traffic: ${f.weights.length} weights for ${t.partitions} partitions`);
        const total = f.weights.reduce((a, b) => a + b, 0);
        t.weights = f.weights.map((x) => x / total);
      }
    });
    fault(`msk-traffic ${t.topic}: producers write ${f.recordsPerSecond} records/s${f.weights ? ` (weights ${f.weights.join('/')})` : ''}${note}`);
  } else if (e['stall-consumer']) {
    const f = e['stall-consumer'];
    const run = world.msk.stallConsumer(f.pipeline);
    fault(
      run
        ? `stall-consumer ${f.pipeline}: run ${run.jobRunId} stays RUNNING but reads nothing more${note}`
        : `stall-consumer ${f.pipeline}: no RUNNING run to hang${note}`,
    );
  } else if (e['broker-down']) {
    const f = e['broker-down'];
    const c = resolveCluster(f, config, 'broker-down');
    world.kafka.brokerDown(c.arn, f.broker, { rebootFixes: f.rebootFixes, ...(f.recoversAfter !== undefined ? { recoversAfterMs: f.recoversAfter } : {}) });
    fault(
      `broker-down ${c.name} broker ${f.broker}: stops${f.recoversAfter !== undefined ? `, AWS recovers it after ${f.recoversAfter / 1000} s` : ', never recovers by itself'}${f.rebootFixes ? '' : '; a reboot does not bring it back'}${note}`,
    );
  } else if (e['cluster-state']) {
    const f = e['cluster-state'];
    const c = resolveCluster(f, config, 'cluster-state');
    world.kafka.holdState(c.arn, f.state as ClusterStateName, f.for);
    fault(`cluster-state ${c.name}: ${f.state}${f.for !== undefined ? ` for ${f.for / 1000} s` : ''}${note}`);
  }
}

export function mskSummary(world: SimWorld, config?: StreamfixConfig): Record<string, MskTopicSummary> {
  const out: Record<string, MskTopicSummary> = {};
  for (const [pipeline, p] of Object.entries(config?.pipelines ?? {})) {
    const c = p.source.kind === 'msk' ? world.kafka.clusters.get(p.source.clusterArn) : undefined;
    if (c) out[pipeline] = { brokersUp: c.brokers.filter((b) => b.up).length, brokers: c.brokers.length, reboots: c.reboots };
  }
  for (const t of world.msk.topics.values()) {
    world.msk.changed(() => undefined);
    const runs = world.emr.allRuns().filter((r) => r.applicationId === t.applicationId && r.name === t.jobName);
    const newest = runs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    const executors = newest
      ? readExecutorSettings(newest.jobDriver ?? { sparkSubmit: { entryPoint: '' } }, newest.configurationOverrides).executors
      : undefined;
    out[t.pipeline] = {
      ...(out[t.pipeline] ?? {}),
      totalLagRecords: Math.round(t.lags.reduce((a, b) => a + b, 0)),
      maxLagRecords: Math.round(Math.max(...t.lags)),
      recordsPerSecond: t.recordsPerSecond,
      ...(executors !== undefined ? { executors } : {}),
    };
  }
  return out;
}

export function mskChecks(x: MskExpectations, actual: Record<string, MskTopicSummary> | undefined): ExpectationCheck[] {
  const out: ExpectationCheck[] = [];
  for (const [pipeline, want] of Object.entries(x ?? {})) {
    const t = actual?.[pipeline];
    const path = `expect.msk.${pipeline}`;
    if (!t) {
      out.push({ path, expected: 'a simulated MSK topic or cluster', actual: 'none', ok: false });
      continue;
    }
    const lag = t.totalLagRecords;
    const noTopic = 'no simulated MSK topic';
    if (want.maxLagRecords !== undefined)
      out.push({
        path: `${path}.maxLagRecords`,
        expected: `≤ ${want.maxLagRecords}`,
        actual: lag ?? noTopic,
        ok: lag !== undefined && lag <= want.maxLagRecords,
      });
    if (want.minLagRecords !== undefined)
      out.push({
        path: `${path}.minLagRecords`,
        expected: `≥ ${want.minLagRecords}`,
        actual: lag ?? noTopic,
        ok: lag !== undefined && lag >= want.minLagRecords,
      });
    if (want.executors !== undefined)
      out.push({ path: `${path}.executors`, expected: want.executors, actual: t.executors ?? 'unset', ok: t.executors === want.executors });
    const noCluster = 'no simulated MSK cluster';
    if (want.brokersUp !== undefined)
      out.push({ path: `${path}.brokersUp`, expected: want.brokersUp, actual: t.brokersUp ?? noCluster, ok: t.brokersUp === want.brokersUp });
    if (want.reboots !== undefined)
      out.push({ path: `${path}.reboots`, expected: want.reboots, actual: t.reboots ?? noCluster, ok: t.reboots === want.reboots });
  }
  return out;
}
