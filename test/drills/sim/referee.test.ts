import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { describe, expect, it } from 'vitest';
import { APP, NO_RETRY, T0, newWorld, simClient, startInput } from '../helpers';

function setup() {
  const world = newWorld();
  return { world, emr: simClient(world, EMRServerlessClient) };
}

describe('Class: Referee', () => {
  it('flags a StartJobRun while a run of the job is active, and the two active runs', async () => {
    // Prepare
    const { world, emr } = setup();
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'a' })));
    await world.clock.advance(10_000);
    // Act
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'b' })));
    // Assess
    expect(world.record.violations.map((v) => v.kind).sort()).toEqual(['start-while-active', 'two-active-runs']);
    expect(world.record.violations[0]!.jobName).toBe('orders-stream');
  });

  it('reports one pair of concurrent runs once, however many transitions follow', async () => {
    const { world, emr } = setup();
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'a' })));
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'b' })));
    await world.clock.advance(30_000);
    expect(world.record.violations.filter((v) => v.kind === 'two-active-runs')).toHaveLength(1);
  });

  it('accepts a restart after the previous run FAILED', async () => {
    const { world, emr } = setup();
    const { jobRunId } = await emr.send(new StartJobRunCommand(startInput({ clientToken: 'a', ...NO_RETRY })));
    await world.clock.advance(10_000);
    world.emr.failRun(jobRunId!, 'boom');
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'b', ...NO_RETRY })));
    await world.clock.advance(10_000);
    expect(world.record.violations).toEqual([]);
  });

  it("flags a restart that drops the previous run's session policy, and accepts one that carries it", async () => {
    const { world, emr } = setup();
    const executionIamPolicy = { policyArns: ['arn:aws:iam::123456789012:policy/orders-stream-session'] };
    const { jobRunId } = await emr.send(new StartJobRunCommand(startInput({ clientToken: 'a', executionIamPolicy, ...NO_RETRY })));
    await world.clock.advance(10_000);
    world.emr.failRun(jobRunId!, 'boom');
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'b', executionIamPolicy, ...NO_RETRY })));
    expect(world.record.violations).toEqual([]);
    await world.clock.advance(10_000);
    world.emr.failRun(world.emr.allRuns()[1]!.jobRunId, 'boom');
    await emr.send(new StartJobRunCommand(startInput({ clientToken: 'c', ...NO_RETRY })));
    expect(world.record.violations).toMatchObject([{ kind: 'session-policy-dropped', applicationId: APP }]);
  });

  it("flags a run started with an execution role other than the job's", async () => {
    const { world, emr } = setup();
    await emr.send(new StartJobRunCommand(startInput({ executionRoleArn: 'arn:aws:iam::123456789012:role/SomethingElse' })));
    expect(world.record.violations).toMatchObject([{ kind: 'wrong-execution-role', applicationId: APP }]);
  });

  it('does not blame the engine for runs the scenario seeded', () => {
    const { world } = setup();
    const seed = {
      applicationId: APP,
      name: 'orders-stream',
      createdBy: 'x',
      createdAt: new Date(T0 - 1),
      updatedAt: new Date(T0 - 1),
      executionRole: 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole',
      state: 'RUNNING' as const,
      stateDetails: '',
      releaseLabel: 'emr-7.2.0',
      jobDriver: { sparkSubmit: { entryPoint: 's3://x/y.py' } },
    };
    world.emr.seedRun(seed);
    world.emr.seedRun(seed);
    expect(world.record.violations).toEqual([]);
  });
});
