import { escalate, fix, ignore, recheck, type Decision, type Severity } from '../../core/decision';
import type { PlanInput } from '../../core/playbook';
import type { BrokerHealthEvidence } from './diagnose';
import { brokerFacts, describeDown, describePartitions, hasFailed, isRunning, minutes, REBOOT_NODE, UNUSABLE_STATES, type BrokerFacts } from './facts';
import { clusterResource, type BrokerHealthSettings } from './manifest';
import {
  actingTooLongRecommendation,
  afterRebootRecommendation,
  dataAtRiskRecommendation,
  describeCommand,
  rebootCommand,
  rebootRecommendation,
} from './recommend';

export const BrokerHealthReason = {
  CLUSTER_NOT_FOUND: 'MSK_CLUSTER_NOT_FOUND',
  CLUSTER_UNUSABLE: 'MSK_CLUSTER_UNUSABLE',
  OFFLINE_PARTITIONS: 'MSK_OFFLINE_PARTITIONS',
  BROKERS_DOWN: 'MSK_BROKERS_DOWN',
  UNDER_MIN_ISR: 'MSK_UNDER_MIN_ISR',
  NO_ACTIVE_CONTROLLER: 'MSK_NO_ACTIVE_CONTROLLER',
  DOWN_AFTER_REBOOT: 'MSK_BROKER_DOWN_AFTER_REBOOT',
  REBOOT_SETTLING: 'MSK_REBOOT_SETTLING',
  REBOOT_IN_PROGRESS: 'MSK_REBOOT_IN_PROGRESS',
  AWS_ACTING: 'MSK_AWS_ACTING',
  AWS_ACTING_TOO_LONG: 'MSK_AWS_ACTING_TOO_LONG',
  WAITING_FOR_RECOVERY: 'MSK_BROKER_DOWN_WAITING',
  PARTITIONS_UNKNOWN: 'MSK_PARTITIONS_UNKNOWN',
  BUDGET_EXHAUSTED: 'MSK_REBOOT_BUDGET_EXHAUSTED',
  REBOOT_BROKER: 'MSK_REBOOT_BROKER',
  REPLICAS_CATCHING_UP: 'MSK_REPLICAS_CATCHING_UP',
  UNDER_REPLICATED_PERSISTENT: 'MSK_UNDER_REPLICATED_PERSISTENT',
  BROKER_COUNT_MISMATCH: 'MSK_BROKER_COUNT_MISMATCH',
  HEALTHY: 'MSK_BROKERS_HEALTHY',
} as const;

export const REBOOT_BROKER = 'kafka:RebootBroker';

const R = BrokerHealthReason;
const SEC = 1000;

/** Look again when `remainingMs` will have passed (plus a margin), within [60 s, recheckSeconds]. */
const recheckIn = (remainingMs: number, recheckSeconds: number) => Math.min(recheckSeconds, Math.max(60, Math.ceil(remainingMs / SEC) + 30));

/**
 * Pure: evidence + settings + now → Decision. In order:
 * 1. the cluster is missing or unusable → escalate;
 * 2. data at risk — partitions offline, two or more brokers down (or every broker), partitions
 *    under min ISR, no active controller → escalate critical, never act;
 * 3. a reboot ran after the broker went down and it is still down → escalate (no second reboot);
 *    still within the grace after REBOOT_COMPLETE → recheck;
 * 4. AWS acting (HEALING, MAINTENANCE, UPDATING, REBOOTING_BROKER, an operation running) →
 *    recheck up to `awsActingMaxMinutes`, then escalate;
 * 5. exactly one broker down, cluster ACTIVE, nothing running: wait `waitForRecoveryMinutes`
 *    from its first missing datapoint; then, partitions known, budget free → fix: RebootBroker;
 * 6. no broker down: replicas catching up → recheck up to `underReplicatedMaxMinutes`; a config
 *    that names other brokers than the cluster has → escalate; else healthy → ignore.
 */
export function planBrokerHealth(input: PlanInput<BrokerHealthSettings, BrokerHealthEvidence>): Decision {
  const { evidence: e, settings, nowMs, trigger } = input;
  const b = settings.bounds;
  const alarmAtMs = trigger.kind === 'alarm' ? trigger.stateAtMs : undefined;
  const f = brokerFacts(e, b, nowMs, alarmAtMs);
  const ev = f.evidence;
  const name = e.clusterName;

  if (!e.cluster) {
    return escalate(R.CLUSTER_NOT_FOUND, `MSK cluster ${e.clusterArn} does not exist`, ev, 'error', {
      summary: "the pipeline's cluster is gone, or source.clusterArn in the streamfix config is wrong: correct it",
      command: 'aws kafka list-clusters-v2',
    });
  }
  if (UNUSABLE_STATES.includes(e.cluster.state)) {
    const info = e.cluster.stateInfo?.message ? `: ${e.cluster.stateInfo.message}` : '';
    return escalate(R.CLUSTER_UNUSABLE, `MSK cluster ${name} is ${e.cluster.state}${info}`, ev, e.cluster.state === 'CREATING' ? 'warning' : 'critical', {
      summary: `the cluster is ${e.cluster.state}: no broker can be repaired from here; check the cluster and open an AWS Support case if it FAILED`,
      command: describeCommand(e.clusterArn),
    });
  }

  const atRisk = dataAtRisk(e, f);
  if (atRisk) return escalate(atRisk.reason, atRisk.summary, ev, 'critical', dataAtRiskRecommendation(e, f));

  const reboot = f.rebootAfterDown;
  if (f.down.length === 1 && reboot && !isRunning(reboot)) {
    const endedAt = reboot.endMs ?? nowMs;
    const graceLeft = endedAt + b.rebootGraceMinutes * 60 * SEC - nowMs;
    if (hasFailed(reboot) || graceLeft <= 0) {
      const how = hasFailed(reboot) ? `${REBOOT_NODE} ${reboot.state}` : `${minutes(nowMs - endedAt)} after ${REBOOT_NODE} ${reboot.state}`;
      return escalate(
        R.DOWN_AFTER_REBOOT,
        `${describeDown(f.down)}: still down ${how}; not rebooting again`,
        { ...ev, rebootOperationArn: reboot.arn },
        'error',
        afterRebootRecommendation(e, f),
      );
    }
    return recheck(
      R.REBOOT_SETTLING,
      `${describeDown(f.down)}; ${REBOOT_NODE} ${reboot.state} ${minutes(nowMs - endedAt)} ago: the broker may still be starting`,
      ev,
      recheckIn(graceLeft, b.recheckSeconds),
    );
  }

  if (f.acting) {
    const since = f.actingSinceMs ?? nowMs;
    const left = since + b.awsActingMaxMinutes * 60 * SEC - nowMs;
    const what = `${f.down.length > 0 ? `${describeDown(f.down)}; ` : ''}AWS is acting: ${f.awsDoing}`;
    if (left <= 0) {
      const sev: Severity = f.down.length > 0 ? 'error' : 'warning';
      return escalate(
        R.AWS_ACTING_TOO_LONG,
        `${what}, for ${minutes(nowMs - since)} (bound ${b.awsActingMaxMinutes} min)`,
        ev,
        sev,
        actingTooLongRecommendation(e, f),
      );
    }
    const reason = f.runningOps.some((o) => o.type === REBOOT_NODE) ? R.REBOOT_IN_PROGRESS : R.AWS_ACTING;
    return recheck(reason, `${what}; waiting (${minutes(nowMs - since)} of ${b.awsActingMaxMinutes} min)`, ev, recheckIn(left, b.recheckSeconds));
  }

  if (f.down.length === 1) return planOneBrokerDown(input, f);

  if (f.underReplicated !== null && f.underReplicated > 0) {
    const since = alarmAtMs ?? nowMs;
    const left = since + b.underReplicatedMaxMinutes * 60 * SEC - nowMs;
    if (left <= 0) {
      return escalate(
        R.UNDER_REPLICATED_PERSISTENT,
        `${name}: every broker publishes but ${f.underReplicated} partition(s) stay under-replicated after ${minutes(nowMs - since)}`,
        ev,
        'warning',
        {
          summary: "a follower cannot keep up: check the brokers' disk (KafkaDataLogsDiskUsed), network and CPU, and the replica fetchers in the broker logs",
          command: describeCommand(e.clusterArn),
        },
      );
    }
    return recheck(
      R.REPLICAS_CATCHING_UP,
      `${name}: every broker publishes; ${f.underReplicated} partition(s) under-replicated, replicas catching up`,
      ev,
      recheckIn(left, b.recheckSeconds),
    );
  }
  const nodes = e.cluster.numberOfBrokerNodes ?? (e.brokersFromNodes ? e.brokers.length : undefined);
  if (nodes !== undefined && nodes !== e.configuredBrokers) {
    return escalate(
      R.BROKER_COUNT_MISMATCH,
      `${name} has ${nodes} broker(s) but the config names ${e.configuredBrokers}: the per-broker alarms watch the wrong brokers`,
      ev,
      'warning',
      {
        summary: `set source.brokers to ${nodes} for this pipeline in the streamfix config and deploy`,
        command: describeCommand(e.clusterArn),
      },
    );
  }
  return ignore(R.HEALTHY, `${name}: all ${f.total} broker(s) publish; ${describePartitions(e, f)}; cluster ${e.cluster.state}`, ev);
}

/** Data at risk, worst first: the reason and summary of a critical page, or undefined. */
function dataAtRisk(e: BrokerHealthEvidence, f: BrokerFacts): { reason: string; summary: string } | undefined {
  const parts = describePartitions(e, f);
  if (e.offlinePartitions !== null && e.offlinePartitions > 0) {
    return {
      reason: R.OFFLINE_PARTITIONS,
      summary: `${e.offlinePartitions} partition(s) of ${e.clusterName} are offline (no leader): no client can use them; ${describeDown(f.down) || 'no broker silent'}; ${parts}`,
    };
  }
  if (f.down.length >= 2 || (f.down.length > 0 && f.down.length === f.total)) {
    return {
      reason: R.BROKERS_DOWN,
      summary: `${f.down.length} of ${f.total} brokers of ${e.clusterName} down: ${describeDown(f.down)}; ${parts}; possible data loss if another fails`,
    };
  }
  if (f.underMinIsr !== null && f.underMinIsr > 0) {
    return {
      reason: R.UNDER_MIN_ISR,
      summary: `${f.underMinIsr} partition(s) of ${e.clusterName} under min ISR: producers with acks=all are failing; ${describeDown(f.down) || 'no broker silent'}; ${parts}`,
    };
  }
  if (e.activeControllers !== null && e.activeControllers < 1 && f.up.length > 0) {
    return {
      reason: R.NO_ACTIVE_CONTROLLER,
      summary: `${e.clusterName} has no active controller: no leader election, no partition can move; ${describeDown(f.down) || 'no broker silent'}; ${parts}`,
    };
  }
  return undefined;
}

function planOneBrokerDown(input: PlanInput<BrokerHealthSettings, BrokerHealthEvidence>, f: BrokerFacts): Decision {
  const { evidence: e, settings, nowMs } = input;
  const b = settings.bounds;
  const d = f.down[0]!;
  const ev = f.evidence;
  const waitLeft = d.downSinceMs + b.waitForRecoveryMinutes * 60 * SEC - nowMs;
  if (waitLeft > 0) {
    return recheck(
      R.WAITING_FOR_RECOVERY,
      `${describeDown(f.down)}; cluster ACTIVE, nothing running: waiting ${b.waitForRecoveryMinutes} min for AWS's own recovery`,
      ev,
      recheckIn(waitLeft, b.recheckSeconds),
    );
  }
  if (e.offlinePartitions === null) {
    return escalate(
      R.PARTITIONS_UNKNOWN,
      `${describeDown(f.down)}; OfflinePartitionsCount is not published, so streamfix cannot tell whether data is at risk: not rebooting`,
      ev,
      'error',
      rebootRecommendation(e, f, 'Check the partitions (kafka-topics.sh --describe --unavailable-partitions) first.'),
    );
  }
  if (e.rebootsLastHour >= settings.maxActionsPerHour) {
    return escalate(
      R.BUDGET_EXHAUSTED,
      `${describeDown(f.down)}; ${e.rebootsLastHour} reboot(s) of ${e.clusterName} by streamfix in the last hour (budget ${settings.maxActionsPerHour})`,
      ev,
      'error',
      rebootRecommendation(e, f, 'The reboot budget is used up.'),
    );
  }
  const params: RebootBrokerParams = {
    clusterArn: e.clusterArn,
    brokerId: String(d.brokerId),
    downSinceMs: d.downSinceMs,
    notBeforeMs: nowMs,
  };
  const summary = `${describeDown(f.down)} (longer than ${b.waitForRecoveryMinutes} min); cluster ACTIVE, nothing running, ${describePartitions(e, f)}: reboot broker ${d.brokerId}`;
  const decision = fix(R.REBOOT_BROKER, summary, { ...ev, targetBrokerId: d.brokerId }, [
    {
      type: REBOOT_BROKER,
      resource: clusterResource(e.clusterArn),
      description: `RebootBroker ${e.clusterName} broker ${d.brokerId} (down ${minutes(d.downForMs)}): one broker, cluster ACTIVE`,
      params: params as unknown as Record<string, unknown>,
    },
  ]);
  return {
    ...decision,
    recommendation: {
      summary: `reboot broker ${d.brokerId} of ${e.clusterName} (one broker at a time, cluster ACTIVE)`,
      command: rebootCommand(e.clusterArn, d.brokerId),
    },
  };
}

export interface RebootBrokerParams {
  clusterArn: string;
  /** Exactly one broker: MSK reboots one at a time. */
  brokerId: string;
  /** When the broker stopped publishing (its first missing datapoint). */
  downSinceMs: number;
  /** When the plan was made: a REBOOT_NODE operation started since is this action's own. */
  notBeforeMs: number;
}
