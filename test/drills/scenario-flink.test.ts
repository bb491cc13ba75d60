import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../drills/build-world';
import { flinkChecks, flinkSummary } from '../../drills/flink';
import { ScenarioError, validateScenario } from '../../drills/scenario/load';

const names = { account: '123456789012', region: 'eu-west-1', topicArn: 'arn:aws:sns:eu-west-1:123456789012:streamfix', schedulerGroup: 'streamfix' };

const config = {
  pipelines: {
    orders: {
      source: { kind: 'msk', clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1', clusterName: 'c', topic: 't', consumerGroup: 'g' },
      job: {
        kind: 'emr-serverless',
        applicationId: '00fabcd1234efg5h',
        jobName: 'orders-stream',
        executionRoleArn: 'arn:aws:iam::123456789012:role/R',
        checkpoint: 's3://orders-data-lake/cp/',
      },
    },
    clicks: {
      source: { kind: 'kinesis', streamName: 'clicks-events', retentionHours: 24 },
      job: {
        kind: 'managed-flink',
        applicationName: 'clicks-enricher',
        runtimeEnvironment: 'FLINK-1_20',
        logGroupName: '/aws/kinesis-analytics/clicks-enricher',
      },
    },
  },
};

const valid = () => ({
  version: 1,
  name: 'a-flink-drill',
  description: 'd',
  config,
  world: { kinesis: { streams: [{ pipeline: 'clicks', shards: 2 }] }, flink: { applications: [{ pipeline: 'clicks', parallelism: 2 }] } },
  timeline: [{ at: '60s', 'fail-flink-job': { pipeline: 'clicks', error: 'java.lang.NullPointerException' } }],
  runFor: '10m',
  expect: { flink: { clicks: { status: 'RUNNING', parallelism: 2 } } },
});

async function issues(doc: unknown): Promise<{ path: string; message: string }[]> {
  const err = await validateScenario('s.yaml', doc).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ScenarioError);
  return (err as ScenarioError).issues;
}

describe('Scenario format: Managed Flink applications and Kinesis streams', () => {
  it('accepts them and fills the defaults', async () => {
    // Act
    const { scenario } = await validateScenario('s.yaml', valid());
    // Assess
    expect(scenario.world.flink.applications[0]).toMatchObject({
      status: 'RUNNING',
      parallelismPerKPU: 1,
      snapshotsEnabled: true,
      rollbackEnabled: false,
      checkpointInterval: 60_000,
      checkpointTimeout: 600_000,
    });
    expect(scenario.world.kinesis.streams[0]).toMatchObject({
      recordsPerSecond: 1_000,
      enhancedMonitoring: [],
      readLimitRecordsPerSecond: 2_000,
      history: 3_600_000,
    });
    expect(scenario.timeline[0]!['fail-flink-job']).toMatchObject({ after: 20_000 });
  });

  it('keeps a scenario without them valid, with empty parts', async () => {
    // Act
    const { scenario } = await validateScenario('s.yaml', { ...valid(), world: {}, timeline: [], expect: {} });
    // Assess
    expect(scenario.world.flink.applications).toEqual([]);
    expect(scenario.world.kinesis.streams).toEqual([]);
  });

  it.each([
    [
      'weights not one per shard',
      { world: { kinesis: { streams: [{ pipeline: 'clicks', shards: 2, weights: [1] }] } } },
      'world.kinesis.streams[0].weights',
      'one weight per shard',
    ],
    [
      'a key that is not a KMS key ARN',
      { world: { flink: { applications: [{ pipeline: 'clicks', kmsKeyArn: 'alias/x' }] } } },
      'world.flink.applications[0].kmsKeyArn',
      'KMS key ARN',
    ],
    [
      'an unknown application field',
      { world: { flink: { applications: [{ pipeline: 'clicks', paralelism: 2 }] } } },
      'world.flink.applications[0]',
      'unknown field "paralelism"',
    ],
    [
      'an unknown operation',
      { timeline: [{ at: 1, 'fail-flink-operation': { pipeline: 'clicks', operation: 'DeleteApplication', error: 'x' } }] },
      'timeline[0].fail-flink-operation.operation',
      '',
    ],
    [
      'an unknown checkpoint cause',
      { timeline: [{ at: 1, 'flink-checkpoint-failures': { pipeline: 'clicks', cause: 'disk-full' } }] },
      'timeline[0].flink-checkpoint-failures.cause',
      '',
    ],
    ['a negative shard', { timeline: [{ at: 1, 'kinesis-shard-stuck': { pipeline: 'clicks', shard: -1 } }] }, 'timeline[0].kinesis-shard-stuck.shard', ''],
    ['an unknown expectation', { expect: { flink: { clicks: { kpus: 2 } } } }, 'expect.flink.clicks', 'unknown field "kpus"'],
  ])('rejects %s, naming the path', async (_what, patch, path, message) => {
    // Act
    const found = await issues({ ...valid(), ...patch });
    // Assess
    expect(found).toContainEqual(expect.objectContaining({ path, message: expect.stringContaining(message) }));
  });

  it('refuses to seed a stream or an application for a pipeline of another kind, naming the entry', async () => {
    // Prepare
    const stream = await validateScenario('s.yaml', { ...valid(), world: { kinesis: { streams: [{ pipeline: 'orders' }] } } });
    const app = await validateScenario('s.yaml', { ...valid(), world: { flink: { applications: [{ pipeline: 'orders' }] } } });
    // Act / Assess
    expect(() => buildWorld(stream.scenario, stream.config, names)).toThrow(
      /world\.kinesis\.streams\[0\]\.pipeline: pipeline "orders" does not read from Kinesis/,
    );
    expect(() => buildWorld(app.scenario, app.config, names)).toThrow(/world\.flink\.applications\[0\]\.pipeline: pipeline "orders" runs on emr-serverless/);
  });

  it('seeds the application reading its stream, sums them up and checks expect.flink', async () => {
    // Prepare
    const { scenario, config: c } = await validateScenario('s.yaml', valid());
    const world = buildWorld(scenario, c, names);
    // Act
    const summary = flinkSummary(world, c);
    // Assess
    expect(summary.clicks).toMatchObject({ status: 'RUNNING', parallelism: 2, versionId: 3, starts: 0, updates: 0, lostRecords: 0 });
    expect(summary.orders).toBeUndefined();
    expect(flinkChecks({ clicks: { status: 'RUNNING', parallelism: 2 } }, summary).every((x) => x.ok)).toBe(true);
    expect(flinkChecks({ clicks: { parallelism: 3 } }, summary)).toEqual([{ path: 'expect.flink.clicks.parallelism', expected: 3, actual: 2, ok: false }]);
    expect(flinkChecks({ ledger: { status: 'RUNNING' } }, summary)[0]).toMatchObject({ path: 'expect.flink.ledger', ok: false });
  });
});
