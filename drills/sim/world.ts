import type { Pluggable } from '@smithy/types';
import { CheckpointWriter } from './checkpoint';
import { CheckpointGuard } from './checkpoint-guard';
import { SimClock } from './clock';
import { SimCloudWatch } from './cloudwatch';
import { hang, type KnownJob, type SimContext, type SimService } from './context';
import { SimEmrServerless } from './emr';
import { DEFAULT_EMR_TIMINGS, type EmrTimings } from './emr-state';
import { EmrMetrics } from './emr-metrics';
import { DriverLogs } from './emr-logs';
import { sdkErrorFactory } from './errors';
import { SimEventBridge } from './eventbridge';
import { SimFirehose } from './firehose';
import { SimManagedFlink } from './flink';
import { FlinkApps } from './flink-app';
import { SimIam } from './iam';
import { IdSource } from './ids';
import { SimKinesis } from './kinesis';
import { SimKms } from './kms';
import { SimLambda } from './lambda';
import { SimLogs } from './logs';
import { SimMsk } from './msk';
import { SimKafka } from './msk-cluster';
import { MskBrokerMetrics } from './msk-cluster-metrics';
import { SimDlq } from './dlq';
import { SimPagerDuty } from './pagerduty';
import { simPlugin, type CallFault } from './plugin';
import { SimRecord } from './record';
import { Referee } from './referee';
import { SimS3 } from './s3';
import { SimScheduler } from './scheduler';
import { SimSecretsManager } from './secrets';
import { SimSns } from './sns';
import { SimQueue } from './sqs';
import { SimSsm } from './ssm';

/**
 * The simulated platform: every service, wired to each other (EMR → EventBridge, EMR →
 * CloudWatch metrics, alarms → EventBridge, Scheduler → functions), a referee, and one SDK
 * plugin and one `fetch` through which the code under drill reaches all of it.
 */

export interface WorldOptions {
  startMs: number;
  /** The stack's name prefix (config.name): names the dead-letter queue. Default `streamfix`. */
  prefix?: string;
  seed?: number;
  account: string;
  region: string;
  /** The pipelines' jobs (from the config): referee, checkpoint writer and metrics use them. */
  jobs: KnownJob[];
  /** Every EMR Serverless application in the world. */
  applicationIds: string[];
  emrTimings?: Partial<EmrTimings>;
  deliveryDelayMs?: number;
  checkpoint?: Partial<{ batchIntervalMs: number; commitDelayMs: number; firstBatchAfterMs: number; recordsPerBatch: number }>;
  /** Real milliseconds an invocation may stay busy without progress before the drill stops. */
  stuckAfterRealMs?: number;
}

const MINUTE = 60_000;

export class SimWorld {
  readonly clock: SimClock;
  readonly ids: IdSource;
  readonly record = new SimRecord();
  readonly ctx: SimContext;
  readonly emr: SimEmrServerless;
  readonly cloudwatch: SimCloudWatch;
  readonly s3: SimS3;
  readonly scheduler: SimScheduler;
  readonly sns: SimSns;
  readonly ssm: SimSsm;
  readonly secrets: SimSecretsManager;
  readonly pagerDuty: SimPagerDuty;
  readonly lambda: SimLambda;
  readonly eventBridge: SimEventBridge;
  readonly emrMetrics: EmrMetrics;
  readonly referee: Referee;
  readonly checkpoints: CheckpointWriter;
  readonly checkpointGuard: CheckpointGuard;
  readonly iam: SimIam;
  readonly kms = new SimKms();
  readonly logs: SimLogs;
  readonly firehose: SimFirehose;
  readonly msk: SimMsk;
  /** MSK clusters, brokers and operations (the Kafka control plane). */
  readonly kafka: SimKafka;
  readonly kafkaMetrics: MskBrokerMetrics;
  readonly dlq: SimDlq;
  /** Kinesis Data Streams read by the pipelines' jobs. */
  readonly kinesis: SimKinesis;
  /** Managed Service for Apache Flink: the applications and their API. */
  readonly flink: SimManagedFlink;
  /** The stack's dead-letter queue: on-failure destination of every function, and of the follow-up schedules. */
  readonly deadLetterQueue: SimQueue;
  readonly callFaults: CallFault[] = [];
  /** Every simulated AWS service behind the SDK clients (the plugin answers their calls). */
  readonly services: readonly SimService[];
  readonly plugin: Pluggable<object, object>;
  readonly fetch: typeof fetch;
  private started = false;

  constructor(readonly opts: WorldOptions) {
    this.clock = new SimClock(opts.startMs, opts.stuckAfterRealMs !== undefined ? { stuckAfterRealMs: opts.stuckAfterRealMs } : {});
    this.ids = new IdSource(opts.seed ?? 1);
    this.ctx = {
      clock: this.clock,
      ids: this.ids,
      record: this.record,
      err: sdkErrorFactory(this.ids),
      account: opts.account,
      region: opts.region,
      killed: new Set(),
    };
    this.emr = new SimEmrServerless(this.ctx, { ...DEFAULT_EMR_TIMINGS, ...(opts.emrTimings ?? {}) });
    this.cloudwatch = new SimCloudWatch(this.ctx);
    this.s3 = new SimS3(this.ctx);
    this.lambda = new SimLambda(this.ctx);
    this.deadLetterQueue = new SimQueue(this.ctx, this.lambda, `arn:aws:sqs:${opts.region}:${opts.account}:${opts.prefix ?? 'streamfix'}-dead-letters`);
    this.scheduler = new SimScheduler(this.ctx, this.lambda, [this.deadLetterQueue]);
    this.sns = new SimSns(this.ctx);
    this.ssm = new SimSsm(this.ctx);
    this.secrets = new SimSecretsManager(this.ctx);
    this.pagerDuty = new SimPagerDuty(this.ctx);
    this.eventBridge = new SimEventBridge(this.ctx, this.lambda, opts.deliveryDelayMs ?? 1_000);
    this.iam = new SimIam(this.ctx);
    this.logs = new SimLogs(this.ctx);
    this.firehose = new SimFirehose(this.ctx, { iam: this.iam, kms: this.kms, s3: this.s3, logs: this.logs, store: this.cloudwatch.store });
    this.msk = new SimMsk(this.ctx, this.emr, this.cloudwatch.store, this.firehose);
    this.kafka = new SimKafka(this.ctx);
    this.kafkaMetrics = new MskBrokerMetrics(this.kafka, this.cloudwatch.store, (clusterName) =>
      [...this.msk.topics.values()].filter((t) => t.clusterName === clusterName),
    );
    this.msk.brokerUp = (clusterName, brokerId) => this.kafka.isUp(clusterName, brokerId);
    this.dlq = new SimDlq(this.ctx, { s3: this.s3, store: this.cloudwatch.store, emr: this.emr });
    this.kinesis = new SimKinesis(this.ctx, this.cloudwatch.store);
    this.flink = new SimManagedFlink(this.ctx, new FlinkApps(this.ctx, this.cloudwatch.store, this.logs, this.kinesis));
    this.emr.publish = (e) => this.eventBridge.put(e);
    const driverLogs = new DriverLogs(this.ctx, this.s3, this.logs);
    this.emr.driverLog = (run, attempt, failure) => driverLogs.write(run, attempt, failure);
    this.cloudwatch.publish = (e) => this.eventBridge.put(e);
    this.ssm.publish = (e) => this.eventBridge.put(e);
    this.emrMetrics = new EmrMetrics(this.emr, this.cloudwatch, opts.applicationIds);
    this.referee = new Referee(this.ctx, this.emr, opts.jobs);
    this.checkpoints = new CheckpointWriter(this.ctx, this.s3, this.emr, opts.jobs, {
      batchIntervalMs: 60_000,
      commitDelayMs: 5_000,
      firstBatchAfterMs: 5_000,
      recordsPerBatch: 6_000,
      ...(opts.checkpoint ?? {}),
    });
    this.checkpointGuard = new CheckpointGuard(this.ctx, this.s3, this.emr, { iam: this.iam, kms: this.kms, cloudwatch: this.cloudwatch }, opts.jobs);
    for (const id of opts.applicationIds) this.emr.addApplication({ applicationId: id });
    this.services = [
      this.emr,
      this.cloudwatch,
      this.s3,
      this.scheduler,
      this.sns,
      this.ssm,
      this.secrets,
      this.firehose,
      this.logs,
      this.iam,
      this.kafka,
      this.kinesis,
      this.flink,
    ];
    this.plugin = simPlugin(this.ctx, this.services, this.callFaults);
    // PagerDuty is reached with fetch: an invocation Lambda ended gets no answer there either.
    this.fetch = (input, init) => {
      const frame = this.clock.currentFrame();
      return frame && this.ctx.killed.has(frame.invocationId) ? hang(this.ctx) : this.pagerDuty.fetch(input, init);
    };
  }

  /**
   * Starts the world's own clockwork once the scenario has seeded it: metric history for the
   * last 15 minutes, alarms settled to what that history says (no events), then a tick at every
   * minute boundary that publishes the minute's metrics and evaluates the alarms.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.clock.now();
    this.emrMetrics.backfill(now - (now % MINUTE), 15);
    this.msk.backfill(now - (now % MINUTE));
    // 90 minutes: what broker-health reads back by default to date a broker's first missing datapoint.
    this.kafkaMetrics.backfill(now - (now % MINUTE), 90);
    this.firehose.backfill(now - (now % MINUTE));
    this.kinesis.backfill(now - (now % MINUTE));
    this.flink.apps.backfill(now - (now % MINUTE), 30);
    this.cloudwatch.settleAlarms();
    const tick = () => {
      this.emrMetrics.publishMinute(this.clock.now());
      // MSK first: the job's reads of the minute are what it wrote to Firehose.
      this.msk.publishMinute(this.clock.now());
      this.kafkaMetrics.publishMinute(this.clock.now());
      this.firehose.publishMinute(this.clock.now());
      // The stream first: the application's millisBehindLatest is what its shards show at the minute's end.
      this.kinesis.publishMinute(this.clock.now());
      this.flink.apps.publishMinute(this.clock.now());
      this.cloudwatch.evaluateAlarms();
      this.clock.at(this.clock.now() + MINUTE, 'minute', tick, 0);
    };
    // Priority 0: what happens at 00:01:00 belongs to the minute that starts then, not the one that ends.
    this.clock.at(now - (now % MINUTE) + MINUTE, 'minute', tick, 0);
  }

  /** Runs the world (and every invocation it causes) until `endMs` of simulated time. */
  async runUntil(endMs: number): Promise<void> {
    this.start();
    await this.clock.runUntil(endMs);
  }
}
