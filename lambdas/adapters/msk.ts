import {
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  KafkaClient,
  ListClusterOperationsV2Command,
  ListNodesCommand,
  RebootBrokerCommand,
} from '@aws-sdk/client-kafka';
import { AwsRequestError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

/**
 * The Amazon MSK control plane (`@aws-sdk/client-kafka`): the cluster, its broker nodes, its
 * operations, and RebootBroker. Producing to a topic lives in kafka.ts (kafkajs); this file
 * loads no Kafka client library, so a function that only watches brokers stays small.
 *
 * MSK API reference (docs.aws.amazon.com/MSK/2.0/APIReference): DescribeClusterV2
 * (v2-clusters-clusterarn), ListNodes (v1 clusters-clusterarn-nodes), ListClusterOperationsV2
 * (v2-clusters-clusterarn-operations), DescribeClusterOperationV2, RebootBroker
 * (v1 clusters-clusterarn-reboot-broker: one broker at a time, only while the cluster is ACTIVE).
 */

const SERVICE = 'kafka';

export interface MskClusterView {
  arn: string;
  name: string;
  /** ACTIVE, CREATING, DELETING, FAILED, HEALING, MAINTENANCE, REBOOTING_BROKER, UPDATING. */
  state: string;
  stateInfo?: { code?: string; message?: string };
  /** The operation running on the cluster now, when there is one. */
  activeOperationArn?: string;
  /** Provisioned clusters only. */
  numberOfBrokerNodes?: number;
  clusterType?: string;
  kafkaVersion?: string;
}

export interface MskBrokerNodeView {
  brokerId: number;
  endpoints: string[];
  instanceType?: string;
  clientSubnet?: string;
  nodeArn?: string;
}

export interface MskOperationView {
  arn: string;
  /** e.g. REBOOT_NODE, UPDATE_BROKER_COUNT, UPDATE_CLUSTER_CONFIGURATION. */
  type: string;
  /** e.g. PENDING, UPDATE_IN_PROGRESS, UPDATE_COMPLETE, REBOOT_IN_PROGRESS, REBOOT_COMPLETE, UPDATE_FAILED. */
  state: string;
  startMs?: number;
  endMs?: number;
}

export interface MskOperationDetail extends MskOperationView {
  error?: { code?: string; message?: string };
  steps: { name: string; status?: string }[];
}

/** Pages of ListNodes / ListClusterOperationsV2 read at most: a cluster has at most a few hundred of either. */
const MAX_PAGES = 20;

export class MskAdapter {
  constructor(private readonly client: KafkaClient) {}

  static fromOptions(opts: AwsClientOptions): MskAdapter {
    return new MskAdapter(withPlugins(new KafkaClient(clientConfig(opts)), opts));
  }

  /** DescribeClusterV2; a cluster that does not exist throws NotFoundError. */
  async describeCluster(clusterArn: string): Promise<MskClusterView> {
    let reply;
    try {
      reply = await this.client.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
    } catch (e) {
      mapAwsError(SERVICE, 'DescribeClusterV2', e);
    }
    const c = reply.ClusterInfo;
    if (!c?.State) {
      throw new AwsRequestError(SERVICE, 'DescribeClusterV2', 'MalformedResponse', {
        cause: new Error(`reply for ${clusterArn} has no ${c ? 'State' : 'ClusterInfo'}`),
      });
    }
    const info =
      c.StateInfo && (c.StateInfo.Code || c.StateInfo.Message)
        ? { ...(c.StateInfo.Code ? { code: c.StateInfo.Code } : {}), ...(c.StateInfo.Message ? { message: c.StateInfo.Message } : {}) }
        : undefined;
    const version = c.Provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion;
    return {
      arn: c.ClusterArn ?? clusterArn,
      name: c.ClusterName ?? '',
      state: c.State,
      ...(info ? { stateInfo: info } : {}),
      ...(c.ActiveOperationArn ? { activeOperationArn: c.ActiveOperationArn } : {}),
      ...(c.Provisioned?.NumberOfBrokerNodes !== undefined ? { numberOfBrokerNodes: c.Provisioned.NumberOfBrokerNodes } : {}),
      ...(c.ClusterType ? { clusterType: c.ClusterType } : {}),
      ...(version ? { kafkaVersion: version } : {}),
    };
  }

  /** The cluster's broker nodes (ListNodes, every page), by broker id. Controller and ZooKeeper nodes are left out. */
  async listBrokerNodes(clusterArn: string): Promise<MskBrokerNodeView[]> {
    const out: MskBrokerNodeView[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      let reply;
      try {
        reply = await this.client.send(new ListNodesCommand({ ClusterArn: clusterArn, NextToken: token }));
      } catch (e) {
        mapAwsError(SERVICE, 'ListNodes', e);
      }
      for (const n of reply.NodeInfoList ?? []) {
        const b = n.BrokerNodeInfo;
        if (!b || b.BrokerId === undefined) continue;
        out.push({
          brokerId: Math.round(b.BrokerId),
          endpoints: b.Endpoints ?? [],
          ...(n.InstanceType ? { instanceType: n.InstanceType } : {}),
          ...(b.ClientSubnet ? { clientSubnet: b.ClientSubnet } : {}),
          ...(n.NodeARN ? { nodeArn: n.NodeARN } : {}),
        });
      }
      token = reply.NextToken;
    } while (token && ++pages < MAX_PAGES);
    return out.sort((a, b) => a.brokerId - b.brokerId);
  }

  /**
   * The cluster's operations (ListClusterOperationsV2), newest first, reading pages until one
   * holds only operations that started before `sinceMs` (the order of the list is not
   * documented, so every page read is sorted here).
   */
  async listOperations(clusterArn: string, sinceMs = 0): Promise<MskOperationView[]> {
    const out: MskOperationView[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      let reply;
      try {
        reply = await this.client.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn, NextToken: token }));
      } catch (e) {
        mapAwsError(SERVICE, 'ListClusterOperationsV2', e);
      }
      const page = (reply.ClusterOperationInfoList ?? []).filter((o) => o.OperationArn).map((o) => operationView(o));
      out.push(...page.filter((o) => o.startMs === undefined || o.startMs >= sinceMs));
      const older = page.length > 0 && page.every((o) => o.startMs !== undefined && o.startMs < sinceMs);
      token = older ? undefined : reply.NextToken;
    } while (token && ++pages < MAX_PAGES);
    return out.sort((a, b) => (b.startMs ?? Number.POSITIVE_INFINITY) - (a.startMs ?? Number.POSITIVE_INFINITY));
  }

  /** DescribeClusterOperationV2: state, error and steps of one operation. */
  async describeOperation(operationArn: string): Promise<MskOperationDetail> {
    let reply;
    try {
      reply = await this.client.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: operationArn }));
    } catch (e) {
      mapAwsError(SERVICE, 'DescribeClusterOperationV2', e);
    }
    const o = reply.ClusterOperationInfo;
    if (!o)
      throw new AwsRequestError(SERVICE, 'DescribeClusterOperationV2', 'MalformedResponse', {
        cause: new Error(`reply for ${operationArn} has no ClusterOperationInfo`),
      });
    const err =
      o.ErrorInfo && (o.ErrorInfo.ErrorCode || o.ErrorInfo.ErrorString)
        ? { ...(o.ErrorInfo.ErrorCode ? { code: o.ErrorInfo.ErrorCode } : {}), ...(o.ErrorInfo.ErrorString ? { message: o.ErrorInfo.ErrorString } : {}) }
        : undefined;
    return {
      ...operationView({ ...o, OperationArn: o.OperationArn ?? operationArn }),
      ...(err ? { error: err } : {}),
      steps: (o.Provisioned?.OperationSteps ?? []).map((s) => ({
        name: s.StepName ?? '',
        ...(s.StepInfo?.StepStatus ? { status: s.StepInfo.StepStatus } : {}),
      })),
    };
  }

  /**
   * RebootBroker of exactly one broker: the operation's ARN. MSK refuses it (BadRequestException,
   * an AwsRequestError here) while the cluster is not ACTIVE, and reboots one broker at a time.
   */
  async rebootBroker(clusterArn: string, brokerId: string): Promise<{ operationArn: string }> {
    let reply;
    try {
      reply = await this.client.send(new RebootBrokerCommand({ ClusterArn: clusterArn, BrokerIds: [brokerId] }));
    } catch (e) {
      mapAwsError(SERVICE, 'RebootBroker', e);
    }
    if (!reply.ClusterOperationArn) {
      throw new AwsRequestError(SERVICE, 'RebootBroker', 'MalformedResponse', {
        cause: new Error(`reply for ${clusterArn} broker ${brokerId} has no ClusterOperationArn`),
      });
    }
    return { operationArn: reply.ClusterOperationArn };
  }
}

function operationView(o: {
  OperationArn?: string | undefined;
  OperationType?: string | undefined;
  OperationState?: string | undefined;
  StartTime?: Date | undefined;
  EndTime?: Date | undefined;
}): MskOperationView {
  return {
    arn: o.OperationArn ?? '',
    type: o.OperationType ?? 'UNKNOWN',
    state: o.OperationState ?? 'UNKNOWN',
    ...(o.StartTime ? { startMs: o.StartTime.getTime() } : {}),
    ...(o.EndTime ? { endMs: o.EndTime.getTime() } : {}),
  };
}
