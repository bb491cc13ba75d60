import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AwsClientOptions } from '../lambdas/adapters/clients';
import type { RuntimeEnv } from '../lambdas/core/env';
import { functionName, pauseParameterName, pauseParameterNames, pipelinePauseParameterPrefix } from '../lambdas/core/names';
import { pauseChangePattern } from '../lambdas/core/events/operator';
import type { PlaybookHandler, RuntimeDeps } from '../lambdas/engine/runtime';
import { alarmRulePattern, buildWiring } from '../lambdas/wiring';
import { createDeadLetterHandler } from '../lambdas/handlers/create';
import { createPlaybookHandler } from '../lambdas/handlers/factory';
import { dynamoLedger } from '../lambdas/engine/dynamo-ledger';
import { buildWorld, DEFAULT_ACCOUNT } from './build-world';
import { checkExpectations, describeFailure } from './expect';
import { FaultInjector } from './faults';
import { firehoseSummary } from './firehose';
import { flinkSummary } from './flink';
import { mskSummary } from './msk';
import { dlqReplaySummary, drillOperations, operationsSummary, registerOperations, type OperationWrap } from './dlq';
import { buildIncidents, buildTimeline, isNotice, jobSummary, type DrillResult, type LedgerSnapshot } from './result';
import type { LoadedScenario } from './scenario/load';
import { FAKE_CREDENTIALS, startLocalDynamo } from './sim/dynamodb';
import { DrillLogger, DrillMetrics } from './sim/powertools';
import type { SimWorld } from './sim/world';

/**
 * Runs one scenario: builds the simulated platform, starts the ledger's DynamoDB (dynalite),
 * creates one handler per wired playbook exactly as Lambda does (only `deps` differ), wires
 * alarms and rules from the same `buildWiring` as the stack, plays the timeline in simulated
 * time, then reads the ledger and the platform's record into a result checked against the
 * scenario's expectations.
 */

export const DRILL_REGION = 'eu-west-1';
const FUNCTION_TIMEOUT_MS = 300_000;
const MAX_LOGS = 5_000;

export interface DrillOptions {
  /** Real milliseconds an invocation may make no progress before the drill stops (default 30 s). */
  stuckAfterRealMs?: number;
  /** Builds a playbook's handler; the engine's own factory by default. */
  createHandler?: (playbookId: string, deps: RuntimeDeps) => PlaybookHandler;
  /** Called once the simulated world is built, before any function is registered (fault-injection proof). */
  onWorld?: (world: SimWorld) => void;
  /** Around the manual operations' functions (the proof's fault layer on their clients and producer). */
  operations?: OperationWrap;
}

export function drillEnv(prefix: string, account: string, region: string, pagerDutySecretId: string | undefined): RuntimeEnv {
  return {
    tableName: `${prefix}-ledger`,
    topicArn: `arn:aws:sns:${region}:${account}:${prefix}-escalations`,
    ...(pagerDutySecretId !== undefined ? { pagerDutySecretId } : {}),
    schedulerGroup: `${prefix}-follow-ups`,
    schedulerRoleArn: `arn:aws:iam::${account}:role/${prefix}-scheduler`,
    pauseParameter: pauseParameterName(prefix),
    pipelinePauseParameterPrefix: pipelinePauseParameterPrefix(prefix),
    metricsNamespace: 'streamfix',
    deadLetterQueueArn: `arn:aws:sqs:${region}:${account}:${prefix}-dead-letters`,
  };
}

/** The stack's scheduled sweep: every playbook function, every 5 minutes (EventBridge rule `rate(5 minutes)`). */
export const SWEEP_EVERY_MS = 5 * 60_000;
export const SWEEP_EVENT = { streamfix: 'sweep' } as const;

function scheduleSweeps(world: SimWorld, arns: string[], prefix: string): void {
  const tick = () => {
    for (const arn of arns) world.lambda.invokeAsync(arn, SWEEP_EVENT, `eventbridge:${prefix}-sweep`);
    world.clock.after(SWEEP_EVERY_MS, 'sweep', tick);
  };
  const now = world.clock.now();
  world.clock.at(now - (now % SWEEP_EVERY_MS) + SWEEP_EVERY_MS, 'sweep', tick);
}

/** EMF blobs from the engine's Metrics become datapoints in the simulated CloudWatch. */
function emfToCloudWatch(world: SimWorld) {
  return (emf: Record<string, unknown>) => {
    const aws = emf._aws as { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] } | undefined;
    for (const d of aws?.CloudWatchMetrics ?? []) {
      const dims = Object.fromEntries((d.Dimensions[0] ?? []).map((k) => [k, String(emf[k] ?? '')]));
      for (const m of d.Metrics) {
        const v = emf[m.Name];
        for (const value of Array.isArray(v) ? v : [v]) {
          if (typeof value === 'number')
            world.cloudwatch.store.putValue(
              { namespace: d.Namespace, metricName: m.Name, dimensions: dims },
              world.clock.now(),
              value,
              m.Unit ?? MetricUnit.Count,
            );
        }
      }
    }
  };
}

export async function runScenario(loaded: LoadedScenario, opts: DrillOptions = {}): Promise<DrillResult> {
  const { scenario, config } = loaded;
  const account = config.account ?? DEFAULT_ACCOUNT;
  const region = DRILL_REGION;
  const env = drillEnv(config.name, account, region, config.escalation.pagerDuty?.secretName);
  const startMs = Date.parse(scenario.start);
  const world = buildWorld(scenario, config, { account, region, topicArn: env.topicArn, schedulerGroup: env.schedulerGroup }, opts);
  opts.onWorld?.(world);
  const logs: DrillResult['logs'] = [];
  const dynamo = await startLocalDynamo(env.tableName, region);
  try {
    const aws: AwsClientOptions = { region, plugins: [world.plugin], endpoints: { dynamodb: dynamo.endpoint }, credentials: FAKE_CREDENTIALS };
    const arnOf = (playbook: string) => `arn:aws:lambda:${region}:${account}:function:${functionName(config.name, playbook)}`;
    const create = opts.createHandler ?? createPlaybookHandler;
    for (const w of buildWiring(config, { account, region, partition: 'aws' })) {
      const name = functionName(config.name, w.playbook);
      const logger = new DrillLogger(
        (a) => {
          if (logs.length >= MAX_LOGS) return;
          logs.push({
            atSeconds: (world.clock.now() - startMs) / 1000,
            ...(world.clock.currentFrame() ? { functionName: name } : {}),
            level: String(a.level ?? ''),
            message: String(a.message ?? ''),
          });
        },
        { serviceName: w.playbook, logLevel: 'INFO' },
      );
      world.lambda.register({
        name,
        arn: arnOf(w.playbook),
        timeoutMs: FUNCTION_TIMEOUT_MS,
        onFailure: (record) => world.deadLetterQueue.send(JSON.stringify(record)),
        container: () => {
          const metrics = new DrillMetrics(emfToCloudWatch(world), { namespace: env.metricsNamespace, serviceName: w.playbook });
          const handler = create(w.playbook, { config, env, aws, clock: world.clock, fetch: world.fetch, logger, metrics });
          return async (event, context) => {
            try {
              return await handler(event, context);
            } finally {
              metrics.publishStoredMetrics();
            }
          };
        },
      });
      for (const a of w.alarms) world.cloudwatch.addAlarm(a);
      for (const r of w.rules) world.eventBridge.addRule({ name: r.name, pattern: r.spec.pattern, targetArn: arnOf(w.playbook) });
      if (w.alarmNames.length > 0) {
        world.eventBridge.addRule({ name: `${config.name}-${w.playbook}-alarms`, pattern: alarmRulePattern(w.alarmNames), targetArn: arnOf(w.playbook) });
      }
      // A lifted pause re-evaluates what it held (lib/rules.ts makes the same rule).
      world.eventBridge.addRule({
        name: `${config.name}-${w.playbook}-resume`,
        pattern: pauseChangePattern(pauseParameterNames(config.name, w.pipelines)),
        targetArn: arnOf(w.playbook),
      });
    }
    const deadLetters = `arn:aws:lambda:${region}:${account}:function:${functionName(config.name, 'dead-letters')}`;
    world.lambda.register({
      name: functionName(config.name, 'dead-letters'),
      arn: deadLetters,
      timeoutMs: 60_000,
      container: () => {
        const logger = new DrillLogger(
          (a) => {
            if (logs.length < MAX_LOGS)
              logs.push({
                atSeconds: (world.clock.now() - startMs) / 1000,
                functionName: 'dead-letters',
                level: String(a.level ?? ''),
                message: String(a.message ?? ''),
              });
          },
          { serviceName: 'dead-letters', logLevel: 'INFO' },
        );
        return createDeadLetterHandler({ config, env, aws, clock: world.clock, fetch: world.fetch, logger });
      },
    });
    world.deadLetterQueue.consumeWith(deadLetters);
    scheduleSweeps(
      world,
      buildWiring(config, { account, region, partition: 'aws' }).map((w) => arnOf(w.playbook)),
      config.name,
    );
    registerOperations(
      world,
      config,
      {
        env,
        aws,
        clock: world.clock,
        logger: (name) =>
          new DrillLogger(
            (a) => {
              if (logs.length < MAX_LOGS)
                logs.push({
                  atSeconds: (world.clock.now() - startMs) / 1000,
                  functionName: name,
                  level: String(a.level ?? ''),
                  message: String(a.message ?? ''),
                });
            },
            { serviceName: name, logLevel: 'INFO' },
          ),
        metrics: new DrillMetrics(emfToCloudWatch(world), { namespace: env.metricsNamespace, serviceName: 'operations' }),
      },
      (name) => `arn:aws:lambda:${region}:${account}:function:${name}`,
      opts.operations ?? {},
    );
    new FaultInjector(world, config, arnOf, dynamoLedger(aws, env.tableName)).schedule(startMs, scenario.timeline);
    await world.runUntil(startMs + scenario.runFor);

    const ledger = dynamoLedger(aws, env.tableName);
    const incidents = await ledger.listIncidents();
    const snapshot: LedgerSnapshot = { incidents, actions: new Map(), timelines: new Map() };
    for (const i of incidents) {
      snapshot.actions.set(i.incidentId, await ledger.listActions(i.incidentId));
      snapshot.timelines.set(i.incidentId, await ledger.listTimeline(i.incidentId));
    }
    return assemble(loaded, world, snapshot, startMs, logs);
  } finally {
    await dynamo.close();
  }
}

function assemble(loaded: LoadedScenario, world: SimWorld, ledger: LedgerSnapshot, startMs: number, logs: DrillResult['logs']): DrillResult {
  const { scenario, config } = loaded;
  const sec = (ms: number) => Math.round((ms - startMs) / 100) / 10;
  const faultTimes = world.record.events.filter((e) => e.kind === 'fault' && !e.text.startsWith('deliver ')).map((e) => e.atMs);
  const byOutcome: Record<string, number> = {};
  for (const inv of world.record.invocations) {
    const k = inv.error
      ? 'error'
      : inv.endedAtMs === undefined
        ? 'unfinished'
        : String((inv.result as { outcome?: unknown } | undefined)?.outcome ?? 'returned');
    byOutcome[k] = (byOutcome[k] ?? 0) + 1;
  }
  const base: Omit<DrillResult, 'expectations' | 'failures' | 'verdict'> = {
    scenario: scenario.name,
    file: loaded.file,
    description: scenario.description,
    startedAt: new Date(startMs).toISOString(),
    simulatedSeconds: scenario.runFor / 1000,
    incidents: buildIncidents(world, ledger, startMs, faultTimes),
    notices: ledger.incidents.filter(isNotice).map((i) => ({
      incidentId: i.incidentId,
      pipeline: i.pipeline,
      playbook: i.playbook,
      atSeconds: sec(i.openedAtMs),
      reason: i.decision?.reason ?? '',
      summary: i.decision?.summary ?? '',
    })),
    calls: world.record.countCalls(),
    guardrailViolations: world.record.violations.map((v) => ({ ...v, atSeconds: sec(v.atMs) })),
    pagerduty: {
      triggered: world.pagerDuty.incidents.size,
      resolved: [...world.pagerDuty.incidents.values()].filter((i) => i.status === 'resolved').length,
      incidents: [...world.pagerDuty.incidents.values()].map((i) => ({ dedupKey: i.dedupKey, status: i.status, severity: i.severity, triggers: i.triggers })),
    },
    invocations: {
      total: world.record.invocations.length,
      errors: world.record.invocations.filter((i) => i.error).length,
      byOutcome,
      unfinished: world.clock.invocationsInFlight().map((f) => `${f.functionName} (${f.invocationId}, asleep)`),
    },
    deadLetters: world.deadLetterQueue.received.length,
    jobs: jobSummary(world, config),
    ...(world.firehose.streams.size > 0 ? { firehose: firehoseSummary(world) } : {}),
    ...(world.msk.topics.size > 0 || world.kafka.clusters.size > 0 ? { msk: mskSummary(world, config) } : {}),
    ...(world.flink.apps.apps.size > 0 || world.kinesis.streams.size > 0 ? { flink: flinkSummary(world, config) } : {}),
    ...(world.dlq.written.size > 0 ? { dlqReplay: dlqReplaySummary(world, config) } : {}),
    ...(world.record.invocations.some((i) => i.source === 'operator')
      ? {
          operations: operationsSummary(
            world,
            config,
            drillOperations(world, config).map((o) => o.manifest.id),
          ),
        }
      : {}),
    timeline: buildTimeline(world, ledger, startMs),
    logs,
  };
  const expectations = checkExpectations(scenario.expect, base);
  const failures = expectations.filter((c) => !c.ok).map(describeFailure);
  return { ...base, verdict: failures.length === 0 ? 'PASS' : 'FAIL', expectations, failures };
}
