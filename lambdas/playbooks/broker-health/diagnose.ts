import type { MskBrokerNodeView, MskClusterView, MskOperationView } from '../../adapters/msk';
import { NotFoundError } from '../../core/errors';
import type { Trigger } from '../../core/trigger';
import type { PlaybookContext } from '../../core/playbook';
import { clusterResource, configuredBrokerIds, mskSourceOf, type BrokerHealthSettings } from './manifest';
import { readClusterMetrics, type BrokerMetrics, type ClusterMetrics } from './metrics';
import { retryTransient } from './retry';

export interface BrokerReading extends BrokerMetrics {
  /** The broker's first endpoint (ListNodes), for the escalation text. */
  endpoint?: string;
}

export interface BrokerHealthEvidence {
  clusterArn: string;
  clusterName: string;
  /** `source.brokers`: the brokers the alarms watch. */
  configuredBrokers: number;
  /** Absent: DescribeClusterV2 says the cluster does not exist. */
  cluster?: MskClusterView;
  /** The brokers the cluster has (ListNodes), each with its metrics; the configured ids when ListNodes named none. */
  brokers: BrokerReading[];
  brokersFromNodes: boolean;
  /** Operations started within the lookback, newest first. */
  operations: MskOperationView[];
  offlinePartitions: ClusterMetrics['offlinePartitions'];
  activeControllers: ClusterMetrics['activeControllers'];
  lag: ClusterMetrics['lag'];
  /** RebootBroker actions streamfix took on this cluster in the last hour (the ledger's budget). */
  rebootsLastHour: number;
  /** Start of the metric and operation lookback: a broker silent for all of it is down since before this. */
  lookbackStartMs: number;
}

async function orMissing<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof NotFoundError) return fallback;
    throw e;
  }
}

/**
 * Read-only. One round of parallel calls: DescribeClusterV2, ListNodes, ListClusterOperationsV2
 * (the lookback), one GetMetricData for every configured broker and the cluster, and the
 * ledger's reboot count; a second GetMetricData only when the cluster has brokers the config
 * does not name. A read that failed transiently is tried again (retry.ts).
 */
export async function readBrokerHealth(ctx: PlaybookContext<BrokerHealthSettings>, nowMs: number): Promise<Omit<BrokerHealthEvidence, 'rebootsLastHour'>> {
  const source = mskSourceOf(ctx.pipeline);
  const b = ctx.settings.bounds;
  const lookbackStartMs = nowMs - b.lookbackMinutes * 60_000;
  const configured = configuredBrokerIds(source);
  const msk = ctx.aws.msk;
  const retry = <T>(fn: () => Promise<T>) => retryTransient(fn, ctx.clock, ctx.signal);
  const [cluster, nodes, operations, configuredMetrics] = await Promise.all([
    retry(() => orMissing<MskClusterView | undefined>(msk.describeCluster(source.clusterArn), undefined)),
    retry(() => orMissing<MskBrokerNodeView[]>(msk.listBrokerNodes(source.clusterArn), [])),
    retry(() => orMissing<MskOperationView[]>(msk.listOperations(source.clusterArn, lookbackStartMs), [])),
    retry(() => readClusterMetrics(ctx.aws.cloudwatch, source, configured, nowMs, b)),
  ]);
  const nodeIds = nodes.map((n) => n.brokerId);
  const ids = nodeIds.length > 0 ? nodeIds : configured;
  const metrics = ids.every((id) => configured.includes(id))
    ? configuredMetrics
    : await retry(() => readClusterMetrics(ctx.aws.cloudwatch, source, ids, nowMs, b));
  const byId = new Map(metrics.brokers.map((m) => [m.brokerId, m]));
  const brokers = ids.map((id): BrokerReading => {
    const endpoint = nodes.find((n) => n.brokerId === id)?.endpoints[0];
    return { ...byId.get(id)!, ...(endpoint ? { endpoint } : {}) };
  });
  return {
    clusterArn: source.clusterArn,
    clusterName: source.clusterName,
    configuredBrokers: source.brokers,
    ...(cluster ? { cluster } : {}),
    brokers,
    brokersFromNodes: nodeIds.length > 0,
    operations,
    offlinePartitions: metrics.offlinePartitions,
    activeControllers: metrics.activeControllers,
    lag: metrics.lag,
    lookbackStartMs,
  };
}

export async function diagnoseBrokerHealth(ctx: PlaybookContext<BrokerHealthSettings>, _trigger: Trigger): Promise<BrokerHealthEvidence> {
  const nowMs = ctx.clock.now();
  const source = mskSourceOf(ctx.pipeline);
  const [reading, rebootsLastHour] = await Promise.all([readBrokerHealth(ctx, nowMs), ctx.history.actionsInLastHour(clusterResource(source.clusterArn))]);
  return { ...reading, rebootsLastHour };
}
