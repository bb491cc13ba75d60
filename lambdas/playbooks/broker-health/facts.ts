import type { MskOperationView } from '../../adapters/msk';
import { formatDuration } from '../../analysis/firehose';
import type { Evidence } from '../../core/decision';
import type { BrokerHealthEvidence } from './diagnose';
import { PERIOD_SECONDS, type BrokerHealthBounds } from './manifest';

/**
 * Pure: what the evidence means at `nowMs`. Which brokers are down and since when (their first
 * missing CpuUser datapoint), whether AWS is acting on the cluster and since when, the reboot
 * that followed the brokers going down, the partition counts, and the flat evidence the
 * decisions carry.
 */

const MINUTE_MS = PERIOD_SECONDS * 1000;

/** Cluster states in which AWS (or a person's update) is changing the cluster: MSK refuses updates then. */
export const ACTING_STATES: readonly string[] = ['HEALING', 'MAINTENANCE', 'UPDATING', 'REBOOTING_BROKER'];
/** States in which the cluster cannot be used or repaired from here. */
export const UNUSABLE_STATES: readonly string[] = ['CREATING', 'DELETING', 'FAILED'];

export const REBOOT_NODE = 'REBOOT_NODE';

export const isRunning = (op: MskOperationView): boolean => op.endMs === undefined && !/(^|_)(COMPLETE|FAILED)$/.test(op.state);
export const hasFailed = (op: MskOperationView): boolean => /FAILED/.test(op.state);

export interface DownBroker {
  brokerId: number;
  /** The start of its first missing minute (the lookback's start when it never published in it). */
  downSinceMs: number;
  downSinceKnown: boolean;
  downForMs: number;
  endpoint?: string;
}

export interface BrokerFacts {
  total: number;
  down: DownBroker[];
  /** Brokers publishing now. */
  up: number[];
  runningOps: MskOperationView[];
  /** The cluster's state or a running operation says AWS (or a person) is changing the cluster. */
  acting: boolean;
  /** Since when AWS has been acting, as far as the evidence tells. */
  actingSinceMs?: number;
  /** What AWS is doing, in words. */
  awsDoing: string;
  /** The newest REBOOT_NODE operation started after the first down broker stopped publishing. */
  rebootAfterDown?: MskOperationView;
  /** Summed over the brokers that published lately; null when none did. */
  underReplicated: number | null;
  underMinIsr: number | null;
  evidence: Evidence;
}

const sumKnown = (xs: (number | null)[]): number | null => {
  const known = xs.filter((x): x is number => x !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
};

export const minutes = (ms: number): string => formatDuration(ms / 1000);

export function brokerFacts(e: BrokerHealthEvidence, b: Pick<BrokerHealthBounds, 'silentMinutes'>, nowMs: number, alarmAtMs?: number): BrokerFacts {
  const silentMs = b.silentMinutes * MINUTE_MS;
  const down: DownBroker[] = [];
  const up: number[] = [];
  for (const r of e.brokers) {
    const known = r.lastDatapointMs !== null;
    const since = known ? r.lastDatapointMs! + MINUTE_MS : e.lookbackStartMs;
    if (nowMs - since >= silentMs) {
      down.push({ brokerId: r.brokerId, downSinceMs: since, downSinceKnown: known, downForMs: nowMs - since, ...(r.endpoint ? { endpoint: r.endpoint } : {}) });
    } else {
      up.push(r.brokerId);
    }
  }
  const upSet = new Set(up);
  const live = e.brokers.filter((r) => upSet.has(r.brokerId));
  const runningOps = e.operations.filter(isRunning);
  const state = e.cluster?.state ?? 'UNKNOWN';
  const stateActing = ACTING_STATES.includes(state);
  const acting = stateActing || runningOps.length > 0;
  const earliestDown = down.length > 0 ? Math.min(...down.map((d) => d.downSinceMs)) : undefined;
  const opStarts = runningOps.map((o) => o.startMs).filter((t): t is number => t !== undefined);
  const actingSinceMs = !acting ? undefined : opStarts.length > 0 ? Math.min(...opStarts) : (earliestDown ?? alarmAtMs);
  const opsText = runningOps.map((o) => `${o.type} ${o.state}${o.startMs !== undefined ? ` for ${minutes(nowMs - o.startMs)}` : ''}`).join(', ');
  const awsDoing = !acting
    ? `nothing: the cluster is ${state} and no operation is running`
    : `the cluster is ${state}${opsText ? `; running: ${opsText}` : ''}`;
  const rebootAfterDown =
    earliestDown === undefined
      ? undefined
      : e.operations.filter((o) => o.type === REBOOT_NODE && o.startMs !== undefined && o.startMs >= earliestDown).sort((a, c) => c.startMs! - a.startMs!)[0];
  const underReplicated = sumKnown(live.map((r) => r.underReplicatedPartitions));
  const underMinIsr = sumKnown(live.map((r) => r.underMinIsrPartitions));
  const evidence: Evidence = {
    clusterArn: e.clusterArn,
    clusterState: state,
    brokers: e.brokers.length,
    configuredBrokers: e.configuredBrokers,
    brokersDown: down.map((d) => d.brokerId).join(',') || null,
    ...Object.fromEntries(down.map((d) => [`broker${d.brokerId}DownSeconds`, Math.round(d.downForMs / 1000)])),
    offlinePartitions: e.offlinePartitions,
    underMinIsrPartitions: underMinIsr,
    underReplicatedPartitions: underReplicated,
    activeControllers: e.activeControllers,
    awsActing: acting,
    runningOperations: runningOps.map((o) => `${o.type}:${o.state}`).join(',') || null,
    [`${e.lag.metric === 'SumOffsetLag' ? 'sumOffsetLag' : 'maxOffsetLag'}Records`]: e.lag.newestRecords,
    lagTrend: e.lag.trend,
    rebootsLastHour: e.rebootsLastHour,
  };
  return {
    total: e.brokers.length,
    down,
    up,
    runningOps,
    acting,
    ...(actingSinceMs !== undefined ? { actingSinceMs } : {}),
    awsDoing,
    ...(rebootAfterDown ? { rebootAfterDown } : {}),
    underReplicated,
    underMinIsr,
    evidence,
  };
}

/** "broker 2 (b-2.example…) down 12m", one per down broker. */
export function describeDown(down: readonly DownBroker[]): string {
  return down
    .map((d) => `broker ${d.brokerId}${d.endpoint ? ` (${d.endpoint})` : ''} down ${d.downSinceKnown ? '' : 'more than '}${minutes(d.downForMs)}`)
    .join(', ');
}

/** The partitions at risk, in words. */
export function describePartitions(e: BrokerHealthEvidence, f: BrokerFacts): string {
  const n = (x: number | null) => (x === null ? 'unknown' : String(x));
  return `${n(e.offlinePartitions)} offline, ${n(f.underMinIsr)} under min ISR, ${n(f.underReplicated)} under-replicated partition(s)`;
}
