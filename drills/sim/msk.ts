import { readExecutorSettings } from '../../lambdas/runtimes/emr-serverless/spark-conf';
import type { SimContext } from './context';
import type { SimEmrServerless } from './emr';
import type { SimJobRun } from './emr-state';
import type { SimFirehose } from './firehose';
import type { MetricId, MetricStore } from './metrics';

/**
 * Amazon MSK as the consumer-lag playbook sees it: a topic whose producers write at a rate
 * (spread over partitions by weight), read by the pipeline's streaming job. The lag evolves
 * with the job in simulated time: it grows while nothing consumes (no run RUNNING, or the run
 * is hung) and shrinks while the job's capacity exceeds the incoming rate. Capacity: one task
 * per core; a partition is read by one task at a time, so with fewer tasks than partitions
 * each partition gets its share of a task, and never more than one task's rate. When the
 * pipeline's Firehose stream is simulated, the job writes what it reads into it and cannot
 * read faster than Firehose accepts (backpressure).
 *
 * Every minute it publishes what MSK publishes in `AWS/Kafka` (dimension names with spaces):
 * `OffsetLag` per partition (PER_TOPIC_PER_PARTITION), `SumOffsetLag`, `MaxOffsetLag`,
 * `EstimatedMaxTimeLag` per group and topic, `MessagesInPerSec` per broker and topic
 * (PER_TOPIC_PER_BROKER), and the job's own processed-records metric when configured. A topic's
 * replication (replicas per partition, min.insync.replicas) is what the simulated cluster's
 * partition health is computed from (msk-cluster.ts); a broker that is down publishes nothing.
 */

export interface SimTopicSeed {
  pipeline: string;
  clusterName: string;
  topic: string;
  consumerGroup: string;
  applicationId: string;
  jobName: string;
  partitions: number;
  brokers: number;
  /** Replicas per partition (default 3, or the broker count when smaller). */
  replicationFactor?: number;
  /** The topic's min.insync.replicas (default 2, or the replication factor when smaller). */
  minInSyncReplicas?: number;
  recordsPerSecond: number;
  /** Share of the traffic per partition (normalized); absent: even. */
  weights?: number[];
  /** Records a second one executor core reads. */
  recordsPerSecondPerCore: number;
  /** Lag of every partition at the start (records). */
  lagRecords: number;
  perPartitionMetrics: boolean;
  perBrokerMetrics: boolean;
  /** The job's processed-records metric (config `job.processedRecordsMetric`). */
  processedMetric?: MetricId;
  /** The pipeline's Firehose stream, when the drill simulates it. */
  sinkStream?: string;
  historyMinutes: number;
}

export interface SimTopic extends SimTopicSeed {
  replicationFactor: number;
  minInSyncReplicas: number;
  weights: number[];
  lags: number[];
  /** Records a second each partition is read at most, now. */
  capacity: number[];
  stalledRuns: Set<string>;
  lastMs: number;
  produced: number[];
  consumed: number;
  ranThisMinute: boolean;
}

const MINUTE = 60_000;
const EXECUTORS_WITHOUT_A_SETTING = 2;

export class SimMsk {
  readonly topics = new Map<string, SimTopic>();
  /** Whether a broker is up (the simulated cluster's answer): a broker that is down publishes nothing. */
  brokerUp: (clusterName: string, brokerId: number) => boolean = () => true;

  constructor(
    private readonly ctx: SimContext,
    private readonly emr: SimEmrServerless,
    private readonly store: MetricStore,
    private readonly firehose: SimFirehose,
  ) {
    // Job runs change capacity: account for the time before the change first.
    emr.onStateChange(() => this.changed(() => undefined));
  }

  addTopic(seed: SimTopicSeed): SimTopic {
    const n = seed.partitions;
    const w = seed.weights && seed.weights.length === n ? seed.weights : Array<number>(n).fill(1);
    const total = w.reduce((a, b) => a + b, 0);
    const replicationFactor = seed.replicationFactor ?? Math.min(3, seed.brokers);
    const t: SimTopic = {
      ...seed,
      replicationFactor,
      minInSyncReplicas: seed.minInSyncReplicas ?? Math.min(2, replicationFactor),
      weights: w.map((x) => x / total),
      lags: Array<number>(n).fill(seed.lagRecords),
      capacity: Array<number>(n).fill(0),
      stalledRuns: new Set(),
      lastMs: this.ctx.clock.now(),
      produced: Array<number>(n).fill(0),
      consumed: 0,
      ranThisMinute: false,
    };
    this.topics.set(seed.pipeline, t);
    this.recompute(t);
    return t;
  }

  topic(pipeline: string): SimTopic {
    const t = this.topics.get(pipeline);
    if (!t) throw new Error(`no simulated MSK topic for pipeline ${pipeline}`);
    return t;
  }

  /** Applies `change` at the current time: the lag evolves up to now under the old state first. */
  changed(change: () => void): void {
    const now = this.ctx.clock.now();
    for (const t of this.topics.values()) this.advance(t, now);
    change();
    for (const t of this.topics.values()) this.recompute(t);
  }

  /** A fault: the newest RUNNING run of the pipeline's job stops consuming and committing, though it stays RUNNING. */
  stallConsumer(pipeline: string): SimJobRun | undefined {
    const t = this.topic(pipeline);
    const run = this.runningRun(t);
    if (run) this.changed(() => t.stalledRuns.add(run.jobRunId));
    return run;
  }

  private runningRun(t: SimTopic): SimJobRun | undefined {
    return this.emr
      .activeRuns(t.applicationId, t.jobName)
      .filter((r) => r.state === 'RUNNING')
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  }

  private recompute(t: SimTopic): void {
    const run = this.runningRun(t);
    if (!run || t.stalledRuns.has(run.jobRunId)) {
      t.capacity.fill(0);
      t.ranThisMinute ||= run !== undefined;
      return;
    }
    t.ranThisMinute = true;
    const x = readExecutorSettings(run.jobDriver ?? { sparkSubmit: { entryPoint: '' } }, run.configurationOverrides);
    const instances = Number(/spark\.executor\.instances=(\d+)/.exec(run.jobDriver?.sparkSubmit?.sparkSubmitParameters ?? '')?.[1] ?? NaN);
    const executors = x.executors ?? (Number.isFinite(instances) ? instances : EXECUTORS_WITHOUT_A_SETTING);
    const tasks = executors * x.coresPerExecutor;
    t.capacity.fill(t.recordsPerSecondPerCore * Math.min(1, tasks / t.partitions));
  }

  private advance(t: SimTopic, toMs: number): void {
    const dt = (toMs - t.lastMs) / 1000;
    if (dt <= 0) return;
    t.lastMs = toMs;
    const want = t.lags.map((lag, p) => {
      const produced = t.recordsPerSecond * t.weights[p]! * dt;
      t.produced[p]! += produced;
      return { produced, read: Math.min(t.capacity[p]! * dt, lag + produced) };
    });
    const attempted = want.reduce((a, w) => a + w.read, 0);
    let scale = 1;
    const sink = t.sinkStream ? this.firehose.streams.get(t.sinkStream) : undefined;
    if (sink) {
      // The job writes what it reads; Firehose takes up to its quota and throttles the rest.
      sink.recordsPerSecond = attempted / dt;
      const accepted = sink.quotaRecordsPerSecond * dt;
      if (attempted > accepted) scale = accepted / attempted;
    }
    want.forEach((w, p) => {
      const read = w.read * scale;
      t.lags[p] = Math.max(0, t.lags[p]! + w.produced - read);
      t.consumed += read;
    });
  }

  private put(t: SimTopic, atMs: number, metricName: string, extra: Record<string, string>, value: number, unit: string): void {
    const dimensions = { 'Cluster Name': t.clusterName, ...extra };
    this.store.putValue({ namespace: 'AWS/Kafka', metricName, dimensions }, atMs, value, unit);
  }

  /** Publishes the minute that ends at `endMs` (one datapoint per metric, stamped at its start). */
  publishMinute(endMs: number): void {
    for (const t of this.topics.values()) {
      this.advance(t, endMs);
      this.publish(t, endMs - MINUTE, t.produced, t.consumed, t.ranThisMinute);
      t.produced.fill(0);
      t.consumed = 0;
      t.ranThisMinute = this.runningRun(t) !== undefined;
    }
  }

  /** History before the start: the seeded state held steady (what is produced is read, the lag stays). */
  backfill(startMs: number): void {
    for (const t of this.topics.values()) {
      const produced = t.weights.map((w) => t.recordsPerSecond * w * 60);
      const running = this.runningRun(t) !== undefined;
      const read = running ? produced.reduce((a, b) => a + b, 0) : 0;
      for (let k = t.historyMinutes; k >= 1; k--) this.publish(t, startMs - k * MINUTE, produced, read, running);
    }
  }

  private publish(t: SimTopic, atMs: number, produced: number[], consumed: number, ran: boolean): void {
    const group = { 'Consumer Group': t.consumerGroup, Topic: t.topic };
    let sum = 0;
    let max = 0;
    let timeLag = 0;
    t.lags.forEach((raw, p) => {
      const lag = Math.round(raw);
      sum += lag;
      max = Math.max(max, lag);
      const rate = t.recordsPerSecond * t.weights[p]!;
      if (rate > 0) timeLag = Math.max(timeLag, lag / rate);
      if (t.perPartitionMetrics) this.put(t, atMs, 'OffsetLag', { ...group, Partition: String(p) }, lag, 'Count');
    });
    this.put(t, atMs, 'SumOffsetLag', group, sum, 'Count');
    this.put(t, atMs, 'MaxOffsetLag', group, max, 'Count');
    this.put(t, atMs, 'EstimatedMaxTimeLag', group, Math.round(timeLag), 'Seconds');
    if (t.perBrokerMetrics) {
      for (let b = 0; b < t.brokers; b++) {
        if (!this.brokerUp(t.clusterName, b + 1)) continue;
        const records = produced.reduce((a, r, p) => (p % t.brokers === b ? a + r : a), 0);
        this.put(t, atMs, 'MessagesInPerSec', { 'Broker ID': String(b + 1), Topic: t.topic }, records / 60, 'Count/Second');
      }
    }
    if (t.processedMetric && ran) this.store.putValue(t.processedMetric, atMs, Math.round(consumed), 'Count');
  }
}
