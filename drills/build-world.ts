import type { PipelineConfig, StreamfixConfig } from '../lambdas/config';
import { seedFirehose } from './firehose';
import { seedFlink } from './flink';
import { emrPipelines } from './jobs';
import { seedMsk } from './msk';
import { seedCheckpointing, seedSealedBackup } from './checkpoint';
import { parseS3Uri, seedCheckpoint } from './sim/checkpoint';
import type { KnownJob } from './sim/context';
import { DEPLOYER } from './sim/emr';
import { SimWorld } from './sim/world';
import type { Scenario, WorldSpec } from './scenario/schema';

type JobRunSeed = NonNullable<WorldSpec['emr']['jobRuns']>[number];
type CheckpointSpec = NonNullable<WorldSpec['s3']['checkpoints']>[number];

/**
 * Builds the simulated platform a scenario starts from: the config's EMR Serverless
 * applications, the job runs (by default one RUNNING run per pipeline), checkpoints (by default
 * a healthy one per pipeline), S3 objects, SSM parameters, secrets and PagerDuty routing keys.
 */

export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_PARTITIONS = 3;
/** The release of a pipeline's application when neither the scenario nor the config names one. */
export const DEFAULT_RELEASE = 'emr-7.2.0';

export interface WorldNames {
  account: string;
  region: string;
  topicArn: string;
  schedulerGroup: string;
}

export const topicOf = (p: PipelineConfig): string => (p.source.kind === 'msk' ? p.source.topic : p.source.streamName);

/** The pipelines whose job runs on EMR Serverless: their runs, Spark checkpoints and metrics are simulated here. */
export function knownJobs(config: StreamfixConfig, scenario: Scenario): KnownJob[] {
  return emrPipelines(config).map(([pipeline, job]) => {
    const seed = scenario.world.s3.checkpoints?.find((c) => c.pipeline === pipeline || c.uri === job.checkpoint);
    return {
      pipeline,
      applicationId: job.applicationId,
      jobName: job.jobName,
      executionRoleArn: job.executionRoleArn,
      checkpoint: job.checkpoint,
      topic: seed?.topic ?? topicOf(config.pipelines[pipeline]!),
      partitions: seed?.partitions ?? DEFAULT_PARTITIONS,
    };
  });
}

/** The driver a pipeline's job runs with when the scenario does not say. */
export function defaultDriver(job: KnownJob) {
  const { bucket } = parseS3Uri(job.checkpoint);
  return {
    entryPoint: `s3://${bucket}/code/${job.jobName}/main.py`,
    entryPointArguments: ['--topic', job.topic, '--checkpoint', job.checkpoint],
    sparkSubmitParameters:
      `--conf spark.executor.instances=4 --conf spark.executor.cores=4 --conf spark.executor.memory=16g ` +
      `--conf spark.sql.streaming.checkpointLocation=${job.checkpoint}`,
  };
}

/**
 * Where a seeded run logs when the scenario does not say: where the config says the job's
 * driver logs are, else an `emr-logs/` prefix in the checkpoint bucket.
 */
function defaultMonitoring(job: KnownJob | undefined, name: string, config: StreamfixConfig) {
  const pj = job ? config.pipelines[job.pipeline]?.job : undefined;
  const logs = pj?.kind === 'emr-serverless' ? pj.driverLogs : undefined;
  const logUri = logs?.s3 ?? (logs?.cloudWatchLogGroup ? undefined : `s3://${job ? parseS3Uri(job.checkpoint).bucket : 'logs'}/emr-logs/${name}/`);
  return {
    ...(logUri ? { s3MonitoringConfiguration: { logUri } } : {}),
    ...(logs?.cloudWatchLogGroup ? { cloudWatchLoggingConfiguration: { enabled: true, logGroupName: logs.cloudWatchLogGroup } } : {}),
  };
}

/** A routing key as the secret stores it: a plain string or JSON {"routingKey": ...}. */
export function routingKeyOf(secret: string): string | undefined {
  const s = secret.trim();
  if (!s.startsWith('{')) return s;
  try {
    const o = JSON.parse(s) as { routingKey?: unknown; routing_key?: unknown };
    const k = o.routingKey ?? o.routing_key;
    return typeof k === 'string' ? k : undefined;
  } catch {
    return undefined;
  }
}

export function buildWorld(scenario: Scenario, config: StreamfixConfig, names: WorldNames, opts: { stuckAfterRealMs?: number } = {}): SimWorld {
  const jobs = knownJobs(config, scenario);
  const startMs = Date.parse(scenario.start);
  const w = scenario.world;
  const applicationIds = [...new Set([...jobs.map((j) => j.applicationId), ...w.emr.applications.map((a) => a.applicationId)])];
  const t = w.emr.timings;
  const world = new SimWorld({
    startMs,
    prefix: config.name,
    seed: scenario.seed,
    account: names.account,
    region: names.region,
    jobs,
    applicationIds,
    emrTimings: {
      ...(t.pending !== undefined ? { pendingAfterMs: t.pending } : {}),
      ...(t.scheduled !== undefined ? { scheduledAfterMs: t.scheduled } : {}),
      ...(t.running !== undefined ? { runningAfterMs: t.running } : {}),
      ...(t.cancel !== undefined ? { cancelAfterMs: t.cancel } : {}),
    },
    ...(w.eventBridge.deliveryDelay !== undefined ? { deliveryDelayMs: w.eventBridge.deliveryDelay } : {}),
    ...(opts.stuckAfterRealMs !== undefined ? { stuckAfterRealMs: opts.stuckAfterRealMs } : {}),
  });
  // The pipelines' applications: their release (the scenario's, else the config's) and name.
  const releaseOf = (applicationId: string) =>
    w.emr.releaseLabel ?? emrPipelines(config).find(([, j]) => j.applicationId === applicationId)?.[1].releaseLabel ?? DEFAULT_RELEASE;
  for (const [, job] of emrPipelines(config)) {
    world.emr.addApplication({
      applicationId: job.applicationId,
      releaseLabel: releaseOf(job.applicationId),
      ...(job.applicationName ? { name: job.applicationName } : {}),
    });
  }
  for (const a of w.emr.applications) world.emr.addApplication({ releaseLabel: releaseOf(a.applicationId), ...a });
  for (const b of w.emr.brokenEntryPoints) world.emr.markBroken(b.entryPoint, b.stateDetails);

  const runs: JobRunSeed[] =
    w.emr.jobRuns ??
    jobs.map((j) => ({ pipeline: j.pipeline, state: 'RUNNING' as const, stateDetails: '', createdAgo: 7_200_000, mode: 'STREAMING' as const }));
  for (const r of runs) {
    const job = r.pipeline !== undefined ? jobs.find((j) => j.pipeline === r.pipeline) : undefined;
    const applicationId = r.applicationId ?? job!.applicationId;
    const name = r.name ?? job!.jobName;
    const createdAt = new Date(startMs - r.createdAgo);
    const retryPolicy = r.mode === 'STREAMING' ? { maxFailedAttemptsPerHour: 5, ...w.emr.retryPolicy, ...(r.retryPolicy ?? {}) } : r.retryPolicy;
    const driver = job ? defaultDriver(job) : { entryPoint: `s3://code/${name}/main.py` };
    const started = ['RUNNING', 'SUCCESS', 'FAILED', 'CANCELLING', 'CANCELLED'].includes(r.state);
    const ended = ['SUCCESS', 'FAILED', 'CANCELLED'].includes(r.state);
    const entryPointArguments = r.entryPointArguments ?? ('entryPointArguments' in driver ? driver.entryPointArguments : undefined);
    const sparkSubmitParameters = r.sparkSubmitParameters ?? ('sparkSubmitParameters' in driver ? driver.sparkSubmitParameters : undefined);
    world.emr.seedRun({
      applicationId,
      name,
      createdBy: DEPLOYER(names.account),
      createdAt,
      updatedAt: ended ? new Date(startMs - 60_000) : new Date(createdAt.getTime() + 40_000),
      executionRole: r.executionRole ?? job?.executionRoleArn ?? `arn:aws:iam::${names.account}:role/${name}-job`,
      state: r.state,
      stateDetails: r.stateDetails,
      releaseLabel: r.releaseLabel ?? world.emr.application(applicationId)?.releaseLabel ?? releaseOf(applicationId),
      ...(r.executionIamPolicy ? { executionIamPolicy: r.executionIamPolicy } : {}),
      jobDriver: {
        sparkSubmit: {
          entryPoint: r.entryPoint ?? driver.entryPoint,
          ...(entryPointArguments ? { entryPointArguments } : {}),
          ...(sparkSubmitParameters ? { sparkSubmitParameters } : {}),
        },
      },
      configurationOverrides: (r.configurationOverrides as never) ?? { monitoringConfiguration: defaultMonitoring(job, name, config) },
      tags: r.tags ?? (job ? { pipeline: job.pipeline } : {}),
      mode: r.mode,
      ...(retryPolicy ? { retryPolicy } : {}),
      executionTimeoutMinutes: r.mode === 'STREAMING' ? 0 : 720,
      attempt: 1,
      attemptCreatedAt: createdAt,
      attemptUpdatedAt: createdAt,
      ...(started ? { startedAt: new Date(createdAt.getTime() + 40_000) } : {}),
      ...(ended ? { endedAt: new Date(startMs - 60_000) } : {}),
    });
  }

  for (const b of w.s3.buckets) world.s3.createBucket(b);
  for (const o of w.s3.objects) {
    const { bucket, prefix: key } = parseS3Uri(o.uri);
    world.s3.createBucket(bucket);
    world.s3.put(bucket, key, o.body);
  }
  const checkpoints: CheckpointSpec[] =
    w.s3.checkpoints ??
    jobs.map((j) => ({
      pipeline: j.pipeline,
      batches: 120,
      lastBatchAge: 30_000,
      batchInterval: 60_000,
      lastBatchCommitted: true,
      recordsPerBatch: 6_000,
      sealedBackups: [],
    }));
  for (const c of checkpoints) {
    const job = c.pipeline !== undefined ? jobs.find((j) => j.pipeline === c.pipeline) : undefined;
    seedCheckpoint(world.s3, world.ctx, {
      uri: c.uri ?? job!.checkpoint,
      topic: c.topic ?? job?.topic ?? 'topic',
      partitions: c.partitions ?? job?.partitions ?? DEFAULT_PARTITIONS,
      batches: c.batches,
      lastBatchAgeSeconds: c.lastBatchAge / 1000,
      batchIntervalSeconds: c.batchInterval / 1000,
      lastBatchCommitted: c.lastBatchCommitted,
      recordsPerBatch: c.recordsPerBatch,
    });
    for (const name of c.sealedBackups) seedSealedBackup(world, c.uri ?? job!.checkpoint, name);
  }

  for (const [name, value] of Object.entries(w.ssm)) world.ssm.set(name, value);
  const secrets = { ...w.secrets };
  const pd = config.escalation.pagerDuty?.secretName;
  if (pd !== undefined && secrets[pd] === undefined) secrets[pd] = world.ids.hex(32);
  for (const [name, value] of Object.entries(secrets)) {
    world.secrets.set(name, value);
    const key = routingKeyOf(value);
    if (key) world.pagerDuty.addRoutingKey(key);
  }
  seedFirehose(world, w, config, names.account, names.region);
  seedMsk(world, w, config);
  seedCheckpointing(world, w);
  seedFlink(world, w, config);
  world.sns.addTopic(names.topicArn);
  world.scheduler.addGroup(names.schedulerGroup);
  return world;
}
