import type { CloudWatchAdapter, MetricQuery, MetricRef, MetricSeries } from '../../adapters/cloudwatch';
import type { PipelineConfig } from '../../config/schema';
import { mskLagDimensions, type ConsumerLagBounds } from './manifest';

/**
 * Which CloudWatch series describe a pipeline's lag, and reading them. Discovery (ListMetrics,
 * in parallel) is one round trip; the read (GetMetricData, chunks in parallel) another.
 */

const KAFKA = 'AWS/Kafka';
/** GetMetricData takes at most 500 queries per call; chunks are read in parallel. */
const QUERIES_PER_CALL = 500;

type MskSource = Extract<PipelineConfig['source'], { kind: 'msk' }>;

export interface MskSeriesFound {
  /** Per-partition OffsetLag (PER_TOPIC_PER_PARTITION monitoring), ordered by partition number. */
  partitions: { ids: string[]; dimensions: Record<string, string>[]; truncated: boolean };
  /** Dimensions of the topic-level lag metrics (SumOffsetLag, MaxOffsetLag, EstimatedMaxTimeLag). */
  topicDimensions: Record<string, string>;
  /** MessagesInPerSec per broker for the topic (PER_TOPIC_PER_BROKER monitoring). */
  brokersIn: Record<string, string>[];
}

/** A metric belongs to this cluster when it names it, or names no cluster at all. */
const ofCluster = (clusterName: string) => (m: MetricRef) => (m.dimensions['Cluster Name'] ?? clusterName) === clusterName;

export async function discoverMskSeries(cw: CloudWatchAdapter, src: MskSource, b: ConsumerLagBounds): Promise<MskSeriesFound> {
  const group = { 'Consumer Group': src.consumerGroup, Topic: src.topic };
  const [perPartition, topicLevel, brokersIn] = await Promise.all([
    cw.listMetrics(KAFKA, 'OffsetLag', group, b.maxPartitionsRead + 1),
    cw.listMetrics(KAFKA, 'SumOffsetLag', group),
    cw.listMetrics(KAFKA, 'MessagesInPerSec', { 'Cluster Name': src.clusterName, Topic: src.topic }),
  ]);
  const parts = perPartition
    .filter(ofCluster(src.clusterName))
    .filter((m) => m.dimensions.Partition !== undefined)
    .sort((x, y) => Number(x.dimensions.Partition) - Number(y.dimensions.Partition) || x.dimensions.Partition!.localeCompare(y.dimensions.Partition!));
  const kept = parts.slice(0, b.maxPartitionsRead);
  const topic = topicLevel.filter(ofCluster(src.clusterName)).filter((m) => m.dimensions.Partition === undefined)[0];
  return {
    partitions: { ids: kept.map((m) => m.dimensions.Partition!), dimensions: kept.map((m) => m.dimensions), truncated: parts.length > kept.length },
    topicDimensions: topic?.dimensions ?? mskLagDimensions(src, b),
    brokersIn: brokersIn.filter((m) => m.dimensions['Broker ID'] !== undefined).map((m) => m.dimensions),
  };
}

/** Only the topic-level lag dimensions (verification reads no per-partition series). */
export async function discoverTopicSeries(cw: CloudWatchAdapter, src: MskSource, b: ConsumerLagBounds): Promise<MskSeriesFound> {
  const found = await cw.listMetrics(KAFKA, 'SumOffsetLag', { 'Consumer Group': src.consumerGroup, Topic: src.topic });
  const topic = found.filter(ofCluster(src.clusterName)).filter((m) => m.dimensions.Partition === undefined)[0];
  return { partitions: { ids: [], dimensions: [], truncated: false }, topicDimensions: topic?.dimensions ?? mskLagDimensions(src, b), brokersIn: [] };
}

const q = (id: string, namespace: string, metricName: string, dimensions: Record<string, string>, stat: string): MetricQuery => ({
  id,
  namespace,
  metricName,
  dimensions,
  stat,
  periodSeconds: 60,
});

/** Query ids: `p<i>` partition i, `in<j>` broker j, and the named ones below. */
export const Q = {
  lagSum: 'lagSum',
  lagMax: 'lagMax',
  timeLag: 'timeLag',
  age: 'iteratorAge',
  streamIn: 'streamIn',
  processed: 'processed',
  sinkFreshness: 'sinkFreshness',
  sinkThrottled: 'sinkThrottled',
  sinkIncoming: 'sinkIncoming',
} as const;

export function lagQueries(pipeline: PipelineConfig, found: MskSeriesFound | undefined): MetricQuery[] {
  const out: MetricQuery[] = [];
  const src = pipeline.source;
  if (src.kind === 'msk' && found) {
    found.partitions.dimensions.forEach((d, i) => out.push(q(`p${i}`, KAFKA, 'OffsetLag', d, 'Maximum')));
    out.push(q(Q.lagSum, KAFKA, 'SumOffsetLag', found.topicDimensions, 'Maximum'));
    out.push(q(Q.lagMax, KAFKA, 'MaxOffsetLag', found.topicDimensions, 'Maximum'));
    out.push(q(Q.timeLag, KAFKA, 'EstimatedMaxTimeLag', found.topicDimensions, 'Maximum'));
    found.brokersIn.forEach((d, j) => out.push(q(`in${j}`, KAFKA, 'MessagesInPerSec', d, 'Average')));
  } else if (src.kind === 'kinesis') {
    out.push(q(Q.age, 'AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', { StreamName: src.streamName }, 'Maximum'));
    out.push(q(Q.streamIn, 'AWS/Kinesis', 'IncomingRecords', { StreamName: src.streamName }, 'Sum'));
  }
  // What the job read: the EMR job's own metric when configured; a Flink application reading
  // Kinesis, the stream's GetRecords.Records (records its GetRecords calls returned).
  const processed =
    pipeline.job.kind === 'emr-serverless'
      ? pipeline.job.processedRecordsMetric
      : src.kind === 'kinesis'
        ? { namespace: 'AWS/Kinesis', metricName: 'GetRecords.Records', dimensions: { StreamName: src.streamName } }
        : undefined;
  if (processed) out.push(q(Q.processed, processed.namespace, processed.metricName, processed.dimensions, 'Sum'));
  if (pipeline.sink) {
    const d = { DeliveryStreamName: pipeline.sink.deliveryStreamName };
    out.push(q(Q.sinkFreshness, 'AWS/Firehose', 'DeliveryToS3.DataFreshness', d, 'Maximum'));
    out.push(q(Q.sinkThrottled, 'AWS/Firehose', 'ThrottledRecords', d, 'Sum'));
    out.push(q(Q.sinkIncoming, 'AWS/Firehose', 'IncomingRecords', d, 'Sum'));
  }
  return out;
}

/** All queries in one round trip: ≤ 500 per call, the calls in parallel. */
export async function readSeries(cw: CloudWatchAdapter, queries: MetricQuery[], startMs: number, endMs: number): Promise<Record<string, MetricSeries>> {
  const chunks: MetricQuery[][] = [];
  for (let i = 0; i < queries.length; i += QUERIES_PER_CALL) chunks.push(queries.slice(i, i + QUERIES_PER_CALL));
  const parts = await Promise.all(chunks.map((c) => cw.getMetricData(c, startMs, endMs)));
  return Object.assign({}, ...parts) as Record<string, MetricSeries>;
}
