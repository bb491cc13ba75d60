import type { Recommendation } from '../../core/decision';
import type { BrokerHealthEvidence } from './diagnose';
import { describeDown, describePartitions, type BrokerFacts } from './facts';

/**
 * What a person is told to do, with the exact command. Rebooting is the one action streamfix
 * may take itself; every other step here (AWS Support, replacing a broker, changing topics) is
 * a person's.
 */

const regionOf = (arn: string): string | undefined => arn.split(':')[3] || undefined;

/** `aws kafka reboot-broker`: MSK reboots one broker at a time, only while the cluster is ACTIVE. */
export function rebootCommand(clusterArn: string, brokerId: number | string): string {
  const region = regionOf(clusterArn);
  return `aws kafka reboot-broker --cluster-arn ${clusterArn} --broker-ids ${brokerId}${region ? ` --region ${region}` : ''}`;
}

export function describeCommand(clusterArn: string): string {
  const region = regionOf(clusterArn);
  return (
    `aws kafka describe-cluster-v2 --cluster-arn ${clusterArn}${region ? ` --region ${region}` : ''} && ` +
    `aws kafka list-cluster-operations-v2 --cluster-arn ${clusterArn}${region ? ` --region ${region}` : ''}`
  );
}

const detail = (e: BrokerHealthEvidence, f: BrokerFacts) => ({
  brokersDown: f.down.map((d) => ({
    brokerId: d.brokerId,
    downSince: new Date(d.downSinceMs).toISOString(),
    downSinceKnown: d.downSinceKnown,
    endpoint: d.endpoint ?? null,
  })),
  partitions: { offline: e.offlinePartitions, underMinIsr: f.underMinIsr, underReplicated: f.underReplicated },
  clusterState: e.cluster?.state ?? null,
  awsDoing: f.awsDoing,
});

/** Data at risk: a person now; MSK's recovery is running or must be asked for. */
export function dataAtRiskRecommendation(e: BrokerHealthEvidence, f: BrokerFacts): Recommendation {
  return {
    summary:
      `${describeDown(f.down) || 'no broker silent'}; ${describePartitions(e, f)}; AWS is doing ${f.awsDoing}. ` +
      'Producers with acks=all are failing on partitions under min ISR and no client can use an offline partition. ' +
      'Open a high-severity AWS Support case for the cluster, and do not reboot another broker: each reboot takes one more replica away. ' +
      (f.down.length === 1 && !f.acting
        ? `Once the cluster is ACTIVE, the one down broker can be rebooted by hand: ${rebootCommand(e.clusterArn, f.down[0]!.brokerId)}`
        : ''),
    command: describeCommand(e.clusterArn),
    detail: detail(e, f),
  };
}

/** One broker down that a person may reboot (the budget, the mode or unknown partition counts stopped streamfix). */
export function rebootRecommendation(e: BrokerHealthEvidence, f: BrokerFacts, why: string): Recommendation {
  const d = f.down[0]!;
  return {
    summary: `${describeDown(f.down)}; ${describePartitions(e, f)}; AWS is doing ${f.awsDoing}. ${why} Reboot broker ${d.brokerId} by hand (one broker at a time, cluster ACTIVE):`,
    command: rebootCommand(e.clusterArn, d.brokerId),
    detail: detail(e, f),
  };
}

/** A reboot happened after the broker went down and it is still down: no second reboot. */
export function afterRebootRecommendation(e: BrokerHealthEvidence, f: BrokerFacts): Recommendation {
  const op = f.rebootAfterDown!;
  return {
    summary:
      `${describeDown(f.down)} although the cluster ran ${op.type} (${op.state}${op.endMs !== undefined ? ` at ${new Date(op.endMs).toISOString()}` : ''}); ` +
      `${describePartitions(e, f)}. A second reboot will not help: open an AWS Support case to have MSK replace the broker, ` +
      'and check its storage (KafkaDataLogsDiskUsed) and the broker logs.',
    command: describeCommand(e.clusterArn),
    detail: { ...detail(e, f), operationArn: op.arn },
  };
}

/** AWS has been acting for longer than the bound. */
export function actingTooLongRecommendation(e: BrokerHealthEvidence, f: BrokerFacts): Recommendation {
  return {
    summary:
      `AWS is doing ${f.awsDoing} for longer than expected; ${describeDown(f.down) || 'every broker publishes'}; ${describePartitions(e, f)}. ` +
      'MSK accepts no update (and no reboot) until the cluster is ACTIVE: check the AWS Health Dashboard and open an AWS Support case for the cluster.',
    command: describeCommand(e.clusterArn),
    detail: detail(e, f),
  };
}
