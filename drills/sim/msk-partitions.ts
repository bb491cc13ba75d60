/**
 * Kafka's replication, as the drills model it (pure). Partition p of a topic has its replicas on
 * brokers ((p + k) mod brokers) + 1 for k < replicationFactor, the first being the preferred
 * leader. A replica on a broker that is down is out of sync. As Kafka does (Apache Kafka
 * documentation, "Replication" and "Monitoring"):
 * - the leader is the first in-sync replica in assignment order; with none in sync the partition
 *   is offline (no leader: neither writable nor readable) and counted by the controller;
 * - under-replicated: fewer in-sync replicas than replicas, counted by the partition's leader
 *   (UnderReplicatedPartitions);
 * - under min ISR: fewer in-sync replicas than `min.insync.replicas`, counted by the leader
 *   (UnderMinIsrPartitionCount): producers with acks=all get NotEnoughReplicas.
 */

export interface TopicReplication {
  partitions: number;
  replicationFactor: number;
  minInSyncReplicas: number;
}

export interface PartitionHealth {
  offline: number;
  underReplicatedByLeader: Map<number, number>;
  underMinIsrByLeader: Map<number, number>;
}

export const replicasOf = (partition: number, brokers: number, replicationFactor: number): number[] =>
  Array.from({ length: Math.min(replicationFactor, brokers) }, (_, k) => ((partition + k) % brokers) + 1);

export function partitionHealth(brokers: number, up: ReadonlySet<number>, topics: readonly TopicReplication[]): PartitionHealth {
  const out: PartitionHealth = { offline: 0, underReplicatedByLeader: new Map(), underMinIsrByLeader: new Map() };
  const bump = (m: Map<number, number>, id: number) => m.set(id, (m.get(id) ?? 0) + 1);
  for (const t of topics) {
    for (let p = 0; p < t.partitions; p++) {
      const replicas = replicasOf(p, brokers, t.replicationFactor);
      const isr = replicas.filter((id) => up.has(id));
      if (isr.length === 0) {
        out.offline++;
        continue;
      }
      const leader = isr[0]!;
      if (isr.length < replicas.length) bump(out.underReplicatedByLeader, leader);
      if (isr.length < t.minInSyncReplicas) bump(out.underMinIsrByLeader, leader);
    }
  }
  return out;
}
