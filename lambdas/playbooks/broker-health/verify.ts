import type { Evidence } from '../../core/decision';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import { readBrokerHealth } from './diagnose';
import { brokerFacts, describeDown, describePartitions, hasFailed, isRunning, minutes, REBOOT_NODE } from './facts';
import type { BrokerHealthSettings } from './manifest';

/** A reboot this long before the recorded fix time still belongs to it (the fix time is the action's intent). */
const SLACK_MS = 60_000;

/**
 * After a reboot: recovered when the REBOOT_NODE operation is REBOOT_COMPLETE, the cluster is
 * ACTIVE, every broker publishes, under-replicated partitions are back to 0 and the consumer lag
 * is not growing. A failed reboot, a broker still silent `rebootGraceMinutes` after
 * REBOOT_COMPLETE, or partitions still under-replicated `replicationCatchUpMinutes` after it
 * fail at once (the engine escalates and the breaker stops further reboots); anything else is
 * pending until `verifyDeadlineSeconds`.
 */
export async function verifyBrokerHealth(
  ctx: PlaybookContext<BrokerHealthSettings>,
  incident: { startedAtMs: number; fixedAtMs?: number; evidence: Evidence },
): Promise<VerifyOutcome> {
  const b = ctx.settings.bounds;
  const nowMs = ctx.clock.now();
  const fixedAtMs = incident.fixedAtMs ?? incident.startedAtMs;
  // Operations come newest first.
  const reading = await readBrokerHealth(ctx, nowMs);
  const e = { ...reading, rebootsLastHour: 0 };
  const f = brokerFacts(e, b, nowMs);
  const target = incident.evidence.targetBrokerId ?? null;
  const reboot = reading.operations.filter((o) => o.type === REBOOT_NODE && o.startMs !== undefined && o.startMs >= fixedAtMs - SLACK_MS)[0];
  const evidence: Evidence = {
    ...f.evidence,
    targetBrokerId: target,
    rebootOperationArn: reboot?.arn ?? null,
    rebootOperationState: reboot?.state ?? null,
  };
  const downText = describeDown(f.down);
  const atRisk = describePartitions(e, f);

  if (!reboot) {
    // The action found the broker publishing again and did not reboot it.
    if (f.down.length === 0)
      return { status: 'recovered', summary: `every broker publishes (no reboot was needed): cluster ${reading.cluster?.state ?? 'UNKNOWN'}`, evidence };
    return { status: 'failed', summary: `no ${REBOOT_NODE} operation on the cluster since the fix and ${downText}; ${atRisk}`, evidence };
  }
  const op = await ctx.aws.msk.describeOperation(reboot.arn);
  const opEvidence: Evidence = {
    ...evidence,
    rebootOperationState: op.state,
    rebootError: op.error ? `${op.error.code ?? ''} ${op.error.message ?? ''}`.trim() : null,
  };
  if (hasFailed(op) || op.error) {
    return {
      status: 'failed',
      summary: `the reboot failed (${op.state}${op.error?.message ? `: ${op.error.message}` : ''})${downText ? `; ${downText}` : ''}; ${atRisk}`,
      evidence: opEvidence,
    };
  }
  if (isRunning(op) || op.endMs === undefined)
    return { status: 'pending', summary: `the reboot is ${op.state} (since ${minutes(nowMs - (op.startMs ?? fixedAtMs))})`, evidence: opEvidence };

  const since = nowMs - op.endMs;
  const after = `${minutes(since)} after ${op.state}`;
  if (f.down.length > 0) {
    if (since >= b.rebootGraceMinutes * 60_000)
      return {
        status: 'failed',
        summary: `${downText}: still down ${after}; ${atRisk}; a second reboot will not help: open an AWS Support case`,
        evidence: opEvidence,
      };
    return { status: 'pending', summary: `${downText}, ${after}: the broker may still be starting`, evidence: opEvidence };
  }
  const state = reading.cluster?.state ?? 'UNKNOWN';
  if (state !== 'ACTIVE') return { status: 'pending', summary: `every broker publishes, but the cluster is ${state} ${after}`, evidence: opEvidence };
  if (f.underReplicated === null || f.underReplicated > 0) {
    const what =
      f.underReplicated === null ? 'no broker published UnderReplicatedPartitions lately' : `${f.underReplicated} partition(s) still under-replicated`;
    if (since >= b.replicationCatchUpMinutes * 60_000)
      return { status: 'failed', summary: `every broker publishes, but ${what} ${after}`, evidence: opEvidence };
    return { status: 'pending', summary: `every broker publishes; ${what} ${after}: replicas catching up`, evidence: opEvidence };
  }
  if (reading.lag.trend === 'growing') {
    return {
      status: 'pending',
      summary: `brokers and replicas are back ${after}, but the consumer lag (${reading.lag.newestRecords ?? 'n/a'}) is still growing`,
      evidence: opEvidence,
    };
  }
  return {
    status: 'recovered',
    summary: `${op.state}: all ${f.total} broker(s) publish, cluster ACTIVE, 0 under-replicated partitions, consumer lag ${reading.lag.trend} (${reading.lag.newestRecords ?? 'n/a'})`,
    evidence: opEvidence,
  };
}
