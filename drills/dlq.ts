import type { KafkaProducerPort } from '../lambdas/adapters/kafka';
import type { ErrorType } from '../lambdas/analysis/dlq';
import type { StreamfixConfig } from '../lambdas/config';
import type { RuntimeDeps } from '../lambdas/engine/runtime';
import { createDlqReplayOperation } from '../lambdas/operations/dlq-replay';
import { operations } from '../lambdas/operations/registry';
import { createOperationHandler, type OperationInvocationResult } from '../lambdas/operations/runtime';
import type { Operation } from '../lambdas/operations/types';
import { dlqMetric, type DlqSpikeSettings } from '../lambdas/playbooks/dlq-spike/manifest';
import type { ExpectationCheck } from './result-types';
import type { DlqExpectations, OperationsExpectations } from './scenario/dlq';
import type { TimelineEntry } from './scenario/schema';
import type { SimWorld } from './sim/world';

/**
 * The drills' dead-letter side: the `dlq-records` and `invoke-operation` timeline entries, the
 * manual operations' functions (`<name>-<operation>`, built by the operations' own
 * `createOperationHandler`; `dlq-replay` produces to the simulated source topic), the summary of
 * what was written and replayed, and the `expect.dlqReplay` / `expect.operations` checks.
 */

export interface DlqReplaySummary {
  written: number;
  /** Distinct DLQ records produced to the source topic by a replay. */
  delivered: number;
  duplicates: number;
  missing: number;
}

export interface OperationSummary {
  invocations: number;
  outcomes: Record<string, number>;
}

export const operationFunctionName = (prefix: string, operationId: string): string => `${prefix}-${operationId}`;

/** What a drill may put around the manual operations' functions (the proof's fault layer). */
export interface OperationWrap {
  /** Their AWS clients' options (e.g. one more SDK plugin). */
  aws?(aws: RuntimeDeps['aws']): RuntimeDeps['aws'];
  /** The producer a replay sends to the simulated source topic with. */
  kafkaProducer?(producer: KafkaProducerPort): KafkaProducerPort;
}

/** Every registered operation that applies to a pipeline of the config, as the drill runs it. */
export function drillOperations(world: SimWorld, config: StreamfixConfig, wrap: OperationWrap = {}): Operation[] {
  const producer = () => (wrap.kafkaProducer ? wrap.kafkaProducer(world.dlq.producer()) : world.dlq.producer());
  const replay = createDlqReplayOperation({ kafkaProducer: producer });
  return Object.values({ ...operations, [replay.manifest.id]: replay }).filter((op) =>
    Object.values(config.pipelines).some((p) => op.manifest.appliesTo(p)),
  ) as Operation[];
}

/** Registers one function per operation in the simulated Lambda; returns their ARNs by id. */
export function registerOperations(
  world: SimWorld,
  config: StreamfixConfig,
  deps: Pick<RuntimeDeps, 'env' | 'aws' | 'clock' | 'metrics'> & { logger: (name: string) => RuntimeDeps['logger'] },
  arnOf: (name: string) => string,
  wrap: OperationWrap = {},
): Map<string, string> {
  const arns = new Map<string, string>();
  const aws = wrap.aws ? wrap.aws(deps.aws) : deps.aws;
  for (const op of drillOperations(world, config, wrap)) {
    const name = operationFunctionName(config.name, op.manifest.id);
    const logger = deps.logger(name);
    world.lambda.register({
      name,
      arn: arnOf(name),
      timeoutMs: op.manifest.timeoutSeconds * 1_000,
      container: () => {
        const handle = createOperationHandler(op, { config, env: deps.env, aws, clock: deps.clock, logger, metrics: deps.metrics });
        return async (event, context) => {
          const r = await handle(event, context);
          // What the operator sees: the outcome line, in the drill's timeline.
          world.record.event(world.clock.now(), 'note', `${name} → ${r.outcome}: ${r.summary}`);
          return r;
        };
      },
    });
    arns.set(op.manifest.id, arnOf(name));
  }
  return arns;
}

export const isDlqFault = (e: TimelineEntry): boolean => e['dlq-records'] !== undefined || e['invoke-operation'] !== undefined;

/** Carries out one dead-letter timeline entry; `fault` writes it to the record. */
export function applyDlqFault(
  world: SimWorld,
  config: StreamfixConfig,
  e: TimelineEntry,
  note: string,
  fault: (text: string) => void,
  operationArn: (id: string) => string,
): void {
  if (e['dlq-records']) {
    const f = e['dlq-records'];
    const p = config.pipelines[f.pipeline];
    if (!p?.dlq) throw new Error(`dlq-records: pipeline "${f.pipeline}" has no dlq in the config`);
    const settings = (p.playbooks as Record<string, unknown>)['dlq-spike'] as DlqSpikeSettings;
    const m = dlqMetric(f.pipeline, settings);
    const types: [ErrorType, number][] = f.errorType ? [[f.errorType, 1]] : (Object.entries(f.errorTypes ?? {}) as [ErrorType, number][]);
    fault(
      `dlq-records ${f.pipeline}: the job writes ${f.perMinute} record(s)/min to ${p.dlq.s3} for ${f.for / 1000} s (${types.map(([t, w]) => `${t}${types.length > 1 ? ` ×${w}` : ''}`).join(', ')})${note}`,
    );
    world.dlq.startWriting({
      pipeline: f.pipeline,
      dlqUri: p.dlq.s3,
      topic: p.source.kind === 'msk' ? p.source.topic : p.source.streamName,
      metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions },
      // A Flink application's records carry no EMR run id: never stamped.
      applicationId: p.job.kind === 'emr-serverless' ? p.job.applicationId : '',
      jobName: p.job.kind === 'emr-serverless' ? p.job.jobName : p.job.applicationName,
      perMinute: f.perMinute,
      untilMs: world.clock.now() + f.for,
      types,
      errorMessage: f.errorMessage,
      payload: f.payload,
      stampJobRun: f.stampJobRun && p.job.kind === 'emr-serverless',
    });
  } else if (e['invoke-operation']) {
    const f = e['invoke-operation'];
    const times = f.times > 1 ? ` ×${f.times}${f.concurrent ? ' concurrently' : ' a second apart'}` : '';
    fault(`invoke-operation ${f.operation}${times}: ${JSON.stringify(f.payload)}${note}`);
    const arn = operationArn(f.operation);
    for (let k = 0; k < f.times; k++) {
      if (f.concurrent || k === 0) world.lambda.invokeAsync(arn, f.payload, 'operator');
      else world.clock.after(k * 1_000, 'invoke-operation', () => void world.lambda.invokeAsync(arn, f.payload, 'operator'));
    }
  }
}

export function dlqReplaySummary(world: SimWorld, config: StreamfixConfig): Record<string, DlqReplaySummary> {
  const out: Record<string, DlqReplaySummary> = {};
  for (const [pipeline, ids] of world.dlq.written) {
    const p = config.pipelines[pipeline];
    const topic = p?.source.kind === 'msk' ? p.source.topic : p?.source.streamName;
    const counts = new Map<string, number>();
    for (const m of world.dlq.produced) if (m.topic === topic && m.replayOf !== undefined) counts.set(m.replayOf, (counts.get(m.replayOf) ?? 0) + 1);
    const written = new Set(ids);
    out[pipeline] = {
      written: ids.length,
      delivered: [...counts.keys()].filter((id) => written.has(id)).length,
      duplicates: [...counts.values()].reduce((n, c) => n + c - 1, 0),
      missing: ids.filter((id) => !counts.has(id)).length,
    };
  }
  return out;
}

export function operationsSummary(world: SimWorld, config: StreamfixConfig, ids: Iterable<string>): Record<string, OperationSummary> {
  const out: Record<string, OperationSummary> = {};
  for (const id of ids) {
    const name = operationFunctionName(config.name, id);
    const invocations = world.record.invocations.filter((i) => i.functionName === name);
    const outcomes: Record<string, number> = {};
    for (const i of invocations) {
      const k = i.error ? 'error' : String((i.result as OperationInvocationResult | undefined)?.outcome ?? 'unfinished');
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }
    out[id] = { invocations: invocations.length, outcomes };
  }
  return out;
}

export function dlqChecks(x: DlqExpectations, actual: Record<string, DlqReplaySummary> | undefined): ExpectationCheck[] {
  const out: ExpectationCheck[] = [];
  for (const [pipeline, want] of Object.entries(x ?? {})) {
    const s = actual?.[pipeline] ?? { written: 0, delivered: 0, duplicates: 0, missing: 0 };
    for (const k of ['written', 'delivered', 'duplicates', 'missing'] as const) {
      if (want[k] !== undefined) out.push({ path: `expect.dlqReplay.${pipeline}.${k}`, expected: want[k], actual: s[k], ok: s[k] === want[k] });
    }
  }
  return out;
}

export function operationsChecks(x: OperationsExpectations, actual: Record<string, OperationSummary> | undefined): ExpectationCheck[] {
  const out: ExpectationCheck[] = [];
  for (const [id, want] of Object.entries(x ?? {})) {
    const s = actual?.[id] ?? { invocations: 0, outcomes: {} };
    if (want.invocations !== undefined)
      out.push({ path: `expect.operations.${id}.invocations`, expected: want.invocations, actual: s.invocations, ok: s.invocations === want.invocations });
    for (const [k, n] of Object.entries(want.outcomes ?? {})) {
      out.push({ path: `expect.operations.${id}.outcomes.${k}`, expected: n, actual: s.outcomes[k] ?? 0, ok: (s.outcomes[k] ?? 0) === n });
    }
  }
  return out;
}
