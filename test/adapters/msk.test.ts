import {
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  KafkaClient,
  KafkaServiceException,
  ListClusterOperationsV2Command,
  ListNodesCommand,
  RebootBrokerCommand,
  type DescribeClusterOperationV2CommandOutput,
  type DescribeClusterV2CommandOutput,
  type ListClusterOperationsV2CommandOutput,
  type ListNodesCommandOutput,
  type RebootBrokerCommandOutput,
} from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MskAdapter } from '../../lambdas/adapters/msk';
import { AwsRequestError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'kafka';
const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3';
const OP =
  'arn:aws:kafka:eu-west-1:123456789012:cluster-operation/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3/5d2e8f10-aa41-4c7b-9e3d-2b6a4f1c8e90';

const kafka = mockClient(KafkaClient);
const adapter = new MskAdapter(new KafkaClient({ region: 'eu-west-1' }));
const err = (name: string) => recordedError(KafkaServiceException, SVC, name);

beforeEach(() => {
  kafka.reset();
});

afterAll(() => {
  kafka.restore();
});

describe('Class: MskAdapter', () => {
  describe('Method: describeCluster', () => {
    it('maps DescribeClusterV2: state, the operation running, the broker count', async () => {
      // Prepare
      kafka.on(DescribeClusterV2Command).resolves(reply<DescribeClusterV2CommandOutput>(SVC, 'DescribeClusterV2'));

      // Act
      const view = await adapter.describeCluster(CLUSTER);

      // Assess
      expect(kafka.commandCalls(DescribeClusterV2Command)[0]?.args[0].input).toEqual({ ClusterArn: CLUSTER });
      expect(view).toEqual({
        arn: CLUSTER,
        name: 'order-processing',
        state: 'REBOOTING_BROKER',
        activeOperationArn: OP,
        numberOfBrokerNodes: 3,
        clusterType: 'PROVISIONED',
        kafkaVersion: '3.6.0',
      });
    });

    it('throws NotFoundError for a cluster that does not exist', async () => {
      kafka.on(DescribeClusterV2Command).rejects(err('NotFoundException'));
      await expect(adapter.describeCluster(CLUSTER)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('throws on a reply without a state, naming what is missing', async () => {
      kafka.on(DescribeClusterV2Command).resolves({ ClusterInfo: { ClusterArn: CLUSTER } } as DescribeClusterV2CommandOutput);
      await expect(adapter.describeCluster(CLUSTER)).rejects.toThrow(/MalformedResponse.*no State/);
    });
  });

  describe('Method: listBrokerNodes', () => {
    it('follows every page and returns the brokers sorted by id, with their endpoints', async () => {
      // Prepare
      const [p1, p2] = pages<ListNodesCommandOutput>(SVC, 'ListNodes');
      kafka.on(ListNodesCommand).resolvesOnce(p1!).resolvesOnce(p2!);

      // Act
      const nodes = await adapter.listBrokerNodes(CLUSTER);

      // Assess
      const calls = kafka.commandCalls(ListNodesCommand).map((c) => c.args[0].input);
      expect(calls).toEqual([
        { ClusterArn: CLUSTER, NextToken: undefined },
        { ClusterArn: CLUSTER, NextToken: 'AAEAAQAAAAIAAAAAbm9kZS0y' },
      ]);
      expect(nodes.map((n) => n.brokerId)).toEqual([1, 2, 3]);
      expect(nodes[1]).toEqual({
        brokerId: 2,
        endpoints: ['b-2.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com'],
        instanceType: 'm5.large',
        clientSubnet: 'subnet-0b2c3d4e5f6071829',
        nodeArn: 'arn:aws:kafka:eu-west-1:123456789012:broker/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3/2',
      });
    });

    it('maps throttling that outlived the SDK retries to TransientAwsError', async () => {
      kafka.on(ListNodesCommand).rejects(err('TooManyRequestsException'));
      await expect(adapter.listBrokerNodes(CLUSTER)).rejects.toBeInstanceOf(TransientAwsError);
    });
  });

  describe('Method: listOperations', () => {
    it('returns the operations newest first, reading the next page while it may hold newer ones', async () => {
      // Prepare
      const [p1, p2] = pages<ListClusterOperationsV2CommandOutput>(SVC, 'ListClusterOperationsV2');
      kafka.on(ListClusterOperationsV2Command).resolvesOnce(p1!).resolvesOnce(p2!);

      // Act
      const ops = await adapter.listOperations(CLUSTER);

      // Assess
      expect(kafka.commandCalls(ListClusterOperationsV2Command)).toHaveLength(2);
      expect(ops.map((o) => [o.type, o.state])).toEqual([
        ['REBOOT_NODE', 'REBOOT_IN_PROGRESS'],
        ['UPDATE_CLUSTER_CONFIGURATION', 'UPDATE_COMPLETE'],
        ['REBOOT_NODE', 'REBOOT_COMPLETE'],
      ]);
      expect(ops[0]).toEqual({ arn: OP, type: 'REBOOT_NODE', state: 'REBOOT_IN_PROGRESS', startMs: Date.parse('2026-11-22T10:14:03Z') });
      expect(ops[2]!.endMs).toBe(Date.parse('2026-10-02T14:26:31Z'));
    });

    it('stops at a page that holds only operations older than `sinceMs`, and leaves those out', async () => {
      // Prepare: the second page would be older still.
      const [p1, p2] = pages<ListClusterOperationsV2CommandOutput>(SVC, 'ListClusterOperationsV2');
      kafka.on(ListClusterOperationsV2Command).resolvesOnce(p1!).resolvesOnce(p2!);

      // Act: since 2026-11-21, the first page holds one newer operation, so the second is read too.
      const ops = await adapter.listOperations(CLUSTER, Date.parse('2026-11-21T00:00:00Z'));

      // Assess
      expect(ops.map((o) => o.arn)).toEqual([OP]);
      expect(kafka.commandCalls(ListClusterOperationsV2Command)).toHaveLength(2);
    });

    it('does not read the next page when the first one is all older than `sinceMs`', async () => {
      const [p1] = pages<ListClusterOperationsV2CommandOutput>(SVC, 'ListClusterOperationsV2');
      kafka.on(ListClusterOperationsV2Command).resolves(p1!);
      const ops = await adapter.listOperations(CLUSTER, Date.parse('2026-12-01T00:00:00Z'));
      expect(ops).toEqual([]);
      expect(kafka.commandCalls(ListClusterOperationsV2Command)).toHaveLength(1);
    });
  });

  describe('Method: describeOperation', () => {
    it('maps DescribeClusterOperationV2: state, times and steps', async () => {
      kafka.on(DescribeClusterOperationV2Command).resolves(reply<DescribeClusterOperationV2CommandOutput>(SVC, 'DescribeClusterOperationV2'));
      const op = await adapter.describeOperation(OP);
      expect(kafka.commandCalls(DescribeClusterOperationV2Command)[0]?.args[0].input).toEqual({ ClusterOperationArn: OP });
      expect(op).toEqual({
        arn: OP,
        type: 'REBOOT_NODE',
        state: 'REBOOT_COMPLETE',
        startMs: Date.parse('2026-11-22T10:14:03Z'),
        endMs: Date.parse('2026-11-22T10:19:47Z'),
        steps: [
          { name: 'INITIALIZE_UPDATE', status: 'FINISHED' },
          { name: 'UPDATE_APPLIED', status: 'FINISHED' },
        ],
      });
    });

    it("carries a failed operation's error", async () => {
      kafka.on(DescribeClusterOperationV2Command).resolves(reply<DescribeClusterOperationV2CommandOutput>(SVC, 'DescribeClusterOperationV2-failed'));
      const op = await adapter.describeOperation(OP);
      expect(op.error).toEqual({ code: 'InternalFailure', message: 'Broker 2 did not become healthy after the reboot.' });
      expect(op.state).toBe('UPDATE_FAILED');
    });
  });

  describe('Method: rebootBroker', () => {
    it('reboots exactly one broker and returns the operation ARN', async () => {
      kafka.on(RebootBrokerCommand).resolves(reply<RebootBrokerCommandOutput>(SVC, 'RebootBroker'));
      const r = await adapter.rebootBroker(CLUSTER, '2');
      expect(kafka.commandCalls(RebootBrokerCommand)[0]?.args[0].input).toEqual({ ClusterArn: CLUSTER, BrokerIds: ['2'] });
      expect(r).toEqual({ operationArn: OP });
    });

    it('maps the refusal of a cluster that is not ACTIVE to AwsRequestError BadRequestException', async () => {
      kafka.on(RebootBrokerCommand).rejects(err('BadRequestException'));
      const e = await adapter.rebootBroker(CLUSTER, '2').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AwsRequestError);
      expect((e as AwsRequestError).code).toBe('BadRequestException');
      expect((e as Error).message).toContain('HEALING');
    });

    it('maps a missing permission to AwsRequestError ForbiddenException', async () => {
      kafka.on(RebootBrokerCommand).rejects(err('ForbiddenException'));
      await expect(adapter.rebootBroker(CLUSTER, '2')).rejects.toMatchObject({ name: 'AwsRequestError', code: 'ForbiddenException' });
    });

    it('throws when the reply names no operation', async () => {
      kafka.on(RebootBrokerCommand).resolves({ ClusterArn: CLUSTER } as RebootBrokerCommandOutput);
      await expect(adapter.rebootBroker(CLUSTER, '2')).rejects.toThrow(/no ClusterOperationArn/);
    });
  });
});
