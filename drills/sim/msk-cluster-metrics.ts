import type { MetricStore } from './metrics';
import type { SimCluster, SimKafka } from './msk-cluster';
import { partitionHealth, type TopicReplication } from './msk-partitions';

/**
 * What the simulated MSK brokers publish each minute in `AWS/Kafka` (MSK developer guide,
 * "Amazon MSK metrics for monitoring Standard brokers with CloudWatch", DEFAULT level): per
 * `Cluster Name`, `Broker ID` the broker's CpuUser and the partitions it leads that are
 * under-replicated (UnderReplicatedPartitions) or under min ISR (UnderMinIsrPartitionCount); per
 * `Cluster Name` ActiveControllerCount and OfflinePartitionsCount. As Apache Kafka's monitoring
 * guide describes them, ActiveControllerCount is 1 on the controller and 0 on the others, and
 * OfflinePartitionsCount is the controller's count (the others report 0). A broker that is down
 * publishes nothing. The controller is the live broker with the lowest id (not documented: chosen
 * here).
 */

const MINUTE = 60_000;

export class MskBrokerMetrics {
  constructor(
    private readonly kafka: SimKafka,
    private readonly store: MetricStore,
    /** The replication of every simulated topic on a cluster, by cluster name. */
    private readonly topicsOf: (clusterName: string) => TopicReplication[],
  ) {}

  /** Publishes the minute that ends at `endMs`: what every live broker reports. */
  publishMinute(endMs: number): void {
    for (const c of this.kafka.clusters.values()) this.publish(c, endMs - MINUTE);
  }

  /** Metric history before the start: the seeded cluster held steady. */
  backfill(startMs: number, minutes: number): void {
    for (const c of this.kafka.clusters.values()) for (let k = minutes; k >= 1; k--) this.publish(c, startMs - k * MINUTE);
  }

  private publish(c: SimCluster, atMs: number): void {
    const up = new Set(c.brokers.filter((b) => b.up).map((b) => b.id));
    if (up.size === 0) return;
    const health = partitionHealth(c.brokers.length, up, this.topicsOf(c.name));
    const controller = Math.min(...up);
    const put = (metricName: string, dimensions: Record<string, string>, value: number, unit: string) =>
      this.store.putValue({ namespace: 'AWS/Kafka', metricName, dimensions: { 'Cluster Name': c.name, ...dimensions } }, atMs, value, unit);
    for (const id of up) {
      const broker = { 'Broker ID': String(id) };
      put('CpuUser', broker, 18 + ((id * 7 + Math.floor(atMs / MINUTE)) % 9), 'Percent');
      put('UnderReplicatedPartitions', broker, health.underReplicatedByLeader.get(id) ?? 0, 'Count');
      put('UnderMinIsrPartitionCount', broker, health.underMinIsrByLeader.get(id) ?? 0, 'Count');
      put('ActiveControllerCount', {}, id === controller ? 1 : 0, 'Count');
      put('OfflinePartitionsCount', {}, id === controller ? health.offline : 0, 'Count');
    }
  }
}
