import {
  DescribeApplicationCommand,
  KinesisAnalyticsV2Client,
  KinesisAnalyticsV2ServiceException,
  UpdateApplicationCommand,
  type DescribeApplicationCommandOutput,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ManagedFlinkAdapter } from '../../lambdas/adapters/managed-flink';
import { parseConfig } from '../../lambdas/schema';
import { scaleFlinkApplicationAction, type ScaleFlinkParams } from '../../lambdas/runtimes/managed-flink/scale';
import { startFlinkApplicationAction } from '../../lambdas/runtimes/managed-flink/start';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';
import { recordedError, reply } from '../adapters/aws-fixtures';
import { flinkPipeline } from '../helpers/pipelines';

/**
 * The Managed Flink actions against recorded replies (aws-sdk-client-mock): what each call sends,
 * in which order, and what a lost answer, a version conflict or a changed application do.
 */

const SVC = 'kinesisanalytics';
const APP = 'clicks-enricher';
const flink = mockClient(KinesisAnalyticsV2Client);
const adapter = new ManagedFlinkAdapter(new KinesisAnalyticsV2Client({ region: 'eu-west-1' }));
const config = parseConfig(emrAndFlink);
const pipeline = flinkPipeline(config.pipelines.clicks);
const err = (name: string) => recordedError(KinesisAnalyticsV2ServiceException, SVC, name);
// Only the AWS adapters are read by these actions' run().
const ctx = { aws: { flink: adapter } } as never;

/** The recorded application with another status, version, parallelism or snapshot setting. */
function app(status: string, versionId: number, parallelism: number, snapshotsEnabled = true): DescribeApplicationCommandOutput {
  const r = reply<DescribeApplicationCommandOutput>(SVC, 'DescribeApplication');
  const d = r.ApplicationDetail!;
  d.ApplicationStatus = status as never;
  d.ApplicationVersionId = versionId;
  const c = d.ApplicationConfigurationDescription!;
  c.FlinkApplicationConfigurationDescription!.ParallelismConfigurationDescription = {
    ConfigurationType: 'CUSTOM',
    Parallelism: parallelism,
    ParallelismPerKPU: 1,
    CurrentParallelism: parallelism,
    AutoScalingEnabled: false,
  };
  c.ApplicationSnapshotConfigurationDescription = { SnapshotsEnabled: snapshotsEnabled };
  return r;
}

beforeEach(() => flink.reset());
afterAll(() => flink.restore());

describe('Action: kinesisanalytics:UpdateApplication (parallelism)', () => {
  const params: ScaleFlinkParams = { applicationName: APP, fromParallelism: 2, toParallelism: 4, sourcePartitions: 8 };
  const updates = () => flink.commandCalls(UpdateApplicationCommand).map((c) => c.args[0].input);

  it('updates the parallelism on the version it reads', async () => {
    flink.on(DescribeApplicationCommand).resolves(app('RUNNING', 7, 2));
    flink.on(UpdateApplicationCommand).resolves({ ApplicationDetail: { ...app('UPDATING', 8, 2).ApplicationDetail! } });
    const out = await scaleFlinkApplicationAction.execute(params, ctx);
    expect(out.summary).toBe('clicks-enricher parallelism 2 → 4 (version 8, UPDATING)');
    expect(
      updates().map((u) => [
        u.CurrentApplicationVersionId,
        u.ApplicationConfigurationUpdate?.FlinkApplicationConfigurationUpdate?.ParallelismConfigurationUpdate?.ParallelismUpdate,
      ]),
    ).toEqual([[7, 4]]);
  });

  it('leaves an application already at the target alone (a resumed action)', async () => {
    flink.on(DescribeApplicationCommand).resolves(app('UPDATING', 8, 4));
    expect((await scaleFlinkApplicationAction.execute(params, ctx)).summary).toContain('already 4');
    expect(updates()).toEqual([]);
  });

  it('re-reads once on a version conflict: done when its own update took effect, one more update when the parallelism is unchanged', async () => {
    flink
      .on(DescribeApplicationCommand)
      .resolvesOnce(app('RUNNING', 7, 2))
      .resolvesOnce(app('UPDATING', 8, 4));
    flink.on(UpdateApplicationCommand).rejects(err('ConcurrentModificationException'));
    expect((await scaleFlinkApplicationAction.execute(params, ctx)).summary).toContain('an update whose answer was lost took effect');
    expect(updates()).toHaveLength(1);

    flink.reset();
    flink
      .on(DescribeApplicationCommand)
      .resolvesOnce(app('RUNNING', 7, 2))
      .resolvesOnce(app('RUNNING', 9, 2));
    flink
      .on(UpdateApplicationCommand)
      .rejectsOnce(err('ConcurrentModificationException'))
      .resolves({ ApplicationDetail: app('UPDATING', 10, 2).ApplicationDetail! });
    await scaleFlinkApplicationAction.execute(params, ctx);
    expect(updates().map((u) => u.CurrentApplicationVersionId)).toEqual([7, 9]);
  });

  it('refuses when someone changed the parallelism, and never re-reads twice', async () => {
    flink.on(DescribeApplicationCommand).resolves(app('RUNNING', 7, 3));
    await expect(scaleFlinkApplicationAction.execute(params, ctx)).rejects.toThrow('parallelism is 3, not the 2 the plan judged');
    flink.reset();
    flink
      .on(DescribeApplicationCommand)
      .resolvesOnce(app('RUNNING', 7, 2))
      .resolvesOnce(app('RUNNING', 8, 2));
    flink.on(UpdateApplicationCommand).rejects(err('ConcurrentModificationException'));
    await expect(scaleFlinkApplicationAction.execute(params, ctx)).rejects.toThrow(/ConcurrentModificationException/);
    expect(updates()).toHaveLength(2);
  });

  it('never updates a running application without snapshots (its state would be lost), nor one in a transient status', async () => {
    flink.on(DescribeApplicationCommand).resolves(app('RUNNING', 7, 2, false));
    await expect(scaleFlinkApplicationAction.execute(params, ctx)).rejects.toThrow('snapshots disabled');
    flink.on(DescribeApplicationCommand).resolves(app('AUTOSCALING', 7, 2));
    await expect(scaleFlinkApplicationAction.execute(params, ctx)).rejects.toThrow('is AUTOSCALING: not updated now');
    expect(updates()).toEqual([]);
  });

  it('is bounded for this pipeline only', () => {
    expect(scaleFlinkApplicationAction.checkBounds(params, { pipeline, settings: { bounds: { maxParallelism: 32, maxScaleFactor: 2 } } })).toEqual([]);
  });
});

describe('Action: kinesisanalytics:StartApplication', () => {
  const params = { applicationName: APP, restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' as const, snapshotName: 'snap', versionId: 7 };
  const starts = () => flink.commandCalls(DescribeApplicationCommand).length;

  it('starts a READY application, and leaves one already starting or running alone', async () => {
    flink.on(DescribeApplicationCommand).resolves(app('READY', 7, 4));
    flink.on((await import('@aws-sdk/client-kinesis-analytics-v2')).StartApplicationCommand).resolves({ OperationId: 'op' });
    expect((await startFlinkApplicationAction.execute(params, ctx)).after).toEqual({ status: 'STARTING', operationId: 'op' });
    flink.reset();
    flink.on(DescribeApplicationCommand).resolves(app('STARTING', 7, 4));
    expect((await startFlinkApplicationAction.execute(params, ctx)).summary).toBe('clicks-enricher is already STARTING (version 7)');
    expect(starts()).toBe(1);
  });

  it('takes a ResourceInUseException on the start for a start whose answer was lost when the application is starting', async () => {
    const { StartApplicationCommand } = await import('@aws-sdk/client-kinesis-analytics-v2');
    flink
      .on(DescribeApplicationCommand)
      .resolvesOnce(app('READY', 7, 4))
      .resolvesOnce(app('STARTING', 7, 4));
    flink.on(StartApplicationCommand).rejects(err('ResourceInUseException'));
    expect((await startFlinkApplicationAction.execute(params, ctx)).summary).toContain('was already STARTING when started');
  });

  it('refuses an application in another status or at another version than the plan judged', async () => {
    flink.on(DescribeApplicationCommand).resolves(app('UPDATING', 7, 4));
    await expect(startFlinkApplicationAction.execute(params, ctx)).rejects.toThrow('is UPDATING: StartApplication needs READY');
    flink.on(DescribeApplicationCommand).resolves(app('READY', 8, 4));
    await expect(startFlinkApplicationAction.execute(params, ctx)).rejects.toThrow('at version 8, not the version 7');
  });
});
