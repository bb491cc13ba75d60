import { type CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  type KafkaClient,
  ListClusterOperationsV2Command,
  ListNodesCommand,
  type ClusterState,
  type DescribeClusterV2CommandOutput,
  type ListNodesCommandOutput,
} from '@aws-sdk/client-kafka';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { pages, reply } from '../../adapters/aws-fixtures';
import { CLUSTER, MIN, NOW, OP_BASE } from './fixtures';

/**
 * A cluster as the SDK mocks answer it: the recorded DescribeClusterV2 and ListNodes replies
 * (brokers 1–3) with a chosen state, the operations given, and per-minute metric values by
 * GetMetricData query id (`cpu_2`, `urp_1`, `offline`, `ctrl`, `lag`...) as functions of each
 * minute's start.
 */
export interface FakeCluster {
  state?: string;
  operations?: { id: string; type: string; state: string; startMs: number; endMs?: number; error?: string }[];
  metrics?: Record<string, (minuteMs: number) => number | undefined>;
}

const live = (brokers: number[], downSince: Record<number, number>) => (id: number) => (t: number) =>
  brokers.includes(id) && (downSince[id] === undefined || t < downSince[id]!) ? 1 : undefined;

/** Metrics of a three-broker cluster where each broker in `downSince` stopped publishing at that minute. */
export function clusterMetrics(downSince: Record<number, number> = {}, over: Record<string, (t: number) => number | undefined> = {}) {
  const alive = live([1, 2, 3], downSince);
  const cpu = Object.fromEntries([1, 2, 3].map((id) => [`cpu_${id}`, alive(id)]));
  const urp = Object.fromEntries([1, 2, 3].map((id) => [`urp_${id}`, (t: number) => (alive(id)(t) ? 0 : undefined)]));
  const isr = Object.fromEntries([1, 2, 3].map((id) => [`isr_${id}`, (t: number) => (alive(id)(t) ? 0 : undefined)]));
  return { ...cpu, ...urp, ...isr, offline: () => 0, ctrl: () => 1, lag: () => 500, ...over };
}

export function fakeCluster(kafka: AwsClientStub<KafkaClient>, cw: AwsClientStub<CloudWatchClient>, c: FakeCluster): void {
  const described = reply<DescribeClusterV2CommandOutput>('kafka', 'DescribeClusterV2');
  described.ClusterInfo!.State = (c.state ?? 'ACTIVE') as ClusterState;
  const running = (c.operations ?? []).find((o) => o.endMs === undefined);
  if (running) described.ClusterInfo!.ActiveOperationArn = `${OP_BASE}/${running.id}`;
  else delete described.ClusterInfo!.ActiveOperationArn;
  kafka.on(DescribeClusterV2Command).resolves(described);
  const [n1, n2] = pages<ListNodesCommandOutput>('kafka', 'ListNodes');
  kafka.on(ListNodesCommand, { NextToken: undefined }).resolves(n1!);
  kafka.on(ListNodesCommand, { NextToken: n1!.NextToken }).resolves(n2!);
  kafka.on(ListClusterOperationsV2Command).resolves({
    $metadata: {},
    ClusterOperationInfoList: (c.operations ?? []).map((o) => ({
      ClusterArn: CLUSTER,
      ClusterType: 'PROVISIONED',
      OperationArn: `${OP_BASE}/${o.id}`,
      OperationType: o.type,
      OperationState: o.state,
      StartTime: new Date(o.startMs),
      ...(o.endMs !== undefined ? { EndTime: new Date(o.endMs) } : {}),
    })),
  });
  for (const o of c.operations ?? []) {
    kafka.on(DescribeClusterOperationV2Command, { ClusterOperationArn: `${OP_BASE}/${o.id}` }).resolves({
      $metadata: {},
      ClusterOperationInfo: {
        ClusterArn: CLUSTER,
        ClusterType: 'PROVISIONED',
        OperationArn: `${OP_BASE}/${o.id}`,
        OperationType: o.type,
        OperationState: o.state,
        StartTime: new Date(o.startMs),
        ...(o.endMs !== undefined ? { EndTime: new Date(o.endMs) } : {}),
        ...(o.error ? { ErrorInfo: { ErrorCode: 'InternalFailure', ErrorString: o.error } } : {}),
        Provisioned: { OperationSteps: [], SourceClusterInfo: {}, TargetClusterInfo: {} },
      },
    });
  }
  const values: Record<string, (t: number) => number | undefined> = c.metrics ?? clusterMetrics();
  cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const start = input.StartTime!.getTime();
    const end = input.EndTime!.getTime();
    return {
      $metadata: {},
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const f = values[q.Id!];
        const ts: Date[] = [];
        const vs: number[] = [];
        // A minute's datapoint exists once the minute has ended.
        for (let t = Math.ceil(start / MIN) * MIN; f && t + MIN <= end; t += MIN) {
          const v = f(t);
          if (v !== undefined) {
            ts.push(new Date(t));
            vs.push(v);
          }
        }
        return { Id: q.Id, Timestamps: ts, Values: vs, StatusCode: 'Complete' as const };
      }),
    };
  });
}

export const minute = (ms: number) => Math.floor(ms / MIN) * MIN;
export { NOW };
