import type { StreamfixConfig } from '../lambdas/config';
import { readExecutorSettings } from '../lambdas/playbooks/consumer-lag/spark-conf';
import type { ExpectationCheck } from './result';
import type { MskExpectations } from './scenario/msk';
import type { TimelineEntry, WorldSpec } from './scenario/schema';
import type { SimWorld } from './sim/world';

/**
 * The drills' MSK side: seeds the topics a scenario describes (read by the pipelines' jobs),
 * carries out its traffic and hung-consumer faults, sums up each topic at the end, and checks
 * `expect.msk`.
 */

export interface MskTopicSummary {
  totalLagRecords: number;
  maxLagRecords: number;
  recordsPerSecond: number;
  /** The capping executor setting of the job's newest run. */
  executors?: number;
}

export function seedMsk(world: SimWorld, w: WorldSpec, config: StreamfixConfig): void {
  w.msk.topics.forEach((seed, i) => {
    const p = config.pipelines[seed.pipeline];
    if (!p) throw new Error(`world.msk.topics[${i}].pipeline: unknown pipeline "${seed.pipeline}"`);
    if (p.source.kind !== 'msk') throw new Error(`world.msk.topics[${i}].pipeline: pipeline "${seed.pipeline}" does not read from MSK`);
    const m = p.job.processedRecordsMetric;
    const sink = p.sink?.deliveryStreamName;
    world.msk.addTopic({
      pipeline: seed.pipeline,
      clusterName: p.source.clusterName,
      topic: p.source.topic,
      consumerGroup: p.source.consumerGroup,
      applicationId: p.job.applicationId,
      jobName: p.job.jobName,
      partitions: seed.partitions,
      brokers: seed.brokers,
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

export const isMskFault = (e: TimelineEntry): boolean => e['msk-traffic'] !== undefined || e['stall-consumer'] !== undefined;

/** Carries out one MSK timeline entry; `fault` writes it to the record. */
export function applyMskFault(world: SimWorld, e: TimelineEntry, note: string, fault: (text: string) => void): void {
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
    fault(run ? `stall-consumer ${f.pipeline}: run ${run.jobRunId} stays RUNNING but reads nothing more${note}` : `stall-consumer ${f.pipeline}: no RUNNING run to hang${note}`);
  }
}

export function mskSummary(world: SimWorld): Record<string, MskTopicSummary> {
  const out: Record<string, MskTopicSummary> = {};
  for (const t of world.msk.topics.values()) {
    world.msk.changed(() => undefined);
    const runs = world.emr.allRuns().filter((r) => r.applicationId === t.applicationId && r.name === t.jobName);
    const newest = runs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    const executors = newest ? readExecutorSettings(newest.jobDriver ?? { sparkSubmit: { entryPoint: '' } }, newest.configurationOverrides).executors : undefined;
    out[t.pipeline] = {
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
      out.push({ path, expected: 'a simulated MSK topic', actual: 'none', ok: false });
      continue;
    }
    if (want.maxLagRecords !== undefined) out.push({ path: `${path}.maxLagRecords`, expected: `≤ ${want.maxLagRecords}`, actual: t.totalLagRecords, ok: t.totalLagRecords <= want.maxLagRecords });
    if (want.minLagRecords !== undefined) out.push({ path: `${path}.minLagRecords`, expected: `≥ ${want.minLagRecords}`, actual: t.totalLagRecords, ok: t.totalLagRecords >= want.minLagRecords });
    if (want.executors !== undefined) out.push({ path: `${path}.executors`, expected: want.executors, actual: t.executors ?? 'unset', ok: t.executors === want.executors });
  }
  return out;
}
