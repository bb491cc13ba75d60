import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeClusterOperationV2Command, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyBrokerHealth } from '../../../lambdas/playbooks/broker-health/verify';
import { clusterMetrics, fakeCluster, minute } from './cluster-fake';
import { MIN, NOW, OP_BASE, actionContext } from './fixtures';

const kafka = mockClient(KafkaClient);
const cw = mockClient(CloudWatchClient);

const FIX = NOW - 8 * MIN;
const incident = { startedAtMs: NOW - 20 * MIN, fixedAtMs: FIX, evidence: { targetBrokerId: 2 } };
const reboot = (state: string, endAgoMs?: number, error?: string) => ({
  id: 'r1',
  type: 'REBOOT_NODE',
  state,
  startMs: FIX + 2_000,
  ...(endAgoMs !== undefined ? { endMs: NOW - endAgoMs } : {}),
  ...(error ? { error } : {}),
});
/** Broker 2 silent from 25 minutes ago until `backAtMs` (never when undefined). */
const broker2Down = (backAtMs?: number, over: Record<string, (t: number) => number | undefined> = {}) => {
  const m = clusterMetrics({}, over);
  const downFrom = minute(NOW) - 25 * MIN;
  const alive = (t: number) => t < downFrom || (backAtMs !== undefined && t >= backAtMs);
  return {
    ...m,
    cpu_2: (t: number) => (alive(t) ? 1 : undefined),
    urp_2: (t: number) => (alive(t) ? 0 : undefined),
    isr_2: (t: number) => (alive(t) ? 0 : undefined),
    ...over,
  };
};

beforeEach(() => {
  kafka.reset();
  cw.reset();
});

afterAll(() => {
  kafka.restore();
  cw.restore();
});

describe('Function: verifyBrokerHealth', () => {
  it('recovers: REBOOT_COMPLETE, cluster ACTIVE, every broker publishing, 0 under-replicated, lag steady', async () => {
    fakeCluster(kafka, cw, { operations: [reboot('REBOOT_COMPLETE', 3 * MIN)], metrics: broker2Down(minute(NOW) - 3 * MIN) });
    const out = await verifyBrokerHealth(actionContext(), incident);
    expect(out.status).toBe('recovered');
    expect(out.summary).toBe('REBOOT_COMPLETE: all 3 broker(s) publish, cluster ACTIVE, 0 under-replicated partitions, consumer lag steady (500)');
    expect(kafka.commandCalls(DescribeClusterOperationV2Command)[0]?.args[0].input).toEqual({ ClusterOperationArn: `${OP_BASE}/r1` });
    expect(out.evidence).toMatchObject({ targetBrokerId: 2, rebootOperationState: 'REBOOT_COMPLETE', brokersDown: null });
  });

  it('stays pending while the reboot runs', async () => {
    fakeCluster(kafka, cw, { state: 'REBOOTING_BROKER', operations: [reboot('REBOOT_IN_PROGRESS')], metrics: broker2Down() });
    const out = await verifyBrokerHealth(actionContext(), incident);
    expect(out).toMatchObject({ status: 'pending', summary: 'the reboot is REBOOT_IN_PROGRESS (since 7m 58s)' });
  });

  it('fails a reboot that failed', async () => {
    fakeCluster(kafka, cw, { operations: [reboot('UPDATE_FAILED', 2 * MIN, 'Broker 2 did not become healthy')], metrics: broker2Down() });
    const out = await verifyBrokerHealth(actionContext(), incident);
    expect(out.status).toBe('failed');
    expect(out.summary).toContain('the reboot failed (UPDATE_FAILED: Broker 2 did not become healthy); broker 2');
  });

  it('waits rebootGraceMinutes (3) after REBOOT_COMPLETE for the broker to publish, then fails, to the millisecond', async () => {
    fakeCluster(kafka, cw, { operations: [reboot('REBOOT_COMPLETE', 3 * MIN - 1)], metrics: broker2Down() });
    expect((await verifyBrokerHealth(actionContext(), incident)).status).toBe('pending');
    kafka.reset();
    cw.reset();
    fakeCluster(kafka, cw, { operations: [reboot('REBOOT_COMPLETE', 3 * MIN)], metrics: broker2Down() });
    const out = await verifyBrokerHealth(actionContext(), incident);
    expect(out.status).toBe('failed');
    expect(out.summary).toContain('broker 2 (b-2.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com) down 25m');
    expect(out.summary).toContain(
      'still down 3m after REBOOT_COMPLETE; 0 offline, 0 under min ISR, 0 under-replicated partition(s); a second reboot will not help',
    );
  });

  it('stays pending while the cluster is not ACTIVE again', async () => {
    fakeCluster(kafka, cw, { state: 'HEALING', operations: [reboot('REBOOT_COMPLETE', 2 * MIN)], metrics: broker2Down(minute(NOW) - 3 * MIN) });
    expect(await verifyBrokerHealth(actionContext(), incident)).toMatchObject({
      status: 'pending',
      summary: expect.stringContaining('the cluster is HEALING'),
    });
  });

  it('waits replicationCatchUpMinutes (15) for under-replicated partitions to reach 0, then fails', async () => {
    const lagging = broker2Down(minute(NOW) - 10 * MIN, { urp_1: () => 3 });
    fakeCluster(kafka, cw, { operations: [reboot('REBOOT_COMPLETE', 15 * MIN - 1)], metrics: lagging });
    expect(await verifyBrokerHealth(actionContext(), { ...incident, fixedAtMs: NOW - 20 * MIN })).toMatchObject({
      status: 'pending',
      summary: expect.stringContaining('3 partition(s) still under-replicated'),
    });
    kafka.reset();
    cw.reset();
    fakeCluster(kafka, cw, { operations: [{ ...reboot('REBOOT_COMPLETE', 15 * MIN), startMs: NOW - 19 * MIN }], metrics: lagging });
    expect((await verifyBrokerHealth(actionContext(), { ...incident, fixedAtMs: NOW - 20 * MIN })).status).toBe('failed');
  });

  it('stays pending while the consumer lag grows', async () => {
    fakeCluster(kafka, cw, {
      operations: [reboot('REBOOT_COMPLETE', 3 * MIN)],
      metrics: broker2Down(minute(NOW) - 3 * MIN, { lag: (t) => (t - NOW) / 100 + 90_000 }),
    });
    expect(await verifyBrokerHealth(actionContext(), incident)).toMatchObject({ status: 'pending', summary: expect.stringContaining('is still growing') });
  });

  it('recovers without a reboot when the action found the broker publishing again', async () => {
    fakeCluster(kafka, cw, { operations: [], metrics: clusterMetrics() });
    expect(await verifyBrokerHealth(actionContext(), incident)).toMatchObject({
      status: 'recovered',
      summary: expect.stringContaining('no reboot was needed'),
    });
  });

  it('fails when no reboot ran and the broker is still down', async () => {
    fakeCluster(kafka, cw, {
      operations: [{ id: 'old', type: 'REBOOT_NODE', state: 'REBOOT_COMPLETE', startMs: FIX - 2 * MIN, endMs: FIX - MIN }],
      metrics: broker2Down(),
    });
    const out = await verifyBrokerHealth(actionContext(), incident);
    expect(out).toMatchObject({ status: 'failed', summary: expect.stringContaining('no REBOOT_NODE operation on the cluster since the fix') });
  });
});
