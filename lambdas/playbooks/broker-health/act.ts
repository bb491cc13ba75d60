import * as z from 'zod';
import type { MskOperationView } from '../../adapters/msk';
import { AwsRequestError } from '../../core/errors';
import type { ActionContext, ActionDefinition, ActionOutcome } from '../../core/playbook';
import { isRunning, minutes, REBOOT_NODE } from './facts';
import { mskSourceOf, type BrokerHealthSettings } from './manifest';
import { publishedSince } from './metrics';
import { REBOOT_BROKER, type RebootBrokerParams } from './plan';
import { retryTransient } from './retry';

const rebootParams = z
  .object({
    clusterArn: z.string().regex(/^arn:aws[a-zA-Z-]*:kafka:[^:]+:\d{12}:cluster\/.+/, 'must be an MSK cluster ARN'),
    brokerId: z.string().regex(/^[1-9]\d{0,3}$/, 'must be one broker id such as "2"'),
    downSinceMs: z.number().int().nonnegative(),
    notBeforeMs: z.number().int().nonnegative(),
  })
  .strict();

/** Clock skew tolerated between this function and MSK when matching a REBOOT_NODE to this action. */
const SKEW_MS = 30_000;
/** Operations read before acting: a day back, so a long operation that is still running is seen. */
const RUNNING_LOOKBACK_MS = 24 * 3_600_000;

/** A REBOOT_NODE started since the plan: this action's own reboot (its answer lost, or a resumed action), or one a person started. */
const rebootSincePlan = (ops: MskOperationView[], p: RebootBrokerParams) =>
  ops.find((o) => o.type === REBOOT_NODE && o.startMs !== undefined && o.startMs >= p.notBeforeMs - SKEW_MS);

function alreadyStarted(op: MskOperationView, p: RebootBrokerParams, before: ActionOutcome['before']): ActionOutcome {
  return {
    summary: `a reboot already started on the cluster since the plan (${op.arn}, ${op.state}): the same action, not rebooting again`,
    before,
    after: { operationArn: op.arn, operationState: op.state, brokerId: p.brokerId },
  };
}

/**
 * RebootBroker of exactly one broker of the configured cluster. Idempotent: a REBOOT_NODE
 * operation started since the plan is this action (a retry after a lost answer, or a resumed
 * worker) and is not started again. Refuses unless the cluster is ACTIVE with no operation
 * running, and does nothing when the broker published again since it went down. A refused
 * RebootBroker whose reboot nonetheless started (the first attempt's answer was lost) counts
 * as done.
 */
export const rebootBrokerAction: ActionDefinition<RebootBrokerParams, BrokerHealthSettings> = {
  type: REBOOT_BROKER,
  iamActions: ['kafka:DescribeClusterV2', 'kafka:ListClusterOperationsV2', 'cloudwatch:GetMetricData', 'kafka:RebootBroker'],
  params: rebootParams,
  checkBounds(p, { pipeline }) {
    const v: string[] = [];
    if (pipeline.source.kind !== 'msk') return [`the pipeline does not read from MSK: no broker to reboot`];
    const src = pipeline.source;
    if (p.clusterArn !== src.clusterArn) v.push(`clusterArn ${p.clusterArn} is not the configured cluster ${src.clusterArn}`);
    const id = Number(p.brokerId);
    if (!Number.isInteger(id) || id < 1 || id > src.brokers)
      v.push(`brokerId ${p.brokerId} is not one of the cluster's brokers 1..${src.brokers} (source.brokers)`);
    if (p.downSinceMs > p.notBeforeMs) v.push(`downSinceMs ${p.downSinceMs} is after the plan (${p.notBeforeMs})`);
    return v;
  },
  // Each attempt first looks for this action's reboot, so trying again after a transient failure
  // (MSK may or may not have acted) never reboots twice.
  execute: (p, ctx) => retryTransient(() => rebootOnce(p, ctx), ctx.clock, ctx.signal),
};

async function rebootOnce(p: RebootBrokerParams, ctx: ActionContext<BrokerHealthSettings>): Promise<ActionOutcome> {
  const msk = ctx.aws.msk;
  const source = mskSourceOf(ctx.pipeline);
  if (p.clusterArn !== source.clusterArn) throw new Error(`refusing to reboot a broker of ${p.clusterArn}: the pipeline's cluster is ${source.clusterArn}`);
  const nowMs = ctx.clock.now();
  const [cluster, ops] = await Promise.all([msk.describeCluster(p.clusterArn), msk.listOperations(p.clusterArn, p.notBeforeMs - RUNNING_LOOKBACK_MS)]);
  const before = { clusterState: cluster.state, brokerId: p.brokerId, downForSeconds: Math.round((nowMs - p.downSinceMs) / 1000) };
  const mine = rebootSincePlan(ops, p);
  if (mine) return alreadyStarted(mine, p, before);
  if (cluster.state !== 'ACTIVE')
    throw new Error(`cluster ${cluster.name || p.clusterArn} is ${cluster.state}: MSK reboots a broker only while the cluster is ACTIVE`);
  const running = ops.filter(isRunning).map((o) => `${o.type} ${o.state}`);
  if (cluster.activeOperationArn && !ops.some((o) => o.arn === cluster.activeOperationArn && isRunning(o))) running.push(cluster.activeOperationArn);
  if (running.length > 0) throw new Error(`operation ${running.join(', ')} is running on the cluster: not rebooting`);
  if (await publishedSince(ctx.aws.cloudwatch, source, Number(p.brokerId), p.downSinceMs, nowMs)) {
    return {
      summary: `broker ${p.brokerId} publishes again (it was silent for ${minutes(nowMs - p.downSinceMs)} at most): not rebooted`,
      before,
      after: { brokerId: p.brokerId, rebooted: false },
    };
  }
  let operationArn: string;
  try {
    ({ operationArn } = await msk.rebootBroker(p.clusterArn, p.brokerId));
  } catch (e) {
    // The first attempt may have started the reboot and lost its answer: MSK then refuses the
    // retry (the cluster is REBOOTING_BROKER). That reboot is this action's.
    if (!(e instanceof AwsRequestError) || e.code !== 'BadRequestException') throw e;
    const started = rebootSincePlan(await msk.listOperations(p.clusterArn, p.notBeforeMs - SKEW_MS), p);
    if (started) return alreadyStarted(started, p, before);
    throw e;
  }
  return {
    summary: `rebooting broker ${p.brokerId} of ${cluster.name || p.clusterArn} (${operationArn}); it was silent for ${minutes(nowMs - p.downSinceMs)}`,
    before,
    after: { operationArn, operationState: 'REBOOT_IN_PROGRESS', brokerId: p.brokerId },
  };
}
