import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeClusterV2Command,
  KafkaClient,
  KafkaServiceException,
  ListClusterOperationsV2Command,
  RebootBrokerCommand,
  type ClusterState,
  type DescribeClusterV2CommandOutput,
  type RebootBrokerCommandOutput,
} from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { rebootBrokerAction } from '../../../lambdas/playbooks/broker-health/act';
import type { RebootBrokerParams } from '../../../lambdas/playbooks/broker-health/plan';
import { recordedError, reply } from '../../adapters/aws-fixtures';
import { CLUSTER, MIN, NOW, OP_BASE, actionContext, pipeline, settingsWith } from './fixtures';

const kafka = mockClient(KafkaClient);
const cw = mockClient(CloudWatchClient);

const params: RebootBrokerParams = { clusterArn: CLUSTER, brokerId: '2', downSinceMs: NOW - 12 * MIN, notBeforeMs: NOW - 5_000 };
const OP = `${OP_BASE}/5d2e8f10-aa41-4c7b-9e3d-2b6a4f1c8e90`;

function clusterIn(state: string): DescribeClusterV2CommandOutput {
  const r = reply<DescribeClusterV2CommandOutput>('kafka', 'DescribeClusterV2');
  r.ClusterInfo!.State = state as ClusterState;
  delete r.ClusterInfo!.ActiveOperationArn;
  return r;
}

const operations = (...ops: { type: string; state: string; startMs: number; endMs?: number }[]) => ({
  $metadata: {},
  ClusterOperationInfoList: ops.map((o, i) => ({
    ClusterArn: CLUSTER,
    OperationArn: `${OP_BASE}/op${i}`,
    OperationType: o.type,
    OperationState: o.state,
    StartTime: new Date(o.startMs),
    ...(o.endMs ? { EndTime: new Date(o.endMs) } : {}),
  })),
});

/** CpuUser SampleCount of broker 2: points at the given minute starts. */
function cpu(...atMs: number[]) {
  cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    $metadata: {},
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
      Id: q.Id,
      StatusCode: 'Complete' as const,
      Timestamps: atMs.map((t) => new Date(t)),
      Values: atMs.map(() => 1),
    })),
  }));
}

beforeEach(() => {
  kafka.reset();
  cw.reset();
  kafka.on(DescribeClusterV2Command).resolves(clusterIn('ACTIVE'));
  kafka.on(ListClusterOperationsV2Command).resolves(operations());
  kafka.on(RebootBrokerCommand).resolves(reply<RebootBrokerCommandOutput>('kafka', 'RebootBroker'));
  cpu(NOW - 13 * MIN, NOW - 14 * MIN);
});

afterAll(() => {
  kafka.restore();
  cw.restore();
});

describe('Action: kafka:RebootBroker', () => {
  describe('Method: execute', () => {
    it('reboots exactly the one broker on an ACTIVE cluster with nothing running', async () => {
      // Act
      const out = await rebootBrokerAction.execute(params, actionContext());

      // Assess
      expect(kafka.commandCalls(RebootBrokerCommand).map((c) => c.args[0].input)).toEqual([{ ClusterArn: CLUSTER, BrokerIds: ['2'] }]);
      expect(kafka.commandCalls(ListClusterOperationsV2Command)[0]?.args[0].input.ClusterArn).toBe(CLUSTER);
      const q = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
      expect(q?.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
        Namespace: 'AWS/Kafka',
        MetricName: 'CpuUser',
        Dimensions: [
          { Name: 'Broker ID', Value: '2' },
          { Name: 'Cluster Name', Value: 'order-processing' },
        ],
      });
      expect(q?.StartTime).toEqual(new Date(params.downSinceMs));
      expect(out.before).toEqual({ clusterState: 'ACTIVE', brokerId: '2', downForSeconds: 720 });
      expect(out.after).toEqual({ operationArn: OP, operationState: 'REBOOT_IN_PROGRESS', brokerId: '2' });
    });

    it('is idempotent: a REBOOT_NODE started since the plan is this action, not rebooted again', async () => {
      // Prepare: a resumed worker; the first one's reboot is running.
      kafka.on(DescribeClusterV2Command).resolves(clusterIn('REBOOTING_BROKER'));
      kafka.on(ListClusterOperationsV2Command).resolves(operations({ type: 'REBOOT_NODE', state: 'REBOOT_IN_PROGRESS', startMs: NOW - 4_000 }));

      // Act
      const out = await rebootBrokerAction.execute(params, actionContext());

      // Assess
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(0);
      expect(out.summary).toContain('the same action, not rebooting again');
      expect(out.after).toMatchObject({ operationArn: `${OP_BASE}/op0`, operationState: 'REBOOT_IN_PROGRESS' });
    });

    it('treats a refused retry as done when the lost first attempt started the reboot', async () => {
      // Prepare: RebootBroker is refused (the cluster is already REBOOTING_BROKER); the reboot shows in the list afterwards.
      kafka.on(RebootBrokerCommand).rejects(recordedError(KafkaServiceException, 'kafka', 'BadRequestException'));
      kafka
        .on(ListClusterOperationsV2Command)
        .resolvesOnce(operations())
        .resolves(operations({ type: 'REBOOT_NODE', state: 'REBOOT_IN_PROGRESS', startMs: NOW - 1_000 }));

      // Act
      const out = await rebootBrokerAction.execute(params, actionContext());

      // Assess
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(1);
      expect(out.after).toMatchObject({ operationState: 'REBOOT_IN_PROGRESS' });
    });

    it('tries again after a transient failure and, when MSK acted on the lost call, does not reboot twice', async () => {
      // Prepare: RebootBroker fails with a 503 after MSK started the reboot.
      kafka.on(RebootBrokerCommand).rejects(recordedError(KafkaServiceException, 'kafka', 'TooManyRequestsException'));
      kafka
        .on(ListClusterOperationsV2Command)
        .resolvesOnce(operations())
        .resolves(operations({ type: 'REBOOT_NODE', state: 'REBOOT_IN_PROGRESS', startMs: NOW }));
      const ctx = actionContext();

      // Act
      const out = await rebootBrokerAction.execute(params, ctx);

      // Assess: one RebootBroker, the second attempt found its reboot after a 2 s pause.
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(1);
      expect(out.summary).toContain('the same action');
      expect(ctx.clock.now()).toBe(NOW + 2_000);
    });

    it('gives up after its retries when the failure lasts', async () => {
      kafka.on(RebootBrokerCommand).rejects(recordedError(KafkaServiceException, 'kafka', 'TooManyRequestsException'));
      const ctx = actionContext();
      await expect(rebootBrokerAction.execute(params, ctx)).rejects.toMatchObject({ name: 'TransientAwsError' });
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(3);
      expect(ctx.clock.now()).toBe(NOW + 7_000);
    });

    it('fails on a refused RebootBroker when no reboot started', async () => {
      kafka.on(RebootBrokerCommand).rejects(recordedError(KafkaServiceException, 'kafka', 'BadRequestException'));
      await expect(rebootBrokerAction.execute(params, actionContext())).rejects.toMatchObject({ name: 'AwsRequestError', code: 'BadRequestException' });
    });

    it('does not count a reboot older than the plan (beyond 30 s of clock skew) as its own', async () => {
      kafka
        .on(ListClusterOperationsV2Command)
        .resolves(operations({ type: 'REBOOT_NODE', state: 'REBOOT_COMPLETE', startMs: params.notBeforeMs - 30_001, endMs: NOW - 1_000 }));
      await rebootBrokerAction.execute(params, actionContext());
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(1);
    });

    it.each(['HEALING', 'MAINTENANCE', 'UPDATING'])('refuses while the cluster is %s', async (state) => {
      kafka.on(DescribeClusterV2Command).resolves(clusterIn(state));
      await expect(rebootBrokerAction.execute(params, actionContext())).rejects.toThrow(`is ${state}: MSK reboots a broker only while the cluster is ACTIVE`);
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(0);
    });

    it('refuses while another operation runs', async () => {
      kafka
        .on(ListClusterOperationsV2Command)
        .resolves(operations({ type: 'UPDATE_BROKER_STORAGE', state: 'UPDATE_IN_PROGRESS', startMs: params.notBeforeMs - 60_000 }));
      await expect(rebootBrokerAction.execute(params, actionContext())).rejects.toThrow('UPDATE_BROKER_STORAGE UPDATE_IN_PROGRESS is running');
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(0);
    });

    it('refuses while DescribeClusterV2 names an active operation the list does not show', async () => {
      const c = clusterIn('ACTIVE');
      c.ClusterInfo!.ActiveOperationArn = `${OP_BASE}/hidden`;
      kafka.on(DescribeClusterV2Command).resolves(c);
      await expect(rebootBrokerAction.execute(params, actionContext())).rejects.toThrow(`operation ${OP_BASE}/hidden is running`);
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(0);
    });

    it('does not reboot a broker that published again since it went down', async () => {
      cpu(NOW - 13 * MIN, params.downSinceMs + 3 * MIN);
      const out = await rebootBrokerAction.execute(params, actionContext());
      expect(kafka.commandCalls(RebootBrokerCommand)).toHaveLength(0);
      expect(out.after).toEqual({ brokerId: '2', rebooted: false });
    });

    it("refuses a cluster other than the pipeline's", async () => {
      const other = { ...params, clusterArn: CLUSTER.replace('order-processing', 'payments') };
      await expect(rebootBrokerAction.execute(other, actionContext())).rejects.toThrow('refusing to reboot a broker of');
      expect(kafka.commandCalls(DescribeClusterV2Command)).toHaveLength(0);
    });
  });

  describe('Method: checkBounds', () => {
    const bounds = (p: RebootBrokerParams) => rebootBrokerAction.checkBounds(p, { pipeline, settings: settingsWith() });

    it('accepts one broker of the configured cluster', () => {
      expect(bounds(params)).toEqual([]);
      expect(bounds({ ...params, brokerId: '3' })).toEqual([]);
    });

    it('names every broken bound', () => {
      expect(bounds({ ...params, brokerId: '4' })).toEqual(["brokerId 4 is not one of the cluster's brokers 1..3 (source.brokers)"]);
      expect(bounds({ ...params, brokerId: '0' })[0]).toContain('brokerId 0');
      expect(bounds({ ...params, clusterArn: CLUSTER.replace('-3', '-4') })[0]).toContain('is not the configured cluster');
      expect(bounds({ ...params, downSinceMs: params.notBeforeMs + 1 })[0]).toContain('is after the plan');
    });

    it('accepts exactly one broker id in its parameters', () => {
      expect(rebootBrokerAction.params.safeParse({ ...params, brokerId: '1,2' }).success).toBe(false);
      expect(rebootBrokerAction.params.safeParse({ ...params, brokerIds: ['1', '2'] }).success).toBe(false);
      expect(rebootBrokerAction.params.safeParse(params).success).toBe(true);
    });
  });
});
