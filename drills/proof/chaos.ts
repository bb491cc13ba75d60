import { ConfiguredRetryStrategy, retryMiddleware, retryMiddlewareOptions } from '@smithy/core/retry';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FinalizeHandler, FinalizeHandlerArguments, HandlerExecutionContext, MiddlewareStack, Pluggable } from '@smithy/types';
import { cwTimestamp, eventTime, hang } from '../sim/context';
import type { SimWorld } from '../sim/world';
import type { AwsClientOptions } from '../../lambdas/adapters/clients';
import { isCorrective } from '../sim/calls';
import type { KillPlan, KillRecord, UnownedAction } from './records';
import { hash32, type KeyedRandom } from './rng';

/**
 * The fault layer of the proof, in front of the simulated platform:
 *
 * - **Below the SDK's retry layer.** The simulator normally answers at the `initialize` step,
 *   above every other middleware. The proof moves it (and this layer, in front of it) to right
 *   after the client's `retryMiddleware`, and replaces that middleware with the SDK's own,
 *   configured as the standard mode (3 attempts, retry quota) but with no real-time backoff:
 *   the backoff is slept on the simulated clock instead. Each attempt may be throttled, fail
 *   with a 5xx or time out; the code under proof only sees the error when every attempt failed
 *   (or the retry quota ran out), exactly as a Lambda would.
 * - Slow calls (the simulated clock moves a few seconds before the answer), timeouts after
 *   the effect (the service acted, the answer is lost: the retry meets the changed world),
 *   partial failures (S3 DeleteObjects `Errors`, Firehose PutRecordBatch `FailedPutCount`).
 * - **Deliveries**: duplicates (later, or concurrent), ALARM delayed, OK before ALARM,
 *   flapping alarms (ALARM → OK → ALARM within a minute or two).
 * - **A killed Lambda**: at a chosen call of a playbook invocation the invocation stops for
 *   good (before the call reaches the service, or after it acted), by a crash (it ends at once,
 *   as out of memory does) or a timeout (it hangs until the function's timeout); Lambda then
 *   retries the event on its own schedule (1 and 2 minutes after the attempt ended, same request
 *   id: sim/lambda.ts), exactly as for any function error.
 *
 * DynamoDB (the ledger, on dynalite) is never faulted: only counted, for kill points.
 */

export interface ChaosOptions {
  /** Share of AWS call attempts that fail (throttling, 5xx, timeouts). Default 0.2. */
  faultRate: number;
  /** Share of attempts answered after a few simulated seconds. Default 0.1. */
  slowRate: number;
  /** Share of partial-failure operations that fail in part. Default 0.3. */
  partialRate: number;
  /** Probability that a run kills one invocation. Default 0.6. */
  killRate: number;
  /** Share of deliveries duplicated (half of them concurrently). Default 0.25. */
  duplicateRate: number;
  /** Share of ALARM deliveries perturbed (delayed, overtaken by OK, flapping). Default 0.36. */
  alarmPerturbRate: number;
  /** Share of follow-up deliveries raced by a fresh ALARM and a copy of the incident's native event, at the same instant. Default 0.3. */
  raceRate: number;
}

export const DEFAULT_CHAOS: ChaosOptions = {
  faultRate: 0.2,
  slowRate: 0.1,
  partialRate: 0.3,
  killRate: 0.6,
  duplicateRate: 0.25,
  alarmPerturbRate: 0.36,
  raceRate: 0.3,
};

export type FaultKind = 'ThrottlingException' | 'InternalServerError' | 'ServiceUnavailable' | 'TimeoutError' | 'TimeoutAfterEffect' | 'slow' | 'partial';

export type DeliveryKind = 'duplicate' | 'concurrent-duplicate' | 'alarm-delayed' | 'ok-before-alarm' | 'flapping' | 'race';

export interface ChaosStats {
  attempts: number;
  retries: number;
  faults: Record<FaultKind, number>;
  deliveries: Record<DeliveryKind, number>;
  kills: KillRecord[];
  /** Corrective calls made by a worker that did not own a live incident at that moment. */
  unowned: UnownedAction[];
  /** The incident each invocation owned when it made a corrective call (from the ledger). */
  owners: Map<string, string>;
}

const PASS = new Set(['DynamoDBClient']);
const PARTIAL_OPS = new Set(['DeleteObjects', 'PutRecordBatch']);
const ALARM_EVENT = 'CloudWatch Alarm State Change';

// biome-ignore lint/suspicious/noExplicitAny: the SDK types a middleware for any client as FinalizeHandler<any, any>
type AnyHandler = FinalizeHandler<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: the SDK types a middleware's arguments for any client as FinalizeHandlerArguments<any>
type AnyArgs = FinalizeHandlerArguments<any>;
type AnyMiddleware = (next: AnyHandler, context: HandlerExecutionContext) => AnyHandler;

function capture(plugin: Pluggable<object, object>): AnyMiddleware {
  let found: AnyMiddleware | undefined;
  const stub = { add: (mw: AnyMiddleware) => void (found = mw) } as unknown as MiddlewareStack<object, object>;
  plugin.applyToStack(stub);
  if (!found) throw new Error('the simulated platform plugin added no middleware');
  return found;
}

export class Chaos {
  readonly stats: ChaosStats = {
    attempts: 0,
    retries: 0,
    faults: { ThrottlingException: 0, InternalServerError: 0, ServiceUnavailable: 0, TimeoutError: 0, TimeoutAfterEffect: 0, slow: 0, partial: 0 },
    deliveries: { duplicate: 0, 'concurrent-duplicate': 0, 'alarm-delayed': 0, 'ok-before-alarm': 0, flapping: 0, race: 0 },
    kills: [],
    unowned: [],
    owners: new Map(),
  };
  /** The ledger as it is, read past every fault: who owns which incident right now. */
  private ledger: { client: DynamoDBClient; table: string } | undefined;
  /** The last ALARM and the last native event each function received (what a race replays). */
  private readonly lastEvents = new Map<string, { alarm?: unknown; native?: unknown }>();
  readonly killPlan: KillPlan | undefined;
  /** Invocations stopped for good: any further call of theirs hangs too. */
  private readonly killed = new Set<string>();
  private readonly perInvocation = new Map<string, number>();
  private readonly ledgerCalls = new Map<string, number>();
  private playbookCalls = 0;
  private actionInvocation: { id: string; calls: number } | undefined;
  private outsideCalls = 0;
  private deliveries = 0;
  private readonly simulator: AnyMiddleware;
  private readonly exceptions: Map<string, new (opts: object) => Error>;
  private readonly deliver: (arn: string, payload: unknown, source: string) => boolean;
  private readonly throttled = new WeakSet<object>();

  constructor(
    private readonly world: SimWorld,
    private readonly rnd: KeyedRandom,
    private readonly opts: ChaosOptions = DEFAULT_CHAOS,
    /** No kill after this time: the drain that follows the scenario only lets work finish. */
    private readonly killUntilMs = Number.POSITIVE_INFINITY,
    /**
     * Where the engine writes its post-incident reports (config `reports.s3`): the report of a
     * closed incident is written after its owner gave it up, as a record of what happened, not a
     * fix, so writes under it are not held to the ownership rule (they still count as kill points).
     */
    private readonly reportsPrefix?: string,
  ) {
    this.simulator = capture(world.plugin);
    this.exceptions = new Map(world.services.map((s) => [s.clientName, s.baseException]));
    if (rnd.draw('kill') < opts.killRate) {
      const atAction = rnd.draw('kill.mode') < 0.6;
      this.killPlan = {
        mode: atAction ? 'at-action' : 'any-call',
        n: atAction ? rnd.int('kill.n', 0, 6) : rnd.int('kill.n', 1, 40),
        phase: rnd.draw('kill.phase') < 0.5 ? 'before' : 'after',
        how: rnd.draw('kill.how') < 0.5 ? 'timeout' : 'crash',
      };
    }
    // Deliveries: every asynchronous invocation (EventBridge, Scheduler, raw deliveries) passes here.
    const original = world.lambda.invokeAsync.bind(world.lambda);
    this.deliver = original;
    world.lambda.invokeAsync = (arn, payload, source) => {
      if (source.startsWith('proof:')) return original(arn, payload, source);
      if (!world.lambda.byArn(arn)) return original(arn, payload, source);
      this.perturb(arn, payload, source);
      return true;
    };
  }

  /** The SDK plugin for a playbook function's clients (added after the simulator's plugin). */
  readonly plugin: Pluggable<object, object> = {
    applyToStack: (stack) => {
      stack.remove('streamfixDrillSimulator');
      const strategy = new ConfiguredRetryStrategy(3, 0);
      stack.add(retryMiddleware({ maxAttempts: async () => 3, retryStrategy: async () => strategy }) as AnyMiddleware, retryMiddlewareOptions);
      stack.addRelativeTo(((next: AnyHandler, context: HandlerExecutionContext) => this.middleware(next, context)) as AnyMiddleware, {
        relation: 'after',
        toMiddleware: 'retryMiddleware',
        name: 'streamfixProofFaults',
        override: true,
      });
      stack.addRelativeTo(this.simulator, {
        relation: 'after',
        toMiddleware: 'streamfixProofFaults',
        name: 'streamfixDrillSimulatorBelowRetry',
        override: true,
      });
    },
  };

  private hang(): Promise<never> {
    return hang(this.world.ctx);
  }

  /**
   * A platform call that goes through no SDK client (a replay's Kafka send, kafka-faults.ts):
   * counted, drawn and made a kill point like the SDK's calls (a send is a mutation).
   */
  outsideSdkCall(): { invocationId?: string; killed: boolean; killHere: boolean; phase?: 'before' | 'after'; draw: () => number } {
    const frame = this.world.clock.currentFrame();
    if (frame && this.killed.has(frame.invocationId)) return { invocationId: frame.invocationId, killed: true, killHere: false, draw: () => 1 };
    const idx = frame ? (this.perInvocation.get(frame.invocationId) ?? 0) + 1 : ++this.outsideCalls;
    if (frame) this.perInvocation.set(frame.invocationId, idx);
    const killHere = frame !== undefined && this.isKillPoint(frame.invocationId, true);
    this.stats.attempts++;
    return {
      ...(frame ? { invocationId: frame.invocationId } : {}),
      killed: false,
      killHere,
      ...(killHere ? { phase: this.killPlan!.phase } : {}),
      draw: this.rnd.stream(`${frame?.invocationId ?? 'drill'}|${idx}`),
    };
  }

  /** Ends the current invocation at an outside-SDK call (the kill point `outsideSdkCall` found). */
  killOutside(service: string, operation: string): Promise<never> {
    return this.kill(service, operation);
  }

  /** A call of an invocation this layer killed never answers. */
  hangKilled(): Promise<never> {
    return this.hang();
  }

  private kill(service: string, operation: string): Promise<never> {
    const { clock } = this.world;
    const frame = clock.currentFrame()!;
    this.killed.add(frame.invocationId);
    this.stats.kills.push({ plan: this.killPlan!, invocationId: frame.invocationId, functionName: frame.functionName, atMs: clock.now(), service, operation });
    this.world.lambda.kill(frame.invocationId, this.killPlan!.how);
    return this.hang();
  }

  /** Whether this call is the kill point (counted for playbook invocations only, never for redeliveries). */
  private isKillPoint(invocationId: string, corrective: boolean): boolean {
    const plan = this.killPlan;
    if (!plan || this.stats.kills.length > 0 || this.world.clock.now() > this.killUntilMs) return false;
    const source = this.world.record.invocations.find((i) => i.invocationId === invocationId)?.source ?? '';
    if (source.startsWith('proof:')) return false;
    if (plan.mode === 'any-call') return ++this.playbookCalls === plan.n;
    if (!this.actionInvocation) {
      if (!corrective) return false;
      this.actionInvocation = { id: invocationId, calls: 0 };
    } else if (this.actionInvocation.id !== invocationId) return false;
    return this.actionInvocation.calls++ === plan.n;
  }

  private error(clientName: string, name: string, status: number, requestId: string): Error {
    const base = this.exceptions.get(clientName);
    const message = `${name} (injected by the proof)`;
    if (!base)
      return Object.assign(new Error(message), {
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status, requestId, attempts: 1, totalRetryDelay: 0 },
      });
    return new base({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status, requestId, attempts: 1, totalRetryDelay: 0 },
      message,
    });
  }

  private middleware(next: AnyHandler, context: HandlerExecutionContext): AnyHandler {
    const simulated = this.simulator(next, context);
    return async (args: AnyArgs) => {
      const { clock } = this.world;
      const clientName = String(context.clientName ?? '');
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const service = clientName.replace(/Client$/, '').toLowerCase();
      const frame = clock.currentFrame();
      if (frame && this.killed.has(frame.invocationId)) return this.hang();
      // Draws are keyed by the invocation's platform calls only: the ledger's requests (never
      // faulted) overlap with them in an order real time decides (a heartbeat, a timeline write),
      // and must not shift which fault a platform call draws.
      const ledgerCall = PASS.has(clientName);
      const counter = ledgerCall ? this.ledgerCalls : this.perInvocation;
      const idx = frame ? (counter.get(frame.invocationId) ?? 0) + 1 : ++this.outsideCalls;
      if (frame) counter.set(frame.invocationId, idx);
      const key = `${frame?.invocationId ?? 'drill'}|${ledgerCall ? 'ledger|' : ''}${idx}`;
      const corrective = !PASS.has(clientName) && isCorrective(this.serviceOf(clientName, service), operation);
      if (corrective && frame && !this.killed.has(frame.invocationId) && !this.isReportWrite(service, operation, args.input))
        await this.checkOwnership(frame.invocationId, service, operation);
      // Kill points are counted on platform calls only, for the same reason as the draws; a kill
      // before or after one falls between the ledger writes around it.
      const killHere = frame !== undefined && !ledgerCall && this.isKillPoint(frame.invocationId, corrective);
      if (killHere && this.killPlan!.phase === 'before') return this.kill(service, operation);
      // The ledger's own requests: straight on to the simulator below (which sends them to dynalite).
      if (ledgerCall) return next(args);

      this.stats.attempts++;
      const request = args.request as object | undefined;
      const attempt = Number(
        /attempt=(\d+)/.exec(String((args.request as { headers?: Record<string, string> } | undefined)?.headers?.['amz-sdk-request'] ?? ''))?.[1] ?? 1,
      );
      const draw = this.rnd.stream(key);
      if (attempt > 1) {
        // The standard mode's backoff (full jitter, 100 ms base, 500 ms after throttling), on the simulated clock.
        this.stats.retries++;
        const base = request && this.throttled.has(request) ? 500 : 100;
        await clock.sleep(Math.round(draw() * Math.min(20_000, base * 2 ** (attempt - 1))));
      }
      const u = draw();
      const requestId = `proof-${hash32(key).toString(16)}`;
      if (u < this.opts.faultRate) {
        const k = draw();
        if (request) this.throttled.delete(request);
        if (k < 0.35) {
          this.stats.faults.ThrottlingException++;
          if (request) this.throttled.add(request);
          throw this.error(clientName, 'ThrottlingException', 400, requestId);
        }
        if (k < 0.55) {
          this.stats.faults.InternalServerError++;
          throw this.error(clientName, 'InternalServerError', 500, requestId);
        }
        if (k < 0.75) {
          this.stats.faults.ServiceUnavailable++;
          throw this.error(clientName, 'ServiceUnavailable', 503, requestId);
        }
        const timeout = Object.assign(new Error('socket timed out (injected by the proof)'), { name: 'TimeoutError' });
        await clock.sleep(5_000 + Math.round(draw() * 10_000));
        if (k < 0.9) {
          this.stats.faults.TimeoutError++;
          throw timeout;
        }
        // The service acted; its answer is lost.
        this.stats.faults.TimeoutAfterEffect++;
        await simulated(args);
        if (killHere) return this.kill(service, operation);
        throw timeout;
      }
      if (u < this.opts.faultRate + this.opts.slowRate) {
        this.stats.faults.slow++;
        await clock.sleep(1_000 + Math.round(draw() * 7_000));
      }
      let out: { output: Record<string, unknown>; response: unknown };
      if (PARTIAL_OPS.has(operation) && draw() < this.opts.partialRate) {
        out = await this.partial(simulated, args, operation, draw);
      } else {
        out = (await simulated(args)) as typeof out;
      }
      if (killHere) return this.kill(service, operation);
      return out;
    };
  }

  /** Reads the ledger directly (no faults): the proof's view of who owns what. */
  watchLedger(aws: AwsClientOptions, table: string): void {
    if (this.ledger || !aws.endpoints?.dynamodb) return;
    this.ledger = {
      client: new DynamoDBClient({ region: aws.region, endpoint: aws.endpoints.dynamodb, ...(aws.credentials ? { credentials: aws.credentials } : {}) }),
      table,
    };
  }

  /**
   * A corrective call of a playbook's worker: its request id must be the live owner of an
   * incident (the lease on the incident item: owner = the request id, or the sweeper's
   * `<id>-s<n>`, and not run out). Recorded when it is not; the call goes on either way.
   */
  private async checkOwnership(invocationId: string, service: string, operation: string): Promise<void> {
    const inv = this.world.record.invocations.find((i) => i.invocationId === invocationId);
    if (!this.ledger || !inv || inv.source === 'operator') return;
    const now = this.world.clock.now();
    const end = this.world.clock.beginIo();
    try {
      let owned = false;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const r = await this.ledger.client.send(
          new ScanCommand({
            TableName: this.ledger.table,
            FilterExpression: 'sk = :meta AND begins_with(leaseOwner, :req) AND leaseUntil > :now',
            ExpressionAttributeValues: { ':meta': { S: 'META' }, ':req': { S: inv.requestId }, ':now': { N: String(now) } },
            ProjectionExpression: 'pk',
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        const pk = r.Items?.[0]?.pk?.S;
        if (pk) this.stats.owners.set(invocationId, pk.slice('INCIDENT#'.length));
        owned = pk !== undefined;
        start = r.LastEvaluatedKey;
      } while (!owned && start);
      if (!owned) this.stats.unowned.push({ invocationId, atMs: now, service, operation });
    } finally {
      end();
    }
  }

  /** A post-incident report's write: an S3 PutObject under the configured reports prefix. */
  private isReportWrite(service: string, operation: string, input: unknown): boolean {
    if (this.reportsPrefix === undefined || service !== 's3' || operation !== 'PutObject') return false;
    const { Bucket, Key } = (input ?? {}) as { Bucket?: string; Key?: string };
    return `s3://${Bucket}/${Key}`.startsWith(this.reportsPrefix);
  }

  private serviceOf(clientName: string, fallback: string): string {
    const svc = this.world.services.find((s) => s.clientName === clientName);
    return svc?.service ?? fallback;
  }

  /** Part of the batch fails: those entries never reach the service and come back as failed. */
  private async partial(
    simulated: AnyHandler,
    args: AnyArgs,
    operation: string,
    draw: () => number,
  ): Promise<{ output: Record<string, unknown>; response: unknown }> {
    const input = args.input as Record<string, unknown>;
    if (operation === 'DeleteObjects') {
      const del = input.Delete as { Objects?: { Key?: string }[] } | undefined;
      const objects = del?.Objects ?? [];
      if (objects.length === 0) return (await simulated(args)) as { output: Record<string, unknown>; response: unknown };
      const failed = objects.filter(() => draw() < 0.5);
      if (failed.length === 0) failed.push(objects[0]!);
      const kept = objects.filter((o) => !failed.includes(o));
      this.stats.faults.partial++;
      const out = (await simulated({ ...args, input: { ...input, Delete: { ...del, Objects: kept } } })) as {
        output: Record<string, unknown>;
        response: unknown;
      };
      const errors = failed.map((o) => ({
        Key: o.Key,
        Code: 'InternalError',
        Message: 'We encountered an internal error. Please try again. (injected by the proof)',
      }));
      return { ...out, output: { ...out.output, Errors: [...((out.output.Errors as unknown[]) ?? []), ...errors] } };
    }
    const records = (input.Records as unknown[]) ?? [];
    if (records.length === 0) return (await simulated(args)) as { output: Record<string, unknown>; response: unknown };
    const failedAt = new Set(records.map((_, i) => i).filter(() => draw() < 0.5));
    if (failedAt.size === 0) failedAt.add(0);
    this.stats.faults.partial++;
    const out = (await simulated({ ...args, input: { ...input, Records: records.filter((_, i) => !failedAt.has(i)) } })) as {
      output: Record<string, unknown>;
      response: unknown;
    };
    const answered = (out.output.RequestResponses as unknown[] | undefined) ?? [];
    let j = 0;
    const responses = records.map((_, i) =>
      failedAt.has(i) ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down. (injected by the proof)' } : (answered[j++] ?? {}),
    );
    return { ...out, output: { ...out.output, FailedPutCount: Number(out.output.FailedPutCount ?? 0) + failedAt.size, RequestResponses: responses } };
  }

  private at(delayMs: number, arn: string, payload: unknown, source: string): void {
    if (delayMs <= 0) {
      this.deliver(arn, payload, source);
      return;
    }
    this.world.clock.after(delayMs, 'proof delivery', () => void this.deliver(arn, payload, source));
  }

  private perturb(arn: string, payload: unknown, source: string): void {
    const n = this.deliveries++;
    const draw = this.rnd.stream(`delivery|${n}`);
    const ev = payload as { 'detail-type'?: string; streamfix?: string; detail?: { state?: { value?: string; timestamp?: string } } } | undefined;
    const isAlarm = ev?.['detail-type'] === ALARM_EVENT && ev.detail?.state?.value === 'ALARM';
    const seen = this.lastEvents.get(arn) ?? {};
    this.lastEvents.set(arn, seen);
    if (isAlarm) seen.alarm = payload;
    else if (ev?.['detail-type'] !== undefined && ev['detail-type'] !== ALARM_EVENT) seen.native = payload;
    // A follow-up raced by the triggers of its incident: a fresh ALARM of the same alarm and a
    // copy of the native event, all at the same instant.
    if (ev?.streamfix === 'follow-up' && draw() < this.opts.raceRate && (seen.alarm || seen.native)) {
      this.stats.deliveries.race++;
      const now = this.world.clock.now();
      if (seen.alarm) this.deliver(arn, synthetic(seen.alarm, 'ALARM', now, `${n}.race`), source);
      if (seen.native) this.deliver(arn, seen.native, source);
    }
    let alarmDelay = 0;
    if (isAlarm && draw() < this.opts.alarmPerturbRate) {
      const kind = draw();
      const now = this.world.clock.now();
      if (kind < 1 / 3) {
        this.stats.deliveries['alarm-delayed']++;
        alarmDelay = 10_000 + Math.round(draw() * 80_000);
      } else if (kind < 2 / 3) {
        this.stats.deliveries['ok-before-alarm']++;
        this.deliver(arn, synthetic(payload, 'OK', now + 30_000, `${n}.ok`), source);
        alarmDelay = 5_000 + Math.round(draw() * 15_000);
      } else {
        this.stats.deliveries.flapping++;
        const okAt = 20_000 + Math.round(draw() * 20_000);
        const againAt = okAt + 20_000 + Math.round(draw() * 40_000);
        this.at(okAt, arn, synthetic(payload, 'OK', now + okAt, `${n}.flap-ok`), source);
        this.at(againAt, arn, synthetic(payload, 'ALARM', now + againAt, `${n}.flap-alarm`), source);
      }
    }
    this.at(alarmDelay, arn, payload, source);
    const d = draw();
    if (d < this.opts.duplicateRate / 2) {
      this.stats.deliveries['concurrent-duplicate']++;
      this.at(alarmDelay, arn, payload, source);
    } else if (d < this.opts.duplicateRate) {
      this.stats.deliveries.duplicate++;
      this.at(alarmDelay + 1_000 + Math.round(draw() * 29_000), arn, payload, source);
    }
  }
}

/** An alarm state change event built from a real one: another state, at another time. */
function synthetic(payload: unknown, state: 'OK' | 'ALARM', atMs: number, tag: string): unknown {
  const e = structuredClone(payload) as Record<string, unknown> & { detail: Record<string, unknown> & { state: Record<string, unknown> } };
  const prev = e.detail.state;
  e.id = `00000000-0000-4000-8000-${hash32(tag).toString(16).padStart(12, '0')}`;
  e.time = eventTime(atMs);
  e.detail.previousState = { ...prev };
  e.detail.state = {
    value: state,
    reason: state === 'OK' ? 'Threshold Crossed: datapoint back within the threshold (flapping)' : String(prev.reason ?? 'Threshold Crossed'),
    ...(prev.reasonData !== undefined ? { reasonData: prev.reasonData } : {}),
    timestamp: cwTimestamp(atMs),
  };
  return e;
}
