import {
  BadRequestException,
  KafkaServiceException,
  NotFoundException,
  type ClusterOperationV2Summary,
  type DescribeClusterOperationV2Request,
  type DescribeClusterV2Request,
  type ListClusterOperationsV2Request,
  type ListNodesRequest,
  type NodeInfo,
  type RebootBrokerRequest,
} from '@aws-sdk/client-kafka';
import type { SimContext, SimService } from './context';

/**
 * Amazon MSK's control plane and broker health: provisioned clusters with numbered brokers,
 * cluster states, operations, RebootBroker, and the broker-level metrics.
 *
 * Sources (MSK developer guide unless named):
 * - "Cluster states" (msk-cluster-states): ACTIVE, CREATING, DELETING, FAILED, HEALING,
 *   MAINTENANCE, REBOOTING_BROKER, UPDATING; updates only while ACTIVE.
 * - "Reboot a broker for an Amazon MSK cluster" (msk-reboot-broker) and API reference "Reboot
 *   Broker" (msk/1.0/apireference/clusters-clusterarn-reboot-broker): one broker at a time, only
 *   while the cluster is ACTIVE (400 otherwise, e.g. while HEALING); the reply is the ClusterArn and
 *   a ClusterOperationArn; the operation is REBOOT_NODE, REBOOT_IN_PROGRESS then REBOOT_COMPLETE.
 * - API reference "V2 Clusters clusterArn Operations" (ListClusterOperationsV2): summaries with
 *   type, state, start and end times; they do not say which broker a reboot was for.
 * - "Amazon MSK metrics for monitoring Standard brokers with CloudWatch" (metrics-details),
 *   DEFAULT level: ActiveControllerCount and OfflinePartitionsCount per `Cluster Name`;
 *   CpuUser, UnderReplicatedPartitions, UnderMinIsrPartitionCount per `Cluster Name`,
 *   `Broker ID`: published by msk-cluster-metrics.ts.
 *
 * Not documented, chosen here: list pages of 10 unless MaxResults says otherwise, operations
 * newest first, a reboot taking REBOOT_MS.
 */

export const REBOOT_MS = 5 * 60_000;
const PAGE = 10;

export type ClusterStateName = 'ACTIVE' | 'CREATING' | 'DELETING' | 'FAILED' | 'HEALING' | 'MAINTENANCE' | 'REBOOTING_BROKER' | 'UPDATING';

export interface SimBroker {
  id: number;
  up: boolean;
  /** A RebootBroker of this broker brings it back (when it was down). */
  rebootFixes: boolean;
  /** Bumped at every change, so a stale recovery timer does nothing. */
  epoch: number;
}

export interface SimOperation {
  arn: string;
  type: string;
  state: string;
  startMs: number;
  endMs?: number;
  /** Known to the simulator only: the API does not say which broker a reboot was for. */
  brokerId?: number;
}

export interface SimCluster {
  arn: string;
  name: string;
  createdMs: number;
  brokers: SimBroker[];
  /** The state when nothing overrides it. */
  baseState: ClusterStateName;
  /** A state AWS holds the cluster in for a while (a `cluster-state` entry). */
  override?: { state: ClusterStateName; untilMs?: number; seq: number };
  operations: SimOperation[];
  /** RebootBroker calls MSK accepted. */
  reboots: number;
}

export interface SimClusterSeed {
  arn: string;
  name: string;
  brokers: number;
  state: ClusterStateName;
}

const paged = <T>(items: T[], token: string | undefined, max: number | undefined): { page: T[]; next?: string } => {
  const offset = token ? Number.parseInt(token, 10) : 0;
  const size = max && max > 0 ? max : PAGE;
  const page = items.slice(offset, offset + size);
  return offset + size < items.length ? { page, next: String(offset + size) } : { page };
};

export class SimKafka implements SimService {
  readonly clientName = 'KafkaClient';
  readonly service = 'kafka';
  readonly baseException = KafkaServiceException;
  readonly clusters = new Map<string, SimCluster>();
  readonly operations = {
    DescribeClusterV2: (i: DescribeClusterV2Request) => this.describeCluster(i),
    ListNodes: (i: ListNodesRequest) => this.listNodes(i),
    ListClusterOperationsV2: (i: ListClusterOperationsV2Request) => this.listOperations(i),
    DescribeClusterOperationV2: (i: DescribeClusterOperationV2Request) => this.describeOperation(i),
    RebootBroker: (i: RebootBrokerRequest) => this.rebootBroker(i),
  };
  private seq = 0;

  constructor(private readonly ctx: SimContext) {}

  addCluster(seed: SimClusterSeed): SimCluster {
    const c: SimCluster = {
      arn: seed.arn,
      name: seed.name,
      createdMs: this.ctx.clock.now() - 400 * 86_400_000,
      brokers: Array.from({ length: seed.brokers }, (_, i) => ({ id: i + 1, up: true, rebootFixes: true, epoch: 0 })),
      baseState: seed.state,
      operations: [],
      reboots: 0,
    };
    this.clusters.set(c.arn, c);
    return c;
  }

  cluster(arn: string): SimCluster {
    const c = this.clusters.get(arn);
    if (!c) throw new Error(`no simulated MSK cluster ${arn}`);
    return c;
  }

  stateOf(c: SimCluster): ClusterStateName {
    if (c.override) return c.override.state;
    return c.operations.some((o) => o.type === 'REBOOT_NODE' && o.endMs === undefined) ? 'REBOOTING_BROKER' : c.baseState;
  }

  isUp(clusterName: string, brokerId: number): boolean {
    const c = [...this.clusters.values()].find((x) => x.name === clusterName);
    return c ? (c.brokers.find((b) => b.id === brokerId)?.up ?? false) : true;
  }

  /** A fault: the broker stops (it publishes nothing); AWS's own recovery brings it back after `recoversAfterMs` (never when undefined). */
  brokerDown(arn: string, brokerId: number, opts: { recoversAfterMs?: number; rebootFixes: boolean }): SimBroker {
    const c = this.cluster(arn);
    const b = c.brokers.find((x) => x.id === brokerId);
    if (!b) throw new Error(`cluster ${c.name} has no broker ${brokerId} (brokers 1..${c.brokers.length})`);
    b.up = false;
    b.rebootFixes = opts.rebootFixes;
    const epoch = ++b.epoch;
    this.note(`${c.name} broker ${brokerId} down${opts.recoversAfterMs !== undefined ? ` (AWS recovers it in ${opts.recoversAfterMs / 1000} s)` : ''}`);
    if (opts.recoversAfterMs !== undefined) {
      this.ctx.clock.after(opts.recoversAfterMs, `msk ${c.name} broker ${brokerId} recovers`, () => {
        if (b.epoch !== epoch || b.up) return;
        b.up = true;
        b.epoch++;
        this.note(`${c.name} broker ${brokerId} back (AWS's recovery)`);
      });
    }
    return b;
  }

  /** A fault: AWS holds the cluster in `state` for `forMs` (for good when undefined). */
  holdState(arn: string, state: ClusterStateName, forMs?: number): void {
    const c = this.cluster(arn);
    const seq = ++this.seq;
    c.override = { state, seq, ...(forMs !== undefined ? { untilMs: this.ctx.clock.now() + forMs } : {}) };
    this.note(`${c.name} is ${state}${forMs !== undefined ? ` for ${forMs / 1000} s` : ''}`);
    if (forMs !== undefined) {
      this.ctx.clock.after(forMs, `msk ${c.name} leaves ${state}`, () => {
        if (c.override?.seq !== seq) return;
        delete c.override;
        this.note(`${c.name} is ${this.stateOf(c)} again`);
      });
    }
  }

  private note(text: string): void {
    this.ctx.record.event(this.ctx.clock.now(), 'note', `msk: ${text}`);
  }

  private find(arn: string | undefined): SimCluster {
    const c = arn ? this.clusters.get(arn) : undefined;
    if (!c) throw this.ctx.err(NotFoundException, 404, `The requested resource could not be found: cluster ${arn ?? '(none)'}.`);
    return c;
  }

  private describeCluster(i: DescribeClusterV2Request) {
    const c = this.find(i.ClusterArn);
    const running = c.operations.find((o) => o.endMs === undefined);
    return {
      ClusterInfo: {
        ...(running ? { ActiveOperationArn: running.arn } : {}),
        ClusterArn: c.arn,
        ClusterName: c.name,
        ClusterType: 'PROVISIONED' as const,
        CreationTime: new Date(c.createdMs),
        CurrentVersion: 'K3AEGXETSR30VB',
        State: this.stateOf(c),
        StateInfo: {},
        Tags: {},
        Provisioned: {
          BrokerNodeGroupInfo: {
            InstanceType: 'kafka.m5.large',
            ClientSubnets: c.brokers.map((b) => `subnet-0${b.id}`),
            StorageInfo: { EbsStorageInfo: { VolumeSize: 1000 } },
          },
          CurrentBrokerSoftwareInfo: { KafkaVersion: '3.6.0' },
          EnhancedMonitoring: 'DEFAULT' as const,
          NumberOfBrokerNodes: c.brokers.length,
        },
      },
    };
  }

  private listNodes(i: ListNodesRequest) {
    const c = this.find(i.ClusterArn);
    const nodes: NodeInfo[] = c.brokers.map((b) => ({
      AddedToClusterTime: new Date(c.createdMs).toISOString(),
      BrokerNodeInfo: {
        BrokerId: b.id,
        ClientSubnet: `subnet-0${b.id}`,
        ClientVpcIpAddress: `10.0.${b.id}.10`,
        CurrentBrokerSoftwareInfo: { KafkaVersion: '3.6.0' },
        Endpoints: [`b-${b.id}.${c.name.replace(/[^a-z0-9]/gi, '').toLowerCase()}.sim.c1.kafka.${this.ctx.region}.amazonaws.com`],
      },
      InstanceType: 'm5.large',
      NodeARN: `arn:aws:kafka:${this.ctx.region}:${this.ctx.account}:broker/${c.arn.split(':cluster/')[1]}/${b.id}`,
      NodeType: 'BROKER',
    }));
    const { page, next } = paged(nodes, i.NextToken, i.MaxResults);
    return { NodeInfoList: page, ...(next ? { NextToken: next } : {}) };
  }

  private summary(c: SimCluster, o: SimOperation): ClusterOperationV2Summary {
    return {
      ClusterArn: c.arn,
      ClusterType: 'PROVISIONED',
      OperationArn: o.arn,
      OperationState: o.state,
      OperationType: o.type,
      StartTime: new Date(o.startMs),
      ...(o.endMs !== undefined ? { EndTime: new Date(o.endMs) } : {}),
    };
  }

  private listOperations(i: ListClusterOperationsV2Request) {
    const c = this.find(i.ClusterArn);
    const newestFirst = [...c.operations].sort((a, b) => b.startMs - a.startMs).map((o) => this.summary(c, o));
    const { page, next } = paged(newestFirst, i.NextToken, i.MaxResults);
    return { ClusterOperationInfoList: page, ...(next ? { NextToken: next } : {}) };
  }

  private describeOperation(i: DescribeClusterOperationV2Request) {
    for (const c of this.clusters.values()) {
      const o = c.operations.find((x) => x.arn === i.ClusterOperationArn);
      if (!o) continue;
      return {
        ClusterOperationInfo: {
          ...this.summary(c, o),
          Provisioned: {
            OperationSteps: [
              { StepName: 'INITIALIZE_UPDATE', StepInfo: { StepStatus: 'FINISHED' } },
              { StepName: 'UPDATE_APPLIED', StepInfo: { StepStatus: o.endMs === undefined ? 'IN_PROGRESS' : 'FINISHED' } },
            ],
            SourceClusterInfo: {},
            TargetClusterInfo: {},
          },
        },
      };
    }
    throw this.ctx.err(NotFoundException, 404, `The requested resource could not be found: cluster operation ${i.ClusterOperationArn ?? '(none)'}.`);
  }

  private rebootBroker(i: RebootBrokerRequest) {
    const c = this.find(i.ClusterArn);
    const ids = i.BrokerIds ?? [];
    if (ids.length !== 1)
      throw this.ctx.err(BadRequestException, 400, 'The request is invalid: the reboot-broker operation supports rebooting one broker at a time.', {
        InvalidParameter: 'brokerIds',
      });
    const b = c.brokers.find((x) => String(x.id) === ids[0]);
    if (!b)
      throw this.ctx.err(BadRequestException, 400, `The request is invalid: broker ${ids[0]} does not exist in cluster ${c.name}.`, {
        InvalidParameter: 'brokerIds',
      });
    const state = this.stateOf(c);
    if (state !== 'ACTIVE') {
      throw this.ctx.err(
        BadRequestException,
        400,
        `The request is invalid because the cluster is in the ${state} state. Wait for the cluster to be ACTIVE and retry.`,
      );
    }
    const op: SimOperation = {
      arn: `arn:aws:kafka:${this.ctx.region}:${this.ctx.account}:cluster-operation/${c.arn.split(':cluster/')[1]}/${this.ctx.ids.uuid()}`,
      type: 'REBOOT_NODE',
      state: 'REBOOT_IN_PROGRESS',
      startMs: this.ctx.clock.now(),
      brokerId: b.id,
    };
    c.operations.push(op);
    c.reboots++;
    const wasUp = b.up;
    // A broker being rebooted is offline until it has started again.
    b.up = false;
    const epoch = ++b.epoch;
    this.note(`${c.name} broker ${b.id} rebooting (${op.arn.split('/').pop()})`);
    this.ctx.clock.after(REBOOT_MS, `msk ${c.name} reboot of broker ${b.id} completes`, () => {
      op.state = 'REBOOT_COMPLETE';
      op.endMs = this.ctx.clock.now();
      if (b.epoch === epoch && (wasUp || b.rebootFixes)) {
        b.up = true;
        b.epoch++;
      }
      this.note(`${c.name} REBOOT_COMPLETE for broker ${b.id}: it is ${b.up ? 'up' : 'still down'}`);
    });
    return { ClusterArn: c.arn, ClusterOperationArn: op.arn };
  }
}
